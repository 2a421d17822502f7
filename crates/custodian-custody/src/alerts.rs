//! Alerts raised by the record itself (issue 5, point 3): an item in transit past
//! its declared window, an item that arrived somewhere other than declared or in
//! another state, and an item whose custodian and controller differ.

use crate::state::{Custody, ItemState, Location};
use custodian_core::ids::{ItemId, SiteId};
use custodian_core::{StateCode, UtcTime};
use serde::Serialize;

/// What an alert is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertKind {
    /// Still in transit after the end of its declared route window.
    TransitOverdue {
        /// The declared destination.
        to: SiteId,
        /// The end of the window.
        arrive_by: UtcTime,
    },
    /// Arrived at a site other than the declared destination.
    ArrivedElsewhere {
        /// The declared destination.
        declared: SiteId,
        /// Where it arrived.
        arrived: SiteId,
    },
    /// Arrived in a state other than the declared destination's.
    ArrivedInAnotherState {
        /// The destination's state.
        declared: StateCode,
        /// The state it arrived in.
        arrived: StateCode,
    },
    /// Held by one state, under another's control.
    CustodyControlDiffer {
        /// The custodian.
        custodian: StateCode,
        /// The controller.
        controller: StateCode,
    },
}

/// An alert about one item at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The item.
    pub item: ItemId,
    /// What is wrong or notable.
    #[serde(flatten)]
    pub kind: AlertKind,
}

/// The alerts the record raises at `now`.
pub fn alerts(custody: &Custody, now: UtcTime) -> Vec<Alert> {
    let mut out = Vec::new();
    for item in custody.items() {
        transit(item, now, &mut out);
        if item.custodian != item.controller {
            out.push(Alert {
                item: item.item.clone(),
                kind: AlertKind::CustodyControlDiffer {
                    custodian: item.custodian,
                    controller: item.controller,
                },
            });
        }
    }
    for arrival in custody.arrivals() {
        let (item, declared, arrived) = (&arrival.item, &arrival.declared, &arrival.arrived);
        if declared != arrived {
            out.push(Alert {
                item: item.clone(),
                kind: AlertKind::ArrivedElsewhere {
                    declared: declared.clone(),
                    arrived: arrived.clone(),
                },
            });
            if let (Some(d), Some(a)) = (custody.site(declared), custody.site(arrived)) {
                if d.state != a.state {
                    out.push(Alert {
                        item: item.clone(),
                        kind: AlertKind::ArrivedInAnotherState {
                            declared: d.state,
                            arrived: a.state,
                        },
                    });
                }
            }
        }
    }
    out
}

fn transit(item: &ItemState, now: UtcTime, out: &mut Vec<Alert>) {
    if let Location::InTransit { to, arrive_by, .. } = &item.location {
        if now > *arrive_by {
            out.push(Alert {
                item: item.item.clone(),
                kind: AlertKind::TransitOverdue {
                    to: to.clone(),
                    arrive_by: *arrive_by,
                },
            });
        }
    }
}

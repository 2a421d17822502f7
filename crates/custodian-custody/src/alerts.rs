//! Alerts raised by the record itself (issue 5, point 3): an item in transit past
//! its declared window; an item that arrived somewhere other than declared, or in
//! another state; an item whose custodian and controller differ; a signature by
//! a key revoked as compromised; two events that place an item in two places at
//! once. Each alert names the events it rests on.

use crate::state::{Custody, EventRef, Location};
use custodian_core::ids::{ItemId, SiteId};
use custodian_core::{ActorId, StateCode, UtcTime};
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
    /// An event signed by a key its actor later revoked as compromised since a
    /// time at or before the event.
    RevokedKeyApproval {
        /// The signer.
        actor: ActorId,
        /// Compromised since.
        compromised_since: UtcTime,
    },
    /// An event places the item at a site while the record has it elsewhere.
    TwoPlacesAtOnce {
        /// Where the later event places it.
        claimed: SiteId,
        /// Where the record had it.
        recorded: String,
    },
}

impl AlertKind {
    /// The kind's name in JSON (`transit_overdue`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            AlertKind::TransitOverdue { .. } => "transit_overdue",
            AlertKind::ArrivedElsewhere { .. } => "arrived_elsewhere",
            AlertKind::ArrivedInAnotherState { .. } => "arrived_in_another_state",
            AlertKind::CustodyControlDiffer { .. } => "custody_control_differ",
            AlertKind::RevokedKeyApproval { .. } => "revoked_key_approval",
            AlertKind::TwoPlacesAtOnce { .. } => "two_places_at_once",
        }
    }
}

/// An alert about one item (or, for a revoked key, one event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The item, if the alert is about one.
    pub item: Option<ItemId>,
    /// What is wrong or notable.
    #[serde(flatten)]
    pub kind: AlertKind,
    /// The events it rests on.
    pub evidence: Vec<EventRef>,
}

/// The alerts the record raises at `now`, item alerts in item order, then the
/// record's arrivals, conflicts and suspect signatures in log order.
pub fn alerts(custody: &Custody, now: UtcTime) -> Vec<Alert> {
    let mut out = Vec::new();
    for item in custody.items() {
        if let Location::InTransit { to, arrive_by, .. } = &item.location {
            if now > *arrive_by {
                out.push(Alert {
                    item: Some(item.item.clone()),
                    kind: AlertKind::TransitOverdue {
                        to: to.clone(),
                        arrive_by: *arrive_by,
                    },
                    evidence: vec![item.located_by.clone()],
                });
            }
        }
        if item.custodian != item.controller {
            let mut evidence = vec![item.custody_by.clone(), item.control_by.clone()];
            evidence.dedup();
            out.push(Alert {
                item: Some(item.item.clone()),
                kind: AlertKind::CustodyControlDiffer {
                    custodian: item.custodian,
                    controller: item.controller,
                },
                evidence,
            });
        }
    }
    for arrival in custody.arrivals() {
        let (declared, arrived) = (&arrival.declared, &arrival.arrived);
        if declared == arrived {
            continue;
        }
        let alert = |kind| Alert {
            item: Some(arrival.item.clone()),
            kind,
            evidence: vec![arrival.departed_by.clone(), arrival.by.clone()],
        };
        out.push(alert(AlertKind::ArrivedElsewhere {
            declared: declared.clone(),
            arrived: arrived.clone(),
        }));
        if let (Some(d), Some(a)) = (custody.site(declared), custody.site(arrived)) {
            if d.state != a.state {
                out.push(alert(AlertKind::ArrivedInAnotherState {
                    declared: d.state,
                    arrived: a.state,
                }));
            }
        }
    }
    for c in custody.conflicts() {
        out.push(Alert {
            item: Some(c.item.clone()),
            kind: AlertKind::TwoPlacesAtOnce {
                claimed: c.claimed.clone(),
                recorded: c.recorded.to_string(),
            },
            evidence: vec![c.recorded_by.clone(), c.claimed_by.clone()],
        });
    }
    for s in custody.suspect_approvals() {
        out.push(Alert {
            item: s.item.clone(),
            kind: AlertKind::RevokedKeyApproval {
                actor: s.actor.clone(),
                compromised_since: s.compromised_since,
            },
            evidence: vec![s.event.clone()],
        });
    }
    out
}

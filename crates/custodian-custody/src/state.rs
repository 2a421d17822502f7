//! Items and sites, replayed from events in log order.

use custodian_core::event::{ItemStatus, Payload};
use custodian_core::ids::{ItemId, SiteId};
use custodian_core::{Event, EventId, LeafIndex, StateCode, UtcTime};
use serde::Serialize;
use std::collections::BTreeMap;

/// A declared site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SiteInfo {
    /// The site.
    pub site: SiteId,
    /// Its name.
    pub name: String,
    /// The state whose territory it is on.
    pub state: StateCode,
    /// What it is (`storage`, `air_base`, ...).
    pub site_type: String,
    /// The event that declared it.
    pub declared_by: EventId,
}

/// Where an item is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// At a site.
    AtSite {
        /// The site.
        site: SiteId,
        /// Since when.
        since: UtcTime,
    },
    /// Between two sites.
    InTransit {
        /// The site it left.
        from: SiteId,
        /// The site it was declared to go to.
        to: SiteId,
        /// When it left.
        departed: UtcTime,
        /// The end of the declared route window.
        arrive_by: UtcTime,
    },
}

/// An item's state after some events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemState {
    /// The item.
    pub item: ItemId,
    /// Its type.
    pub item_type: String,
    /// Its status.
    pub status: ItemStatus,
    /// Where it is.
    pub location: Location,
    /// The state that physically holds it.
    pub custodian: StateCode,
    /// The state that may authorise its use.
    pub controller: StateCode,
    /// The events that made this state, in order, with their leaves.
    pub history: Vec<(LeafIndex, EventId)>,
}

/// Why an event does not fit the record. The state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CustodyError {
    /// The event is about an item the record does not hold.
    #[error("event {event}: field payload.item: unknown item {item}")]
    UnknownItem {
        /// The event.
        event: EventId,
        /// The item.
        item: ItemId,
    },
    /// The event names a site that was never declared.
    #[error("event {event}: field payload.{field}: unknown site {site}")]
    UnknownSite {
        /// The event.
        event: EventId,
        /// The field.
        field: &'static str,
        /// The site.
        site: SiteId,
    },
    /// An item or site id is used twice.
    #[error("event {event}: field payload.{field}: {id} already exists")]
    Duplicate {
        /// The event.
        event: EventId,
        /// The field.
        field: &'static str,
        /// The id.
        id: String,
    },
    /// The event contradicts the item's state (an arrival with no departure, a
    /// departure from a site it is not at, a transfer from a state that does not
    /// hold it, anything after dismantlement).
    #[error("event {event}: field payload.{field}: expected {expected}, found {found}")]
    Contradiction {
        /// The event.
        event: EventId,
        /// The field.
        field: &'static str,
        /// What the record says.
        expected: String,
        /// What the event says.
        found: String,
    },
    /// Events must come in time order per item.
    #[error("event {event}: field time: {time} is before the item's last event at {last}")]
    TimeGoesBack {
        /// The event.
        event: EventId,
        /// Its time.
        time: UtcTime,
        /// The item's previous event time.
        last: UtcTime,
    },
}

/// An arrival, with the destination its departure declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Arrival {
    /// The item.
    pub item: ItemId,
    /// The declared destination.
    pub declared: SiteId,
    /// Where it arrived.
    pub arrived: SiteId,
    /// When.
    pub at: UtcTime,
    /// The arrival event.
    pub event: EventId,
}

/// Items and sites as the events so far make them.
#[derive(Clone, Debug, Default)]
pub struct Custody {
    sites: BTreeMap<SiteId, SiteInfo>,
    items: BTreeMap<ItemId, ItemState>,
    last_time: BTreeMap<ItemId, UtcTime>,
    arrivals: Vec<Arrival>,
}

impl Custody {
    /// An empty record.
    pub fn new() -> Custody {
        Custody::default()
    }

    /// Replays `events` (in log order) up to and including `until`.
    pub fn replay<'e>(
        events: impl IntoIterator<Item = (LeafIndex, &'e Event)>,
        until: Option<UtcTime>,
    ) -> Result<Custody, CustodyError> {
        let mut c = Custody::new();
        for (leaf, event) in events {
            if until.is_some_and(|u| event.time > u) {
                continue;
            }
            c.apply(leaf, event)?;
        }
        Ok(c)
    }

    /// The declared sites.
    pub fn sites(&self) -> impl Iterator<Item = &SiteInfo> {
        self.sites.values()
    }

    /// A site.
    pub fn site(&self, site: &SiteId) -> Option<&SiteInfo> {
        self.sites.get(site)
    }

    /// Every arrival, in log order, with its declared destination.
    pub fn arrivals(&self) -> &[Arrival] {
        &self.arrivals
    }

    /// Every item.
    pub fn items(&self) -> impl Iterator<Item = &ItemState> {
        self.items.values()
    }

    /// One item.
    pub fn item(&self, item: &ItemId) -> Option<&ItemState> {
        self.items.get(item)
    }

    /// The state an item's site is in (its destination's while in transit is not
    /// a location: `None` then).
    pub fn item_state_code(&self, item: &ItemState) -> Option<StateCode> {
        match &item.location {
            Location::AtSite { site, .. } => self.sites.get(site).map(|s| s.state),
            Location::InTransit { .. } => None,
        }
    }

    fn known_site(
        &self,
        event: &Event,
        field: &'static str,
        site: &SiteId,
    ) -> Result<(), CustodyError> {
        if self.sites.contains_key(site) {
            Ok(())
        } else {
            Err(CustodyError::UnknownSite {
                event: event.id.clone(),
                field,
                site: site.clone(),
            })
        }
    }

    /// Applies one event. Events of other kinds are ignored. On error, nothing
    /// changes.
    pub fn apply(&mut self, leaf: LeafIndex, event: &Event) -> Result<(), CustodyError> {
        let contradiction =
            |field: &'static str, expected: String, found: String| CustodyError::Contradiction {
                event: event.id.clone(),
                field,
                expected,
                found,
            };
        match &event.payload {
            Payload::SiteRegister(p) => {
                if self.sites.contains_key(&p.site) {
                    return Err(CustodyError::Duplicate {
                        event: event.id.clone(),
                        field: "site",
                        id: p.site.to_string(),
                    });
                }
                self.sites.insert(
                    p.site.clone(),
                    SiteInfo {
                        site: p.site.clone(),
                        name: p.name.clone(),
                        state: p.state,
                        site_type: p.site_type.clone(),
                        declared_by: event.id.clone(),
                    },
                );
                return Ok(());
            }
            Payload::ItemProduce(p) => {
                if self.items.contains_key(&p.item) {
                    return Err(CustodyError::Duplicate {
                        event: event.id.clone(),
                        field: "item",
                        id: p.item.to_string(),
                    });
                }
                self.known_site(event, "site", &p.site)?;
                self.items.insert(
                    p.item.clone(),
                    ItemState {
                        item: p.item.clone(),
                        item_type: p.item_type.clone(),
                        status: p.status,
                        location: Location::AtSite {
                            site: p.site.clone(),
                            since: event.time,
                        },
                        custodian: p.custodian,
                        controller: p.controller,
                        history: vec![(leaf, event.id.clone())],
                    },
                );
                self.last_time.insert(p.item.clone(), event.time);
                return Ok(());
            }
            _ => {}
        }
        let Some(item_id) = item_of(&event.payload) else {
            return Ok(());
        };
        let mut item =
            self.items
                .get(item_id)
                .cloned()
                .ok_or_else(|| CustodyError::UnknownItem {
                    event: event.id.clone(),
                    item: item_id.clone(),
                })?;
        if let Some(last) = self.last_time.get(item_id) {
            if event.time < *last {
                return Err(CustodyError::TimeGoesBack {
                    event: event.id.clone(),
                    time: event.time,
                    last: *last,
                });
            }
        }
        if item.status == ItemStatus::Dismantled {
            return Err(contradiction(
                "item",
                "an item that exists (it was dismantled)".into(),
                item_id.to_string(),
            ));
        }
        match &event.payload {
            Payload::ItemDepart(p) => {
                self.known_site(event, "from", &p.from)?;
                self.known_site(event, "to", &p.to)?;
                match &item.location {
                    Location::AtSite { site, .. } if *site == p.from => {}
                    other => {
                        return Err(contradiction(
                            "from",
                            format!("{other:?}"),
                            p.from.to_string(),
                        ));
                    }
                }
                if p.arrive_by_utc <= event.time {
                    return Err(contradiction(
                        "arrive_by_utc",
                        format!("a time after the departure {}", event.time),
                        p.arrive_by_utc.to_string(),
                    ));
                }
                item.location = Location::InTransit {
                    from: p.from.clone(),
                    to: p.to.clone(),
                    departed: event.time,
                    arrive_by: p.arrive_by_utc,
                };
            }
            Payload::ItemArrive(p) => {
                self.known_site(event, "site", &p.site)?;
                let Location::InTransit { to, .. } = &item.location else {
                    return Err(contradiction(
                        "site",
                        "a departure before an arrival".into(),
                        format!("{:?}", item.location),
                    ));
                };
                self.arrivals.push(Arrival {
                    item: item_id.clone(),
                    declared: to.clone(),
                    arrived: p.site.clone(),
                    at: event.time,
                    event: event.id.clone(),
                });
                item.location = Location::AtSite {
                    site: p.site.clone(),
                    since: event.time,
                };
            }
            Payload::CustodyTransfer(p) => {
                if item.custodian != p.from {
                    return Err(contradiction(
                        "from",
                        format!("the custodian {}", item.custodian),
                        p.from.to_string(),
                    ));
                }
                item.custodian = p.to;
            }
            Payload::ControlTransfer(p) => {
                if item.controller != p.from {
                    return Err(contradiction(
                        "from",
                        format!("the controller {}", item.controller),
                        p.from.to_string(),
                    ));
                }
                item.controller = p.to;
            }
            Payload::ItemDismantle(p) => {
                self.known_site(event, "site", &p.site)?;
                match &item.location {
                    Location::AtSite { site, .. } if *site == p.site => {}
                    other => {
                        return Err(contradiction(
                            "site",
                            format!("{other:?}"),
                            p.site.to_string(),
                        ));
                    }
                }
                item.status = ItemStatus::Dismantled;
            }
            _ => {}
        }
        item.history.push((leaf, event.id.clone()));
        self.last_time.insert(item_id.clone(), event.time);
        self.items.insert(item_id.clone(), item);
        Ok(())
    }
}

/// The item an event is about, if it is about one (other than its production).
fn item_of(payload: &Payload) -> Option<&ItemId> {
    match payload {
        Payload::ItemDepart(p) => Some(&p.item),
        Payload::ItemArrive(p) => Some(&p.item),
        Payload::CustodyTransfer(p) => Some(&p.item),
        Payload::ControlTransfer(p) => Some(&p.item),
        Payload::ItemDismantle(p) => Some(&p.item),
        _ => None,
    }
}

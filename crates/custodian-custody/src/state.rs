//! Items and sites, replayed from events in log order.
//!
//! [`Custody::apply`] takes one event and either refuses it (naming the event and
//! field; nothing changes) or folds it in. It keeps what later questions need:
//! each item's current state with the events that made it so, and the record of
//! transfers, exercises, arrivals, conflicting placements and approvals by keys
//! later revoked as compromised. It keeps no per-event history, so memory grows
//! with items and notable events, not with the length of the log.

use crate::policy::Policy;
use custodian_core::event::{ItemStatus, Payload};
use custodian_core::ids::{ItemId, SiteId};
use custodian_core::{ActorId, Date, Event, EventId, LeafIndex, StateCode, UtcTime};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where an event is: its leaf, id and stated time. Evidence points here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRef {
    /// The leaf that holds it.
    pub leaf: LeafIndex,
    /// Its id.
    pub event: EventId,
    /// Its stated time.
    pub time: UtcTime,
}

impl EventRef {
    /// The reference to `event` in leaf `leaf`.
    pub fn of(leaf: LeafIndex, event: &Event) -> EventRef {
        EventRef {
            leaf,
            event: event.id.clone(),
            time: event.time,
        }
    }
}

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
    pub declared_by: EventRef,
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

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::AtSite { site, since } => write!(f, "at {site} since {since}"),
            Location::InTransit { from, to, .. } => write!(f, "in transit from {from} to {to}"),
        }
    }
}

/// An item's deployment abroad.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deployment {
    /// The host state.
    pub host: StateCode,
    /// The arrangement stated.
    pub arrangement: String,
    /// The event that deployed it.
    pub by: EventRef,
}

/// An item's assignment to a delivery unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// The unit.
    pub unit: String,
    /// The unit's state.
    pub unit_state: StateCode,
    /// The delivery system, if stated.
    pub delivery_system: Option<String>,
    /// The event that assigned it.
    pub by: EventRef,
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
    /// Its deployment abroad, while it lasts (ends when it departs).
    pub deployment: Option<Deployment>,
    /// Its delivery unit, while assigned (ends when it departs or retires).
    pub assignment: Option<Assignment>,
    /// The event that produced or first declared it.
    pub produced_by: EventRef,
    /// The event that put it where it is (its production, arrival or departure).
    pub located_by: EventRef,
    /// The event that gave it its present custodian.
    pub custody_by: EventRef,
    /// The event that gave it its present controller.
    pub control_by: EventRef,
    /// Its latest event.
    pub last: EventRef,
}

/// A custody or control transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// The item.
    pub item: ItemId,
    /// `custody` or `control`.
    pub what: TransferKind,
    /// From which state.
    pub from: StateCode,
    /// To which state.
    pub to: StateCode,
    /// The stated condition of a control transfer.
    pub condition: Option<String>,
    /// True when a control transfer is stated to take effect upon a decision to go
    /// to war (the event's `wartime`); always false for a custody transfer, whose
    /// event states no such condition.
    pub wartime: bool,
    /// The transfer event.
    pub by: EventRef,
}

/// What a transfer passes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// Physical custody.
    Custody,
    /// Authority to use.
    Control,
}

/// An exercise involving an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExerciseRecord {
    /// The item.
    pub item: ItemId,
    /// Where the exercise was held.
    pub site: SiteId,
    /// The site's state.
    pub site_state: StateCode,
    /// Its name.
    pub exercise: String,
    /// The states whose forces took part.
    pub participants: Vec<StateCode>,
    /// The item's custodian then.
    pub custodian: StateCode,
    /// The item's controller then.
    pub controller: StateCode,
    /// The exercise event.
    pub by: EventRef,
}

/// Two events that place the same item in two places at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The item.
    pub item: ItemId,
    /// Where the later event places it.
    pub claimed: SiteId,
    /// The later event.
    pub claimed_by: EventRef,
    /// Where the record had it.
    pub recorded: Location,
    /// The event that put it there.
    pub recorded_by: EventRef,
}

/// An approval (or submission) signed by a key its actor later revoked as
/// compromised since a time at or before the event's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuspectApproval {
    /// The signer.
    pub actor: ActorId,
    /// Compromised since.
    pub compromised_since: UtcTime,
    /// The event it approved.
    pub event: EventRef,
    /// The item the event is about, if any.
    pub item: Option<ItemId>,
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
    /// The departure that declared the destination.
    pub departed_by: EventRef,
    /// The arrival event.
    pub by: EventRef,
}

/// A state that ceased to exist, and who continues it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ceased {
    /// The historical state.
    pub state: StateCode,
    /// From when it no longer exists.
    pub on: Date,
    /// Its continuator.
    pub continued_by: StateCode,
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
    /// The event names a state that does not exist at its date.
    #[error("event {event}: field payload.{field}: {reason}")]
    NoSuchState {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// Why.
        reason: String,
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

/// Items and sites as the events so far make them.
#[derive(Clone, Debug, Default)]
pub struct Custody {
    sites: BTreeMap<SiteId, SiteInfo>,
    items: BTreeMap<ItemId, ItemState>,
    arrivals: Vec<Arrival>,
    transfers: Vec<Transfer>,
    exercises: Vec<ExerciseRecord>,
    conflicts: Vec<Conflict>,
    suspect: Vec<SuspectApproval>,
    policy: Policy,
    policy_by: Option<EventRef>,
    known_states: BTreeSet<StateCode>,
    ceased: Vec<Ceased>,
    compromised: BTreeMap<ActorId, UtcTime>,
    dismantled: usize,
}

impl Custody {
    /// An empty record under the default policy, checking states only against
    /// the registry rows it is given (see [`Custody::with_ceased`]).
    pub fn new() -> Custody {
        Custody::default()
    }

    /// States that ceased to exist (from the regime's sourced rules): events
    /// naming one after its date are refused.
    pub fn with_ceased(mut self, ceased: Vec<Ceased>) -> Custody {
        self.ceased = ceased;
        self
    }

    /// Keys revoked as compromised since a time (from the log's `actor.revoke`
    /// events): signatures by them on events stated at or after that time are
    /// recorded as suspect.
    pub fn with_compromised(mut self, compromised: BTreeMap<ActorId, UtcTime>) -> Custody {
        self.compromised = compromised;
        self
    }

    /// Replays `events` (in log order), skipping those stated after `until`.
    pub fn replay<'e>(
        mut self,
        events: impl IntoIterator<Item = (LeafIndex, &'e Event)>,
        until: Option<UtcTime>,
    ) -> Result<Custody, CustodyError> {
        for (leaf, event) in events {
            if until.is_some_and(|u| event.time > u) {
                continue;
            }
            self.apply(leaf, event)?;
        }
        Ok(self)
    }

    /// The declared sites.
    pub fn sites(&self) -> impl Iterator<Item = &SiteInfo> {
        self.sites.values()
    }

    /// A site.
    pub fn site(&self, site: &SiteId) -> Option<&SiteInfo> {
        self.sites.get(site)
    }

    /// Every item, by id.
    pub fn items(&self) -> impl Iterator<Item = &ItemState> {
        self.items.values()
    }

    /// Number of items (dismantled ones included).
    pub fn item_count(&self) -> usize {
        self.items.len()
    }

    /// One item.
    pub fn item(&self, item: &ItemId) -> Option<&ItemState> {
        self.items.get(item)
    }

    /// Every arrival somewhere other than its declared destination, in log
    /// order (arrivals as declared are not kept: they raise nothing, and a log
    /// of relocations would otherwise grow this record without bound).
    pub fn arrivals(&self) -> &[Arrival] {
        &self.arrivals
    }

    /// Every custody and control transfer, in log order.
    pub fn transfers(&self) -> &[Transfer] {
        &self.transfers
    }

    /// Every exercise, in log order.
    pub fn exercises(&self) -> &[ExerciseRecord] {
        &self.exercises
    }

    /// Every pair of events that placed an item in two places at once.
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// Every signature by a key revoked as compromised, on an event stated after
    /// the compromise.
    pub fn suspect_approvals(&self) -> &[SuspectApproval] {
        &self.suspect
    }

    /// The approval policy in force, and the event that set it (`None`: the
    /// default).
    pub fn policy(&self) -> (&Policy, Option<&EventRef>) {
        (&self.policy, self.policy_by.as_ref())
    }

    /// The state an item is in: its site's (`None` while in transit).
    pub fn item_state_code(&self, item: &ItemState) -> Option<StateCode> {
        match &item.location {
            Location::AtSite { site, .. } => self.sites.get(site).map(|s| s.state),
            Location::InTransit { .. } => None,
        }
    }

    /// Checks that `state` exists at `time`: it has not ceased to exist, and when
    /// the log holds a states table, it is in it.
    pub fn state_exists(&self, state: StateCode, time: UtcTime) -> Result<(), String> {
        if let Some(c) = self.ceased.iter().find(|c| c.state == state) {
            if time.date() >= c.on {
                return Err(format!(
                    "state {state} ceased to exist on {} (continued by {}); expected a state that exists on {}",
                    c.on,
                    c.continued_by,
                    time.date()
                ));
            }
            return Ok(());
        }
        if !self.known_states.is_empty() && !self.known_states.contains(&state) {
            return Err(format!(
                "unknown state {state}: expected a state of the log's registry (table states)"
            ));
        }
        Ok(())
    }

    fn check_state(
        &self,
        event: &Event,
        field: impl Into<String>,
        state: StateCode,
    ) -> Result<(), CustodyError> {
        self.state_exists(state, event.time)
            .map_err(|reason| CustodyError::NoSuchState {
                event: event.id.clone(),
                field: field.into(),
                reason,
            })
    }

    fn known_site(
        &self,
        event: &Event,
        field: &'static str,
        site: &SiteId,
    ) -> Result<&SiteInfo, CustodyError> {
        self.sites
            .get(site)
            .ok_or_else(|| CustodyError::UnknownSite {
                event: event.id.clone(),
                field,
                site: site.clone(),
            })
    }

    /// The item an event is about, with its state before the event, or `None`
    /// for events about no existing item (productions included).
    pub fn subject(&self, event: &Event) -> Option<&ItemState> {
        item_of(&event.payload)
            .filter(|_| !matches!(event.payload, Payload::ItemProduce(_)))
            .and_then(|id| self.items.get(id))
    }

    /// Applies one event. Events of other kinds are ignored. On error, nothing
    /// changes.
    pub fn apply(&mut self, leaf: LeafIndex, event: &Event) -> Result<(), CustodyError> {
        self.apply_payload(leaf, event)?;
        // Every accepted event's signers, whatever its kind.
        let here = EventRef::of(leaf, event);
        self.note_signers(&here, event, item_of(&event.payload));
        Ok(())
    }

    fn apply_payload(&mut self, leaf: LeafIndex, event: &Event) -> Result<(), CustodyError> {
        let here = EventRef::of(leaf, event);
        match &event.payload {
            Payload::SiteRegister(p) => {
                if self.sites.contains_key(&p.site) {
                    return Err(CustodyError::Duplicate {
                        event: event.id.clone(),
                        field: "site",
                        id: p.site.to_string(),
                    });
                }
                self.check_state(event, "state", p.state)?;
                self.sites.insert(
                    p.site.clone(),
                    SiteInfo {
                        site: p.site.clone(),
                        name: p.name.clone(),
                        state: p.state,
                        site_type: p.site_type.clone(),
                        declared_by: here,
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
                self.check_state(event, "custodian", p.custodian)?;
                self.check_state(event, "controller", p.controller)?;
                if p.status == ItemStatus::Dismantled {
                    return Err(CustodyError::Contradiction {
                        event: event.id.clone(),
                        field: "status",
                        expected: "deployed, stockpiled or retired".into(),
                        found: "dismantled".into(),
                    });
                }
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
                        deployment: None,
                        assignment: None,
                        produced_by: here.clone(),
                        located_by: here.clone(),
                        custody_by: here.clone(),
                        control_by: here.clone(),
                        last: here,
                    },
                );
                return Ok(());
            }
            Payload::PolicySet(p) => {
                self.policy = Policy::from_set(p);
                self.policy_by = Some(here);
                return Ok(());
            }
            Payload::RegistryRow(row) if row.table == "states" => {
                // Only the code matters here; the regime engine validates the row.
                if let Some(code) = row
                    .row
                    .get("iso3")
                    .and_then(|v| v.as_str())
                    .and_then(|s| StateCode::parse(s).ok())
                {
                    self.known_states.insert(code);
                }
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
        let contradiction =
            |field: &'static str, expected: String, found: String| CustodyError::Contradiction {
                event: event.id.clone(),
                field,
                expected,
                found,
            };
        if event.time < item.last.time {
            return Err(CustodyError::TimeGoesBack {
                event: event.id.clone(),
                time: event.time,
                last: item.last.time,
            });
        }
        if item.status == ItemStatus::Dismantled {
            return Err(contradiction(
                "item",
                "an item that exists (it was dismantled)".into(),
                item_id.to_string(),
            ));
        }
        let mut transfer = None;
        let mut exercise = None;
        let mut conflict = None;
        let mut arrival = None;
        match &event.payload {
            Payload::ItemDepart(p) => {
                self.known_site(event, "from", &p.from)?;
                self.known_site(event, "to", &p.to)?;
                match &item.location {
                    Location::AtSite { site, .. } if *site == p.from => {}
                    other => {
                        return Err(contradiction(
                            "from",
                            format!("{other}"),
                            p.from.to_string(),
                        ))
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
                item.located_by = here.clone();
                item.deployment = None;
                item.assignment = None;
            }
            Payload::ItemArrive(p) => {
                self.known_site(event, "site", &p.site)?;
                let Location::InTransit { to, .. } = &item.location else {
                    return Err(contradiction(
                        "site",
                        "a departure before an arrival".into(),
                        format!("an arrival while {}", item.location),
                    ));
                };
                arrival = (*to != p.site).then(|| Arrival {
                    item: item_id.clone(),
                    declared: to.clone(),
                    arrived: p.site.clone(),
                    departed_by: item.located_by.clone(),
                    by: here.clone(),
                });
                item.location = Location::AtSite {
                    site: p.site.clone(),
                    since: event.time,
                };
                item.located_by = here.clone();
            }
            Payload::CustodyTransfer(p) => {
                if item.custodian != p.from {
                    return Err(contradiction(
                        "from",
                        format!("the custodian {}", item.custodian),
                        p.from.to_string(),
                    ));
                }
                self.check_state(event, "to", p.to)?;
                item.custodian = p.to;
                item.custody_by = here.clone();
                transfer = Some(Transfer {
                    item: item_id.clone(),
                    what: TransferKind::Custody,
                    from: p.from,
                    to: p.to,
                    condition: None,
                    wartime: false,
                    by: here.clone(),
                });
            }
            Payload::ControlTransfer(p) => {
                if item.controller != p.from {
                    return Err(contradiction(
                        "from",
                        format!("the controller {}", item.controller),
                        p.from.to_string(),
                    ));
                }
                self.check_state(event, "to", p.to)?;
                item.controller = p.to;
                item.control_by = here.clone();
                transfer = Some(Transfer {
                    item: item_id.clone(),
                    what: TransferKind::Control,
                    from: p.from,
                    to: p.to,
                    condition: p.condition.clone(),
                    wartime: p.wartime,
                    by: here.clone(),
                });
            }
            Payload::ItemDeployAbroad(p) => {
                let site = self.known_site(event, "site", &p.site)?;
                match &item.location {
                    Location::AtSite { site: at, .. } if *at == p.site => {}
                    other => {
                        return Err(contradiction(
                            "site",
                            format!("{other}"),
                            p.site.to_string(),
                        ))
                    }
                }
                if site.state != p.host {
                    return Err(contradiction(
                        "host",
                        format!("the site's state {}", site.state),
                        p.host.to_string(),
                    ));
                }
                if p.host == item.custodian {
                    return Err(contradiction(
                        "host",
                        format!("a state other than the custodian {}", item.custodian),
                        p.host.to_string(),
                    ));
                }
                item.status = ItemStatus::Deployed;
                item.deployment = Some(Deployment {
                    host: p.host,
                    arrangement: p.arrangement.clone(),
                    by: here.clone(),
                });
            }
            Payload::ItemAssign(p) => {
                self.check_state(event, "unit_state", p.unit_state)?;
                if item.status == ItemStatus::Retired {
                    return Err(contradiction(
                        "item",
                        "an item that is not retired".into(),
                        "a retired item".into(),
                    ));
                }
                item.assignment = Some(Assignment {
                    unit: p.unit.clone(),
                    unit_state: p.unit_state,
                    delivery_system: p.delivery_system.clone(),
                    by: here.clone(),
                });
            }
            Payload::ItemExercise(p) => {
                let site = self.known_site(event, "site", &p.site)?;
                for (i, state) in p.participants.iter().enumerate() {
                    self.check_state(event, format!("participants[{i}]"), *state)?;
                }
                let here_site =
                    matches!(&item.location, Location::AtSite { site, .. } if *site == p.site);
                if !here_site {
                    conflict = Some(Conflict {
                        item: item_id.clone(),
                        claimed: p.site.clone(),
                        claimed_by: here.clone(),
                        recorded: item.location.clone(),
                        recorded_by: item.located_by.clone(),
                    });
                }
                exercise = Some(ExerciseRecord {
                    item: item_id.clone(),
                    site: p.site.clone(),
                    site_state: site.state,
                    exercise: p.exercise.clone(),
                    participants: p.participants.clone(),
                    custodian: item.custodian,
                    controller: item.controller,
                    by: here.clone(),
                });
            }
            Payload::ItemRetire(_) => {
                if item.status == ItemStatus::Retired {
                    return Err(contradiction(
                        "item",
                        "an item that is not retired yet".into(),
                        "a retired item".into(),
                    ));
                }
                item.status = ItemStatus::Retired;
                item.assignment = None;
            }
            Payload::ItemDismantle(p) => {
                self.known_site(event, "site", &p.site)?;
                match &item.location {
                    Location::AtSite { site, .. } if *site == p.site => {}
                    other => {
                        return Err(contradiction(
                            "site",
                            format!("{other}"),
                            p.site.to_string(),
                        ))
                    }
                }
                if item.status != ItemStatus::Retired {
                    return Err(contradiction(
                        "item",
                        "a retired item (retire it first)".into(),
                        format!("a {} item", status_name(item.status)),
                    ));
                }
                item.status = ItemStatus::Dismantled;
                self.dismantled += 1;
            }
            _ => {}
        }
        // Nothing below can fail: the event is accepted.
        item.last = here;
        self.transfers.extend(transfer);
        self.exercises.extend(exercise);
        self.conflicts.extend(conflict);
        self.arrivals.extend(arrival);
        self.items.insert(item_id.clone(), item);
        Ok(())
    }

    /// Records signatures on `event` by keys revoked as compromised before it.
    fn note_signers(&mut self, here: &EventRef, event: &Event, item: Option<&ItemId>) {
        if self.compromised.is_empty() {
            return;
        }
        let signers = std::iter::once(&event.actor).chain(event.approvals.iter().map(|a| &a.actor));
        for actor in signers {
            if let Some(since) = self.compromised.get(actor) {
                if event.time >= *since {
                    self.suspect.push(SuspectApproval {
                        actor: actor.clone(),
                        compromised_since: *since,
                        event: here.clone(),
                        item: item.cloned(),
                    });
                }
            }
        }
    }
}

/// The name of a status as written in JSON.
pub fn status_name(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Deployed => "deployed",
        ItemStatus::Stockpiled => "stockpiled",
        ItemStatus::Retired => "retired",
        ItemStatus::Dismantled => "dismantled",
    }
}

/// The item an event is about, if it is about one (its production included).
pub fn item_of(payload: &Payload) -> Option<&ItemId> {
    match payload {
        Payload::ItemProduce(p) => Some(&p.item),
        Payload::ItemDepart(p) => Some(&p.item),
        Payload::ItemArrive(p) => Some(&p.item),
        Payload::CustodyTransfer(p) => Some(&p.item),
        Payload::ControlTransfer(p) => Some(&p.item),
        Payload::ItemDeployAbroad(p) => Some(&p.item),
        Payload::ItemAssign(p) => Some(&p.item),
        Payload::ItemExercise(p) => Some(&p.item),
        Payload::ItemRetire(p) => Some(&p.item),
        Payload::ItemDismantle(p) => Some(&p.item),
        _ => None,
    }
}

impl CustodyError {
    /// The event field at fault (`payload.to`, `time`) and what was wrong, for
    /// errors that name the event elsewhere.
    pub fn field_and_detail(&self) -> (String, String) {
        match self {
            CustodyError::UnknownItem { item, .. } => {
                ("payload.item".into(), format!("unknown item {item}"))
            }
            CustodyError::UnknownSite { field, site, .. } => {
                (format!("payload.{field}"), format!("unknown site {site}"))
            }
            CustodyError::NoSuchState { field, reason, .. } => {
                (format!("payload.{field}"), reason.clone())
            }
            CustodyError::Duplicate { field, id, .. } => {
                (format!("payload.{field}"), format!("{id} already exists"))
            }
            CustodyError::Contradiction {
                field,
                expected,
                found,
                ..
            } => (
                format!("payload.{field}"),
                format!("expected {expected}, found {found}"),
            ),
            CustodyError::TimeGoesBack { time, last, .. } => (
                "time".into(),
                format!("{time} is before the item's last event at {last}"),
            ),
        }
    }
}

/// The site an event names, whose state a policy may select.
pub fn site_of(payload: &Payload) -> Option<&SiteId> {
    match payload {
        Payload::ItemProduce(p) => Some(&p.site),
        Payload::ItemDepart(p) => Some(&p.from),
        Payload::ItemArrive(p) => Some(&p.site),
        Payload::ItemDeployAbroad(p) => Some(&p.site),
        Payload::ItemExercise(p) => Some(&p.site),
        Payload::ItemDismantle(p) => Some(&p.site),
        _ => None,
    }
}

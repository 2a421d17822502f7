//! The approval policy: the two-person rule, generalised (issue 5, point 2).
//!
//! A policy says, per event kind, how many distinct signers of which role, acting
//! for which party, an event needs. The signers of an event are its submitter
//! and its approvers (each approval an Ed25519 co-signature over the event's
//! canonical bytes, verified by the ledger's registry); a requirement counts the
//! distinct signers whose role and party match. Every requirement of the kind
//! must hold. Kinds the policy does not name need only their submitter.
//!
//! The default below applies until a `policy.set` event replaces it; both are
//! in the log, so the audit re-checks every event under the policy then in
//! force. `docs/FORMATS.md` ("Approval policy") gives the JSON form.

use custodian_core::event::{PartySelector, PolicyRule, PolicySet, Requirement};
use custodian_core::{ActorId, Event, EventKind, Party, Payload, Role, StateCode};
use std::collections::BTreeMap;

/// One signer of an event, as the actor registry has it at that point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    /// The actor.
    pub actor: ActorId,
    /// Its role.
    pub role: Role,
    /// Whom it acts for.
    pub party: Party,
}

/// The states an event's requirements may select, from the event and the
/// item's state before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parties {
    /// The item's custodian.
    pub custodian: Option<StateCode>,
    /// The item's controller.
    pub controller: Option<StateCode>,
    /// A transfer's `from`.
    pub from: Option<StateCode>,
    /// A transfer's `to`.
    pub to: Option<StateCode>,
    /// A deployment's host.
    pub host: Option<StateCode>,
    /// An assignment's unit state.
    pub unit_state: Option<StateCode>,
    /// The state of the site the event names.
    pub site_state: Option<StateCode>,
    /// The state a declaration is for.
    pub declarant: Option<StateCode>,
}

impl Parties {
    fn select(&self, selector: PartySelector) -> Option<StateCode> {
        match selector {
            PartySelector::Custodian => self.custodian,
            PartySelector::Controller => self.controller,
            PartySelector::From => self.from,
            PartySelector::To => self.to,
            PartySelector::Host => self.host,
            PartySelector::UnitState => self.unit_state,
            PartySelector::SiteState => self.site_state,
            PartySelector::Declarant => self.declarant,
            PartySelector::Any => None,
        }
    }
}

/// Why an event's signers do not meet the policy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} needs {needed} distinct signer(s) of role {role} acting for {party}; found {found} ({signers}): add approvals by other actors")]
pub struct PolicyError {
    /// The event kind.
    pub kind: EventKind,
    /// The role required.
    pub role: Role,
    /// The party, as text (`the custodian state:XAA`).
    pub party: String,
    /// How many are needed.
    pub needed: u32,
    /// How many matched.
    pub found: usize,
    /// Who signed, with their roles and parties.
    pub signers: String,
}

/// An approval policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    rules: BTreeMap<EventKind, Vec<Requirement>>,
}

fn req(count: u32, party: PartySelector) -> Requirement {
    Requirement {
        count,
        role: Role::StateAuthority,
        party,
    }
}

impl Default for Policy {
    /// The default policy:
    ///
    /// | kind | signers |
    /// |---|---|
    /// | `item.produce` | 1 state authority of the custodian |
    /// | `item.depart` | 2 of the custodian (the two-person rule) |
    /// | `item.arrive` | 1 of the custodian |
    /// | `item.custody_transfer` | 1 of `from` and 1 of `to` |
    /// | `item.control_transfer` | 1 of `from` and 1 of `to` |
    /// | `item.deploy_abroad` | 2 of the custodian and 1 of the host |
    /// | `item.assign` | 2 of the custodian and 1 of the unit's state |
    /// | `item.retire` | 1 of the controller |
    /// | `item.dismantle` | 2 of the custodian |
    /// | `escrow.commit` | 2 of the declaring state |
    fn default() -> Policy {
        use PartySelector::*;
        let rules = [
            (EventKind::ItemProduce, vec![req(1, Custodian)]),
            (EventKind::ItemDepart, vec![req(2, Custodian)]),
            (EventKind::ItemArrive, vec![req(1, Custodian)]),
            (EventKind::CustodyTransfer, vec![req(1, From), req(1, To)]),
            (EventKind::ControlTransfer, vec![req(1, From), req(1, To)]),
            (
                EventKind::ItemDeployAbroad,
                vec![req(2, Custodian), req(1, Host)],
            ),
            (
                EventKind::ItemAssign,
                vec![req(2, Custodian), req(1, UnitState)],
            ),
            (EventKind::ItemRetire, vec![req(1, Controller)]),
            (EventKind::ItemDismantle, vec![req(2, Custodian)]),
            (EventKind::EscrowCommit, vec![req(2, Declarant)]),
        ];
        Policy {
            rules: rules.into_iter().collect(),
        }
    }
}

impl Policy {
    /// The policy a `policy.set` event states (its kinds were checked when the
    /// event was parsed).
    pub fn from_set(set: &PolicySet) -> Policy {
        Policy {
            rules: set
                .rules
                .iter()
                .filter_map(|r| Some((EventKind::parse(&r.kind)?, r.require.clone())))
                .collect(),
        }
    }

    /// The policy as a `policy.set` payload.
    pub fn to_set(&self) -> PolicySet {
        PolicySet {
            rules: self
                .rules
                .iter()
                .map(|(kind, require)| PolicyRule {
                    kind: kind.as_str().to_string(),
                    require: require.clone(),
                })
                .collect(),
        }
    }

    /// The requirements of `kind` (empty: the submitter alone suffices).
    pub fn requirements(&self, kind: EventKind) -> &[Requirement] {
        self.rules.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// Checks that `signers` (the submitter and the approvers, already verified
    /// and distinct) meet every requirement of `event`'s kind.
    pub fn check(
        &self,
        event: &Event,
        parties: &Parties,
        signers: &[Signer],
    ) -> Result<(), PolicyError> {
        let kind = event.kind();
        for r in self.requirements(kind) {
            let state = parties.select(r.party);
            let party_text = match (r.party, state) {
                (PartySelector::Any, _) => "any party".to_string(),
                (sel, Some(s)) => format!("the {} state:{s}", selector_name(sel)),
                (sel, None) => format!("the {} (which this event has none of)", selector_name(sel)),
            };
            let matching = signers
                .iter()
                .filter(|s| s.role == r.role)
                .filter(|s| match (r.party, state) {
                    (PartySelector::Any, _) => true,
                    (_, Some(code)) => s.party == Party::State(code),
                    (_, None) => false,
                })
                .count();
            if matching < r.count as usize {
                return Err(PolicyError {
                    kind,
                    role: r.role,
                    party: party_text,
                    needed: r.count,
                    found: matching,
                    signers: signers
                        .iter()
                        .map(|s| format!("{} {} {}", s.actor, s.role, s.party))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(())
    }
}

fn selector_name(s: PartySelector) -> &'static str {
    match s {
        PartySelector::Custodian => "custodian",
        PartySelector::Controller => "controller",
        PartySelector::From => "`from`",
        PartySelector::To => "`to`",
        PartySelector::Host => "host",
        PartySelector::UnitState => "unit's state",
        PartySelector::SiteState => "site's state",
        PartySelector::Declarant => "declaring state",
        PartySelector::Any => "any party",
    }
}

/// The parties of `event` given the item's state before it (`None` for
/// productions, whose custodian and controller are in the payload) and the
/// state of the site it names, if any.
pub fn parties_of(
    event: &Event,
    item: Option<(StateCode, StateCode)>,
    site_state: Option<StateCode>,
) -> Parties {
    let mut p = Parties {
        custodian: item.map(|i| i.0),
        controller: item.map(|i| i.1),
        site_state,
        ..Parties::default()
    };
    match &event.payload {
        Payload::ItemProduce(x) => {
            p.custodian = Some(x.custodian);
            p.controller = Some(x.controller);
        }
        Payload::CustodyTransfer(x) => (p.from, p.to) = (Some(x.from), Some(x.to)),
        Payload::ControlTransfer(x) => (p.from, p.to) = (Some(x.from), Some(x.to)),
        Payload::ItemDeployAbroad(x) => p.host = Some(x.host),
        Payload::ItemAssign(x) => p.unit_state = Some(x.unit_state),
        Payload::SiteRegister(x) => p.site_state = Some(x.state),
        Payload::EscrowCommit(x) => p.declarant = Some(x.state),
        _ => {}
    }
    p
}

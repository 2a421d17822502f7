//! Who may read what (issue 8, "no one in where they don't belong").
//!
//! Writes are already guarded by the log itself: a submission is appended only
//! when it is signed by a registered, unrevoked actor whose role permits each
//! event kind (`EventKind::permits`) and, for approvals, under the policy.
//! Reads are guarded here.
//!
//! **Who is asking** ([`Viewer`]): a request without an `Authorization` header
//! is the public; a request with a valid signed-read header (module `auth`,
//! FORMATS.md §18) is the registered actor that signed it, with its role and
//! party as the log's registry has them.
//!
//! **What is not public** ([`Restriction`]): a state's facility-level
//! accounts — the facilities and material balance areas it registers and every
//! material accountancy event (inventory changes, physical inventories,
//! measurements, inventory takings, filed reports). They are visible to actors
//! of that state (any role) and to inspectors, never to the public, other
//! states, administrators or secretariats. Everything else in the log is public:
//! the registry, items and their custody and control, findings, escrow
//! commitments and what states chose to reveal, review reports.
//!
//! Hashes are always public: inclusion and consistency proofs, checkpoints and
//! hash tiles reveal no content, so anyone can verify that a restricted leaf
//! is in the log without reading it.

use custodian_core::event::Payload;
use custodian_core::{ActorId, Party, Role, SignedSubmission, StateCode};

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Viewer {
    /// No signature: anyone on the internet.
    #[default]
    Public,
    /// A registered, unrevoked actor whose signed read verified.
    Actor {
        /// The actor.
        id: ActorId,
        /// Its role.
        role: Role,
        /// Whom it acts for.
        party: Party,
    },
}

/// What a read would show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Restriction {
    /// Anyone.
    Public,
    /// One state's facility-level accounts: that state's actors and inspectors.
    StateAccounts(StateCode),
    /// Several states' facility-level accounts at once, or accounts whose
    /// state is unknown (an entry bundle of 256 leaves): inspectors only.
    AllAccounts,
}

impl Viewer {
    /// Whether this viewer may read what `restriction` guards.
    pub fn may_read(&self, restriction: &Restriction) -> bool {
        match (self, restriction) {
            (_, Restriction::Public) => true,
            (Viewer::Public, _) => false,
            (Viewer::Actor { role, .. }, _) if *role == Role::Inspector => true,
            (Viewer::Actor { party, .. }, Restriction::StateAccounts(state)) => {
                party.state().as_ref() == Some(state)
            }
            (Viewer::Actor { .. }, Restriction::AllAccounts) => false,
        }
    }

    /// A short name for messages and logs: `public` or the actor's id.
    pub fn describe(&self) -> String {
        match self {
            Viewer::Public => "the public".into(),
            Viewer::Actor { id, role, .. } => format!("actor {id} ({})", role.as_str()),
        }
    }
}

/// Whether an event payload is part of a state's facility-level accounts.
pub fn is_facility_accounts(payload: &Payload) -> bool {
    matches!(
        payload,
        Payload::FacilityRegister(_)
            | Payload::MbaRegister(_)
            | Payload::InventoryChange(_)
            | Payload::PhysicalInventory(_)
            | Payload::Measurement(_)
            | Payload::InventoryTaking(_)
            | Payload::ReportFiled(_)
    )
}

/// The restriction on a whole leaf: public unless it holds facility-level
/// accounts, which belong to the state of the actor that submitted them
/// (`submitter_party`); a leaf of accounts submitted by a party that is no
/// state (an inspectorate's measurement) is for inspectors only.
pub fn leaf_restriction(signed: &SignedSubmission, submitter_party: Option<&Party>) -> Restriction {
    if !signed
        .submission
        .events
        .iter()
        .any(|e| is_facility_accounts(&e.payload))
    {
        return Restriction::Public;
    }
    match submitter_party.and_then(Party::state) {
        Some(state) => Restriction::StateAccounts(state),
        None => Restriction::AllAccounts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, party: &str) -> Viewer {
        Viewer::Actor {
            id: ActorId::parse("someone").unwrap(),
            role,
            party: Party::parse(party).unwrap(),
        }
    }

    #[test]
    fn facility_accounts_are_for_their_state_and_inspectors_only() {
        let xff = Restriction::StateAccounts(StateCode::parse("XFF").unwrap());
        assert!(!Viewer::Public.may_read(&xff));
        assert!(actor(Role::Operator, "state:XFF").may_read(&xff));
        assert!(actor(Role::Observer, "state:XFF").may_read(&xff));
        assert!(actor(Role::Inspector, "body:iaea").may_read(&xff));
        assert!(!actor(Role::StateAuthority, "state:USA").may_read(&xff));
        assert!(!actor(Role::Secretariat, "body:npt-secretariat").may_read(&xff));
        assert!(!actor(Role::Administrator, "body:npt-secretariat").may_read(&xff));
        assert!(actor(Role::Inspector, "body:iaea").may_read(&Restriction::AllAccounts));
        assert!(!actor(Role::Operator, "state:XFF").may_read(&Restriction::AllAccounts));
        for role in Role::ALL {
            assert!(actor(role, "state:USA").may_read(&Restriction::Public));
        }
        assert!(Viewer::Public.may_read(&Restriction::Public));
    }
}

//! The custody record of a log: replaying its leaves through the custody engine,
//! and the one append path every command uses, so the engine's rules (item
//! consistency, the approval policy) hold for everything that enters the log.

use anyhow::{anyhow, Context};
use custodian_accountancy::accounts::Accounts;
use custodian_core::event::Payload;
use custodian_core::{ActorId, Date, EventKind, LeafIndex, SignedSubmission, StateCode, UtcTime};
use custodian_custody::{Ceased, Custody, CustodyRule};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::registry::{Registry, RuleError, SubmissionRule};
use custodian_store::log::{AppendError, AppendReceipt, Log};
use custodian_store::Store;
use std::collections::BTreeMap;

/// States that ceased to exist, from the regime engine's sourced continuations.
pub fn ceased_states() -> Vec<Ceased> {
    custodian_regime::rules::SUCCESSIONS
        .iter()
        .filter_map(|c| {
            Some(Ceased {
                state: StateCode::parse(c.predecessor).ok()?,
                on: Date::parse(c.from).ok()?,
                continued_by: StateCode::parse(c.successor).ok()?,
            })
        })
        .collect()
}

/// The engines' rules every submission must pass: the custody engine's (item
/// consistency, the approval policy) and the material accounts' (registered
/// facilities and MBAs, known codes, corrections that point to a line, PIL
/// line counts); the review engine's too (a state's report in the standard
/// reporting format, for a known cycle, by an actor of that state).
pub struct Rules {
    custody: CustodyRule,
    accounts: Accounts,
    escrow: custodian_escrow::ledger::EscrowLedger,
    review: custodian_review::ReviewRule,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules::new()
    }
}

impl Rules {
    /// Fresh rules for a log replayed from its first leaf.
    pub fn new() -> Rules {
        Rules {
            custody: CustodyRule::new(Custody::new().with_ceased(ceased_states())),
            accounts: Accounts::new(),
            escrow: custodian_escrow::ledger::EscrowLedger::default(),
            review: custodian_review::ReviewRule::default(),
        }
    }

    /// The escrow record folded in so far.
    pub fn escrow(&self) -> &custodian_escrow::ledger::EscrowLedger {
        &self.escrow
    }

    /// Applies the escrow events of a submission (the submitter's party from
    /// `registry`; an actor's party never changes).
    fn apply_escrow(
        &mut self,
        registry: &Registry,
        leaf: LeafIndex,
        signed: &SignedSubmission,
    ) -> Result<(), RuleError> {
        let s = &signed.submission;
        self.escrow.set_origin(&s.log);
        let Some(party) = registry.get(&s.actor).map(|r| r.party.clone()) else {
            return Ok(());
        };
        for (i, event) in s.events.iter().enumerate() {
            self.escrow
                .apply(leaf, event, &party)
                .map_err(|e| RuleError {
                    event_index: i,
                    field: format!(".{}", e.field),
                    message: e.message,
                })?;
        }
        Ok(())
    }

    /// Folds in a submission already in the log (approvals not re-checked: the
    /// audit does that).
    fn preload(
        &mut self,
        registry: &Registry,
        leaf: LeafIndex,
        signed: &SignedSubmission,
    ) -> Result<(), RuleError> {
        self.custody.preload(leaf, signed)?;
        self.review.preload(leaf, signed)?;
        self.apply_accounts(leaf, signed)?;
        self.apply_escrow(registry, leaf, signed)
    }

    fn apply_accounts(
        &mut self,
        leaf: LeafIndex,
        signed: &SignedSubmission,
    ) -> Result<(), RuleError> {
        for (i, event) in signed.submission.events.iter().enumerate() {
            self.accounts
                .apply(leaf, event)
                .map_err(|e| accounts_error(i, &e))?;
        }
        Ok(())
    }
}

impl Rules {
    /// The state whose facility-level accounts `payload` writes to, and the
    /// field that says so: a facility's own state, or the state of the
    /// facility of the MBA named (`None` for an MBA or facility not yet
    /// registered: the accounts engine refuses those with its own message).
    fn accounts_state(&self, payload: &Payload) -> Option<(StateCode, &'static str)> {
        use custodian_core::event::MbaCode;
        let mba_state = |text: &str| {
            let info = self.accounts.mba(&MbaCode::parse(text).ok()?)?;
            Some(self.accounts.facility(&info.facility)?.state)
        };
        match payload {
            Payload::FacilityRegister(f) => Some((f.state, ".payload.state")),
            Payload::MbaRegister(m) => Some((
                self.accounts.facility(&m.facility)?.state,
                ".payload.facility",
            )),
            Payload::InventoryChange(p) => Some((mba_state(&p.mba)?, ".payload.mba")),
            Payload::PhysicalInventory(p) => Some((mba_state(&p.mba)?, ".payload.mba")),
            Payload::Measurement(p) => Some((mba_state(&p.mba)?, ".payload.mba")),
            Payload::InventoryTaking(p) => Some((mba_state(p.mba.as_str())?, ".payload.mba")),
            Payload::ReportFiled(p) => Some((mba_state(p.mba.as_str())?, ".payload.mba")),
            _ => None,
        }
    }

    /// A state's facility-level accounts are written by actors of that state
    /// (its operators and authorities) and by inspectors (measurements,
    /// physical inventories and inventory takings, as `EventKind::permits`
    /// allows): nobody writes into another state's accounts. Checked event by
    /// event as the accounts advance, so a facility registered earlier in the
    /// same submission counts.
    fn check_accounts(
        &mut self,
        registry: &Registry,
        leaf: LeafIndex,
        signed: &SignedSubmission,
    ) -> Result<(), RuleError> {
        let submitter = registry.get(&signed.submission.actor);
        for (i, event) in signed.submission.events.iter().enumerate() {
            if let (Some(actor), Some((state, field))) =
                (submitter, self.accounts_state(&event.payload))
            {
                let inspector = actor.role == custodian_core::Role::Inspector;
                if !inspector && actor.party.state().as_ref() != Some(&state) {
                    return Err(RuleError {
                        event_index: i,
                        field: field.into(),
                        message: format!(
                            "actor {} acts for {}, and {} writes to the accounts of state {state}: a state's facility accounts are written by that state's operators and authorities, or by inspectors",
                            actor.id,
                            actor.party,
                            event.payload.kind()
                        ),
                    });
                }
            }
            self.accounts
                .apply(leaf, event)
                .map_err(|e| accounts_error(i, &e))?;
        }
        Ok(())
    }
}

/// An accounts engine error as a rule error naming the event and field.
fn accounts_error(
    event_index: usize,
    e: &custodian_accountancy::accounts::AccountsError,
) -> RuleError {
    let full = e.to_string();
    let prefix = format!("event {}: field {}: ", e.event(), e.field());
    RuleError {
        event_index,
        field: format!(".{}", e.field()),
        message: full.strip_prefix(&prefix).unwrap_or(&full).to_string(),
    }
}

impl SubmissionRule for Rules {
    fn check(
        &mut self,
        registry: &Registry,
        leaf: LeafIndex,
        signed: &SignedSubmission,
    ) -> Result<(), RuleError> {
        self.custody.check(registry, leaf, signed)?;
        self.review.check(registry, leaf, signed)?;
        self.check_accounts(registry, leaf, signed)?;
        self.apply_escrow(registry, leaf, signed)
    }
}

/// The full audit of a store, with the engines' rules re-derived from its
/// leaves (the two-person rule, item consistency and the material accounts
/// re-checked on every event).
pub fn audit<S: Store + ?Sized>(
    store: &S,
    pinned: Option<&custodian_ledger::keys::VerifierKey>,
) -> Result<custodian_store::audit::AuditReport, custodian_store::audit::AuditFailure> {
    let mut rules = Rules::new();
    custodian_store::audit::audit_with(store, pinned, &mut rules, |_, _| {})
}

/// Calls `f` with every leaf of the log, in order, parsed strictly.
pub fn for_each_leaf<S: Store>(
    log: &Log<S>,
    f: impl FnMut(LeafIndex, SignedSubmission) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    log.for_each_submission(0, f)
}

/// The rules with every leaf of the log folded in: what new submissions are
/// checked against.
pub fn rule_of<S: Store>(log: &Log<S>) -> anyhow::Result<Rules> {
    let mut rule = Rules::new();
    let registry = log.registry();
    for_each_leaf(log, |leaf, signed| {
        rule.preload(registry, leaf, &signed)
            .map_err(|e| anyhow!("leaf {}: {e}; run `custodian audit`", leaf.0))
    })?;
    Ok(rule)
}

/// Appends `submissions` as one group under the registry's rules and the custody
/// engine's: how the command-line tool writes to a log (registry rows, which the
/// custody engine only reads, are appended by the regime engine).
pub fn append<S: Store>(
    log: &mut Log<S>,
    submissions: &[SignedSubmission],
    log_key: &SigningKey,
) -> anyhow::Result<Result<AppendReceipt, AppendError>> {
    let mut rule = rule_of(log)?;
    Ok(log.append_with(submissions, log_key, &mut rule))
}

/// Keys revoked as compromised since a time, from the log's `actor.revoke` events.
pub fn compromised<S: Store>(log: &Log<S>) -> anyhow::Result<BTreeMap<ActorId, UtcTime>> {
    let mut out = BTreeMap::new();
    for (_, event) in log.events_of_kind(EventKind::ActorRevoke)? {
        if let Payload::ActorRevoke(r) = event.payload {
            if let Some(since) = r.compromised_since {
                out.insert(r.actor, since);
            }
        }
    }
    Ok(out)
}

/// The custody record as of `at` (item events stated later are left out), with
/// the log's compromised keys.
pub fn custody_at<S: Store>(log: &Log<S>, at: UtcTime) -> anyhow::Result<Custody> {
    let mut custody = Custody::new()
        .with_ceased(ceased_states())
        .with_compromised(compromised(log)?);
    for_each_leaf(log, |leaf, signed| {
        for event in &signed.submission.events {
            // Item events stated after `at` are left out; declarations (sites,
            // policy, registry rows) hold from where they stand in the log.
            if event.time <= at || custodian_custody::item_of(&event.payload).is_none() {
                custody
                    .apply(leaf, event)
                    .map_err(|e| anyhow!("leaf {}: {e}; run `custodian audit`", leaf.0))?;
            }
        }
        Ok(())
    })?;
    Ok(custody)
}

/// Parses `--at`: a date (the end of that day, UTC) or a UTC time; default now.
pub fn parse_at(at: Option<&str>) -> anyhow::Result<UtcTime> {
    let Some(text) = at else {
        return Ok(crate::input::now());
    };
    if let Ok(t) = UtcTime::parse(text) {
        return Ok(t);
    }
    let date = Date::parse(text).with_context(|| {
        format!("--at {text:?}: expected a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM:SSZ")
    })?;
    UtcTime::from_unix_seconds(date.plus_days(1).start_utc().unix_seconds() - 1)
        .ok_or_else(|| anyhow!("--at {text:?}: out of range"))
}

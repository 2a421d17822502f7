//! The custody engine as a rule of the log: every submission's item events must
//! fit the record and meet the approval policy, on append and in the audit.

use crate::policy::{parties_of, Signer};
use crate::state::{site_of, Custody, CustodyError};
use custodian_core::{LeafIndex, SignedSubmission};
use custodian_ledger::registry::{Registry, RuleError, SubmissionRule};

/// The custody record, checking each submission it takes in.
#[derive(Clone, Debug, Default)]
pub struct CustodyRule {
    custody: Custody,
}

fn rule_error(event_index: usize, e: &CustodyError) -> RuleError {
    let (field, message) = e.field_and_detail();
    RuleError {
        event_index,
        field: format!(".{field}"),
        message,
    }
}

impl CustodyRule {
    /// A rule starting from `custody` (usually empty, with its ceased states set).
    pub fn new(custody: Custody) -> CustodyRule {
        CustodyRule { custody }
    }

    /// The record so far.
    pub fn custody(&self) -> &Custody {
        &self.custody
    }

    /// The record, taken out.
    pub fn into_custody(self) -> Custody {
        self.custody
    }

    /// Folds in a submission already in the log, checking its consistency but
    /// not its approvals (the audit re-checks those): how an append builds the
    /// record it checks new submissions against.
    pub fn preload(&mut self, leaf: LeafIndex, signed: &SignedSubmission) -> Result<(), RuleError> {
        for (i, event) in signed.submission.events.iter().enumerate() {
            self.custody
                .apply(leaf, event)
                .map_err(|e| rule_error(i, &e))?;
        }
        Ok(())
    }
}

impl SubmissionRule for CustodyRule {
    fn check(
        &mut self,
        registry: &Registry,
        leaf: LeafIndex,
        signed: &SignedSubmission,
    ) -> Result<(), RuleError> {
        let s = &signed.submission;
        for (i, event) in s.events.iter().enumerate() {
            let before = self
                .custody
                .subject(event)
                .map(|item| (item.custodian, item.controller));
            let site_state = site_of(&event.payload)
                .and_then(|site| self.custody.site(site))
                .map(|site| site.state);
            let parties = parties_of(event, before, site_state);
            // The registry has verified every signer: registered, unrevoked,
            // distinct, signature valid.
            let signers: Vec<Signer> = std::iter::once(&s.actor)
                .chain(event.approvals.iter().map(|a| &a.actor))
                .filter_map(|actor| registry.get(actor))
                .map(|r| Signer {
                    actor: r.id.clone(),
                    role: r.role,
                    party: r.party.clone(),
                })
                .collect();
            // Under the policy in force before the event (a `policy.set` is
            // judged by the policy it replaces); an inconsistent event is named
            // as such first.
            let (policy, _) = self.custody.policy();
            let allowed = policy.check(event, &parties, &signers);
            self.custody
                .apply(leaf, event)
                .map_err(|e| rule_error(i, &e))?;
            allowed.map_err(|e| RuleError {
                event_index: i,
                field: ".approvals".into(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }
}

//! The review engine: `review.report` events validated and folded into a
//! queryable model of who reported what in which cycle.
//!
//! The core knows a `review.report` payload only as a state, a cycle and a JSON
//! object ([`custodian_core::event::ReviewReport`]); this engine owns what the
//! object must be ([`crate::schema`]) and who may submit it. It runs at append time
//! and again whenever the log is replayed (the audit), through [`ReviewRule`], the
//! way the custody engine's rule does:
//! 1. the cycle is one the data know ([`Cycles`]);
//! 2. the submitting actor acts for the reporting state (its registered party is
//!    `state:<state>`);
//! 3. the report parses under `custodian/npt-report/v1`;
//! 4. its figures are not as of a date after the event.
//!
//! A state may file several reports for one cycle (to a preparatory committee
//! session, then to the conference, or a correction): each is kept as a revision,
//! and the latest is the state's report for the cycle.

use crate::cycles::Cycles;
use crate::error::ReviewError;
use crate::schema::Report;
use custodian_core::event::ReviewReport;
use custodian_core::{
    ActorId, Event, EventId, LeafIndex, Party, Payload, SignedSubmission, StateCode, UtcTime,
};
use custodian_ledger::registry::{Registry, RuleError, SubmissionRule};
use serde::Serialize;
use std::collections::BTreeMap;

/// A report the engine accepted, with where it is in the log.
#[derive(Clone, Debug, PartialEq)]
pub struct AcceptedReport {
    /// The reporting state.
    pub state: StateCode,
    /// The cycle.
    pub cycle: u16,
    /// The report.
    pub report: Report,
    /// The leaf that holds it.
    pub leaf: LeafIndex,
    /// The event's id.
    pub event: EventId,
    /// The submitting actor.
    pub actor: ActorId,
    /// The event's time.
    pub time: UtcTime,
    /// 1 for the state's first report of the cycle, 2 for the next, ...
    pub revision: u32,
}

/// Where an accepted report is, for answers and summaries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportRef {
    /// The state.
    pub state: StateCode,
    /// The cycle.
    pub cycle: u16,
    /// The leaf.
    pub leaf: u64,
    /// The event id.
    pub event: String,
    /// The submitting actor.
    pub actor: String,
    /// The event's time.
    pub time: String,
    /// The figures' date.
    pub as_of: String,
    /// The revision number.
    pub revision: u32,
    /// Whether the report marks itself illustrative.
    pub illustrative: bool,
}

impl AcceptedReport {
    /// Where it is.
    pub fn reference(&self) -> ReportRef {
        ReportRef {
            state: self.state,
            cycle: self.cycle,
            leaf: self.leaf.0,
            event: self.event.to_string(),
            actor: self.actor.to_string(),
            time: self.time.to_string(),
            as_of: self.report.as_of().to_string(),
            revision: self.revision,
            illustrative: self.report.illustrative(),
        }
    }
}

/// The reports of a log, by cycle and state.
#[derive(Clone, Debug)]
pub struct ReviewEngine {
    cycles: &'static Cycles,
    reports: BTreeMap<(u16, StateCode), Vec<AcceptedReport>>,
}

impl Default for ReviewEngine {
    fn default() -> Self {
        ReviewEngine::new(Cycles::bundled())
    }
}

impl ReviewEngine {
    /// An engine with no reports, judging cycles against `cycles`.
    pub fn new(cycles: &'static Cycles) -> ReviewEngine {
        ReviewEngine {
            cycles,
            reports: BTreeMap::new(),
        }
    }

    /// The cycles it knows.
    pub fn cycles(&self) -> &'static Cycles {
        self.cycles
    }

    /// Checks a payload submitted by `actor` acting for `party` at `time`
    /// (`party` `None`: the submitter is not checked, for leaves already in a log
    /// whose audit checks them). Returns the parsed report.
    pub fn validate(
        &self,
        payload: &ReviewReport,
        actor: &ActorId,
        party: Option<&Party>,
        time: UtcTime,
    ) -> Result<Report, ReviewError> {
        self.cycles.require(payload.cycle)?;
        if let Some(party) = party {
            if party.state() != Some(payload.state) {
                return Err(ReviewError::WrongState {
                    actor: actor.to_string(),
                    party: party.to_string(),
                    state: payload.state,
                });
            }
        }
        let report = Report::parse(&payload.report)?;
        if report.as_of() > time.date() {
            return Err(ReviewError::AsOfAfterEvent {
                as_of: report.as_of(),
                time,
            });
        }
        Ok(report)
    }

    /// Takes in an event at `leaf`: a `review.report` is validated and recorded;
    /// other kinds are not this engine's and are ignored.
    pub fn apply(
        &mut self,
        leaf: LeafIndex,
        event: &Event,
        party: Option<&Party>,
    ) -> Result<(), ReviewError> {
        let Payload::ReviewReport(payload) = &event.payload else {
            return Ok(());
        };
        let report = self.validate(payload, &event.actor, party, event.time)?;
        let revisions = self
            .reports
            .entry((payload.cycle, payload.state))
            .or_default();
        let revision = revisions.len() as u32 + 1;
        revisions.push(AcceptedReport {
            state: payload.state,
            cycle: payload.cycle,
            report,
            leaf,
            event: event.id.clone(),
            actor: event.actor.clone(),
            time: event.time,
            revision,
        });
        Ok(())
    }

    /// The state's latest report for the cycle.
    pub fn latest(&self, state: StateCode, cycle: u16) -> Option<&AcceptedReport> {
        self.reports.get(&(cycle, state)).and_then(|r| r.last())
    }

    /// The state's latest report for the cycle, or an error saying there is none.
    pub fn require(&self, state: StateCode, cycle: u16) -> Result<&AcceptedReport, ReviewError> {
        self.cycles.require(cycle)?;
        self.latest(state, cycle)
            .ok_or(ReviewError::NoReport { state, cycle })
    }

    /// Every report the state filed for the cycle, in log order.
    pub fn revisions(&self, state: StateCode, cycle: u16) -> &[AcceptedReport] {
        self.reports.get(&(cycle, state)).map_or(&[], Vec::as_slice)
    }

    /// The latest report of every state that reported in the cycle, by state.
    pub fn reports_for_cycle(&self, cycle: u16) -> impl Iterator<Item = &AcceptedReport> {
        self.reports
            .iter()
            .filter(move |((c, _), _)| *c == cycle)
            .filter_map(|(_, r)| r.last())
    }

    /// Every report of the cycle, every revision of every state, by state.
    pub fn revisions_for_cycle(&self, cycle: u16) -> impl Iterator<Item = &AcceptedReport> {
        self.reports
            .iter()
            .filter(move |((c, _), _)| *c == cycle)
            .flat_map(|(_, r)| r.iter())
    }

    /// The state's latest report for the closest earlier cycle it reported in.
    pub fn previous_report(&self, state: StateCode, cycle: u16) -> Option<&AcceptedReport> {
        self.reports
            .iter()
            .filter(|((c, s), _)| *s == state && *c < cycle)
            .filter_map(|(_, r)| r.last())
            .next_back()
    }

    /// How many reports (all revisions) it holds.
    pub fn len(&self) -> usize {
        self.reports.values().map(Vec::len).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }
}

/// The review engine as a rule of the log (ledger [`SubmissionRule`]): every
/// `review.report` of a submission is checked, on append and in the audit.
#[derive(Clone, Debug, Default)]
pub struct ReviewRule {
    engine: ReviewEngine,
}

fn rule_error(event_index: usize, e: &ReviewError) -> RuleError {
    RuleError {
        event_index,
        field: e
            .field()
            .map(|f| format!(".payload.{f}"))
            .unwrap_or_default(),
        message: e.detail(),
    }
}

impl ReviewRule {
    /// A rule over `engine` (usually empty).
    pub fn new(engine: ReviewEngine) -> ReviewRule {
        ReviewRule { engine }
    }

    /// The reports so far.
    pub fn engine(&self) -> &ReviewEngine {
        &self.engine
    }

    /// The reports, taken out.
    pub fn into_engine(self) -> ReviewEngine {
        self.engine
    }

    /// Folds in a submission already in the log: the reports are re-parsed, the
    /// submitter is not re-checked (the audit does that, with the registry as it
    /// stood).
    pub fn preload(&mut self, leaf: LeafIndex, signed: &SignedSubmission) -> Result<(), RuleError> {
        for (i, event) in signed.submission.events.iter().enumerate() {
            self.engine
                .apply(leaf, event, None)
                .map_err(|e| rule_error(i, &e))?;
        }
        Ok(())
    }
}

impl SubmissionRule for ReviewRule {
    fn check(
        &mut self,
        registry: &Registry,
        leaf: LeafIndex,
        signed: &SignedSubmission,
    ) -> Result<(), RuleError> {
        let s = &signed.submission;
        // The registry has checked the submitter: registered, unrevoked, of a
        // role that may submit review.report.
        let party = registry.get(&s.actor).map(|r| r.party.clone());
        for (i, event) in s.events.iter().enumerate() {
            let party = party
                .clone()
                .unwrap_or_else(|| Party::Body("unknown".into()));
            self.engine
                .apply(leaf, event, Some(&party))
                .map_err(|e| rule_error(i, &e))?;
        }
        Ok(())
    }
}

//! Queries over the registry. Every answer is a plain struct that serializes with
//! serde (the command line's `--json` is a `serde_json::to_string` away), lists its
//! sources, and, where a contested fact bears on it, gives one answer per reading.

use crate::data::{
    ActionKind, Annex2Row, Deployment, EstimatedWarheads, ForceEstimate, Located, MembershipAction,
    PartialDate, Position, ReviewConference, Source, TreatyCount, TreatyId, TreatyRow,
};
use crate::error::{Place, RegimeError};
use crate::model::{state_code, Registry, Resolved, StateInfo, TreatyStatus, NPT};
use crate::readings::{self, Answers, ContestedFact, CONTESTED_FACTS};
use crate::rules::{
    self, rule_date, Coverage, DocumentedException, EifCondition, EntryIntoForceRule,
    ExceptionKind, FirstExplosion,
};
use custodian_core::{Date, StateCode};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What every figure of forces.csv and deployments.csv is.
pub const ESTIMATES_CAVEAT: &str = "All figures are estimates published by the named \
     sources, not declarations or counts. Where sources disagree every estimate is kept; \
     none is averaged or preferred.";

/// An NPT category under Art. IX.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NptCategory {
    /// A party that manufactured and exploded a nuclear explosive device before
    /// 1 January 1967.
    NuclearWeaponState,
    /// Any other party.
    NonNuclearWeaponState,
    /// Not a party at the date.
    NonParty,
    /// The state no longer exists at the date (its continuator answers for it).
    CeasedToExist,
}

/// How far the data a query relies on reaches, and whether the query's date is beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CoverageNote {
    /// The coverage rule.
    pub coverage: Coverage,
    /// True when the query's date is after the last date the data is complete for:
    /// later actions may be missing.
    pub beyond_coverage: bool,
}

fn coverage_note(coverage: Coverage, at: Date) -> CoverageNote {
    CoverageNote {
        coverage,
        beyond_coverage: at > rule_date(coverage.complete_through),
    }
}

/// The states in each status under one treaty at one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusTable {
    /// Bound (ratification, accession or succession), including with a withdrawal
    /// pending.
    pub parties: Vec<StateCode>,
    /// Parties with a notice of withdrawal pending (a subset of `parties`).
    pub withdrawal_pending: Vec<StateCode>,
    /// Signed, not bound.
    pub signatories: Vec<StateCode>,
    /// Ratified, then revoked the ratification (signatories again).
    pub ratification_revoked: Vec<StateCode>,
    /// Withdrew.
    pub withdrawn: Vec<StateCode>,
    /// No action up to the date.
    pub non_signatories: Vec<StateCode>,
    /// For the NPT: parties that are nuclear-weapon States (Art. IX.3).
    pub nuclear_weapon_states: Option<Vec<StateCode>>,
    /// For the NPT: parties that are not.
    pub non_nuclear_weapon_states: Option<Vec<StateCode>>,
}

/// The answer to `status_all`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusAll {
    /// The treaty.
    pub treaty: TreatyId,
    /// The date.
    pub at: Date,
    /// One table per distinct result across the readings.
    pub answers: Answers<StatusTable>,
    /// The contested facts evaluated.
    pub readings: Vec<ContestedFact>,
    /// How far memberships.csv reaches.
    pub coverage: CoverageNote,
}

/// One treaty's status in a state profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreatyStatusEntry {
    /// The treaty.
    pub treaty: TreatyId,
    /// The status, per reading.
    pub status: Answers<TreatyStatus>,
}

/// The answer to `state_profile`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateProfile {
    /// The state.
    pub state: StateInfo,
    /// The date.
    pub at: Date,
    /// Every treaty's status.
    pub treaties: Vec<TreatyStatusEntry>,
    /// The NPT category (when the registry holds the NPT).
    pub npt_category: Option<Answers<NptCategory>>,
    /// Whether the state is in the CTBT Annex 2 list.
    pub ctbt_annex2: bool,
    /// Estimated forces for years up to the date's year, and undated estimates.
    pub forces: Vec<Located<ForceEstimate>>,
    /// Weapons of other states estimated to be on its territory, published by the date
    /// or undated.
    pub deployments_hosted: Vec<Located<Deployment>>,
    /// Its weapons estimated to be abroad, published by the date or undated.
    pub deployments_owned: Vec<Located<Deployment>>,
    /// Its stated positions (positions.csv) up to the date's year, and undated ones.
    pub positions: Vec<Located<Position>>,
    /// What every figure is.
    pub caveat: &'static str,
    /// How far memberships.csv reaches.
    pub coverage: CoverageNote,
    /// The sources of all of the above.
    pub sources: Vec<String>,
}

/// Whether a treaty is in force, per the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EifStatus {
    /// In force since the date.
    InForce {
        /// The date of entry into force the rule gives.
        since: Date,
    },
    /// The condition is met; the delay runs until the date.
    Pending {
        /// The date the treaty will enter into force.
        enters_into_force: Date,
    },
    /// Not in force, and the data is complete enough to say so.
    NotInForce,
    /// The data does not reach far enough to apply the rule at the date.
    NotEnoughData {
        /// What is missing.
        reason: String,
    },
    /// No sourced rule for this treaty.
    RuleNotSourced,
}

/// The rule applied to the membership data under one combination of readings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EifEvaluation {
    /// The result.
    pub status: EifStatus,
    /// States the rule names that have not ratified at the date (the Annex 2 states for
    /// the CTBT, the depositaries for the NPT), as of the date or, with
    /// `NotEnoughData`, as far as the data reaches.
    pub missing: Vec<StateCode>,
    /// Ratifications or instruments counted toward the rule.
    pub counted: Option<u32>,
    /// How many the rule requires.
    pub required: Option<u32>,
}

impl EifEvaluation {
    /// In force at the date: `Some(true)`, `Some(false)`, or `None` when the rule is not
    /// sourced or the data does not reach.
    pub fn in_force(&self) -> Option<bool> {
        match self.status {
            EifStatus::InForce { .. } => Some(true),
            EifStatus::Pending { .. } | EifStatus::NotInForce => Some(false),
            EifStatus::NotEnoughData { .. } | EifStatus::RuleNotSourced => None,
        }
    }
    /// The date of entry into force, when in force.
    pub fn since(&self) -> Option<Date> {
        match self.status {
            EifStatus::InForce { since } => Some(since),
            _ => None,
        }
    }
}

/// A count rule applied to treaty_counts.csv instead of memberships.csv: a separate,
/// sourced estimate of when the threshold was reached (TPNW).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountsEvaluation {
    /// The number of instruments the rule requires.
    pub threshold: u32,
    /// The latest count below the threshold: the threshold was reached after it.
    pub below_threshold: Option<Located<TreatyCount>>,
    /// The earliest count at or above the threshold: reached on or before it.
    pub reached: Option<Located<TreatyCount>>,
    /// Entry into force is no earlier than this (day after the count below, plus the
    /// delay).
    pub in_force_no_earlier_than: Option<Date>,
    /// Entry into force is no later than this (the count reached, plus the delay).
    pub in_force_no_later_than: Option<Date>,
    /// At the query's date: `Some(true)` if on or after the latest possible date,
    /// `Some(false)` before the earliest, else `None`.
    pub in_force: Option<bool>,
}

/// The answer to `in_force`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InForce {
    /// The treaty.
    pub treaty: TreatyId,
    /// The date.
    pub at: Date,
    /// The rule applied (`None`: not sourced).
    pub rule: Option<EntryIntoForceRule>,
    /// The rule applied to memberships.csv, per reading.
    pub answers: Answers<EifEvaluation>,
    /// The treaties.csv row: its recorded date of entry into force and the rule as the
    /// source paraphrases it (a sourced fact beside the computation).
    pub recorded: Located<TreatyRow>,
    /// treaty_counts.csv rows for the treaty, up to the date.
    pub counts: Vec<Located<TreatyCount>>,
    /// A count rule applied to treaty_counts.csv, where it has one.
    pub from_counts: Option<CountsEvaluation>,
    /// The contested facts evaluated.
    pub readings: Vec<ContestedFact>,
    /// How far the data the rule needs reaches.
    pub coverage: CoverageNote,
}

/// Which figure of an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForceMetric {
    /// Total inventory (a point or a range).
    Total,
    /// Military stockpile.
    Stockpile,
    /// Deployed.
    Deployed,
    /// Retired, awaiting dismantlement.
    Retired,
    /// Warheads at a site or in a region (deployments.csv).
    Deployment,
}

/// An estimated figure: a single estimate or a range (open-ended when the source says
/// "more than").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Figure {
    /// One estimate.
    Estimate {
        /// The estimate.
        value: EstimatedWarheads,
    },
    /// A range of estimates.
    Range {
        /// Low end (or "more than", with no high end).
        low: EstimatedWarheads,
        /// High end.
        high: Option<EstimatedWarheads>,
    },
}

impl ForceEstimate {
    /// The total: the inventory figure, or else the range, if the row gives either.
    pub fn total(&self) -> Option<Figure> {
        match (self.total_inventory, self.total_low) {
            (Some(value), _) => Some(Figure::Estimate { value }),
            (None, Some(low)) => Some(Figure::Range {
                low,
                high: self.total_high,
            }),
            (None, None) => None,
        }
    }
    /// The figure for a metric, if the row gives it.
    pub fn figure(&self, metric: ForceMetric) -> Option<Figure> {
        let value = match metric {
            ForceMetric::Total => return self.total(),
            ForceMetric::Stockpile => self.stockpile,
            ForceMetric::Deployed => self.deployed,
            ForceMetric::Retired => self.retired,
            ForceMetric::Deployment => None,
        };
        value.map(|value| Figure::Estimate { value })
    }
}

/// One source's figure, with where it is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitedFigure {
    /// The figure.
    pub figure: Figure,
    /// The source.
    pub source: Source,
    /// When the source published it.
    pub source_date: Option<PartialDate>,
    /// The row.
    pub at: Place,
}

/// Sources giving different figures for the same thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// The state the figures are about (the custodian, for deployments).
    pub state: StateCode,
    /// The host state, for deployments (`None`: an aggregate over hosts).
    pub host_state: Option<StateCode>,
    /// The year (`None` when an undated estimate is compared with dated ones).
    pub year: Option<i32>,
    /// The figure.
    pub metric: ForceMetric,
    /// Every figure, agreeing or not, with its source.
    pub figures: Vec<CitedFigure>,
}

/// The answer to `forces`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForcesAnswer {
    /// The year asked for (`None`: all years).
    pub at_year: Option<i32>,
    /// Every estimate for the year (or all), by state, year and row.
    pub estimates: Vec<Located<ForceEstimate>>,
    /// Estimates whose source gives no year, shown with every answer.
    pub undated: Vec<Located<ForceEstimate>>,
    /// Where the estimates above disagree.
    pub disagreements: Vec<Disagreement>,
    /// What every figure is.
    pub caveat: &'static str,
    /// The sources of all rows.
    pub sources: Vec<String>,
}

/// The answer to `deployments`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentsAnswer {
    /// The date asked for (`None`: all).
    pub at: Option<Date>,
    /// Rows whose source was published by the date (all, for `None`).
    pub deployments: Vec<Located<Deployment>>,
    /// Rows whose source date is not given, shown with every answer.
    pub undated: Vec<Located<Deployment>>,
    /// Where the rows above disagree.
    pub disagreements: Vec<Disagreement>,
    /// What every figure is.
    pub caveat: &'static str,
    /// The sources of all rows.
    pub sources: Vec<String>,
}

/// A reading that sets a history row aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadingRef {
    /// The contested fact.
    pub fact: &'static str,
    /// The reading.
    pub reading: &'static str,
}

/// One row of a history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// Where the row was read.
    pub at: Place,
    /// The row.
    pub action: MembershipAction,
    /// The state that acted (`SUN` for the USSR's rows filed under `RUS`).
    pub acting_state: StateCode,
    /// The readings under which this row is set aside (empty: all keep it).
    pub set_aside_under: Vec<ReadingRef>,
    /// A documented exception the row relies on.
    pub documented_exception: Option<DocumentedException>,
}

/// An action a reading asserts, shown in a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssertedEntry {
    /// The contested fact.
    pub fact: &'static str,
    /// The reading.
    pub reading: &'static str,
    /// The action.
    pub action: ActionKind,
    /// Its date.
    pub date: Date,
    /// Who asserts it.
    pub source: &'static str,
}

/// The answer to `history`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    /// The state asked about.
    pub state: StateCode,
    /// The treaty.
    pub treaty: TreatyId,
    /// The code its rows are filed under.
    pub records_filed_under: StateCode,
    /// The dated rows, in date order.
    pub entries: Vec<HistoryEntry>,
    /// Actions asserted by readings, not held by any row.
    pub asserted_by_readings: Vec<AssertedEntry>,
    /// The contested facts about these rows.
    pub readings: Vec<ContestedFact>,
    /// The sources of the rows, readings and rules involved.
    pub sources: Vec<String>,
}

fn owned<'a>(sources: &'a [&'a str]) -> impl Iterator<Item = String> + 'a {
    sources.iter().map(|s| (*s).to_owned())
}

impl Registry {
    // -----------------------------------------------------------------------------
    // Accessors.
    // -----------------------------------------------------------------------------

    /// Every state, historical ones included, by code.
    pub fn states(&self) -> impl Iterator<Item = &StateInfo> {
        self.states.values()
    }
    /// A state by code.
    pub fn state(&self, code: StateCode) -> Option<&StateInfo> {
        self.states.get(&code)
    }
    /// Every treaty, in file order.
    pub fn treaties(&self) -> &[Located<TreatyRow>] {
        &self.treaties
    }
    /// A treaty by id.
    pub fn treaty(&self, id: &TreatyId) -> Option<&Located<TreatyRow>> {
        self.treaty_index.get(id).map(|&i| &self.treaties[i])
    }
    /// Every membership action with its place, in the order applied.
    pub fn memberships(&self) -> impl Iterator<Item = (&Place, &MembershipAction)> {
        self.actions.iter().map(|r| (&r.at, &r.row))
    }
    /// The CTBT Annex 2 list.
    pub fn ctbt_annex2(&self) -> &[Located<Annex2Row>] {
        &self.annex2
    }
    /// Every force estimate.
    pub fn force_estimates(&self) -> &[Located<ForceEstimate>] {
        &self.forces
    }
    /// Every deployment row.
    pub fn deployment_rows(&self) -> &[Located<Deployment>] {
        &self.deployments
    }
    /// NPT review conferences and preparatory committees.
    pub fn review_conferences(&self) -> &[Located<ReviewConference>] {
        &self.review_conferences
    }
    /// Stated positions.
    pub fn positions(&self) -> &[Located<Position>] {
        &self.positions
    }
    /// Sourced counts.
    pub fn treaty_counts(&self) -> &[Located<TreatyCount>] {
        &self.treaty_counts
    }
    /// The contested facts active in this registry (all their rows present).
    pub fn contested_facts(&self) -> Vec<ContestedFact> {
        (0..self.treaties.len())
            .flat_map(|t| self.facts_for_treaty(t))
            .map(|f| CONTESTED_FACTS[f])
            .collect()
    }

    // -----------------------------------------------------------------------------
    // Status.
    // -----------------------------------------------------------------------------

    /// A state's status under a treaty at a date (actions up to and including `at`),
    /// one answer per distinct result across the readings.
    pub fn status(
        &self,
        treaty: &TreatyId,
        state: StateCode,
        at: Date,
    ) -> Result<Answers<TreatyStatus>, RegimeError> {
        let t = self.treaty_idx(treaty, &Place::direct())?;
        self.status_answers(t, state, at)
    }

    /// The status of `state` at `at` under one combination of readings.
    fn status_under(
        &self,
        treaty: usize,
        state: StateCode,
        at: Date,
        choice: &[(usize, usize)],
    ) -> (TreatyStatus, BTreeSet<String>) {
        match self.resolve(state, at) {
            Ok(Resolved::Ceased(c)) => (
                TreatyStatus::CeasedToExist {
                    on: rule_date(c.from),
                    continued_by: state_code(c.successor),
                },
                owned(c.sources).collect(),
            ),
            Ok(Resolved::Records { records, via }) => {
                let actions = self.effective(treaty, records, choice);
                let (status, mut sources) = self.derive(treaty, &actions, at);
                if let Some(c) = via {
                    sources.extend(owned(c.sources));
                }
                (status, sources)
            }
            // Only known states are passed here.
            Err(_) => (TreatyStatus::NonSignatory, BTreeSet::new()),
        }
    }

    /// The first explosion that makes `state` (or the state it continues) a
    /// nuclear-weapon State under NPT Art. IX.3, if any.
    pub fn nws_qualification(&self, state: StateCode) -> Option<&'static FirstExplosion> {
        let cutoff_year = rule_date(rules::NWS_CUTOFF).ymd().0;
        let predecessor = rules::continued_by(state.as_str()).map(|c| c.predecessor);
        rules::FIRST_EXPLOSIONS.iter().find(|f| {
            (f.state == state.as_str() || Some(f.state) == predecessor)
                && i64::from(f.year) < cutoff_year
        })
    }

    fn category_under(
        &self,
        npt: usize,
        state: StateCode,
        at: Date,
        choice: &[(usize, usize)],
    ) -> (NptCategory, BTreeSet<String>) {
        let (status, mut sources) = self.status_under(npt, state, at, choice);
        let category = match status {
            TreatyStatus::CeasedToExist { .. } => NptCategory::CeasedToExist,
            s if s.is_party() => {
                sources.extend(owned(rules::NWS_DEFINITION.sources));
                match self.nws_qualification(state) {
                    Some(f) => {
                        sources.insert(f.source.to_owned());
                        NptCategory::NuclearWeaponState
                    }
                    None => NptCategory::NonNuclearWeaponState,
                }
            }
            _ => NptCategory::NonParty,
        };
        (category, sources)
    }

    /// A state's NPT category at a date: nuclear-weapon State (a party that exploded a
    /// device before 1967-01-01, Art. IX.3), non-nuclear-weapon State, or non-party.
    pub fn npt_category(
        &self,
        state: StateCode,
        at: Date,
    ) -> Result<Answers<NptCategory>, RegimeError> {
        let npt = self.npt_index()?;
        let records = match self.resolve(state, at)? {
            Resolved::Ceased(_) => state,
            Resolved::Records { records, .. } => records,
        };
        let facts = self.facts_for(npt, records);
        Ok(readings::evaluate(&facts, |choice| {
            self.category_under(npt, state, at, choice)
        }))
    }

    fn npt_index(&self) -> Result<usize, RegimeError> {
        let id = TreatyId::parse(NPT).map_err(|e| RegimeError::Field {
            at: Place::direct(),
            field: "treaty",
            expected: e.expected.to_owned(),
            found: e.found,
        })?;
        self.treaty_idx(&id, &Place::direct())
    }

    /// Every state's status under a treaty at a date, one table per distinct result
    /// across the readings. A historical state is listed until it ceased, its
    /// continuator from then on, so the USSR is counted once.
    pub fn status_all(&self, treaty: &TreatyId, at: Date) -> Result<StatusAll, RegimeError> {
        let t = self.treaty_idx(treaty, &Place::direct())?;
        let is_npt = treaty.as_str() == NPT;
        let facts = self.facts_for_treaty(t);
        let listed: Vec<&StateInfo> = self
            .states
            .values()
            .filter(|s| self.listed_at(s, at))
            .collect();
        let answers = readings::evaluate(&facts, |choice| {
            let mut table = StatusTable {
                parties: Vec::new(),
                withdrawal_pending: Vec::new(),
                signatories: Vec::new(),
                ratification_revoked: Vec::new(),
                withdrawn: Vec::new(),
                non_signatories: Vec::new(),
                nuclear_weapon_states: is_npt.then(Vec::new),
                non_nuclear_weapon_states: is_npt.then(Vec::new),
            };
            let mut sources = BTreeSet::new();
            for s in &listed {
                let (status, used) = self.status_under(t, s.code, at, choice);
                sources.extend(used);
                let list = match status {
                    TreatyStatus::Party { .. } => &mut table.parties,
                    TreatyStatus::WithdrawalPending { .. } => {
                        table.withdrawal_pending.push(s.code);
                        &mut table.parties
                    }
                    TreatyStatus::Signatory { .. } => &mut table.signatories,
                    TreatyStatus::RatificationRevoked { .. } => &mut table.ratification_revoked,
                    TreatyStatus::Withdrawn { .. } => &mut table.withdrawn,
                    TreatyStatus::NonSignatory | TreatyStatus::CeasedToExist { .. } => {
                        &mut table.non_signatories
                    }
                };
                list.push(s.code);
                if status.is_party() {
                    let nws = self.nws_qualification(s.code);
                    if let Some(f) = nws.filter(|_| is_npt) {
                        sources.insert(f.source.to_owned());
                    }
                    let split = if nws.is_some() {
                        &mut table.nuclear_weapon_states
                    } else {
                        &mut table.non_nuclear_weapon_states
                    };
                    if let Some(split) = split {
                        split.push(s.code);
                    }
                }
            }
            if is_npt {
                sources.extend(owned(rules::NWS_DEFINITION.sources));
            }
            (table, sources)
        });
        Ok(StatusAll {
            treaty: treaty.clone(),
            at,
            answers,
            readings: facts_list(&facts),
            coverage: coverage_note(rules::MEMBERSHIPS_COVERAGE, at),
        })
    }

    // -----------------------------------------------------------------------------
    // Entry into force.
    // -----------------------------------------------------------------------------

    /// Whether a treaty is in force at a date, by its sourced rule applied to the
    /// membership data, per reading; beside it the sourced facts (treaties.csv,
    /// treaty_counts.csv) that bear on it.
    pub fn in_force(&self, treaty: &TreatyId, at: Date) -> Result<InForce, RegimeError> {
        let t = self.treaty_idx(treaty, &Place::direct())?;
        let rule = rules::entry_into_force_rule(treaty.as_str()).copied();
        let facts = self.facts_for_treaty(t);
        let coverage = match rule.map(|r| r.condition) {
            Some(EifCondition::AllAnnex2 { .. }) => rules::ANNEX2_COVERAGE,
            _ => rules::MEMBERSHIPS_COVERAGE,
        };
        let answers = readings::evaluate(&facts, |choice| match rule {
            None => (
                EifEvaluation {
                    status: EifStatus::RuleNotSourced,
                    missing: Vec::new(),
                    counted: None,
                    required: None,
                },
                BTreeSet::new(),
            ),
            Some(rule) => {
                let (evaluation, mut sources) = self.evaluate_eif(t, rule, at, choice, coverage);
                sources.extend(owned(rule.citation.sources));
                (evaluation, sources)
            }
        });
        let counts: Vec<Located<TreatyCount>> = self
            .treaty_counts
            .iter()
            .filter(|c| &c.row.treaty == treaty && c.row.as_of <= at)
            .cloned()
            .collect();
        let from_counts = match rule.map(|r| r.condition) {
            Some(EifCondition::Instruments { count, delay_days }) => {
                Some(self.counts_evaluation(treaty, count, delay_days, at))
            }
            _ => None,
        };
        Ok(InForce {
            treaty: treaty.clone(),
            at,
            rule,
            answers,
            recorded: self.treaties[t].clone(),
            counts,
            from_counts,
            readings: facts_list(&facts),
            coverage: coverage_note(coverage, at),
        })
    }

    /// The first action of `kinds` on or before `at` in (treaty, records) under a
    /// choice of readings.
    fn first_action(
        &self,
        treaty: usize,
        records: StateCode,
        at: Date,
        choice: &[(usize, usize)],
        consent_only: bool,
        sources: &mut BTreeSet<String>,
    ) -> Option<Date> {
        let found = self
            .effective(treaty, records, choice)
            .into_iter()
            .take_while(|a| a.date <= at)
            .find(|a| {
                if consent_only {
                    a.action.is_consent()
                } else {
                    a.action == ActionKind::Ratification
                }
            });
        found.map(|a| {
            sources.insert(a.source.to_owned());
            a.date
        })
    }

    fn evaluate_eif(
        &self,
        t: usize,
        rule: EntryIntoForceRule,
        at: Date,
        choice: &[(usize, usize)],
        coverage: Coverage,
    ) -> (EifEvaluation, BTreeSet<String>) {
        let mut sources = BTreeSet::new();
        let beyond = at > rule_date(coverage.complete_through);
        let not_enough = |what: String| EifStatus::NotEnoughData {
            reason: format!(
                "{what}; the data is complete through {} ({})",
                coverage.complete_through, coverage.what
            ),
        };
        let evaluation = match rule.condition {
            EifCondition::NamedPlusOthers { named, others } => {
                let mut missing = Vec::new();
                let mut named_dates = Vec::new();
                let mut named_records = Vec::new();
                for &code in named {
                    let code = state_code(code);
                    let (records, shown) = match rules::continuation_of(code.as_str()) {
                        Some(c) if c.records_filed_under_successor => {
                            sources.extend(owned(c.sources));
                            let successor = state_code(c.successor);
                            let shown = if at >= rule_date(c.from) {
                                successor
                            } else {
                                code
                            };
                            (successor, shown)
                        }
                        _ => (code, code),
                    };
                    named_records.push(records);
                    match self.first_action(t, records, at, choice, false, &mut sources) {
                        Some(d) => named_dates.push(d),
                        None => missing.push(shown),
                    }
                }
                let mut other_dates: Vec<Date> = Vec::new();
                let mut states: Vec<StateCode> = self
                    .timelines
                    .keys()
                    .filter(|(treaty, s)| *treaty == t && !named_records.contains(s))
                    .map(|&(_, s)| s)
                    .collect();
                states.sort();
                for s in states {
                    if let Some(d) = self.first_action(t, s, at, choice, false, &mut sources) {
                        other_dates.push(d);
                    }
                }
                other_dates.sort();
                let counted = other_dates.len() as u32;
                let status = if missing.is_empty() && counted >= others {
                    let mut since = named_dates.iter().copied().max();
                    if others > 0 {
                        since = since.max(Some(other_dates[others as usize - 1]));
                    }
                    match since {
                        Some(since) => EifStatus::InForce { since },
                        None => EifStatus::NotInForce,
                    }
                } else if beyond {
                    not_enough(format!(
                        "{counted} of {others} other ratifications and {} of {} named states found",
                        named.len() - missing.len(),
                        named.len()
                    ))
                } else {
                    EifStatus::NotInForce
                };
                EifEvaluation {
                    status,
                    missing,
                    counted: Some(counted),
                    required: Some(others),
                }
            }
            EifCondition::AllAnnex2 {
                listed,
                delay_days,
                not_before_years,
            } => {
                let mut missing = Vec::new();
                let mut last: Option<Date> = None;
                for row in &self.annex2 {
                    sources.insert(row.row.source.to_string());
                    let (status, used) = self.status_under(t, row.row.iso3, at, choice);
                    sources.extend(used);
                    match status {
                        TreatyStatus::Party { since, .. }
                        | TreatyStatus::WithdrawalPending { since, .. } => {
                            last = last.max(Some(since));
                        }
                        _ => missing.push(row.row.iso3),
                    }
                }
                missing.sort();
                let ratified = (self.annex2.len() - missing.len()) as u32;
                let status = if self.annex2.len() as u32 != listed {
                    EifStatus::NotEnoughData {
                        reason: format!(
                            "ctbt_annex2.csv lists {} states; the article lists {listed}",
                            self.annex2.len()
                        ),
                    }
                } else if let (true, Some(last)) = (missing.is_empty(), last) {
                    let after_deposit = last.plus_days(delay_days);
                    let earliest = self.treaties[t]
                        .row
                        .opened_for_signature
                        .and_then(|o| rules::add_months(o, 12 * not_before_years));
                    let since = earliest.map_or(after_deposit, |e| e.max(after_deposit));
                    if at >= since {
                        EifStatus::InForce { since }
                    } else {
                        EifStatus::Pending {
                            enters_into_force: since,
                        }
                    }
                } else if beyond {
                    not_enough(format!(
                        "{} Annex 2 states had not ratified by the end of the data",
                        missing.len()
                    ))
                } else {
                    EifStatus::NotInForce
                };
                EifEvaluation {
                    status,
                    missing,
                    counted: Some(ratified),
                    required: Some(listed),
                }
            }
            EifCondition::Instruments { count, delay_days } => {
                let mut dates: Vec<Date> = Vec::new();
                let mut states: Vec<StateCode> = self
                    .timelines
                    .keys()
                    .filter(|(treaty, _)| *treaty == t)
                    .map(|&(_, s)| s)
                    .collect();
                states.sort();
                for s in states {
                    if let Some(d) = self.first_action(t, s, at, choice, true, &mut sources) {
                        dates.push(d);
                    }
                }
                dates.sort();
                let counted = dates.len() as u32;
                let status = if counted >= count {
                    let since = dates[count as usize - 1].plus_days(delay_days);
                    if at >= since {
                        EifStatus::InForce { since }
                    } else {
                        EifStatus::Pending {
                            enters_into_force: since,
                        }
                    }
                } else if beyond {
                    not_enough(format!(
                        "memberships.csv holds {counted} of the {count} instruments required"
                    ))
                } else {
                    EifStatus::NotInForce
                };
                EifEvaluation {
                    status,
                    missing: Vec::new(),
                    counted: Some(counted),
                    required: Some(count),
                }
            }
        };
        (evaluation, sources)
    }

    fn counts_evaluation(
        &self,
        treaty: &TreatyId,
        threshold: u32,
        delay_days: i64,
        at: Date,
    ) -> CountsEvaluation {
        let mut rows: Vec<&Located<TreatyCount>> = self
            .treaty_counts
            .iter()
            .filter(|c| {
                &c.row.treaty == treaty && c.row.metric == crate::data::CountMetric::StatesParties
            })
            .collect();
        rows.sort_by_key(|c| c.row.as_of);
        let reached = rows.iter().find(|c| c.row.value >= threshold).copied();
        let below = rows
            .iter()
            .rev()
            .filter(|c| reached.is_none_or(|r| c.row.as_of < r.row.as_of))
            .find(|c| c.row.value < threshold)
            .copied();
        let no_earlier = below.map(|c| c.row.as_of.plus_days(1 + delay_days));
        let no_later = reached.map(|c| c.row.as_of.plus_days(delay_days));
        let in_force = match (no_earlier, no_later) {
            (_, Some(late)) if at >= late => Some(true),
            (Some(early), _) if at < early => Some(false),
            _ => None,
        };
        CountsEvaluation {
            threshold,
            below_threshold: below.cloned(),
            reached: reached.cloned(),
            in_force_no_earlier_than: no_earlier,
            in_force_no_later_than: no_later,
            in_force,
        }
    }

    // -----------------------------------------------------------------------------
    // Forces and deployments.
    // -----------------------------------------------------------------------------

    /// Estimated forces for a year (or every year), all sources kept, with the
    /// disagreements between them and the undated estimates shown beside.
    pub fn forces(&self, at_year: Option<i32>) -> ForcesAnswer {
        let mut estimates: Vec<Located<ForceEstimate>> = self
            .forces
            .iter()
            .filter(|r| r.row.year.is_some() && (at_year.is_none() || r.row.year == at_year))
            .cloned()
            .collect();
        estimates.sort_by(|a, b| {
            (a.row.state, a.row.year, &a.at).cmp(&(b.row.state, b.row.year, &b.at))
        });
        let undated: Vec<Located<ForceEstimate>> = self
            .forces
            .iter()
            .filter(|r| r.row.year.is_none())
            .cloned()
            .collect();
        let disagreements = force_disagreements(&estimates, &undated);
        let sources = estimates
            .iter()
            .chain(&undated)
            .map(|r| r.row.source.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        ForcesAnswer {
            at_year,
            estimates,
            undated,
            disagreements,
            caveat: ESTIMATES_CAVEAT,
            sources,
        }
    }

    /// Weapons estimated to be deployed abroad, as published by a date (rows whose
    /// source date is no later than `at`; all rows for `None`), with undated rows shown
    /// beside and the disagreements between them.
    pub fn deployments(&self, at: Option<Date>) -> DeploymentsAnswer {
        let (deployments, undated) = self.deployments_split(at, |_| true);
        let disagreements = deployment_disagreements(deployments.iter().chain(&undated));
        let sources = deployments
            .iter()
            .chain(&undated)
            .map(|r| r.row.source.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        DeploymentsAnswer {
            at,
            deployments,
            undated,
            disagreements,
            caveat: ESTIMATES_CAVEAT,
            sources,
        }
    }

    fn deployments_split(
        &self,
        at: Option<Date>,
        keep: impl Fn(&Deployment) -> bool,
    ) -> (Vec<Located<Deployment>>, Vec<Located<Deployment>>) {
        let mut dated = Vec::new();
        let mut undated = Vec::new();
        for r in self.deployments.iter().filter(|r| keep(&r.row)) {
            match r.row.source_date {
                None => undated.push(r.clone()),
                Some(d) => {
                    let published = d.last_day();
                    if at.is_none() || (published.is_some() && published <= at) {
                        dated.push(r.clone());
                    }
                }
            }
        }
        (dated, undated)
    }

    // -----------------------------------------------------------------------------
    // A state's profile and a history.
    // -----------------------------------------------------------------------------

    /// Everything about one state at a date: every treaty status (per reading), its NPT
    /// category, Annex 2 membership, estimated forces, deployments hosted and owned,
    /// stated positions, with sources.
    pub fn state_profile(&self, state: StateCode, at: Date) -> Result<StateProfile, RegimeError> {
        let info = self.known_state(state, "state", &Place::direct())?.clone();
        let mut sources: BTreeSet<String> = BTreeSet::new();
        let mut treaties = Vec::new();
        for (t, treaty) in self.treaties.iter().enumerate() {
            let status = self.status_answers(t, state, at)?;
            for a in status.iter() {
                sources.extend(a.sources.iter().cloned());
            }
            treaties.push(TreatyStatusEntry {
                treaty: treaty.row.id.clone(),
                status,
            });
        }
        let npt_category = match self.npt_index() {
            Ok(_) => {
                let category = self.npt_category(state, at)?;
                for a in category.iter() {
                    sources.extend(a.sources.iter().cloned());
                }
                Some(category)
            }
            Err(_) => None,
        };
        let year = at.ymd().0;
        let forces: Vec<Located<ForceEstimate>> = self
            .forces
            .iter()
            .filter(|r| r.row.state == state && r.row.year.is_none_or(|y| i64::from(y) <= year))
            .cloned()
            .collect();
        let (mut hosted, hosted_undated) =
            self.deployments_split(Some(at), |d| d.host_state == Some(state));
        hosted.extend(hosted_undated);
        let (mut owned_rows, owned_undated) =
            self.deployments_split(Some(at), |d| d.custodian_state == state);
        owned_rows.extend(owned_undated);
        let positions: Vec<Located<Position>> = self
            .positions
            .iter()
            .filter(|p| p.row.state_or_group.states().contains(&state))
            .filter(|p| p.row.year.is_none_or(|y| i64::from(y) <= year))
            .cloned()
            .collect();
        let ctbt_annex2 = self.annex2.iter().any(|r| r.row.iso3 == state);
        sources.extend(forces.iter().map(|r| r.row.source.to_string()));
        sources.extend(hosted.iter().map(|r| r.row.source.to_string()));
        sources.extend(owned_rows.iter().map(|r| r.row.source.to_string()));
        sources.extend(positions.iter().map(|r| r.row.source.to_string()));
        if let Some(row) = info.row.as_ref() {
            sources.insert(row.row.source.to_string());
        }
        Ok(StateProfile {
            state: info,
            at,
            treaties,
            npt_category,
            ctbt_annex2,
            forces,
            deployments_hosted: hosted,
            deployments_owned: owned_rows,
            positions,
            caveat: ESTIMATES_CAVEAT,
            coverage: coverage_note(rules::MEMBERSHIPS_COVERAGE, at),
            sources: sources.into_iter().collect(),
        })
    }

    /// A state's dated actions under a treaty, with sources, the readings that set
    /// rows aside and the actions readings assert. For a historical state, the rows
    /// filed under its continuator before it ceased; for the continuator, all its
    /// rows, each naming the state that acted.
    pub fn history(&self, state: StateCode, treaty: &TreatyId) -> Result<History, RegimeError> {
        let t = self.treaty_idx(treaty, &Place::direct())?;
        let info = self.known_state(state, "state", &Place::direct())?;
        let (records, until) = match info.continued_by.as_ref() {
            Some(c) if c.records_filed_under_successor => {
                (state_code(c.successor), Some(rule_date(c.from)))
            }
            _ => (state, None),
        };
        let predecessor = rules::continued_by(records.as_str())
            .filter(|c| c.records_filed_under_successor)
            .map(|c| (state_code(c.predecessor), rule_date(c.from), c));
        let facts = self.facts_for(t, records);
        let mut sources: BTreeSet<String> = BTreeSet::new();
        let mut entries = Vec::new();
        for &i in self.timelines.get(&(t, records)).into_iter().flatten() {
            let r = &self.actions[i];
            if until.is_some_and(|u| r.row.date >= u) {
                continue;
            }
            let acting_state = match predecessor {
                Some((p, from, c)) if r.row.date < from => {
                    sources.extend(owned(c.sources));
                    p
                }
                _ => records,
            };
            let mut set_aside_under = Vec::new();
            for &f in &facts {
                let fact = &CONTESTED_FACTS[f];
                for reading in fact.readings {
                    let aside = reading
                        .sets_aside
                        .iter()
                        .any(|x| x.action == r.row.action && rule_date(x.date) == r.row.date);
                    if aside {
                        set_aside_under.push(ReadingRef {
                            fact: fact.id,
                            reading: reading.id,
                        });
                    }
                }
            }
            let documented_exception = [ExceptionKind::BeforeOpening, ExceptionKind::SecondConsent]
                .into_iter()
                .find_map(|kind| {
                    rules::documented_exception(
                        treaty.as_str(),
                        records.as_str(),
                        r.row.action,
                        r.row.date,
                        kind,
                    )
                })
                .copied();
            if let Some(e) = &documented_exception {
                sources.extend(owned(e.sources));
            }
            sources.insert(r.row.source.to_string());
            entries.push(HistoryEntry {
                at: r.at.clone(),
                action: r.row.clone(),
                acting_state,
                set_aside_under,
                documented_exception,
            });
        }
        let mut asserted_by_readings = Vec::new();
        for &f in &facts {
            let fact = &CONTESTED_FACTS[f];
            for reading in fact.readings {
                sources.extend(owned(reading.sources));
                for a in reading.asserts {
                    asserted_by_readings.push(AssertedEntry {
                        fact: fact.id,
                        reading: reading.id,
                        action: a.action,
                        date: rule_date(a.date),
                        source: a.source,
                    });
                }
            }
        }
        Ok(History {
            state,
            treaty: treaty.clone(),
            records_filed_under: records,
            entries,
            asserted_by_readings,
            readings: facts_list(&facts),
            sources: sources.into_iter().collect(),
        })
    }
}

fn facts_list(indices: &[usize]) -> Vec<ContestedFact> {
    indices.iter().map(|&i| CONTESTED_FACTS[i]).collect()
}

fn cited(row: &Located<ForceEstimate>, figure: Figure) -> CitedFigure {
    CitedFigure {
        figure,
        source: row.row.source.clone(),
        source_date: row.row.source_date,
        at: row.at.clone(),
    }
}

const FORCE_METRICS: [ForceMetric; 4] = [
    ForceMetric::Total,
    ForceMetric::Stockpile,
    ForceMetric::Deployed,
    ForceMetric::Retired,
];

fn disagreement_if_any(
    state: StateCode,
    year: Option<i32>,
    metric: ForceMetric,
    figures: Vec<CitedFigure>,
    out: &mut Vec<Disagreement>,
) {
    let distinct: BTreeSet<String> = figures.iter().map(|f| format!("{:?}", f.figure)).collect();
    if distinct.len() > 1 {
        out.push(Disagreement {
            state,
            host_state: None,
            year,
            metric,
            figures,
        });
    }
}

/// Per state, year and figure, the estimates that differ; and per state, undated
/// estimates that differ from the dated ones in the answer.
fn force_disagreements(
    estimates: &[Located<ForceEstimate>],
    undated: &[Located<ForceEstimate>],
) -> Vec<Disagreement> {
    let mut groups: BTreeMap<(StateCode, Option<i32>), Vec<&Located<ForceEstimate>>> =
        BTreeMap::new();
    for r in estimates {
        groups.entry((r.row.state, r.row.year)).or_default().push(r);
    }
    let mut out = Vec::new();
    for ((state, year), rows) in &groups {
        for metric in FORCE_METRICS {
            let figures: Vec<CitedFigure> = rows
                .iter()
                .filter_map(|r| r.row.figure(metric).map(|f| cited(r, f)))
                .collect();
            disagreement_if_any(*state, *year, metric, figures, &mut out);
        }
    }
    let undated_states: BTreeSet<StateCode> = undated.iter().map(|r| r.row.state).collect();
    for state in undated_states {
        for metric in FORCE_METRICS {
            let loose: Vec<CitedFigure> = undated
                .iter()
                .filter(|r| r.row.state == state)
                .filter_map(|r| r.row.figure(metric).map(|f| cited(r, f)))
                .collect();
            if loose.is_empty() {
                continue;
            }
            let figures: Vec<CitedFigure> = estimates
                .iter()
                .filter(|r| r.row.state == state)
                .filter_map(|r| r.row.figure(metric).map(|f| cited(r, f)))
                .chain(loose)
                .collect();
            disagreement_if_any(state, None, metric, figures, &mut out);
        }
    }
    out
}

/// Per custodian and host (or aggregate), the estimated counts that differ.
fn deployment_disagreements<'a>(
    rows: impl Iterator<Item = &'a Located<Deployment>>,
) -> Vec<Disagreement> {
    let mut groups: BTreeMap<(StateCode, Option<StateCode>), Vec<CitedFigure>> = BTreeMap::new();
    for r in rows {
        if let Some(value) = r.row.estimated_count {
            groups
                .entry((r.row.custodian_state, r.row.host_state))
                .or_default()
                .push(CitedFigure {
                    figure: Figure::Estimate { value },
                    source: r.row.source.clone(),
                    source_date: r.row.source_date,
                    at: r.at.clone(),
                });
        }
    }
    let mut out = Vec::new();
    for ((state, host_state), figures) in groups {
        let distinct: BTreeSet<String> =
            figures.iter().map(|f| format!("{:?}", f.figure)).collect();
        if distinct.len() > 1 {
            out.push(Disagreement {
                state,
                host_state,
                year: None,
                metric: ForceMetric::Deployment,
                figures,
            });
        }
    }
    out
}

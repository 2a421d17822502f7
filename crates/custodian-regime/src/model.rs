//! The registry: states (with historical states), treaties, membership actions and
//! the sourced tables, built from parsed rows and validated as a whole.
//!
//! Architecture invariant: a state's status under a treaty is never stored. It is
//! derived from the dated actions each time it is asked for ([`Registry::status`]),
//! under every reading of the contested facts that bear on it.
//!
//! Validation happens per batch: every row of a batch is checked against the registry
//! *and* the rest of the batch before anything is applied, so a rejected batch leaves
//! the registry as it was (DESIGN.md, non-negotiable 2).

use crate::data::{
    parse_rows, ActionKind, Annex2Row, DataFiles, Deployment, ForceEstimate, Located,
    MembershipAction, PartialDate, Position, ReviewConference, StateRow, TreatyCount, TreatyId,
    TreatyRow,
};
use crate::error::{Place, RegimeError};
use crate::readings::{self, Answers, CONTESTED_FACTS};
use crate::rules::{self, rule_date, Continuation, ExceptionKind};
use custodian_core::{Date, StateCode};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The treaty id whose withdrawal and nuclear-weapon-state rules this crate encodes.
pub const NPT: &str = "NPT";

/// A state known to the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateInfo {
    /// Its code.
    pub code: StateCode,
    /// Its name (states.csv, or the rule for a historical state).
    pub name: String,
    /// Its states.csv row; `None` for a historical state known from
    /// [`rules::SUCCESSIONS`].
    pub row: Option<Located<StateRow>>,
    /// For a historical state: the state that continues it.
    pub continued_by: Option<Continuation>,
}

/// A membership action with the place it was read from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recorded {
    pub(crate) row: MembershipAction,
    pub(crate) at: Place,
}

/// The registry. Build it with [`Registry::bundled`] or [`Registry::from_files`];
/// query it with the methods in [`crate::query`].
#[derive(Debug, Clone)]
pub struct Registry {
    pub(crate) today: Date,
    pub(crate) states: BTreeMap<StateCode, StateInfo>,
    pub(crate) treaties: Vec<Located<TreatyRow>>,
    pub(crate) treaty_index: BTreeMap<TreatyId, usize>,
    pub(crate) actions: Vec<Recorded>,
    /// (treaty index, state) → indices into `actions`, sorted by date.
    pub(crate) timelines: HashMap<(usize, StateCode), Vec<usize>>,
    pub(crate) annex2: Vec<Located<Annex2Row>>,
    pub(crate) forces: Vec<Located<ForceEstimate>>,
    pub(crate) deployments: Vec<Located<Deployment>>,
    pub(crate) review_conferences: Vec<Located<ReviewConference>>,
    pub(crate) positions: Vec<Located<Position>>,
    pub(crate) treaty_counts: Vec<Located<TreatyCount>>,
}

/// A state's status under a treaty at a date, derived from its actions up to and
/// including that date.
///
/// `Party` means the state has consented to be bound (ratification, accession or
/// succession). For a treaty not yet in force (the CTBT) that is a state that has
/// ratified; it becomes a party when the treaty enters into force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TreatyStatus {
    /// No action up to the date.
    NonSignatory,
    /// Signed, not bound.
    Signatory {
        /// Date of signature.
        signed: Date,
    },
    /// Bound.
    Party {
        /// Date of the consent to be bound.
        since: Date,
        /// Ratification, accession or succession.
        by: ActionKind,
    },
    /// Bound, with a notice of withdrawal pending.
    WithdrawalPending {
        /// Date of the consent to be bound.
        since: Date,
        /// Ratification, accession or succession.
        by: ActionKind,
        /// Date of the notice.
        notice: Date,
        /// When it takes effect: the recorded date, or the date the treaty's notice
        /// period gives (NPT Art. X.1), if either is known.
        effective: Option<Date>,
    },
    /// No longer bound after a withdrawal.
    Withdrawn {
        /// Date of the notice.
        notice: Option<Date>,
        /// Date the withdrawal took effect.
        effective: Date,
        /// True when no row gives the effective date and it was computed from the
        /// notice by the treaty's rule (NPT Art. X.1).
        effective_by_rule: bool,
    },
    /// Ratified, then revoked the ratification (a signatory again).
    RatificationRevoked {
        /// Date of signature.
        signed: Option<Date>,
        /// Date of the revoked ratification.
        ratified: Date,
        /// Date of the revocation.
        revoked: Date,
    },
    /// The state no longer exists at the date; another continues it.
    CeasedToExist {
        /// From when the continuator acts in its place.
        on: Date,
        /// The continuator.
        continued_by: StateCode,
    },
}

impl TreatyStatus {
    /// Bound at the date (including with a withdrawal pending).
    pub fn is_party(&self) -> bool {
        matches!(
            self,
            TreatyStatus::Party { .. } | TreatyStatus::WithdrawalPending { .. }
        )
    }
    /// Signed and not bound (including after revoking a ratification).
    pub fn is_signatory_only(&self) -> bool {
        matches!(
            self,
            TreatyStatus::Signatory { .. } | TreatyStatus::RatificationRevoked { .. }
        )
    }
}

/// An action as a status is derived from it: a row, or an action a reading asserts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Effective<'a> {
    pub(crate) action: ActionKind,
    pub(crate) date: Date,
    pub(crate) source: &'a str,
}

/// Whose record answers for a state at a date.
pub(crate) enum Resolved {
    /// The state no longer exists.
    Ceased(&'static Continuation),
    /// The rows filed under `records`; `via` when a continuation is involved.
    Records {
        records: StateCode,
        via: Option<&'static Continuation>,
    },
}

/// The rows of a batch about one (treaty index, state).
type Group<'a> = ((usize, StateCode), Vec<&'a Recorded>);

fn sort_key(r: &Recorded) -> (Date, u8, &Place) {
    (r.row.date, r.row.action.same_day_rank(), &r.at)
}

impl Registry {
    /// A registry with no data: no states, no treaties. `today` bounds every date it
    /// will accept.
    pub fn empty(today: Date) -> Registry {
        Registry {
            today,
            states: BTreeMap::new(),
            treaties: Vec::new(),
            treaty_index: BTreeMap::new(),
            actions: Vec::new(),
            timelines: HashMap::new(),
            annex2: Vec::new(),
            forces: Vec::new(),
            deployments: Vec::new(),
            review_conferences: Vec::new(),
            positions: Vec::new(),
            treaty_counts: Vec::new(),
        }
    }

    /// The registry of the bundled data ([`crate::bundled`]). `today` is the date past
    /// which no row may be dated; the registry reads no clock.
    pub fn bundled(today: Date) -> Result<Registry, RegimeError> {
        Registry::from_files(&crate::bundled::FILES, today)
    }

    /// Parses and validates the nine files, in dependency order (states and treaties
    /// first, then what refers to them). The first error is returned; nothing is kept.
    pub fn from_files(files: &DataFiles<'_>, today: Date) -> Result<Registry, RegimeError> {
        let mut reg = Registry::empty(today);
        for row in parse_rows::<StateRow>("states.csv", files.states)? {
            reg.add_state(row)?;
        }
        for c in rules::SUCCESSIONS {
            let code = state_code(c.predecessor);
            reg.states.entry(code).or_insert_with(|| StateInfo {
                code,
                name: c.predecessor_name.to_owned(),
                row: None,
                continued_by: Some(*c),
            });
        }
        for row in parse_rows::<TreatyRow>("treaties.csv", files.treaties)? {
            reg.add_treaty(row)?;
        }
        for row in parse_rows::<Annex2Row>("ctbt_annex2.csv", files.ctbt_annex2)? {
            reg.add_annex2(row)?;
        }
        reg.apply_batch(parse_rows("memberships.csv", files.memberships)?)?;
        reg.apply_force_estimates(parse_rows("forces.csv", files.forces)?)?;
        for row in parse_rows::<Deployment>("deployments.csv", files.deployments)? {
            reg.add_deployment(row)?;
        }
        for row in
            parse_rows::<ReviewConference>("review_conferences.csv", files.review_conferences)?
        {
            reg.add_review_conference(row)?;
        }
        for row in parse_rows::<Position>("positions.csv", files.positions)? {
            reg.add_position(row)?;
        }
        for row in parse_rows::<TreatyCount>("treaty_counts.csv", files.treaty_counts)? {
            reg.add_treaty_count(row)?;
        }
        Ok(reg)
    }

    /// The date the registry was built with: no row may be later.
    pub fn today(&self) -> Date {
        self.today
    }

    // -----------------------------------------------------------------------------
    // Checks shared by every table.
    // -----------------------------------------------------------------------------

    pub(crate) fn treaty_idx(&self, treaty: &TreatyId, at: &Place) -> Result<usize, RegimeError> {
        self.treaty_index
            .get(treaty)
            .copied()
            .ok_or_else(|| RegimeError::UnknownTreaty {
                at: at.clone(),
                treaty: treaty.clone(),
            })
    }

    pub(crate) fn known_state(
        &self,
        code: StateCode,
        field: &'static str,
        at: &Place,
    ) -> Result<&StateInfo, RegimeError> {
        self.states
            .get(&code)
            .ok_or_else(|| RegimeError::UnknownState {
                at: at.clone(),
                field,
                code,
            })
    }

    fn not_future(&self, date: Date, field: &'static str, at: &Place) -> Result<(), RegimeError> {
        if date > self.today {
            Err(RegimeError::FutureDate {
                at: at.clone(),
                field,
                found: date.to_string(),
                today: self.today,
            })
        } else {
            Ok(())
        }
    }

    fn not_future_year(
        &self,
        year: i32,
        field: &'static str,
        at: &Place,
    ) -> Result<(), RegimeError> {
        if i64::from(year) > self.today.ymd().0 {
            Err(RegimeError::FutureDate {
                at: at.clone(),
                field,
                found: year.to_string(),
                today: self.today,
            })
        } else {
            Ok(())
        }
    }

    fn not_future_partial(
        &self,
        date: PartialDate,
        field: &'static str,
        at: &Place,
    ) -> Result<(), RegimeError> {
        match date.first_day() {
            Some(first) if first > self.today => Err(RegimeError::FutureDate {
                at: at.clone(),
                field,
                found: date.to_string(),
                today: self.today,
            }),
            _ => Ok(()),
        }
    }

    // -----------------------------------------------------------------------------
    // Tables other than memberships: one row at a time.
    // -----------------------------------------------------------------------------

    fn add_state(&mut self, row: Located<StateRow>) -> Result<(), RegimeError> {
        if let Some(first) = self.states.get(&row.row.iso3) {
            return Err(RegimeError::DuplicateRow {
                at: row.at,
                key: row.row.iso3.to_string(),
                first: first
                    .row
                    .as_ref()
                    .map_or_else(Place::direct, |r| r.at.clone()),
            });
        }
        if let Some(d) = row.row.un_member_since {
            self.not_future(d, "un_member_since", &row.at)?;
        }
        let code = row.row.iso3;
        self.states.insert(
            code,
            StateInfo {
                code,
                name: row.row.name.clone(),
                continued_by: rules::continuation_of(code.as_str()).copied(),
                row: Some(row),
            },
        );
        Ok(())
    }

    fn add_treaty(&mut self, row: Located<TreatyRow>) -> Result<(), RegimeError> {
        if let Some(&first) = self.treaty_index.get(&row.row.id) {
            return Err(RegimeError::DuplicateRow {
                at: row.at,
                key: row.row.id.to_string(),
                first: self.treaties[first].at.clone(),
            });
        }
        if let Some(d) = row.row.opened_for_signature {
            self.not_future(d, "opened_for_signature", &row.at)?;
        }
        if let Some(d) = row.row.entry_into_force {
            self.not_future(d, "entry_into_force", &row.at)?;
        }
        self.treaty_index
            .insert(row.row.id.clone(), self.treaties.len());
        self.treaties.push(row);
        Ok(())
    }

    fn add_annex2(&mut self, row: Located<Annex2Row>) -> Result<(), RegimeError> {
        self.known_state(row.row.iso3, "iso3", &row.at)?;
        if let Some(first) = self.annex2.iter().find(|r| r.row.iso3 == row.row.iso3) {
            return Err(RegimeError::DuplicateRow {
                at: row.at,
                key: row.row.iso3.to_string(),
                first: first.at.clone(),
            });
        }
        self.annex2.push(row);
        Ok(())
    }

    /// Checks one force estimate against the registry: known state, no future year or
    /// source date, not the same row twice. Disagreeing estimates are not an error:
    /// all are kept.
    pub fn check_force_estimate(&self, row: &Located<ForceEstimate>) -> Result<(), RegimeError> {
        self.known_state(row.row.state, "state", &row.at)?;
        if let Some(year) = row.row.year {
            self.not_future_year(year, "year", &row.at)?;
        }
        if let Some(d) = row.row.source_date {
            self.not_future_partial(d, "source_date", &row.at)?;
        }
        if let Some(first) = self.forces.iter().find(|r| r.row == row.row) {
            return Err(RegimeError::DuplicateRow {
                at: row.at.clone(),
                key: format!("{} {:?} ({})", row.row.state, row.row.year, row.row.source),
                first: first.at.clone(),
            });
        }
        Ok(())
    }

    /// Checks a batch of force estimates (against the registry and each other), then
    /// appends all of them; on error appends none.
    pub fn apply_force_estimates(
        &mut self,
        rows: Vec<Located<ForceEstimate>>,
    ) -> Result<(), RegimeError> {
        let base = self.forces.len();
        for row in rows {
            if let Err(e) = self.check_force_estimate(&row) {
                self.forces.truncate(base);
                return Err(e);
            }
            self.forces.push(row);
        }
        Ok(())
    }

    fn add_deployment(&mut self, row: Located<Deployment>) -> Result<(), RegimeError> {
        if let Some(host) = row.row.host_state {
            self.known_state(host, "host_state", &row.at)?;
        }
        self.known_state(row.row.custodian_state, "custodian_state", &row.at)?;
        if let Some(d) = row.row.source_date {
            self.not_future_partial(d, "source_date", &row.at)?;
        }
        if let Some(first) = self.deployments.iter().find(|r| r.row == row.row) {
            return Err(RegimeError::DuplicateRow {
                at: row.at,
                key: format!("{} {}", row.row.custodian_state, row.row.site),
                first: first.at.clone(),
            });
        }
        self.deployments.push(row);
        Ok(())
    }

    fn add_review_conference(&mut self, row: Located<ReviewConference>) -> Result<(), RegimeError> {
        self.not_future_year(row.row.year, "year", &row.at)?;
        if let Some(span) = row.row.dates {
            self.not_future_partial(span.start, "dates", &row.at)?;
        }
        if let Some(d) = row.row.decision_date {
            self.not_future(d, "decision_date", &row.at)?;
        }
        if let Some(first) = self
            .review_conferences
            .iter()
            .find(|r| r.row.year == row.row.year && r.row.meeting == row.row.meeting)
        {
            return Err(RegimeError::DuplicateRow {
                at: row.at,
                key: format!("{} {}", row.row.year, row.row.meeting),
                first: first.at.clone(),
            });
        }
        self.review_conferences.push(row);
        Ok(())
    }

    fn add_position(&mut self, row: Located<Position>) -> Result<(), RegimeError> {
        for &code in row.row.state_or_group.states() {
            self.known_state(code, "state_or_group", &row.at)?;
        }
        if let Some(year) = row.row.year {
            self.not_future_year(year, "year", &row.at)?;
        }
        if let Some(first) = self.positions.iter().find(|r| r.row == row.row) {
            return Err(RegimeError::DuplicateRow {
                at: row.at,
                key: format!("{:?} {}", row.row.year, row.row.state_or_group),
                first: first.at.clone(),
            });
        }
        self.positions.push(row);
        Ok(())
    }

    fn add_treaty_count(&mut self, row: Located<TreatyCount>) -> Result<(), RegimeError> {
        self.treaty_idx(&row.row.treaty, &row.at)?;
        self.not_future(row.row.as_of, "as_of", &row.at)?;
        if let Some(first) = self.treaty_counts.iter().find(|r| {
            r.row.treaty == row.row.treaty
                && r.row.as_of == row.row.as_of
                && r.row.metric == row.row.metric
        }) {
            return Err(RegimeError::DuplicateRow {
                at: row.at,
                key: format!("{} {} {:?}", row.row.treaty, row.row.as_of, row.row.metric),
                first: first.at.clone(),
            });
        }
        self.treaty_counts.push(row);
        Ok(())
    }

    // -----------------------------------------------------------------------------
    // Memberships: validated per batch.
    // -----------------------------------------------------------------------------

    /// Checks one action against the registry as it stands, as if it were a batch of
    /// one. Nothing is applied.
    pub fn check_action(&self, action: &MembershipAction) -> Result<(), RegimeError> {
        self.check_batch(&[Located {
            at: Place::direct(),
            row: action.clone(),
        }])
    }

    /// Checks a batch of actions against the registry and against each other, in any
    /// order of rows. Nothing is applied.
    pub fn check_batch(&self, batch: &[Located<MembershipAction>]) -> Result<(), RegimeError> {
        let recorded: Vec<Recorded> = batch
            .iter()
            .map(|l| Recorded {
                row: l.row.clone(),
                at: l.at.clone(),
            })
            .collect();
        self.check_recorded(&recorded).map(|_| ())
    }

    /// Checks a batch, then applies all of it; on error applies nothing.
    pub fn apply_batch(
        &mut self,
        batch: Vec<Located<MembershipAction>>,
    ) -> Result<(), RegimeError> {
        let recorded: Vec<Recorded> = batch
            .into_iter()
            .map(|l| Recorded {
                row: l.row,
                at: l.at,
            })
            .collect();
        let groups = self.check_recorded(&recorded)?;
        let mut keys: Vec<(usize, StateCode)> = Vec::with_capacity(groups.len());
        for (key, _) in groups {
            keys.push(key);
        }
        for r in recorded {
            let treaty = self.treaty_index[&r.row.treaty];
            let key = (treaty, r.row.iso3);
            let index = self.actions.len();
            self.actions.push(r);
            self.timelines.entry(key).or_default().push(index);
        }
        let actions = &self.actions;
        for key in keys {
            if let Some(timeline) = self.timelines.get_mut(&key) {
                timeline.sort_by(|&a, &b| sort_key(&actions[a]).cmp(&sort_key(&actions[b])));
            }
        }
        Ok(())
    }

    /// The checks of a batch; returns the batch's rows grouped by (treaty, state), in
    /// the order of their first row.
    fn check_recorded<'a>(&self, batch: &'a [Recorded]) -> Result<Vec<Group<'a>>, RegimeError> {
        let mut groups: Vec<Group<'a>> = Vec::new();
        let mut group_of: HashMap<(usize, StateCode), usize> = HashMap::new();
        for r in batch {
            let treaty = self.check_row(r)?;
            let key = (treaty, r.row.iso3);
            let g = *group_of.entry(key).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(r);
        }
        for (key, rows) in &groups {
            let mut entries: Vec<&Recorded> = self
                .timelines
                .get(key)
                .into_iter()
                .flatten()
                .map(|&i| &self.actions[i])
                .collect();
            entries.extend(rows.iter().copied());
            self.check_timeline(key.0, key.1, entries)?;
        }
        Ok(groups)
    }

    /// Checks of one row on its own: known treaty and state, no future date, not before
    /// the treaty opened for signature. Returns the treaty's index.
    fn check_row(&self, r: &Recorded) -> Result<usize, RegimeError> {
        let a = &r.row;
        let treaty = self.treaty_idx(&a.treaty, &r.at)?;
        let info = self.known_state(a.iso3, "iso3", &r.at)?;
        if let Some(c) = info
            .continued_by
            .filter(|c| c.records_filed_under_successor)
        {
            return Err(RegimeError::FiledUnderContinuator {
                at: r.at.clone(),
                state: a.iso3,
                continued_by: state_code(c.successor),
            });
        }
        self.not_future(a.date, "date", &r.at)?;
        if let Some(opened) = self.treaties[treaty].row.opened_for_signature {
            let excepted = rules::documented_exception(
                a.treaty.as_str(),
                a.iso3.as_str(),
                a.action,
                a.date,
                ExceptionKind::BeforeOpening,
            )
            .is_some();
            if a.date < opened && !excepted {
                return Err(RegimeError::BeforeOpenedForSignature {
                    at: r.at.clone(),
                    treaty: a.treaty.clone(),
                    action: a.action,
                    date: a.date,
                    opened,
                });
            }
        }
        Ok(treaty)
    }

    /// Checks the whole timeline of one state under one treaty: no duplicate row, and
    /// a coherent sequence of actions under every reading of the contested facts about
    /// it.
    fn check_timeline(
        &self,
        treaty: usize,
        state: StateCode,
        mut entries: Vec<&Recorded>,
    ) -> Result<(), RegimeError> {
        // `entries` holds the registry's rows first, then the batch's in batch order:
        // a duplicate is reported at the row that came later in that order.
        for (j, later) in entries.iter().enumerate() {
            if let Some(first) = entries[..j]
                .iter()
                .find(|e| e.row.action == later.row.action && e.row.date == later.row.date)
            {
                return Err(RegimeError::DuplicateRow {
                    at: later.at.clone(),
                    key: later.row.key(),
                    first: first.at.clone(),
                });
            }
        }
        entries.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        let treaty_id = self.treaties[treaty].row.id.as_str();
        let present = |action: ActionKind, date: &'static str| {
            let date = rule_date(date);
            entries
                .iter()
                .any(|e| e.row.action == action && e.row.date == date)
        };
        let facts: Vec<usize> = CONTESTED_FACTS
            .iter()
            .enumerate()
            .filter(|(_, f)| f.treaty == treaty_id && f.state == state.as_str())
            .filter(|(_, f)| f.rows().iter().all(|&(a, d)| present(a, d)))
            .map(|(i, _)| i)
            .collect();
        for choice in readings::combinations(&facts) {
            let kept: Vec<&Recorded> = entries
                .iter()
                .copied()
                .filter(|e| !set_aside(&choice, &e.row))
                .collect();
            self.check_sequence(treaty_id, state, &kept)?;
        }
        Ok(())
    }

    /// The state machine of one timeline, in date order.
    fn check_sequence(
        &self,
        treaty_id: &str,
        state: StateCode,
        seq: &[&Recorded],
    ) -> Result<(), RegimeError> {
        let mut signed: Option<&Recorded> = None;
        let mut bound: Option<&Recorded> = None;
        let mut notice: Option<&Recorded> = None;
        for &r in seq {
            let a = &r.row;
            match a.action {
                ActionKind::Signature => {
                    if let Some(first) = signed {
                        return Err(contradiction(r, first, "a state signs a treaty once"));
                    }
                    signed = Some(r);
                }
                ActionKind::Ratification | ActionKind::Accession | ActionKind::Succession => {
                    if let Some(first) = bound {
                        let excepted = rules::documented_exception(
                            treaty_id,
                            state.as_str(),
                            a.action,
                            a.date,
                            ExceptionKind::SecondConsent,
                        )
                        .is_some();
                        if excepted {
                            continue;
                        }
                        return Err(contradiction(
                            r,
                            first,
                            &format!(
                                "{state} is already bound by {treaty_id} since {} ({})",
                                first.row.date, first.row.action
                            ),
                        ));
                    }
                    if a.action == ActionKind::Ratification && signed.is_none() {
                        return Err(RegimeError::RatificationWithoutSignature {
                            at: r.at.clone(),
                            treaty: a.treaty.clone(),
                            state,
                            date: a.date,
                        });
                    }
                    bound = Some(r);
                    notice = None;
                }
                ActionKind::WithdrawalNotice => {
                    if bound.is_none() {
                        return Err(RegimeError::WithdrawalWithoutMembership {
                            at: r.at.clone(),
                            treaty: a.treaty.clone(),
                            state,
                            date: a.date,
                        });
                    }
                    if let Some(first) = notice {
                        return Err(contradiction(
                            r,
                            first,
                            "a notice of withdrawal is already pending",
                        ));
                    }
                    notice = Some(r);
                }
                ActionKind::WithdrawalEffective => {
                    let Some(n) = notice else {
                        return Err(RegimeError::WithdrawalEffectiveWithoutNotice {
                            at: r.at.clone(),
                            treaty: a.treaty.clone(),
                            state,
                            date: a.date,
                        });
                    };
                    if treaty_id == NPT {
                        if let Some(earliest) = rules::npt_withdrawal_earliest(n.row.date) {
                            if a.date < earliest {
                                return Err(RegimeError::WithdrawalBeforeNoticePeriod {
                                    at: r.at.clone(),
                                    treaty: a.treaty.clone(),
                                    state,
                                    notice: n.row.date,
                                    earliest,
                                    date: a.date,
                                });
                            }
                        }
                    }
                    bound = None;
                    notice = None;
                }
                ActionKind::RatificationRevoked => match bound {
                    Some(b) if b.row.action == ActionKind::Ratification => {
                        bound = None;
                        notice = None;
                    }
                    _ => {
                        return Err(RegimeError::RevokedWithoutRatification {
                            at: r.at.clone(),
                            treaty: a.treaty.clone(),
                            state,
                            date: a.date,
                        })
                    }
                },
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------
    // Deriving status.
    // -----------------------------------------------------------------------------

    /// Whose rows answer for `state` at `at`: itself, its continuator's (for a
    /// historical state whose record is filed there), or none (it has ceased to exist).
    pub(crate) fn resolve(&self, state: StateCode, at: Date) -> Result<Resolved, RegimeError> {
        let info = self.known_state(state, "state", &Place::direct())?;
        if let Some(c) = info
            .continued_by
            .as_ref()
            .and_then(|c| rules::continuation_of(c.predecessor))
        {
            if at >= rule_date(c.from) {
                return Ok(Resolved::Ceased(c));
            }
            let records = if c.records_filed_under_successor {
                state_code(c.successor)
            } else {
                state
            };
            return Ok(Resolved::Records {
                records,
                via: Some(c),
            });
        }
        let via = rules::continued_by(state.as_str()).filter(|c| at < rule_date(c.from));
        Ok(Resolved::Records {
            records: state,
            via,
        })
    }

    /// Whether `state` is listed as a state of its own at `at`: a historical state
    /// before it ceased, its continuator only from then on (before, the continuator's
    /// rows are the predecessor's record, listed under the predecessor).
    pub(crate) fn listed_at(&self, info: &StateInfo, at: Date) -> bool {
        if let Some(c) = &info.continued_by {
            return at < rule_date(c.from);
        }
        match rules::continued_by(info.code.as_str()) {
            Some(c) if c.records_filed_under_successor => at >= rule_date(c.from),
            _ => true,
        }
    }

    /// The active contested facts about (treaty, state): those whose rows are all
    /// present.
    pub(crate) fn facts_for(&self, treaty: usize, state: StateCode) -> Vec<usize> {
        let treaty_id = self.treaties[treaty].row.id.as_str();
        CONTESTED_FACTS
            .iter()
            .enumerate()
            .filter(|(_, f)| f.treaty == treaty_id && f.state == state.as_str())
            .filter(|(_, f)| {
                f.rows()
                    .iter()
                    .all(|&(a, d)| self.has_row(treaty, state, a, rule_date(d)))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The active contested facts about a treaty, for any state.
    pub(crate) fn facts_for_treaty(&self, treaty: usize) -> Vec<usize> {
        let treaty_id = self.treaties[treaty].row.id.as_str();
        let mut facts = Vec::new();
        for (i, f) in CONTESTED_FACTS.iter().enumerate() {
            if f.treaty != treaty_id {
                continue;
            }
            if let Ok(state) = StateCode::parse(f.state) {
                if self.facts_for(treaty, state).contains(&i) {
                    facts.push(i);
                }
            }
        }
        facts
    }

    fn has_row(&self, treaty: usize, state: StateCode, action: ActionKind, date: Date) -> bool {
        self.timelines.get(&(treaty, state)).is_some_and(|t| {
            t.iter().any(|&i| {
                let r = &self.actions[i].row;
                r.action == action && r.date == date
            })
        })
    }

    /// The actions of (treaty, state) under a choice of readings: the rows not set aside
    /// and the actions asserted, in date order.
    pub(crate) fn effective(
        &self,
        treaty: usize,
        state: StateCode,
        choice: &[(usize, usize)],
    ) -> Vec<Effective<'_>> {
        let treaty_id = self.treaties[treaty].row.id.as_str();
        let mut out: Vec<Effective<'_>> = self
            .timelines
            .get(&(treaty, state))
            .into_iter()
            .flatten()
            .map(|&i| &self.actions[i])
            .filter(|r| choice.is_empty() || !set_aside(choice, &r.row))
            .map(|r| Effective {
                action: r.row.action,
                date: r.row.date,
                source: r.row.source.as_str(),
            })
            .collect();
        let mut asserted = false;
        for &(fact, reading) in choice {
            let fact = &CONTESTED_FACTS[fact];
            if fact.treaty != treaty_id || fact.state != state.as_str() {
                continue;
            }
            for a in fact.readings[reading].asserts {
                asserted = true;
                out.push(Effective {
                    action: a.action,
                    date: rule_date(a.date),
                    source: a.source,
                });
            }
        }
        if asserted {
            out.sort_by_key(|e| (e.date, e.action.same_day_rank()));
        }
        out
    }

    /// The status at `at` from effective actions, and the sources of the actions used.
    pub(crate) fn derive(
        &self,
        treaty: usize,
        actions: &[Effective<'_>],
        at: Date,
    ) -> (TreatyStatus, BTreeSet<String>) {
        let is_npt = self.treaties[treaty].row.id.as_str() == NPT;
        let mut sources = BTreeSet::new();
        let mut signed: Option<Date> = None;
        let mut bound: Option<(Date, ActionKind)> = None;
        let mut notice: Option<Date> = None;
        let mut withdrawn: Option<(Option<Date>, Date)> = None;
        let mut revoked: Option<(Date, Date)> = None;
        for a in actions.iter().take_while(|a| a.date <= at) {
            sources.insert(a.source.to_owned());
            match a.action {
                ActionKind::Signature => {
                    signed.get_or_insert(a.date);
                }
                ActionKind::Ratification | ActionKind::Accession | ActionKind::Succession => {
                    if bound.is_none() {
                        bound = Some((a.date, a.action));
                        notice = None;
                        withdrawn = None;
                        revoked = None;
                    }
                }
                ActionKind::WithdrawalNotice => {
                    if bound.is_some() && notice.is_none() {
                        notice = Some(a.date);
                    }
                }
                ActionKind::WithdrawalEffective => {
                    if bound.take().is_some() {
                        withdrawn = Some((notice.take(), a.date));
                    }
                }
                ActionKind::RatificationRevoked => {
                    if let Some((ratified, ActionKind::Ratification)) = bound {
                        bound = None;
                        notice = None;
                        revoked = Some((ratified, a.date));
                    }
                }
            }
        }
        let status = if let Some((since, by)) = bound {
            match notice {
                None => TreatyStatus::Party { since, by },
                Some(notice) => {
                    let recorded = actions
                        .iter()
                        .find(|a| a.action == ActionKind::WithdrawalEffective && a.date > at);
                    if let Some(r) = recorded {
                        sources.insert(r.source.to_owned());
                    }
                    let by_rule = if is_npt {
                        rules::npt_withdrawal_earliest(notice)
                    } else {
                        None
                    };
                    match (recorded, by_rule) {
                        (None, Some(effective)) if effective <= at => {
                            sources.extend(
                                rules::NPT_WITHDRAWAL
                                    .sources
                                    .iter()
                                    .map(|s| (*s).to_owned()),
                            );
                            TreatyStatus::Withdrawn {
                                notice: Some(notice),
                                effective,
                                effective_by_rule: true,
                            }
                        }
                        (recorded, by_rule) => TreatyStatus::WithdrawalPending {
                            since,
                            by,
                            notice,
                            effective: recorded.map(|r| r.date).or(by_rule),
                        },
                    }
                }
            }
        } else if let Some((notice, effective)) = withdrawn {
            TreatyStatus::Withdrawn {
                notice,
                effective,
                effective_by_rule: false,
            }
        } else if let Some((ratified, revoked)) = revoked {
            TreatyStatus::RatificationRevoked {
                signed,
                ratified,
                revoked,
            }
        } else if let Some(signed) = signed {
            TreatyStatus::Signatory { signed }
        } else {
            TreatyStatus::NonSignatory
        };
        (status, sources)
    }

    /// The status of `state` under the treaty at index `treaty`, under every reading.
    pub(crate) fn status_answers(
        &self,
        treaty: usize,
        state: StateCode,
        at: Date,
    ) -> Result<Answers<TreatyStatus>, RegimeError> {
        match self.resolve(state, at)? {
            Resolved::Ceased(c) => Ok(readings::evaluate(&[], |_| {
                (
                    TreatyStatus::CeasedToExist {
                        on: rule_date(c.from),
                        continued_by: state_code(c.successor),
                    },
                    c.sources.iter().map(|s| (*s).to_owned()).collect(),
                )
            })),
            Resolved::Records { records, via } => {
                let facts = self.facts_for(treaty, records);
                Ok(readings::evaluate(&facts, |choice| {
                    let actions = self.effective(treaty, records, choice);
                    let (status, mut sources) = self.derive(treaty, &actions, at);
                    if let Some(c) = via {
                        sources.extend(c.sources.iter().map(|s| (*s).to_owned()));
                    }
                    (status, sources)
                }))
            }
        }
    }
}

/// Whether a choice of readings sets this row aside.
fn set_aside(choice: &[(usize, usize)], row: &MembershipAction) -> bool {
    choice.iter().any(|&(fact, reading)| {
        let fact = &CONTESTED_FACTS[fact];
        fact.treaty == row.treaty.as_str()
            && fact.state == row.iso3.as_str()
            && fact.readings[reading]
                .sets_aside
                .iter()
                .any(|r| r.action == row.action && rule_date(r.date) == row.date)
    })
}

fn contradiction(r: &Recorded, first: &Recorded, reason: &str) -> RegimeError {
    RegimeError::ContradictoryRow {
        at: r.at.clone(),
        key: r.row.key(),
        conflicts_with: first.at.clone(),
        reason: format!("{reason} ({})", first.row.key()),
    }
}

/// A state code written in this crate's rules. Every such constant is checked by the
/// test `rules::tests::every_rule_date_parses`, so a failure is a bug in the rules.
pub(crate) fn state_code(text: &'static str) -> StateCode {
    match StateCode::parse(text) {
        Ok(code) => code,
        Err(_) => panic!("rules.rs holds an invalid state code {text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_builds() {
        let reg = Registry::bundled(Date::parse("2026-11-24").unwrap()).unwrap();
        assert_eq!(reg.actions.len(), 1151);
        assert_eq!(reg.states.len(), 198); // 197 in states.csv + SUN
        assert_eq!(reg.annex2.len(), 44);
    }
}

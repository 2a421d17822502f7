//! Row types of the bundled CSV files and their parser.
//!
//! The files are described in `data/SOURCES.md`: UTF-8, a header row, RFC 4180
//! quoting, CRLF line ends, a `source` in every row, a `note` where a row could not be
//! fully verified. One struct per file mirrors its columns exactly, so a row
//! round-trips through JSON (`deny_unknown_fields`) and can be carried as a signed
//! ledger payload. Every field is parsed once, here (STYLE §3): a row that exists is
//! well-formed. Whether it fits the registry (known states, dates in order) is checked
//! by [`crate::Registry`].
//!
//! An empty cell is `None`, never 0: a figure the source does not give is missing,
//! not zero.

use crate::error::{Place, RegimeError};
use custodian_core::ids::IdError;
use custodian_core::{Date, StateCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Rows accepted per file (STYLE §5). The largest bundled file has 1,151.
pub const ROWS_PER_FILE_MAX: usize = 100_000;
/// Bytes accepted per field. The longest bundled field is under 600 bytes.
pub const FIELD_BYTES_MAX: usize = 8_192;

// ---------------------------------------------------------------------------------
// Small parsed values.
// ---------------------------------------------------------------------------------

/// A treaty's short identifier as written in treaties.csv (`NPT`, `CTBT`,
/// `Tlatelolco`): 1 to 32 ASCII letters, digits or `-`, starting with a letter.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TreatyId(String);

impl TreatyId {
    /// Parses the identifier; the only way to make one.
    pub fn parse(text: &str) -> Result<TreatyId, IdError> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text.bytes().enumerate().all(|(i, b)| {
                b.is_ascii_alphabetic() || (i > 0 && (b.is_ascii_digit() || b == b'-'))
            });
        if ok {
            Ok(TreatyId(text.to_owned()))
        } else {
            Err(IdError {
                expected: "a treaty id: 1 to 32 of A-Z a-z 0-9 - starting with a letter (e.g. NPT)",
                found: text.chars().take(80).collect(),
            })
        }
    }
    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TreatyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for TreatyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TreatyId({})", self.0)
    }
}

/// Where a row's content comes from: non-empty text naming documents, pages or
/// seed files. A row without one cannot be made.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Source(String);

impl Source {
    /// Accepts any text with a non-blank character.
    pub fn parse(text: &str) -> Option<Source> {
        (!text.trim().is_empty()).then(|| Source(text.to_owned()))
    }
    /// The source as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An estimated number of nuclear warheads. Never a count: every figure in forces.csv
/// and deployments.csv is a published estimate, and the type says so wherever it goes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EstimatedWarheads(pub u32);

impl fmt::Display for EstimatedWarheads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "~{}", self.0)
    }
}

/// A date known to the year, the month or the day, as sources give them
/// (`2023`, `2020-06`, `2019-06-17`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PartialDate {
    /// Only the year.
    Year(i32),
    /// Year and month (1–12).
    Month(i32, u32),
    /// A full date.
    Day(Date),
}

const PARTIAL_DATE_FORM: &str = "a date as YYYY, YYYY-MM or YYYY-MM-DD";

fn parse_year(text: &str) -> Option<i32> {
    (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// The date for a year, month and day that are known to be valid.
fn ymd_date(year: i32, month: u32, day: u32) -> Option<Date> {
    Date::parse(&format!("{year:04}-{month:02}-{day:02}")).ok()
}

/// The last day of a month.
pub(crate) fn last_day_of_month(year: i32, month: u32) -> Option<Date> {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    ymd_date(next_year, next_month, 1).map(|d| d.plus_days(-1))
}

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<PartialDate> {
        match text.len() {
            4 => parse_year(text).map(PartialDate::Year),
            7 => {
                let year = parse_year(&text[..4])?;
                let month: u32 = text
                    .get(5..7)
                    .filter(|m| m.bytes().all(|b| b.is_ascii_digit()))?
                    .parse()
                    .ok()?;
                (text.as_bytes()[4] == b'-' && (1..=12).contains(&month))
                    .then_some(PartialDate::Month(year, month))
            }
            _ => Date::parse(text).ok().map(PartialDate::Day),
        }
    }
    /// The year.
    pub fn year(self) -> i32 {
        match self {
            PartialDate::Year(y) | PartialDate::Month(y, _) => y,
            PartialDate::Day(d) => d.ymd().0 as i32,
        }
    }
    /// The first day the text could mean.
    pub fn first_day(self) -> Option<Date> {
        match self {
            PartialDate::Year(y) => ymd_date(y, 1, 1),
            PartialDate::Month(y, m) => ymd_date(y, m, 1),
            PartialDate::Day(d) => Some(d),
        }
    }
    /// The last day the text could mean.
    pub fn last_day(self) -> Option<Date> {
        match self {
            PartialDate::Year(y) => ymd_date(y, 12, 31),
            PartialDate::Month(y, m) => last_day_of_month(y, m),
            PartialDate::Day(d) => Some(d),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialDate::Year(y) => write!(f, "{y:04}"),
            PartialDate::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            PartialDate::Day(d) => write!(f, "{d}"),
        }
    }
}

/// The dates of a meeting as review_conferences.csv writes them: one partial date
/// (`2017-05`), a span (`2018-04-23/2018-05-04`) or a span with an unsourced end
/// (`2000-04-24/`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DateSpan {
    /// When it started (or the only date given).
    pub start: PartialDate,
    /// `None`: a single date. `Some(None)`: a span whose end is not sourced.
    pub end: Option<Option<PartialDate>>,
}

const DATE_SPAN_FORM: &str = "a date (YYYY, YYYY-MM, YYYY-MM-DD) or a span START/END or START/";

impl DateSpan {
    /// Parses `A`, `A/B` or `A/`.
    pub fn parse(text: &str) -> Option<DateSpan> {
        match text.split_once('/') {
            None => PartialDate::parse(text).map(|start| DateSpan { start, end: None }),
            Some((a, "")) => PartialDate::parse(a).map(|start| DateSpan {
                start,
                end: Some(None),
            }),
            Some((a, b)) => {
                let (start, end) = (PartialDate::parse(a)?, PartialDate::parse(b)?);
                (start.first_day()? <= end.last_day()?).then_some(DateSpan {
                    start,
                    end: Some(Some(end)),
                })
            }
        }
    }
}

impl fmt::Display for DateSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            None => write!(f, "{}", self.start),
            Some(None) => write!(f, "{}/", self.start),
            Some(Some(end)) => write!(f, "{}/{}", self.start, end),
        }
    }
}

/// Who spoke, in positions.csv: one or more states (`CHN; ZAF; EGY; MEX`) or a named
/// group (`NAM (Non-Aligned Movement states parties)`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Speaker {
    /// States by code, in the order written.
    States(Vec<StateCode>),
    /// A group, as named by the source.
    Group(String),
}

impl Speaker {
    /// States when every `;`-separated part is a three-letter code, else a group.
    pub fn parse(text: &str) -> Option<Speaker> {
        if text.trim().is_empty() {
            return None;
        }
        let codes: Result<Vec<StateCode>, _> = text
            .split(';')
            .map(|p| StateCode::parse(p.trim()))
            .collect();
        Some(match codes {
            Ok(codes) => Speaker::States(codes),
            Err(_) => Speaker::Group(text.to_owned()),
        })
    }
    /// The states named (none for a group).
    pub fn states(&self) -> &[StateCode] {
        match self {
            Speaker::States(codes) => codes,
            Speaker::Group(_) => &[],
        }
    }
}

impl fmt::Display for Speaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speaker::States(codes) => {
                for (i, c) in codes.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    f.write_str(c.as_str())?;
                }
                Ok(())
            }
            Speaker::Group(name) => f.write_str(name),
        }
    }
}

macro_rules! text_serde {
    ($t:ty, $parse:expr, $expected:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                let parse: fn(&str) -> Option<$t> = $parse;
                parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!("expected {}, found {:?}", $expected, text))
                })
            }
        }
    };
}
text_serde!(TreatyId, |t| TreatyId::parse(t).ok(), "a treaty id");
text_serde!(Source, Source::parse, "a non-empty source");
text_serde!(PartialDate, PartialDate::parse, PARTIAL_DATE_FORM);
text_serde!(DateSpan, DateSpan::parse, DATE_SPAN_FORM);
text_serde!(Speaker, Speaker::parse, "a state code list or a group name");

/// A membership action, as memberships.csv names it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Signature (a signatory is not bound; VCLT art. 18 obligations aside).
    Signature,
    /// Deposit of an instrument of ratification by a signatory.
    Ratification,
    /// Deposit of an instrument of accession by a non-signatory.
    Accession,
    /// Notification of succession by a new state to its predecessor's status.
    Succession,
    /// Notice of withdrawal (NPT Art. X.1: three months in advance).
    WithdrawalNotice,
    /// The date a withdrawal takes effect.
    WithdrawalEffective,
    /// Revocation of a ratification of a treaty not yet in force (Russia, CTBT, 2023).
    RatificationRevoked,
}

impl ActionKind {
    /// Every action, in the order a state usually takes them.
    pub const ALL: [ActionKind; 7] = [
        ActionKind::Signature,
        ActionKind::Ratification,
        ActionKind::Accession,
        ActionKind::Succession,
        ActionKind::WithdrawalNotice,
        ActionKind::WithdrawalEffective,
        ActionKind::RatificationRevoked,
    ];
    /// The name written in memberships.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Signature => "signature",
            ActionKind::Ratification => "ratification",
            ActionKind::Accession => "accession",
            ActionKind::Succession => "succession",
            ActionKind::WithdrawalNotice => "withdrawal_notice",
            ActionKind::WithdrawalEffective => "withdrawal_effective",
            ActionKind::RatificationRevoked => "ratification_revoked",
        }
    }
    /// Parses a name as written in memberships.csv.
    pub fn parse(text: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|a| a.as_str() == text)
    }
    /// Ratification, accession or succession: the state consents to be bound.
    pub fn is_consent(self) -> bool {
        matches!(
            self,
            ActionKind::Ratification | ActionKind::Accession | ActionKind::Succession
        )
    }
    /// Order of actions on the same day: a signature comes before a ratification of the
    /// same date (e.g. NPT IRL 1968-07-01), a notice before its effect.
    pub(crate) fn same_day_rank(self) -> u8 {
        match self {
            ActionKind::Signature => 0,
            ActionKind::Ratification | ActionKind::Accession | ActionKind::Succession => 1,
            ActionKind::WithdrawalNotice => 2,
            ActionKind::WithdrawalEffective | ActionKind::RatificationRevoked => 3,
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The standing of an entity in states.csv.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum UnStatus {
    /// A member of the United Nations.
    #[serde(rename = "UN member state")]
    Member,
    /// A non-member observer state (Holy See, State of Palestine).
    #[serde(rename = "UN observer state")]
    Observer,
    /// A state that is not a UN member but can join treaties (Cook Islands, Niue).
    #[serde(rename = "non-member state (treaty-capable)")]
    NonMemberTreatyCapable,
}

impl UnStatus {
    const ALL: [(UnStatus, &'static str); 3] = [
        (UnStatus::Member, "UN member state"),
        (UnStatus::Observer, "UN observer state"),
        (
            UnStatus::NonMemberTreatyCapable,
            "non-member state (treaty-capable)",
        ),
    ];
    /// Parses the text of states.csv.
    pub fn parse(text: &str) -> Option<UnStatus> {
        UnStatus::ALL
            .into_iter()
            .find(|(_, t)| *t == text)
            .map(|(s, _)| s)
    }
}

/// What a treaty_counts.csv row counts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountMetric {
    /// Votes in favour at adoption.
    Adopted,
    /// States parties.
    StatesParties,
    /// Annex 2 states that have ratified (CTBT).
    Annex2Ratified,
    /// States that have ratified (a treaty not in force).
    StatesRatified,
    /// States parties plus signatories.
    PartiesPlusSignatories,
}

impl CountMetric {
    const ALL: [(CountMetric, &'static str); 5] = [
        (CountMetric::Adopted, "adopted"),
        (CountMetric::StatesParties, "states_parties"),
        (CountMetric::Annex2Ratified, "annex2_ratified"),
        (CountMetric::StatesRatified, "states_ratified"),
        (
            CountMetric::PartiesPlusSignatories,
            "parties_plus_signatories",
        ),
    ];
    /// Parses the text of treaty_counts.csv.
    pub fn parse(text: &str) -> Option<CountMetric> {
        CountMetric::ALL
            .into_iter()
            .find(|(_, t)| *t == text)
            .map(|(m, _)| m)
    }
}

// ---------------------------------------------------------------------------------
// Row types, one per file.
// ---------------------------------------------------------------------------------

/// A row of states.csv: a treaty-capable state (UNODA country list; ISO 3166-1 alpha-3).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRow {
    /// ISO 3166-1 alpha-3 code.
    pub iso3: StateCode,
    /// Short English name (pycountry).
    pub name: String,
    /// Name as written by UNODA.
    pub name_unoda: String,
    /// Standing at the United Nations.
    pub un_status: UnStatus,
    /// Date of UN admission (not sourced in the bundled data: always empty).
    pub un_member_since: Option<Date>,
    /// Where the row comes from.
    pub source: Source,
    /// What could not be verified.
    pub note: Option<String>,
}

/// A row of treaties.csv.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatyRow {
    /// Short identifier (`NPT`).
    pub id: TreatyId,
    /// Full title.
    pub full_name: String,
    /// Date the treaty opened for signature, where sourced.
    pub opened_for_signature: Option<Date>,
    /// Date of entry into force as recorded by the source (a sourced fact, kept apart
    /// from the date the rules compute).
    pub entry_into_force: Option<Date>,
    /// The entry-into-force clause, as the source paraphrases it.
    pub entry_into_force_rule: Option<String>,
    /// Where the row comes from.
    pub source: Source,
    /// What could not be verified.
    pub note: Option<String>,
}

/// A row of memberships.csv: one dated action by one state under one treaty. Where a
/// treaty has several depositaries the date is the earliest deposit (SOURCES.md).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipAction {
    /// The treaty.
    pub treaty: TreatyId,
    /// The state (the USSR's actions are filed under `RUS`, as UNODA does).
    pub iso3: StateCode,
    /// What the state did.
    pub action: ActionKind,
    /// When.
    pub date: Date,
    /// Where the row comes from.
    pub source: Source,
    /// Depositary dates, disagreements, readings.
    pub note: Option<String>,
}

impl MembershipAction {
    /// `NPT USA ratification 1970-03-05`: how errors and histories name the row.
    pub fn key(&self) -> String {
        format!(
            "{} {} {} {}",
            self.treaty, self.iso3, self.action, self.date
        )
    }
}

/// A row of ctbt_annex2.csv: one of the states whose ratification CTBT Art. XIV
/// requires.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annex2Row {
    /// The state.
    pub iso3: StateCode,
    /// The name as the source lists it (`Congo` is the Democratic Republic of the
    /// Congo, listed as Zaire in the treaty).
    pub name_in_source: String,
    /// Where the row comes from.
    pub source: Source,
    /// What could not be verified.
    pub note: Option<String>,
}

/// A row of forces.csv: one source's estimate of one state's warheads in one year
/// (as of January, for SIPRI). Every figure is an estimate; an empty cell is a figure
/// the source does not give.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForceEstimate {
    /// The nuclear-armed state.
    pub state: StateCode,
    /// The year the estimate is for (empty: the source gives none).
    pub year: Option<i32>,
    /// Total inventory (stockpile plus retired awaiting dismantlement).
    pub total_inventory: Option<EstimatedWarheads>,
    /// Military stockpile (deployed plus reserve).
    pub stockpile: Option<EstimatedWarheads>,
    /// Deployed warheads.
    pub deployed: Option<EstimatedWarheads>,
    /// Retired warheads awaiting dismantlement.
    pub retired: Option<EstimatedWarheads>,
    /// Low end of a total given as a range (or "more than" this, with no high end).
    pub total_low: Option<EstimatedWarheads>,
    /// High end of a total given as a range.
    pub total_high: Option<EstimatedWarheads>,
    /// Where the row comes from.
    pub source: Source,
    /// When the source published the estimate.
    pub source_date: Option<PartialDate>,
    /// Definitions, disagreements.
    pub note: Option<String>,
}

/// A row of deployments.csv: weapons of one state estimated to be in another.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Where the weapons are (empty: an aggregate over several hosts).
    pub host_state: Option<StateCode>,
    /// The base or region.
    pub site: String,
    /// The state holding the weapons.
    pub custodian_state: StateCode,
    /// The weapon, as the source names it.
    pub weapon_type: String,
    /// The estimated number (empty: the source gives none for this site).
    pub estimated_count: Option<EstimatedWarheads>,
    /// Where the row comes from.
    pub source: Source,
    /// When the source published it.
    pub source_date: Option<PartialDate>,
    /// Custody, control, disagreements.
    pub note: Option<String>,
}

/// A row of review_conferences.csv: one NPT review conference or preparatory committee.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewConference {
    /// The year.
    pub year: i32,
    /// Which meeting (`RevCon`, `PrepCom (2020 cycle) II`).
    pub meeting: String,
    /// Where it met.
    pub venue: String,
    /// When it met, as far as sourced.
    pub dates: Option<DateSpan>,
    /// The outcome, as the sources state it.
    pub outcome: Option<String>,
    /// The date of a decision, where sourced.
    pub decision_date: Option<Date>,
    /// Where the row comes from.
    pub source: Source,
    /// Disagreements, what is inferred.
    pub note: Option<String>,
}

/// A row of positions.csv: a state's or group's stated position on NATO nuclear
/// sharing and NPT Articles I and II (from 004 only).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// The year (empty: not given).
    pub year: Option<i32>,
    /// The forum.
    pub forum: String,
    /// Who spoke.
    pub state_or_group: Speaker,
    /// The position, summarised.
    pub position: String,
    /// A quote or an English paraphrase.
    pub quote_or_paraphrase: String,
    /// Where the row comes from (004 and its footnotes).
    pub source: Source,
    /// Caveats.
    pub note: Option<String>,
}

/// A row of treaty_counts.csv: a count of states at a date, as a source reports it.
/// These are sourced facts kept beside the counts the registry derives.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatyCount {
    /// The treaty.
    pub treaty: TreatyId,
    /// The date of the count.
    pub as_of: Date,
    /// What is counted.
    pub metric: CountMetric,
    /// The count.
    pub value: u32,
    /// Signatories, where the source gives them.
    pub signatories: Option<u32>,
    /// What the source says about the count.
    pub detail: Option<String>,
    /// Where the row comes from.
    pub source: Source,
    /// Caveats.
    pub note: Option<String>,
}

/// A row with the place it was read from.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Located<T> {
    /// The file and line.
    pub at: Place,
    /// The row.
    pub row: T,
}

// ---------------------------------------------------------------------------------
// Parsing.
// ---------------------------------------------------------------------------------

/// A CSV file with a fixed header whose rows parse into `Self`.
pub trait CsvRow: Sized {
    /// The file's name in `data/`.
    const FILE: &'static str;
    /// The exact header.
    const HEADER: &'static [&'static str];
    /// Parses one record; `fields` gives each column by name.
    fn from_fields(fields: &Fields<'_>) -> Result<Self, RegimeError>;
}

/// One record being parsed, with its place, for precise errors.
pub struct Fields<'a> {
    header: &'static [&'static str],
    record: &'a csv::StringRecord,
    at: Place,
}

fn clip(text: &str) -> String {
    text.chars().take(80).collect()
}

impl Fields<'_> {
    /// The place of the record.
    pub fn place(&self) -> &Place {
        &self.at
    }
    fn raw(&self, field: &'static str) -> &str {
        // The header was checked to equal `self.header`, and a CSV record with a
        // different number of fields is a reader error, so the column exists.
        let index = self.header.iter().position(|h| *h == field);
        index.and_then(|i| self.record.get(i)).unwrap_or("")
    }
    fn error(&self, field: &'static str, expected: &str, found: &str) -> RegimeError {
        RegimeError::Field {
            at: self.at.clone(),
            field,
            expected: expected.to_owned(),
            found: clip(found),
        }
    }
    /// Text that must not be empty.
    pub fn text(&self, field: &'static str) -> Result<String, RegimeError> {
        let raw = self.raw(field);
        if raw.trim().is_empty() {
            Err(self.error(field, "non-empty text", raw))
        } else {
            Ok(raw.to_owned())
        }
    }
    /// Text that may be empty (`None`).
    pub fn optional_text(&self, field: &'static str) -> Option<String> {
        let raw = self.raw(field);
        (!raw.is_empty()).then(|| raw.to_owned())
    }
    /// The `source` column: required.
    pub fn source(&self) -> Result<Source, RegimeError> {
        Source::parse(self.raw("source")).ok_or_else(|| RegimeError::MissingSource {
            at: self.at.clone(),
        })
    }
    /// A state code.
    pub fn state(&self, field: &'static str) -> Result<StateCode, RegimeError> {
        let raw = self.raw(field);
        StateCode::parse(raw).map_err(|e| self.error(field, e.expected, raw))
    }
    /// A state code or an empty cell.
    pub fn optional_state(&self, field: &'static str) -> Result<Option<StateCode>, RegimeError> {
        if self.raw(field).is_empty() {
            Ok(None)
        } else {
            self.state(field).map(Some)
        }
    }
    /// A treaty id.
    pub fn treaty(&self, field: &'static str) -> Result<TreatyId, RegimeError> {
        let raw = self.raw(field);
        TreatyId::parse(raw).map_err(|e| self.error(field, e.expected, raw))
    }
    /// A full date.
    pub fn date(&self, field: &'static str) -> Result<Date, RegimeError> {
        let raw = self.raw(field);
        Date::parse(raw).map_err(|_| self.error(field, "YYYY-MM-DD", raw))
    }
    /// A full date or an empty cell.
    pub fn optional_date(&self, field: &'static str) -> Result<Option<Date>, RegimeError> {
        if self.raw(field).is_empty() {
            Ok(None)
        } else {
            self.date(field).map(Some)
        }
    }
    /// A partial date or an empty cell.
    pub fn optional_partial_date(
        &self,
        field: &'static str,
    ) -> Result<Option<PartialDate>, RegimeError> {
        let raw = self.raw(field);
        if raw.is_empty() {
            return Ok(None);
        }
        PartialDate::parse(raw)
            .map(Some)
            .ok_or_else(|| self.error(field, PARTIAL_DATE_FORM, raw))
    }
    /// A four-digit year.
    pub fn year(&self, field: &'static str) -> Result<i32, RegimeError> {
        let raw = self.raw(field);
        parse_year(raw).ok_or_else(|| self.error(field, "a year as YYYY", raw))
    }
    /// A four-digit year or an empty cell.
    pub fn optional_year(&self, field: &'static str) -> Result<Option<i32>, RegimeError> {
        if self.raw(field).is_empty() {
            Ok(None)
        } else {
            self.year(field).map(Some)
        }
    }
    /// A non-negative whole number.
    pub fn count(&self, field: &'static str) -> Result<u32, RegimeError> {
        let raw = self.raw(field);
        let ok = !raw.is_empty() && raw.len() <= 9 && raw.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| raw.parse().ok())
            .flatten()
            .ok_or_else(|| self.error(field, "a whole number (digits only)", raw))
    }
    /// A non-negative whole number or an empty cell (never read as 0).
    pub fn optional_count(&self, field: &'static str) -> Result<Option<u32>, RegimeError> {
        if self.raw(field).is_empty() {
            Ok(None)
        } else {
            self.count(field).map(Some)
        }
    }
    /// An estimated number of warheads or an empty cell.
    pub fn optional_estimate(
        &self,
        field: &'static str,
    ) -> Result<Option<EstimatedWarheads>, RegimeError> {
        Ok(self.optional_count(field)?.map(EstimatedWarheads))
    }
}

/// Parses a whole file: checks the header, the limits and every row.
///
/// `file` names the file in errors (`memberships.csv:214: field date: ...`).
pub fn parse_rows<T: CsvRow>(file: &str, text: &str) -> Result<Vec<Located<T>>, RegimeError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    // The reader's own line count lags by one after CRLF line ends, so lines are
    // counted here from the byte offset of each record (a quoted field may hold line
    // breaks, so a record's line is not its index plus one).
    let mut lines = LineCounter::new(text);
    let header = reader
        .headers()
        .map_err(|e| csv_error(file, &e, &mut lines))?
        .clone();
    let found: Vec<&str> = header.iter().collect();
    if found != T::HEADER {
        return Err(RegimeError::Header {
            at: Place::at(file, 1),
            expected: T::HEADER.join(","),
            found: found.join(","),
        });
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(file, &e, &mut lines)),
        }
        let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
        let at = Place::at(file, line);
        if rows.len() == ROWS_PER_FILE_MAX {
            return Err(RegimeError::Limit {
                at: Place::file(file),
                what: "rows per file",
                max: ROWS_PER_FILE_MAX,
            });
        }
        if record.iter().any(|f| f.len() > FIELD_BYTES_MAX) {
            return Err(RegimeError::Limit {
                at,
                what: "bytes per field",
                max: FIELD_BYTES_MAX,
            });
        }
        let fields = Fields {
            header: T::HEADER,
            record: &record,
            at,
        };
        let row = T::from_fields(&fields)?;
        rows.push(Located { at: fields.at, row });
    }
    Ok(rows)
}

/// 1-based line numbers of byte offsets, for offsets asked in increasing order.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }
    /// The line of the record the reader places at `byte`. After a CRLF the reader
    /// places a record at the `\n` ending the previous line, so that byte is counted as
    /// part of the record's line ending before it.
    fn line_at(&mut self, byte: u64) -> u64 {
        let byte = usize::try_from(byte)
            .ok()
            .and_then(|b| b.checked_add(1))
            .map_or(self.text.len(), |b| b.min(self.text.len()));
        if byte < self.byte {
            self.byte = 0;
            self.line = 1;
        }
        let newlines = self.text[self.byte..byte]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.byte = byte;
        self.line
    }
}

fn csv_error(file: &str, e: &csv::Error, lines: &mut LineCounter<'_>) -> RegimeError {
    let line = e.position().map(|p| lines.line_at(p.byte()));
    RegimeError::Csv {
        at: Place {
            file: Some(file.into()),
            line,
        },
        message: e.to_string(),
    }
}

impl CsvRow for StateRow {
    const FILE: &'static str = "states.csv";
    const HEADER: &'static [&'static str] = &[
        "iso3",
        "name",
        "name_unoda",
        "un_status",
        "un_member_since",
        "source",
        "note",
    ];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        let status = f.raw("un_status");
        Ok(StateRow {
            iso3: f.state("iso3")?,
            name: f.text("name")?,
            name_unoda: f.text("name_unoda")?,
            un_status: UnStatus::parse(status).ok_or_else(|| {
                f.error(
                    "un_status",
                    "UN member state, UN observer state or non-member state (treaty-capable)",
                    status,
                )
            })?,
            un_member_since: f.optional_date("un_member_since")?,
            source: f.source()?,
            note: f.optional_text("note"),
        })
    }
}

impl CsvRow for TreatyRow {
    const FILE: &'static str = "treaties.csv";
    const HEADER: &'static [&'static str] = &[
        "id",
        "full_name",
        "opened_for_signature",
        "entry_into_force",
        "entry_into_force_rule",
        "source",
        "note",
    ];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        Ok(TreatyRow {
            id: f.treaty("id")?,
            full_name: f.text("full_name")?,
            opened_for_signature: f.optional_date("opened_for_signature")?,
            entry_into_force: f.optional_date("entry_into_force")?,
            entry_into_force_rule: f.optional_text("entry_into_force_rule"),
            source: f.source()?,
            note: f.optional_text("note"),
        })
    }
}

impl CsvRow for MembershipAction {
    const FILE: &'static str = "memberships.csv";
    const HEADER: &'static [&'static str] = &["treaty", "iso3", "action", "date", "source", "note"];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        let action = f.raw("action");
        Ok(MembershipAction {
            treaty: f.treaty("treaty")?,
            iso3: f.state("iso3")?,
            action: ActionKind::parse(action).ok_or_else(|| RegimeError::UnknownAction {
                at: f.at.clone(),
                found: clip(action),
            })?,
            date: f.date("date")?,
            source: f.source()?,
            note: f.optional_text("note"),
        })
    }
}

impl CsvRow for Annex2Row {
    const FILE: &'static str = "ctbt_annex2.csv";
    const HEADER: &'static [&'static str] = &["iso3", "name_in_source", "source", "note"];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        Ok(Annex2Row {
            iso3: f.state("iso3")?,
            name_in_source: f.text("name_in_source")?,
            source: f.source()?,
            note: f.optional_text("note"),
        })
    }
}

impl CsvRow for ForceEstimate {
    const FILE: &'static str = "forces.csv";
    const HEADER: &'static [&'static str] = &[
        "state",
        "year",
        "total_inventory",
        "stockpile",
        "deployed",
        "retired",
        "total_low",
        "total_high",
        "source",
        "source_date",
        "note",
    ];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        let row = ForceEstimate {
            state: f.state("state")?,
            year: f.optional_year("year")?,
            total_inventory: f.optional_estimate("total_inventory")?,
            stockpile: f.optional_estimate("stockpile")?,
            deployed: f.optional_estimate("deployed")?,
            retired: f.optional_estimate("retired")?,
            total_low: f.optional_estimate("total_low")?,
            total_high: f.optional_estimate("total_high")?,
            source: f.source()?,
            source_date: f.optional_partial_date("source_date")?,
            note: f.optional_text("note"),
        };
        match (row.total_low, row.total_high) {
            (None, Some(_)) => Err(f.error(
                "total_high",
                "an empty cell when total_low is empty (a range needs its low end)",
                f.raw("total_high"),
            )),
            (Some(low), Some(high)) if high < low => Err(f.error(
                "total_high",
                &format!("a number no smaller than total_low ({})", low.0),
                f.raw("total_high"),
            )),
            _ => Ok(row),
        }
    }
}

impl CsvRow for Deployment {
    const FILE: &'static str = "deployments.csv";
    const HEADER: &'static [&'static str] = &[
        "host_state",
        "site",
        "custodian_state",
        "weapon_type",
        "estimated_count",
        "source",
        "source_date",
        "note",
    ];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        Ok(Deployment {
            host_state: f.optional_state("host_state")?,
            site: f.text("site")?,
            custodian_state: f.state("custodian_state")?,
            weapon_type: f.text("weapon_type")?,
            estimated_count: f.optional_estimate("estimated_count")?,
            source: f.source()?,
            source_date: f.optional_partial_date("source_date")?,
            note: f.optional_text("note"),
        })
    }
}

impl CsvRow for ReviewConference {
    const FILE: &'static str = "review_conferences.csv";
    const HEADER: &'static [&'static str] = &[
        "year",
        "meeting",
        "venue",
        "dates",
        "outcome",
        "decision_date",
        "source",
        "note",
    ];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        let dates = f.raw("dates");
        Ok(ReviewConference {
            year: f.year("year")?,
            meeting: f.text("meeting")?,
            venue: f.text("venue")?,
            dates: if dates.is_empty() {
                None
            } else {
                Some(
                    DateSpan::parse(dates)
                        .ok_or_else(|| f.error("dates", DATE_SPAN_FORM, dates))?,
                )
            },
            outcome: f.optional_text("outcome"),
            decision_date: f.optional_date("decision_date")?,
            source: f.source()?,
            note: f.optional_text("note"),
        })
    }
}

impl CsvRow for Position {
    const FILE: &'static str = "positions.csv";
    const HEADER: &'static [&'static str] = &[
        "year",
        "forum",
        "state_or_group",
        "position",
        "quote_or_paraphrase",
        "source",
        "note",
    ];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        let speaker = f.raw("state_or_group");
        Ok(Position {
            year: f.optional_year("year")?,
            forum: f.text("forum")?,
            state_or_group: Speaker::parse(speaker).ok_or_else(|| {
                f.error(
                    "state_or_group",
                    "state codes separated by ; or a group name",
                    speaker,
                )
            })?,
            position: f.text("position")?,
            quote_or_paraphrase: f.text("quote_or_paraphrase")?,
            source: f.source()?,
            note: f.optional_text("note"),
        })
    }
}

impl CsvRow for TreatyCount {
    const FILE: &'static str = "treaty_counts.csv";
    const HEADER: &'static [&'static str] = &[
        "treaty",
        "as_of",
        "metric",
        "value",
        "signatories",
        "detail",
        "source",
        "note",
    ];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        let metric = f.raw("metric");
        Ok(TreatyCount {
            treaty: f.treaty("treaty")?,
            as_of: f.date("as_of")?,
            metric: CountMetric::parse(metric).ok_or_else(|| {
                f.error(
                    "metric",
                    "adopted, states_parties, annex2_ratified, states_ratified or parties_plus_signatories",
                    metric,
                )
            })?,
            value: f.count("value")?,
            signatories: f.optional_count("signatories")?,
            detail: f.optional_text("detail"),
            source: f.source()?,
            note: f.optional_text("note"),
        })
    }
}

/// The texts of the nine files, to build a [`crate::Registry`] from.
#[derive(Clone, Copy, Debug)]
pub struct DataFiles<'a> {
    /// states.csv
    pub states: &'a str,
    /// treaties.csv
    pub treaties: &'a str,
    /// memberships.csv
    pub memberships: &'a str,
    /// ctbt_annex2.csv
    pub ctbt_annex2: &'a str,
    /// forces.csv
    pub forces: &'a str,
    /// deployments.csv
    pub deployments: &'a str,
    /// review_conferences.csv
    pub review_conferences: &'a str,
    /// positions.csv
    pub positions: &'a str,
    /// treaty_counts.csv
    pub treaty_counts: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates_and_spans_round_trip() {
        for text in ["2023", "2020-06", "2019-06-17"] {
            assert_eq!(PartialDate::parse(text).unwrap().to_string(), text);
        }
        for bad in ["202", "2020-13", "2020-6", "2020-06-31", "20x0"] {
            assert!(PartialDate::parse(bad).is_none(), "{bad}");
        }
        for text in ["1975-05-05/1975-05-30", "2000-04-24/", "2017-05", "2023"] {
            assert_eq!(DateSpan::parse(text).unwrap().to_string(), text);
        }
        assert!(DateSpan::parse("2000-05-01/2000-04-01").is_none());
        assert_eq!(
            PartialDate::parse("2024-02").unwrap().last_day().unwrap(),
            Date::parse("2024-02-29").unwrap()
        );
    }

    #[test]
    fn speakers() {
        assert_eq!(
            Speaker::parse("CHN; ZAF; EGY; MEX").unwrap().states().len(),
            4
        );
        assert!(matches!(
            Speaker::parse("NATO states").unwrap(),
            Speaker::Group(_)
        ));
        assert!(matches!(
            Speaker::parse("CELAC").unwrap(),
            Speaker::Group(_)
        ));
    }
}

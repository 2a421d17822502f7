//! States' positions (positions.csv) by question: which reading of the treaty each
//! statement aligns with, and who held which reading when.
//!
//! The classification is Custodian's, not the speakers' own labels. It is kept as an
//! explicit table keyed by (year, speaker), each entry with a one-line reason, so a
//! reader can check and dispute every call; [`CLASSIFICATION_RULE`] states the rule
//! applied. The readings are those of [`crate::obligations::interpretations`]. The rows
//! and their footnotes come from shared/sources 004 (the 2024 report on NATO nuclear
//! sharing), as positions.csv cites them.

use crate::data::{Located, Position};
use crate::model::Registry;
use serde::Serialize;

/// A question the positions are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Question {
    /// Short id (`nuclear-sharing`).
    pub id: &'static str,
    /// The question, in one sentence.
    pub text: &'static str,
    /// The readings (interpretation ids) a statement may align with.
    pub readings: &'static [&'static str],
}

/// The questions Custodian groups positions by.
pub const QUESTIONS: &[Question] = &[Question {
    id: "nuclear-sharing",
    text: "Is NATO nuclear sharing (stationing under NWS custody, peacetime preparation, \
           wartime transfer) consistent with NPT Articles I and II?",
    readings: &["us-1968-qa", "broad-revcon"],
}];

/// The questions Custodian groups positions by.
pub fn questions() -> &'static [Question] {
    QUESTIONS
}

/// Alignment of a statement that takes no reading (a call to reduce reliance on
/// nuclear weapons, concern at doctrines, a request for clarification).
pub const NO_READING: &str = "none";
/// Alignment of a positions.csv row the table below does not list.
pub const UNCLASSIFIED: &str = "unclassified";

/// How Custodian classifies a statement.
pub const CLASSIFICATION_RULE: &str = "Custodian's classification, not the speakers' own \
     labels. A statement aligns with us-1968-qa when it holds the arrangement consistent \
     with the NPT because custody and control stay with the nuclear-weapon State until \
     war, or states its compliance on no other ground; with broad-revcon when it holds \
     that deployment in, or peacetime preparation of, non-nuclear-weapon States is \
     transfer or assistance prohibited by Articles I and II, or that the articles bind \
     without exception in peace and war; with none when it does not say what Articles I \
     and II prohibit (calls to reduce reliance on nuclear weapons, concern at doctrines, \
     requests for clarification). `objects` marks a statement that objects to, or \
     questions, the arrangement or its consistency with the NPT: the reactions the \
     conditions of acquiescence ask about.";

/// Custodian's call on one positions.csv row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// The row's year (`None`: not given).
    pub year: Option<i32>,
    /// The row's speaker, as written (`CHN; ZAF; EGY; MEX`).
    pub speaker: &'static str,
    /// The interpretation id it aligns with, or [`NO_READING`].
    pub reading: &'static str,
    /// Whether it objects to or questions the arrangement.
    pub objects: bool,
    /// Why, in one line.
    pub reason: &'static str,
}

const US: &str = "us-1968-qa";
const BROAD: &str = "broad-revcon";

const fn c(
    year: Option<i32>,
    speaker: &'static str,
    reading: &'static str,
    objects: bool,
    reason: &'static str,
) -> Classification {
    Classification {
        year,
        speaker,
        reading,
        objects,
        reason,
    }
}

/// Every positions.csv row, classified (004 footnotes as the rows cite them).
pub const CLASSIFICATIONS: &[Classification] = &[
    c(Some(1968), "USA", US, false, "the reading's own text: deployment involves no transfer until a decision to go to war (fn [19])"),
    c(Some(1969), "USA", US, false, "US custody and control of NATO weapons until war (fn [18])"),
    c(Some(1985), "all parties (consensus)", NO_READING, false, "calls for strict observance of Articles I and II; reading it as questioning sharing is the 2024 report's, not the text's (fn [30])"),
    c(Some(1995), "MEX", NO_READING, true, "asks NATO to clarify whether sharing may violate the NPT; questions it without taking a reading (fn [31])"),
    c(Some(1995), "NGA", NO_READING, true, "questions whether allies would obtain weapons in wartime; takes no reading (fn [31])"),
    c(Some(1995), "TZA", BROAD, true, "deployment in a non-nuclear-weapon State, if read as transfer, directly violates Article I (conditional) (fn [31])"),
    c(Some(1995), "NATO states", US, false, "holds sharing consistent with the NPT; gives no other ground (fn [31])"),
    c(Some(1995), "non-NATO states (group)", BROAD, true, "transfer of weapons or control under regional alliances violates the letter and spirit of Articles I and II (fn [32])"),
    c(Some(2000), "NAM (Non-Aligned Movement states parties)", BROAD, true, "no nuclear sharing for military purposes under any kind of security arrangement (fn [33])"),
    c(Some(2000), "ZAF", NO_READING, true, "concern at the proliferation implications of more NNWS in nuclear training and planning; does not say what Articles I and II prohibit (fn [34])"),
    c(Some(2000), "NAC (New Agenda Coalition)", BROAD, true, "close any loophole permitting sharing; the treaty binds at all times and in all circumstances (fn [35][36])"),
    c(Some(2000), "EGY", BROAD, true, "Articles I and II allow no exceptions and bind in peace and war (fn [37])"),
    c(Some(2005), "NAC (New Agenda Coalition)", BROAD, true, "every provision binds all parties at all times and in all circumstances, against a wartime exception (fn [38])"),
    c(Some(2005), "CUB", NO_READING, false, "concern at the role of nuclear weapons in NATO doctrine (fn [40])"),
    c(Some(2010), "IRN", BROAD, true, "deployment in European NNWS violates Article I; states seeking the weapons violate Article II (fn [41][42])"),
    c(Some(2010), "IDN", NO_READING, true, "calls for withdrawal of the deployed weapons on disarmament grounds, not as transfer (fn [43])"),
    c(Some(2010), "EGY", NO_READING, false, "asks alliance states to report on reducing reliance on nuclear weapons (fn [44])"),
    c(Some(2015), "CELAC", NO_READING, false, "asks alliance states to end reliance on others' nuclear weapons (fn [45])"),
    c(Some(2015), "NAM (Non-Aligned Movement states parties)", NO_READING, false, "concern at deterrence doctrines of NWS and alliances (fn [46])"),
    c(Some(2015), "RUS", BROAD, true, "nuclear training and planning of NNWS personnel in NATO missions violate Articles I and II (fn [47])"),
    c(Some(2015), "VEN", NO_READING, false, "asks NNWS to reject umbrella doctrines and ban transit (fn [48])"),
    c(Some(2022), "USA", US, false, "arrangement known, public and unchallenged: the predating and acquiescence arguments (fn [21])"),
    c(Some(2022), "DEU", US, false, "arrangement taken into account in the negotiation and accepted by all parties (fn [22])"),
    c(Some(2022), "ZAF", NO_READING, false, "umbrella states share responsibility for reducing the role of nuclear weapons (fn [49])"),
    c(Some(2022), "KEN", NO_READING, false, "asks for security doctrines without nuclear weapons (no separate footnote)"),
    c(Some(2022), "IRN", BROAD, true, "NNWS allowing deployment on their territory violate the letter and spirit of the NPT (fn [50])"),
    c(Some(2022), "PER", NO_READING, false, "expansion of nuclear alliances undermines commitments to reduce reliance (fn [51])"),
    c(Some(2022), "ECU", NO_READING, false, "extended-deterrence NNWS should rethink their policies (fn [52])"),
    c(Some(2022), "NAM (Non-Aligned Movement states parties)", NO_READING, false, "opposes NATO's strategic concept (fn [53])"),
    c(Some(2023), "USA", US, false, "full US custody and control are the basis of Articles I and II compliance; arrangement predates the NPT (fn [20])"),
    c(Some(2023), "NAM (Non-Aligned Movement states parties)", BROAD, true, "sharing violates Article I (NWS) and Article II (NNWS); end it in peace and war (fn [54])"),
    c(Some(2023), "EGY", BROAD, true, "sharing arrangements are incompatible with the NPT (fn [55])"),
    c(Some(2023), "BRA", BROAD, true, "sharing arrangements clearly violate Articles I and II (fn [56])"),
    c(Some(2023), "IDN", NO_READING, false, "concern at more states wishing to join sharing; takes no reading (fn [57])"),
    c(None, "CHN; ZAF; EGY; MEX", BROAD, true, "US deployment in NNWS is a transfer prohibited by the NPT (report section 2)"),
];

/// Custodian's classification of a positions.csv row, if the table lists it.
pub fn classification(row: &Position) -> Option<&'static Classification> {
    let speaker = row.state_or_group.to_string();
    CLASSIFICATIONS
        .iter()
        .find(|c| c.year == row.year && c.speaker == speaker)
}

/// One positions.csv row with Custodian's classification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassifiedPosition {
    /// The row (year, forum, state_or_group, position, quote, source, note) and where
    /// it was read.
    pub position: Located<Position>,
    /// The reading it aligns with, [`NO_READING`] or [`UNCLASSIFIED`].
    pub reading: &'static str,
    /// Whether it objects to or questions the arrangement.
    pub objects: bool,
    /// Why, in one line.
    pub reason: &'static str,
}

/// Who held one reading, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadingHolders {
    /// The reading, [`NO_READING`] or [`UNCLASSIFIED`].
    pub reading: &'static str,
    /// The earliest dated statement.
    pub first_year: Option<i32>,
    /// The latest dated statement.
    pub last_year: Option<i32>,
    /// Every statement as `year speaker` (`year?` when not given), in file order.
    pub statements: Vec<String>,
    /// The distinct speakers, sorted.
    pub speakers: Vec<String>,
}

/// The answer to [`positions_on`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionsAnswer {
    /// The question.
    pub question: Question,
    /// Who classified the rows: always Custodian.
    pub classified_by: &'static str,
    /// The rule applied.
    pub rule: &'static str,
    /// Every positions.csv row, classified.
    pub positions: Vec<ClassifiedPosition>,
    /// Per reading (then none, then unclassified, where any), who held it when.
    pub by_reading: Vec<ReadingHolders>,
}

/// The known question ids, for error messages.
fn known() -> String {
    QUESTIONS
        .iter()
        .map(|q| q.id)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every positions.csv row, with the reading it aligns with and a per-reading
/// summary. An unknown question is an error that lists the known ones.
pub fn positions_on(registry: &Registry, question: &str) -> Result<PositionsAnswer, String> {
    let q = QUESTIONS
        .iter()
        .find(|q| q.id == question)
        .ok_or_else(|| format!("unknown question {question:?}; known: {}", known()))?;
    let positions: Vec<ClassifiedPosition> = registry
        .positions()
        .iter()
        .map(|p| {
            let (reading, objects, reason) = match classification(&p.row) {
                Some(c) => (c.reading, c.objects, c.reason),
                None => (
                    UNCLASSIFIED,
                    false,
                    "no entry in Custodian's classification table",
                ),
            };
            ClassifiedPosition {
                position: p.clone(),
                reading,
                objects,
                reason,
            }
        })
        .collect();
    let mut order: Vec<&'static str> = q.readings.to_vec();
    order.push(NO_READING);
    if positions.iter().any(|p| p.reading == UNCLASSIFIED) {
        order.push(UNCLASSIFIED);
    }
    let by_reading = order
        .into_iter()
        .map(|reading| {
            let rows: Vec<&Position> = positions
                .iter()
                .filter(|p| p.reading == reading)
                .map(|p| &p.position.row)
                .collect();
            let mut speakers: Vec<String> =
                rows.iter().map(|r| r.state_or_group.to_string()).collect();
            speakers.sort();
            speakers.dedup();
            ReadingHolders {
                reading,
                first_year: rows.iter().filter_map(|r| r.year).min(),
                last_year: rows.iter().filter_map(|r| r.year).max(),
                statements: rows.iter().map(|r| statement_label(r)).collect(),
                speakers,
            }
        })
        .collect();
    Ok(PositionsAnswer {
        question: *q,
        classified_by: "Custodian",
        rule: CLASSIFICATION_RULE,
        positions,
        by_reading,
    })
}

/// `1995 TZA`, or `year? CHN; ZAF; EGY; MEX` when the row gives no year.
pub fn statement_label(row: &Position) -> String {
    match row.year {
        Some(y) => format!("{y} {}", row.state_or_group),
        None => format!("year? {}", row.state_or_group),
    }
}

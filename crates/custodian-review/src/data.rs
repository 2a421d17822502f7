//! The review cycle's own CSV files, parsed with the regime registry's RFC 4180
//! parser ([`custodian_regime::data::parse_rows`]), so their errors name file, line
//! and field the same way: `review_prepcoms.csv:7: field dates: ...`.
//!
//! - `review_prepcoms.csv`: one row per session of a preparatory committee;
//! - `review_commitments.csv`: one row per commitment a review conference adopted
//!   (the 1995 decisions, the 2000 practical steps, the 2010 actions).
//!
//! Review conferences themselves are rows of the registry's
//! `review_conferences.csv` ([`custodian_regime::data::ReviewConference`]). Every
//! row carries a source; an empty cell is a fact not sourced, never a guess.

use custodian_regime::data::{CsvRow, DateSpan, Fields, PartialDate, Source};
use custodian_regime::RegimeError;
use serde::Serialize;

/// A row of review_prepcoms.csv: one session of the preparatory committee of a
/// review cycle.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct PrepComRow {
    /// The cycle, by the year of its review conference (2020 for the committee
    /// preparing the conference that met in 2022).
    pub cycle: i32,
    /// The session: I, II, III or IV.
    pub session: String,
    /// Where it met.
    pub venue: String,
    /// When it met, as far as sourced.
    #[serde(serialize_with = "display_opt")]
    pub dates: Option<DateSpan>,
    /// Who chaired it, where sourced.
    pub chair: Option<String>,
    /// The outcome, where sourced (empty: not sourced).
    pub outcome: Option<String>,
    /// Where the row comes from.
    #[serde(serialize_with = "display")]
    pub source: Source,
    /// Disagreements, what is inferred.
    pub note: Option<String>,
}

/// A row of review_commitments.csv: one commitment adopted in a review cycle, whose
/// implementation states can report on.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct CommitmentRow {
    /// A stable id: the cycle, then the item (`2010-A21`, `2000-S12`, `1995-D3`).
    pub id: String,
    /// The cycle that adopted it.
    pub cycle: i32,
    /// The document symbol (`NPT/CONF.2010/50 (Vol. I), ...`).
    pub document: String,
    /// The paragraph or number in the document (`Action 21`, `para. 15, step 12`).
    pub paragraph: String,
    /// The subject: disarmament, non-proliferation, peaceful-uses, ...
    pub pillar: String,
    /// A short text, paraphrased (the document's own words are at the source).
    pub short_text: String,
    /// When it was adopted (to the day or the month, as sourced).
    #[serde(serialize_with = "display")]
    pub adopted: PartialDate,
    /// Where the row comes from.
    #[serde(serialize_with = "display")]
    pub source: Source,
    /// What could not be verified.
    pub note: Option<String>,
}

fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn display_opt<T: std::fmt::Display, S: serde::Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

fn field_error(f: &Fields<'_>, field: &'static str, expected: &str, found: &str) -> RegimeError {
    RegimeError::Field {
        at: f.place().clone(),
        field,
        expected: expected.to_string(),
        found: found.chars().take(80).collect(),
    }
}

const SESSIONS: [&str; 4] = ["I", "II", "III", "IV"];

impl CsvRow for PrepComRow {
    const FILE: &'static str = "review_prepcoms.csv";
    const HEADER: &'static [&'static str] = &[
        "cycle", "session", "venue", "dates", "chair", "outcome", "source", "note",
    ];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        let session = f.text("session")?;
        if !SESSIONS.contains(&session.as_str()) {
            return Err(field_error(f, "session", "I, II, III or IV", &session));
        }
        let dates = match f.optional_text("dates") {
            None => None,
            Some(text) => Some(DateSpan::parse(&text).ok_or_else(|| {
                field_error(
                    f,
                    "dates",
                    "a date (YYYY, YYYY-MM, YYYY-MM-DD) or a span START/END or START/",
                    &text,
                )
            })?),
        };
        Ok(PrepComRow {
            cycle: f.year("cycle")?,
            session,
            venue: f.text("venue")?,
            dates,
            chair: f.optional_text("chair"),
            outcome: f.optional_text("outcome"),
            source: f.source()?,
            note: f.optional_text("note"),
        })
    }
}

/// Whether `id` has the form `YYYY-` followed by 1 to 24 of A-Z a-z 0-9 `-`.
fn valid_commitment_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() > 5
        && b.len() <= 29
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

impl CsvRow for CommitmentRow {
    const FILE: &'static str = "review_commitments.csv";
    const HEADER: &'static [&'static str] = &[
        "id",
        "cycle",
        "document",
        "paragraph",
        "pillar",
        "short_text",
        "adopted",
        "source",
        "note",
    ];
    fn from_fields(f: &Fields<'_>) -> Result<Self, RegimeError> {
        let id = f.text("id")?;
        if !valid_commitment_id(&id) {
            return Err(field_error(
                f,
                "id",
                "YYYY- then 1 to 24 of A-Z a-z 0-9 - (e.g. 2010-A21)",
                &id,
            ));
        }
        let cycle = f.year("cycle")?;
        if !id.starts_with(&format!("{cycle:04}-")) {
            return Err(field_error(
                f,
                "id",
                &format!("an id starting with the cycle {cycle}-"),
                &id,
            ));
        }
        let adopted = f.optional_partial_date("adopted")?.ok_or_else(|| {
            field_error(
                f,
                "adopted",
                "the date of adoption (YYYY, YYYY-MM or YYYY-MM-DD)",
                "",
            )
        })?;
        Ok(CommitmentRow {
            id,
            cycle,
            document: f.text("document")?,
            paragraph: f.text("paragraph")?,
            pillar: f.text("pillar")?,
            short_text: f.text("short_text")?,
            adopted,
            source: f.source()?,
            note: f.optional_text("note"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custodian_regime::data::parse_rows;

    #[test]
    fn commitment_ids() {
        assert!(valid_commitment_id("2010-A21"));
        assert!(valid_commitment_id("1995-RES-ME"));
        assert!(!valid_commitment_id("2010-"));
        assert!(!valid_commitment_id("201-A1"));
        assert!(!valid_commitment_id("2010-A 1"));
    }

    #[test]
    fn a_bad_row_names_file_line_and_field() {
        let header = PrepComRow::HEADER.join(",");
        let text = format!(
            "{header}\r\n2020,I,Vienna,2017-05-02/2017-05-12,,,src,\r\n2020,V,Geneva,,,,src,\r\n"
        );
        let err = parse_rows::<PrepComRow>("review_prepcoms.csv", &text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "review_prepcoms.csv:3: field session: expected I, II, III or IV, found \"V\""
        );
        let text = format!("{header}\r\n2020,I,Vienna,2017-05-12/2017-05-02,,,src,\r\n");
        let err = parse_rows::<PrepComRow>("review_prepcoms.csv", &text).unwrap_err();
        assert!(err.to_string().contains(":2: field dates"), "{err}");
        let text = format!("{header}\r\n2020,I,Vienna,,,,,\r\n");
        let err = parse_rows::<PrepComRow>("review_prepcoms.csv", &text).unwrap_err();
        assert!(
            err.to_string().contains("every row needs a source"),
            "{err}"
        );
    }
}

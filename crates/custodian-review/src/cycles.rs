//! Review cycles: each NPT review conference with its preparatory committee
//! sessions, the decisions taken and the commitments adopted, every row with its
//! sources.
//!
//! A cycle is named by the year of its review conference, as the conference
//! documents name it (`NPT/CONF.2020/...` for the conference that met in 2022):
//! the row "RevCon (Tenth; postponed from 2020)" of 2022 belongs to cycle 2020.
//! A cycle exists when review_conferences.csv holds its conference or
//! review_prepcoms.csv holds a session of its preparatory committee; the 2026
//! cycle exists by its three sessions (its conference is not in the bundled
//! review_conferences.csv).

use crate::bundled;
use crate::data::{CommitmentRow, PrepComRow};
use crate::error::ReviewError;
use custodian_core::Date;
use custodian_regime::data::{parse_rows, Located, PartialDate, ReviewConference};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A review conference's outcome, in the vocabulary of the issue it was built for
/// (and of review_conferences.csv's `outcome` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A final document adopted by consensus with an agreed review of the Treaty.
    ConsensusFinalDocumentWithReview,
    /// A final document without an agreed review of the Treaty's operation.
    FinalDocumentWithoutAgreedReview,
    /// Decisions adopted, no agreed final document with a review (1995).
    DecisionsOnly,
    /// No substantive final document.
    NoFinalDocument,
    /// The data give no outcome (a conference not in the data, or not yet held).
    NotSourced,
}

impl Outcome {
    /// Classifies the `outcome` text of a review_conferences.csv row.
    pub fn classify(text: Option<&str>) -> Outcome {
        let Some(text) = text else {
            return Outcome::NotSourced;
        };
        let t = text.to_ascii_lowercase();
        if t.starts_with("decisions adopted") {
            Outcome::DecisionsOnly
        } else if t.contains("without agreed review") {
            Outcome::FinalDocumentWithoutAgreedReview
        } else if t.contains("consensus final document with review") {
            Outcome::ConsensusFinalDocumentWithReview
        } else if t.contains("no final document") {
            Outcome::NoFinalDocument
        } else {
            Outcome::NotSourced
        }
    }
    /// A phrase for tables.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::ConsensusFinalDocumentWithReview => "consensus final document with a review",
            Outcome::FinalDocumentWithoutAgreedReview => "final document without an agreed review",
            Outcome::DecisionsOnly => "decisions only",
            Outcome::NoFinalDocument => "no final document",
            Outcome::NotSourced => "not in the data",
        }
    }
}

/// One review cycle.
#[derive(Clone, Debug, Serialize)]
pub struct Cycle {
    /// The cycle, by the year of its review conference.
    pub year: u16,
    /// The review conference (review_conferences.csv), if the data hold it.
    pub review_conference: Option<Located<ReviewConference>>,
    /// The conference's outcome, classified from its row.
    pub outcome: Outcome,
    /// The other review_conferences.csv rows of the cycle: the 1995 extension
    /// decision, the preparatory committee rows the registry holds for 2017-2025.
    pub other_rows: Vec<Located<ReviewConference>>,
    /// The preparatory committee's sessions (review_prepcoms.csv), in order.
    pub prepcoms: Vec<Located<PrepComRow>>,
    /// The commitments the cycle adopted (review_commitments.csv), in file order.
    pub commitments: Vec<Located<CommitmentRow>>,
}

impl Cycle {
    /// The date the cycle is judged at (who was a nuclear-weapon State party
    /// then): the conference's first day where sourced, else 1 January of the
    /// year it met (of the cycle's year, when the conference is not in the data).
    pub fn reference_date(&self) -> Date {
        let (start, year) = match &self.review_conference {
            Some(rc) => (rc.row.dates.and_then(|d| d.start.first_day()), rc.row.year),
            None => (None, i32::from(self.year)),
        };
        start
            .or_else(|| PartialDate::Year(year).first_day())
            // Years in the data are four-digit (the parser checks), so 1 January exists.
            .unwrap_or_else(|| Date::parse("1970-01-01").expect("a valid date"))
    }
}

/// Every cycle the data know, by year.
#[derive(Clone, Debug, Serialize)]
pub struct Cycles {
    cycles: BTreeMap<u16, Cycle>,
}

/// The cycle a review_conferences.csv row belongs to: `PrepCom (2020 cycle) I` →
/// 2020; `RevCon (Tenth; postponed from 2020)` → 2020; otherwise its year.
fn cycle_of_row(row: &ReviewConference) -> i32 {
    let m = row.meeting.as_str();
    let four_digits_after = |marker: &str| -> Option<i32> {
        let at = m.find(marker)? + marker.len();
        let digits = m.get(at..at + 4)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    };
    four_digits_after("postponed from ")
        .or_else(|| four_digits_after("PrepCom ("))
        .unwrap_or(row.year)
}

fn is_review_conference(row: &ReviewConference) -> bool {
    row.meeting.starts_with("RevCon") || row.meeting.starts_with("Review and Extension Conference")
}

fn cycle_year(year: i32, file: &'static str, line: u64) -> Result<u16, ReviewError> {
    u16::try_from(year)
        .ok()
        .filter(|y| (1970..=2100).contains(y))
        .ok_or_else(|| ReviewError::Inconsistent {
            file,
            line,
            message: format!("field cycle: expected a year from 1970 to 2100, found {year}"),
        })
}

impl Cycles {
    /// Builds the cycles from the texts of review_conferences.csv,
    /// review_prepcoms.csv and review_commitments.csv.
    pub fn from_texts(
        review_conferences: &str,
        prepcoms: &str,
        commitments: &str,
    ) -> Result<Cycles, ReviewError> {
        const RC: &str = "review_conferences.csv";
        const PC: &str = "review_prepcoms.csv";
        const CM: &str = "review_commitments.csv";
        let mut cycles: BTreeMap<u16, Cycle> = BTreeMap::new();
        let empty = |year| Cycle {
            year,
            review_conference: None,
            outcome: Outcome::NotSourced,
            other_rows: Vec::new(),
            prepcoms: Vec::new(),
            commitments: Vec::new(),
        };
        let line = |at: &custodian_regime::Place| at.line.unwrap_or(0);
        for located in parse_rows::<ReviewConference>(RC, review_conferences)? {
            let year = cycle_year(cycle_of_row(&located.row), RC, line(&located.at))?;
            let cycle = cycles.entry(year).or_insert_with(|| empty(year));
            if is_review_conference(&located.row) && cycle.review_conference.is_none() {
                cycle.outcome = Outcome::classify(located.row.outcome.as_deref());
                cycle.review_conference = Some(located);
            } else {
                cycle.other_rows.push(located);
            }
        }
        for located in parse_rows::<PrepComRow>(PC, prepcoms)? {
            let year = cycle_year(located.row.cycle, PC, line(&located.at))?;
            let cycle = cycles.entry(year).or_insert_with(|| empty(year));
            if let Some(first) = cycle
                .prepcoms
                .iter()
                .find(|p| p.row.session == located.row.session)
            {
                return Err(ReviewError::Inconsistent {
                    file: PC,
                    line: line(&located.at),
                    message: format!(
                        "duplicate session {} of the {year} cycle (first at line {})",
                        located.row.session,
                        line(&first.at)
                    ),
                });
            }
            cycle.prepcoms.push(located);
        }
        let mut ids: BTreeMap<String, u64> = BTreeMap::new();
        for located in parse_rows::<CommitmentRow>(CM, commitments)? {
            let at = line(&located.at);
            if let Some(first) = ids.insert(located.row.id.clone(), at) {
                return Err(ReviewError::Inconsistent {
                    file: CM,
                    line: at,
                    message: format!(
                        "duplicate commitment id {} (first at line {first})",
                        located.row.id
                    ),
                });
            }
            let year = cycle_year(located.row.cycle, CM, at)?;
            let cycle = cycles
                .get_mut(&year)
                .ok_or_else(|| ReviewError::Inconsistent {
                    file: CM,
                    line: at,
                    message: format!(
                        "field cycle: {year} is not a review cycle of review_conferences.csv or review_prepcoms.csv"
                    ),
                })?;
            cycle.commitments.push(located);
        }
        Ok(Cycles { cycles })
    }

    /// The bundled cycles, parsed once per process.
    pub fn bundled() -> &'static Cycles {
        static CYCLES: OnceLock<Cycles> = OnceLock::new();
        CYCLES.get_or_init(|| {
            // The bundled files are fixed at build time and parsed by the tests
            // (`bundled_cycles_parse`): a failure here is a bug in the data.
            Cycles::from_texts(
                bundled::REVIEW_CONFERENCES,
                bundled::PREPCOMS,
                bundled::COMMITMENTS,
            )
            .expect("the bundled review data parse (tested)")
        })
    }

    /// The cycle of `year`, exactly.
    pub fn get(&self, year: u16) -> Option<&Cycle> {
        self.cycles.get(&year)
    }

    /// The cycle of `year`, or the cycle whose review conference met in `year`
    /// (2022 → 2020).
    pub fn resolve(&self, year: u16) -> Option<&Cycle> {
        self.get(year).or_else(|| {
            self.cycles.values().find(|c| {
                c.review_conference
                    .as_ref()
                    .is_some_and(|rc| rc.row.year == i32::from(year))
            })
        })
    }

    /// The cycle of `year`, or an error naming the known cycles (and the cycle
    /// whose conference met in `year`, if any).
    pub fn require(&self, year: u16) -> Result<&Cycle, ReviewError> {
        if let Some(c) = self.get(year) {
            return Ok(c);
        }
        let hint = match self.resolve(year) {
            Some(c) => format!(
                "; the conference of the {} cycle met in {year}: give {}",
                c.year, c.year
            ),
            None => String::new(),
        };
        Err(ReviewError::UnknownCycle {
            cycle: year,
            known: self
                .cycles
                .keys()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            hint,
        })
    }

    /// Every cycle, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Cycle> {
        self.cycles.values()
    }

    /// The cycle before `year`'s, if any.
    pub fn previous(&self, year: u16) -> Option<&Cycle> {
        self.cycles.range(..year).next_back().map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_cycles_parse() {
        let cycles = Cycles::bundled();
        let years: Vec<u16> = cycles.iter().map(|c| c.year).collect();
        assert_eq!(
            years,
            [1975, 1980, 1985, 1990, 1995, 2000, 2005, 2010, 2015, 2020, 2026]
        );
        let c2020 = cycles.get(2020).unwrap();
        assert_eq!(c2020.review_conference.as_ref().unwrap().row.year, 2022);
        assert_eq!(c2020.outcome, Outcome::NoFinalDocument);
        assert_eq!(c2020.prepcoms.len(), 3);
        assert_eq!(cycles.resolve(2022).unwrap().year, 2020);
        assert_eq!(cycles.get(1995).unwrap().outcome, Outcome::DecisionsOnly);
        assert_eq!(cycles.get(1995).unwrap().prepcoms.len(), 4);
        assert_eq!(
            cycles.get(2005).unwrap().outcome,
            Outcome::FinalDocumentWithoutAgreedReview
        );
        assert_eq!(cycles.get(2010).unwrap().commitments.len(), 64);
        assert_eq!(cycles.get(2000).unwrap().commitments.len(), 13);
        assert!(cycles.get(2026).unwrap().review_conference.is_none());
        assert_eq!(cycles.get(2026).unwrap().prepcoms.len(), 3);
        let err = cycles.require(2022).unwrap_err().to_string();
        assert!(err.contains("give 2020"), "{err}");
        assert_eq!(cycles.previous(2020).unwrap().year, 2015);
        assert_eq!(
            cycles.get(2015).unwrap().reference_date(),
            Date::parse("2015-04-27").unwrap()
        );
    }

    #[test]
    fn every_bundled_row_has_a_source() {
        for c in Cycles::bundled().iter() {
            assert!(c.prepcoms.iter().all(|p| !p.row.source.as_str().is_empty()));
            assert!(c
                .commitments
                .iter()
                .all(|p| !p.row.source.as_str().is_empty()));
        }
    }

    #[test]
    fn a_commitment_for_an_unknown_cycle_is_refused() {
        let cm = "id,cycle,document,paragraph,pillar,short_text,adopted,source,note\r\n2030-A1,2030,X,1,d,t,2030,src,\r\n";
        let err = Cycles::from_texts(bundled::REVIEW_CONFERENCES, bundled::PREPCOMS, cm)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("review_commitments.csv:2: field cycle"),
            "{err}"
        );
    }
}

//! Contested facts and their readings, evaluated side by side.
//!
//! Where sources disagree on a fact the registry needs (did the DPRK's withdrawal from
//! the NPT take effect? on which date did Russia ratify the CTBT?), each position is a
//! named *reading* with its sources. A reading is expressed over the membership rows:
//! which rows it sets aside, and which actions it asserts that no row holds. Every
//! query that touches a contested fact is evaluated under every reading and returns
//! one [`Answer`] per distinct result, naming the readings it holds under
//! (DESIGN.md, non-negotiable 4: "Neutral on contested law"). None is picked silently.
//!
//! A fact is *active* in a registry only when every row its readings refer to is
//! present; a registry built from other data is not affected by facts about rows it
//! does not hold.

use crate::data::ActionKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// An action a reading asserts although no data row holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AssertedAction {
    /// The action.
    pub action: ActionKind,
    /// Its date, `YYYY-MM-DD`.
    pub date: &'static str,
    /// Who asserts it.
    pub source: &'static str,
}

/// A membership row of the fact's treaty and state, by action and date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RowRef {
    /// The action.
    pub action: ActionKind,
    /// Its date, `YYYY-MM-DD`.
    pub date: &'static str,
}

/// One position on a contested fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reading {
    /// Short id, used in answers (`effective-2003-04-10`).
    pub id: &'static str,
    /// What the reading holds, in one sentence.
    pub label: &'static str,
    /// Who holds or reports it.
    pub sources: &'static [&'static str],
    /// Rows (action, date) of the fact's treaty and state that this reading sets aside.
    pub sets_aside: &'static [RowRef],
    /// Actions this reading asserts in addition to the rows.
    pub asserts: &'static [AssertedAction],
}

/// A fact the sources disagree on, about one state under one treaty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContestedFact {
    /// Short id, used in answers (`prk-npt-withdrawal`).
    pub id: &'static str,
    /// The question, in one sentence.
    pub question: &'static str,
    /// The treaty id.
    pub treaty: &'static str,
    /// The state code under which the rows are filed.
    pub state: &'static str,
    /// The readings, at least two.
    pub readings: &'static [Reading],
}

impl ContestedFact {
    /// Every row (action, date) some reading sets aside: the rows that must all be
    /// present for the fact to be active.
    pub fn rows(&self) -> BTreeSet<(ActionKind, &'static str)> {
        self.readings
            .iter()
            .flat_map(|r| r.sets_aside.iter().map(|row| (row.action, row.date)))
            .collect()
    }
}

const PRK_ROW_SOURCE: &str = "memberships.csv NPT PRK withdrawal_notice 2003-01-10 and \
     withdrawal_effective 2003-04-10: http://piglix.com/piglix/List_of_parties_to_the_Nuclear_Non-Proliferation_Treaty \
     (Wikipedia mirror; note: CONTESTED, reading A valid withdrawal, reading B not in conformity)";
const CNS_2003: &str =
    "https://nonproliferation.org/north-koreas-withdrawal-from-the-npt-a-reality-check/ \
     (du Preez and Potter, CNS, 2003-04-08)";

/// The contested facts the registry knows. Each is tied to rows of the bundled
/// memberships.csv; SOURCES.md lists them under "Disagreements kept".
pub const CONTESTED_FACTS: &[ContestedFact] = &[
    ContestedFact {
        id: "prk-npt-withdrawal",
        question: "Did the DPRK's withdrawal from the NPT, announced 2003-01-10, take legal \
                   effect, and on which date?",
        treaty: "NPT",
        state: "PRK",
        readings: &[
            Reading {
                id: "effective-2003-04-10",
                label: "The withdrawal took effect on 2003-04-10, when the three months' \
                        notice of Art. X.1 ran out; the DPRK is not a party from then on.",
                sources: &[
                    PRK_ROW_SOURCE,
                    CNS_2003,
                    "002_1957e5f99559602d.txt (North Korea withdrew in 2003)",
                ],
                sets_aside: &[],
                asserts: &[],
            },
            Reading {
                id: "not-legally-effective",
                label: "The withdrawal did not conform to Art. X.1 and has no legal effect; \
                        the DPRK remains a party.",
                sources: &[
                    PRK_ROW_SOURCE,
                    "https://www.voanews.com/a/a-13-a-2003-04-11-23-waiting/289939.html (VOA, 2003-04-11: Japan still considers the DPRK bound, having received no proper notification)",
                    "https://sputnikglobe.com/20140806/FACTBOX-Worlds-Nuclear-Powers-191785344.html (some experts hold that the DPRK formally remains a party)",
                    "treaty_counts.csv NPT 2022-08-26: 191 states parties, counting the DPRK per some readings",
                ],
                sets_aside: &[
                    RowRef {
                        action: ActionKind::WithdrawalNotice,
                        date: "2003-01-10",
                    },
                    RowRef {
                        action: ActionKind::WithdrawalEffective,
                        date: "2003-04-10",
                    },
                ],
                asserts: &[],
            },
            Reading {
                id: "effective-2003-01-11",
                label: "The DPRK's own position: its 1993 notice, suspended on the last day \
                        of its three months, left one day to run, so the withdrawal took \
                        effect on 2003-01-11.",
                sources: &[
                    CNS_2003,
                    "https://liquisearch.com/treaty_on_the_non-proliferation_of_nuclear_weapons/leaving_the_treaty (1993 notice suspended after 89 days; one more day's notice claimed sufficient)",
                ],
                sets_aside: &[RowRef {
                        action: ActionKind::WithdrawalEffective,
                        date: "2003-04-10",
                    }],
                asserts: &[AssertedAction {
                    action: ActionKind::WithdrawalEffective,
                    date: "2003-01-11",
                    source: CNS_2003,
                }],
            },
        ],
    },
    ContestedFact {
        id: "rus-ctbt-ratification-date",
        question: "On which date did the Russian Federation ratify the CTBT?",
        treaty: "CTBT",
        state: "RUS",
        readings: &[
            Reading {
                id: "deposit-2000-06-30",
                label: "2000-06-30, the deposit of the instrument of ratification with the \
                        UN Secretary-General (the act Art. XIV.1 counts).",
                sources: &[
                    "memberships.csv CTBT RUS ratification 2000-06-30: UNODA Disarmament Treaties Database (harvested 2018)",
                    "https://www.vertic.org/2023/10/commentary-on-de-ratification-of-the-ctbt-by-russia/ (deposited 30 June 2000, domestic legislation a month earlier)",
                ],
                sets_aside: &[RowRef {
                        action: ActionKind::Ratification,
                        date: "2000-05-27",
                    }],
                asserts: &[],
            },
            Reading {
                id: "domestic-2000-05-27",
                label: "2000-05-27, the date Russian sources give for the ratification (the \
                        domestic ratification law).",
                sources: &[
                    "memberships.csv CTBT RUS ratification 2000-05-27: https://en.vestikavkaza.ru/material/164474",
                    "https://tass.com/politics/1700673/amp (TASS, 2023-11-02: ratified by Russia on May 27, 2000)",
                ],
                sets_aside: &[RowRef {
                        action: ActionKind::Ratification,
                        date: "2000-06-30",
                    }],
                asserts: &[],
            },
        ],
    },
];

/// One combination of readings: fact id → reading id.
pub type ReadingChoice = BTreeMap<String, String>;

/// One answer to a question, and the readings it holds under.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer<T> {
    /// The answer.
    pub value: T,
    /// The combinations of readings under which this is the answer. Empty when no
    /// contested fact bears on the question.
    pub under: Vec<ReadingChoice>,
    /// The sources of the rows and readings the answer was computed from.
    pub sources: Vec<String>,
}

/// The answers to a question, one per distinct result across the readings. When no
/// contested fact bears on the question there is exactly one, with `under` empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Answers<T>(pub Vec<Answer<T>>);

impl<T> Answers<T> {
    /// The answers.
    pub fn iter(&self) -> std::slice::Iter<'_, Answer<T>> {
        self.0.iter()
    }
    /// How many distinct answers there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are none (never, for an answered question).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The answer when all readings agree (or none bears on the question).
    pub fn unanimous(&self) -> Option<&T> {
        match self.0.as_slice() {
            [only] => Some(&only.value),
            _ => None,
        }
    }
    /// The answer under the given reading of a fact.
    pub fn under(&self, fact: &str, reading: &str) -> Option<&T> {
        self.0
            .iter()
            .find(|a| {
                a.under
                    .iter()
                    .any(|c| c.get(fact).map(String::as_str) == Some(reading))
            })
            .map(|a| &a.value)
    }
}

/// A combination of readings, as indices: (fact, reading) pairs.
pub(crate) type Choice = Vec<(usize, usize)>;

/// Every combination of readings of the given facts (one empty combination when there
/// are none).
pub(crate) fn combinations(facts: &[usize]) -> Vec<Choice> {
    let mut all: Vec<Choice> = vec![Vec::new()];
    for &fact in facts {
        let readings = CONTESTED_FACTS[fact].readings.len();
        all = all
            .into_iter()
            .flat_map(|c| {
                (0..readings).map(move |r| {
                    let mut next = c.clone();
                    next.push((fact, r));
                    next
                })
            })
            .collect();
    }
    all
}

/// Evaluates `f` under every combination of readings of `facts` and groups equal
/// results. The readings' own sources are added to each answer's sources.
pub(crate) fn evaluate<T: PartialEq>(
    facts: &[usize],
    mut f: impl FnMut(&[(usize, usize)]) -> (T, BTreeSet<String>),
) -> Answers<T> {
    let mut answers: Vec<Answer<T>> = Vec::new();
    let mut source_sets: Vec<BTreeSet<String>> = Vec::new();
    for choice in combinations(facts) {
        let (value, mut sources) = f(&choice);
        let mut named = ReadingChoice::new();
        for &(fact, reading) in &choice {
            let fact = &CONTESTED_FACTS[fact];
            let reading = &fact.readings[reading];
            named.insert(fact.id.to_owned(), reading.id.to_owned());
            sources.extend(reading.sources.iter().map(|s| (*s).to_owned()));
        }
        match answers.iter().position(|a| a.value == value) {
            Some(i) => {
                if !named.is_empty() {
                    answers[i].under.push(named);
                }
                source_sets[i].extend(sources);
            }
            None => {
                answers.push(Answer {
                    value,
                    under: if named.is_empty() {
                        Vec::new()
                    } else {
                        vec![named]
                    },
                    sources: Vec::new(),
                });
                source_sets.push(sources);
            }
        }
    }
    for (answer, sources) in answers.iter_mut().zip(source_sets) {
        answer.sources = sources.into_iter().collect();
    }
    Answers(answers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_well_formed() {
        for fact in CONTESTED_FACTS {
            assert!(fact.readings.len() >= 2, "{}", fact.id);
            for r in fact.readings {
                assert!(!r.sources.is_empty(), "{} {}", fact.id, r.id);
                for row in r.sets_aside {
                    assert!(custodian_core::Date::parse(row.date).is_ok());
                }
                for a in r.asserts {
                    assert!(custodian_core::Date::parse(a.date).is_ok());
                }
            }
        }
        assert_eq!(combinations(&[]).len(), 1);
        assert_eq!(combinations(&[0, 1]).len(), 6);
    }
}

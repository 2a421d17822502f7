//! Treaty rules as data, each with the article it comes from and the sources that
//! give its text, plus the rules about the data itself (successions, documented
//! exceptions, how far the membership data reaches).
//!
//! The code that applies these rules is in [`crate::model`]; nothing here is
//! evaluated. A rule whose text is not sourced, or that no condition here expresses, is
//! absent, and the registry answers "rule not sourced" for it (Tlatelolco,
//! Semipalatinsk; treaties.csv records their sourced dates and rule text).

use crate::data::ActionKind;
use custodian_core::Date;
use serde::Serialize;

/// A rule's article, its text (or the source's paraphrase) and where the text was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// Treaty and article.
    pub article: &'static str,
    /// The text, quoted where a source gives it, else paraphrased (and then said so).
    pub text: &'static str,
    /// Where the text was read.
    pub sources: &'static [&'static str],
}

/// Parses a date written in this file. Every such constant is checked by the test
/// `every_rule_date_parses`, so a failure here is a bug in this file, not bad input.
pub(crate) fn rule_date(text: &'static str) -> Date {
    match Date::parse(text) {
        Ok(date) => date,
        Err(_) => panic!("rules.rs holds an invalid date constant {text:?}"),
    }
}

// ---------------------------------------------------------------------------------
// NPT: nuclear-weapon States and withdrawal.
// ---------------------------------------------------------------------------------

/// NPT Art. IX.3, second sentence: who is a nuclear-weapon State.
pub const NWS_DEFINITION: Citation = Citation {
    article: "NPT Art. IX.3",
    text: "For the purposes of this Treaty, a nuclear-weapon State is one which has \
           manufactured and exploded a nuclear weapon or other nuclear explosive device \
           prior to January 1, 1967.",
    sources: &[
        "https://debategraph.org/details.aspx?lan=NL&nid=53860 (NPT Article IX.3, text)",
        "https://debategraph.org/article.aspx?nid=56713 (glossary: the five states that detonated a device before 1967-01-01)",
    ],
};

/// The cut-off date of Art. IX.3: an explosion must be *prior to* this date.
pub const NWS_CUTOFF: &str = "1967-01-01";

/// A state's first nuclear explosion, the fact Art. IX.3 turns on. Years suffice: every
/// explosion before the cut-off is in a year before 1967, every later one after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FirstExplosion {
    /// The state that exploded the device (the USSR as `SUN`).
    pub state: &'static str,
    /// The year of the first explosion.
    pub year: i32,
    /// Where the year was read.
    pub source: &'static str,
}

const CTBTO_NWS_FAQ: &str =
    "http://pws.ctbto.org/faqs/?uid=1&cHash=f00217b8c652136c2dec2dc4a615ae27 \
     (CTBTO FAQ: US first to test in 1945, Soviet Union 1949, UK 1952, France 1960, China 1964)";
const SPUTNIK_2014_FACTBOX: &str =
    "https://sputnikglobe.com/20140806/FACTBOX-Worlds-Nuclear-Powers-191785344.html \
     (India first test 1974-05-18; Pakistan 1998-05-28; DPRK 2006-10-09)";

/// First nuclear explosions, as sourced. The list holds later ones too, so that the
/// Art. IX.3 rule is evaluated, not assumed: India, Pakistan and the DPRK exploded
/// devices after the cut-off and cannot be nuclear-weapon States under the treaty.
pub const FIRST_EXPLOSIONS: &[FirstExplosion] = &[
    FirstExplosion {
        state: "USA",
        year: 1945,
        source: CTBTO_NWS_FAQ,
    },
    FirstExplosion {
        state: "SUN",
        year: 1949,
        source: CTBTO_NWS_FAQ,
    },
    FirstExplosion {
        state: "GBR",
        year: 1952,
        source: CTBTO_NWS_FAQ,
    },
    FirstExplosion {
        state: "FRA",
        year: 1960,
        source: CTBTO_NWS_FAQ,
    },
    FirstExplosion {
        state: "CHN",
        year: 1964,
        source: CTBTO_NWS_FAQ,
    },
    FirstExplosion {
        state: "IND",
        year: 1974,
        source: SPUTNIK_2014_FACTBOX,
    },
    FirstExplosion {
        state: "PAK",
        year: 1998,
        source: SPUTNIK_2014_FACTBOX,
    },
    FirstExplosion {
        state: "PRK",
        year: 2006,
        source: SPUTNIK_2014_FACTBOX,
    },
];

/// NPT Art. X.1: withdrawal on three months' notice.
pub const NPT_WITHDRAWAL: Citation = Citation {
    article: "NPT Art. X.1",
    text: "Each Party shall in exercising its national sovereignty have the right to \
           withdraw from the Treaty if it decides that extraordinary events, related to \
           the subject matter of this Treaty, have jeopardized the supreme interests of \
           its country. It shall give notice of such withdrawal to all other Parties to \
           the Treaty and to the United Nations Security Council three months in advance.",
    sources: &[
        "https://debategraph.org/details.aspx?lan=LT&nid=53867 (NPT Article X.1, text)",
        "http://acronym.org.uk/old/archive/textonly/dd/dd79/79gbjr.htm (Bunn and Rhinelander, Disarmament Diplomacy 79, 2005, quoting Art. X.1)",
    ],
};

/// The notice period of NPT Art. X.1, in calendar months.
pub const NPT_WITHDRAWAL_NOTICE_MONTHS: u32 = 3;

/// The date `months` calendar months after `date`, the day clamped to the month's end
/// (a notice of 30 November takes effect on 28 or 29 February).
pub fn add_months(date: Date, months: u32) -> Option<Date> {
    let (y, m, d) = date.ymd();
    let index = y * 12 + i64::from(m - 1) + i64::from(months);
    let (year, month) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u32);
    let year = i32::try_from(year).ok()?;
    let last = crate::data::last_day_of_month(year, month)?;
    let day = d.min(last.ymd().2);
    Date::parse(&format!("{year:04}-{month:02}-{day:02}")).ok()
}

/// The earliest date an NPT withdrawal can take effect after a notice (Art. X.1).
pub fn npt_withdrawal_earliest(notice: Date) -> Option<Date> {
    add_months(notice, NPT_WITHDRAWAL_NOTICE_MONTHS)
}

// ---------------------------------------------------------------------------------
// Entry into force.
// ---------------------------------------------------------------------------------

/// What an entry-into-force clause requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EifCondition {
    /// Ratification by the named states and by `others` further signatories; in force
    /// on the date of the deposit that completes the set (NPT Art. IX.3; PTBT; with no
    /// named state, Rarotonga Art. 15.1).
    NamedPlusOthers {
        /// The states whose ratification is required by name (the USSR as `SUN`).
        named: &'static [&'static str],
        /// How many other signatories must ratify.
        others: u32,
    },
    /// Ratification by every state in the CTBT Annex 2 list (ctbt_annex2.csv), in force
    /// `delay_days` after the last deposit but never earlier than
    /// `not_before_years` after the opening for signature (CTBT Art. XIV.1).
    AllAnnex2 {
        /// How many states the article lists.
        listed: u32,
        /// Days from the last deposit.
        delay_days: i64,
        /// Years from the opening for signature.
        not_before_years: u32,
    },
    /// A number of instruments of ratification, acceptance, approval or accession, in
    /// force `delay_days` after the last of them (TPNW Art. 15.1).
    Instruments {
        /// How many instruments.
        count: u32,
        /// Days from the deposit of the last one.
        delay_days: i64,
    },
}

/// A treaty's entry-into-force rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EntryIntoForceRule {
    /// The treaty id as in treaties.csv.
    pub treaty: &'static str,
    /// What the rule requires.
    pub condition: EifCondition,
    /// The article and its sources.
    pub citation: Citation,
}

/// Entry-into-force rules whose text is sourced. Of the nuclear-weapon-free-zone
/// treaties, Tlatelolco (in force for each state individually, with waivers: no condition
/// here expresses it) and Semipalatinsk (clause not sourced) have none; treaties.csv
/// records what is sourced for them.
pub const EIF_RULES: &[EntryIntoForceRule] = &[
    EntryIntoForceRule {
        treaty: "NPT",
        condition: EifCondition::NamedPlusOthers {
            named: &["GBR", "USA", "SUN"],
            others: 40,
        },
        citation: Citation {
            article: "NPT Art. IX.3",
            text: "This Treaty shall enter into force after its ratification by the States, \
                   the Governments of which are designated Depositaries of the Treaty, and \
                   forty other States signatory to this Treaty and the deposit of their \
                   instruments of ratification.",
            sources: &[
                "https://debategraph.org/details.aspx?lan=NL&nid=53860 (NPT Article IX.3, text)",
                "treaties.csv NPT row: http://piglix.com/piglix/List_of_parties_to_the_Nuclear_Non-Proliferation_Treaty",
            ],
        },
    },
    EntryIntoForceRule {
        treaty: "CTBT",
        condition: EifCondition::AllAnnex2 {
            listed: 44,
            delay_days: 180,
            not_before_years: 2,
        },
        citation: Citation {
            article: "CTBT Art. XIV.1",
            text: "This Treaty will enter into force 180 days after the date of deposit of \
                   the instruments of ratification by all States listed in Annex 2 to this \
                   Treaty, but in no case earlier than two years after its opening for \
                   signature.",
            sources: &[
                "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XXVI/XXVI-4.en.xml (UN depositary, CTBT status page quoting Art. XIV)",
                "treaties.csv CTBT row: https://www.ctbto.org/faqs/?uid=32&cHash=0c38a43d62a408f529d3dd8e477f06af",
            ],
        },
    },
    EntryIntoForceRule {
        treaty: "TPNW",
        condition: EifCondition::Instruments {
            count: 50,
            delay_days: 90,
        },
        citation: Citation {
            article: "TPNW Art. 15.1",
            text: "(paraphrase in treaties.csv) enters into force 90 days after deposit of \
                   the 50th instrument of ratification, acceptance, approval or accession",
            sources: &[
                "treaties.csv TPNW row: https://wikimili.com/en/List_of_parties_to_the_Treaty_on_the_Prohibition_of_Nuclear_Weapons",
                "https://www.icanw.org/tpnw_reaches_50_states_parties_entry_into_force",
            ],
        },
    },
    EntryIntoForceRule {
        treaty: "PTBT",
        condition: EifCondition::NamedPlusOthers {
            named: &["GBR", "USA", "SUN"],
            others: 0,
        },
        citation: Citation {
            article: "PTBT Art. III.3",
            text: "(paraphrase of the source) entered into force when the three original \
                   signatories (US, UK, USSR) deposited their instruments of ratification",
            sources: &[
                "https://worldhistoryproject.org/1963/10/7/president-kennedy-ratifies-the-limited-nuclear-test-ban-treaty (in force 10 October 1963, when the three Original Parties deposited their ratifications)",
            ],
        },
    },
    EntryIntoForceRule {
        treaty: "Rarotonga",
        condition: EifCondition::NamedPlusOthers {
            named: &[],
            others: 8,
        },
        citation: Citation {
            article: "Rarotonga Art. 15.1",
            text: "This Treaty shall enter into force on the date of deposit of the eighth \
                   instrument of ratification.",
            sources: &[
                "https://cil.nus.edu.sg/database/single-database/?id=7907 (CIL treaty record quoting Art. 15)",
                "treaties.csv Rarotonga row: https://lasg.org/legal/rarotonga.htm (entered into force December 11, 1986)",
            ],
        },
    },
    EntryIntoForceRule {
        treaty: "Bangkok",
        condition: EifCondition::Instruments {
            count: 7,
            delay_days: 0,
        },
        citation: Citation {
            article: "Bangkok Treaty, entry-into-force clause (article number not given in the source read)",
            text: "(paraphrase of the Thai summary) enters into force on the date seven states \
                   have deposited instruments of ratification or accession",
            sources: &[
                "https://lawforasean.com/blog/2016/09/Treaty_on_the_Southeast_Asia_Nuclear_Weapon-Free_Zone (Thai summary of the entry-into-force clause)",
                "treaties.csv Bangkok row: https://paperzz.com/doc/7992136/southeast-asia-nuclear-weapons-free-zone-treaty (IAEA INFCIRC/548: entered into force on 27 March 1997)",
            ],
        },
    },
    EntryIntoForceRule {
        treaty: "Pelindaba",
        condition: EifCondition::Instruments {
            count: 28,
            delay_days: 0,
        },
        citation: Citation {
            article: "Pelindaba Treaty, entry-into-force clause (article number not given in the source read)",
            text: "(paraphrase of the source) enters into force on the date of deposit of the \
                   28th instrument of ratification. Applied to ratifications and accessions: \
                   the sources call Burundi's deposit of 2009-07-15 the 28th, which it is in \
                   memberships.csv only with the accessions of Equatorial Guinea and \
                   Madagascar counted.",
            sources: &[
                "https://backup.africsis.org/malawi-ratifies-the-pelindaba-treaty (enters into force on the date of deposit of the 28th instrument of ratification)",
                "http://wmdafricafiles.blogspot.com/2009/08/breaking-news-burundi-ratification.html (twenty-eighth deposit, by Burundi, on 15 July 2009)",
                "treaties.csv Pelindaba row: https://www.ctbto.org/specials/famous-anniversaries/15-july-2009-pelindaba-treaty/?textonly=1 (entered into force 15 July 2009)",
            ],
        },
    },
];

/// The sourced entry-into-force rule of a treaty, if any.
pub fn entry_into_force_rule(treaty: &str) -> Option<&'static EntryIntoForceRule> {
    EIF_RULES.iter().find(|r| r.treaty == treaty)
}

// ---------------------------------------------------------------------------------
// Successions.
// ---------------------------------------------------------------------------------

/// A historical state continued by another: the continuator holds the predecessor's
/// treaty status without a new instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Continuation {
    /// The historical state (ISO 3166-3 code).
    pub predecessor: &'static str,
    /// Its name.
    pub predecessor_name: &'static str,
    /// The state that continues it.
    pub successor: &'static str,
    /// From when the successor acts in the predecessor's place.
    pub from: &'static str,
    /// The data files the predecessor's actions under the successor's code (as UNODA
    /// does for the USSR), so the predecessor code takes no rows of its own.
    pub records_filed_under_successor: bool,
    /// The rule in one sentence.
    pub rule: &'static str,
    /// Where it comes from.
    pub sources: &'static [&'static str],
}

/// Sourced continuations. Ukraine disputes that the Russian Federation lawfully
/// continued the USSR's *UN* membership (e.g. <https://www.kyivpost.com/post/9970>); no
/// source found disputes that Russia holds the USSR's NPT, PTBT and CTBT status, so this
/// is a rule, not a reading.
pub const SUCCESSIONS: &[Continuation] = &[Continuation {
    predecessor: "SUN",
    predecessor_name: "Union of Soviet Socialist Republics",
    successor: "RUS",
    from: "1991-12-24",
    records_filed_under_successor: true,
    rule: "The Russian Federation continues the USSR: it holds the USSR's treaty status \
           (signatures, ratifications, depositary functions) with no new instrument; the \
           USSR's actions are filed under RUS, as UNODA files them.",
    sources: &[
        "https://ask.un.org/faq/378083 (letter of 24 December 1991: the USSR's UN membership continued by the Russian Federation, which keeps full responsibility for the USSR's rights and obligations under the Charter)",
        "https://db0nus869y26v.cloudfront.net/en/Category:Treaties_of_the_Soviet_Union (Russia recognised as successor state: a treaty ratified by the USSR remains in force for Russia unless denounced)",
        "https://nuke.fas.org/control/npt/docs/21da.htm (NPT/CONF.1995/25: the Russian Federation reports as a State party to the NPT and one of its depositaries)",
        "memberships.csv: UNODA records the USSR's signatures and ratifications under RUS (e.g. NPT RUS signature 1968-07-01)",
    ],
}];

/// The continuation whose predecessor is `code`, if any.
pub fn continuation_of(code: &str) -> Option<&'static Continuation> {
    SUCCESSIONS.iter().find(|c| c.predecessor == code)
}

/// The continuation whose successor is `code`, if any.
pub fn continued_by(code: &str) -> Option<&'static Continuation> {
    SUCCESSIONS.iter().find(|c| c.successor == code)
}

// ---------------------------------------------------------------------------------
// Documented exceptions to the validation of memberships.
// ---------------------------------------------------------------------------------

/// Which check a documented exception lifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// An action before the treaty opened for signature.
    BeforeOpening,
    /// A second consent to be bound by a state already bound.
    SecondConsent,
}

/// A row of the bundled data that breaks a validation rule for a documented reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DocumentedException {
    /// Treaty id.
    pub treaty: &'static str,
    /// State code.
    pub state: &'static str,
    /// The action of the row.
    pub action: ActionKind,
    /// The date of the row.
    pub date: &'static str,
    /// The check lifted.
    pub kind: ExceptionKind,
    /// Why.
    pub reason: &'static str,
    /// Where the reason is documented.
    pub sources: &'static [&'static str],
}

const PTBT_ORIGINAL_PARTIES: &str = "The Original Parties (USSR, UK, USA) signed the PTBT at \
     Moscow on 5 August 1963; it was opened for signature by other states from 8 August \
     1963 (the opening date in treaties.csv).";
const PTBT_ORIGINAL_PARTIES_SOURCES: &[&str] = &[
    "https://worldhistoryproject.org/1963/10/7/president-kennedy-ratifies-the-limited-nuclear-test-ban-treaty (signed by the Original Parties at Moscow on 5 August 1963 and opened for signature by other countries)",
    "treaties.csv PTBT row: opened for signature 1963-08-08 (UNODA sigopen table, ohnemax/treatyratification analyze.py)",
    "memberships.csv notes: deposits by depositary London, Moscow, Washington 1963-08-05",
];

/// The exceptions found in the bundled data. Each lifts one check for one row only.
pub const DOCUMENTED_EXCEPTIONS: &[DocumentedException] = &[
    DocumentedException {
        treaty: "PTBT",
        state: "GBR",
        action: ActionKind::Signature,
        date: "1963-08-05",
        kind: ExceptionKind::BeforeOpening,
        reason: PTBT_ORIGINAL_PARTIES,
        sources: PTBT_ORIGINAL_PARTIES_SOURCES,
    },
    DocumentedException {
        treaty: "PTBT",
        state: "RUS",
        action: ActionKind::Signature,
        date: "1963-08-05",
        kind: ExceptionKind::BeforeOpening,
        reason: PTBT_ORIGINAL_PARTIES,
        sources: PTBT_ORIGINAL_PARTIES_SOURCES,
    },
    DocumentedException {
        treaty: "PTBT",
        state: "USA",
        action: ActionKind::Signature,
        date: "1963-08-05",
        kind: ExceptionKind::BeforeOpening,
        reason: PTBT_ORIGINAL_PARTIES,
        sources: PTBT_ORIGINAL_PARTIES_SOURCES,
    },
    DocumentedException {
        treaty: "NPT",
        state: "FJI",
        action: ActionKind::Succession,
        date: "1972-08-14",
        kind: ExceptionKind::SecondConsent,
        reason: "The depositaries recorded different instruments for Fiji: Washington an \
                 accession (1972-07-21), London and Moscow a succession (1972-08-14, \
                 1972-08-29). Fiji is a party from the earlier date; the later row stays in \
                 its history.",
        sources: &["memberships.csv notes of NPT FJI accession and succession (UNODA per-depositary records)"],
    },
    DocumentedException {
        treaty: "PTBT",
        state: "SRB",
        action: ActionKind::Succession,
        date: "2006-06-03",
        kind: ExceptionKind::SecondConsent,
        reason: "UNODA files Yugoslavia's 1963 signature and 1964 ratification (Moscow \
                 depositary) under SRB; London recorded Serbia's succession on 2006-06-03. \
                 SRB is a party from 1964; the succession stays in its history.",
        sources: &["memberships.csv notes of PTBT SRB signature, ratification and succession (UNODA per-depositary records)"],
    },
];

/// The exception lifting `kind` for this row, if one is documented.
pub fn documented_exception(
    treaty: &str,
    state: &str,
    action: ActionKind,
    date: Date,
    kind: ExceptionKind,
) -> Option<&'static DocumentedException> {
    DOCUMENTED_EXCEPTIONS.iter().find(|e| {
        e.treaty == treaty
            && e.state == state
            && e.action == action
            && e.kind == kind
            && rule_date(e.date) == date
    })
}

// ---------------------------------------------------------------------------------
// How far the data reaches.
// ---------------------------------------------------------------------------------

/// How far a body of data is complete. Past `complete_through`, a query that would
/// need later actions answers "not enough data" rather than guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// The last date the data is complete for.
    pub complete_through: &'static str,
    /// What is complete, and why that date.
    pub what: &'static str,
    /// Where that is documented.
    pub sources: &'static [&'static str],
}

/// memberships.csv as a whole.
pub const MEMBERSHIPS_COVERAGE: Coverage = Coverage {
    complete_through: "2018-07-05",
    what: "memberships.csv holds UNODA's actions as harvested in June-July 2018; its latest \
           UNODA-sourced row is dated 2018-07-05 (TPNW CRI ratification). Later actions are \
           absent except the rows SOURCES.md lists as added (PRK NPT withdrawal 2003, RUS \
           CTBT revocation 2023, RUS CTBT ratification 2000-05-27).",
    sources: &["data/SOURCES.md (memberships.csv row; Known gaps)"],
};

/// Ratifications by the CTBT Annex 2 states, which the sources follow further.
pub const ANNEX2_COVERAGE: Coverage = Coverage {
    complete_through: "2024-11-01",
    what: "Annex 2 ratifications: SOURCES.md states that no Annex 2 ratification occurred \
           after 2012 per the sources; the latest CTBT count in treaty_counts.csv is as of \
           2024-11-01. The 2023 Russian revocation is in memberships.csv.",
    sources: &[
        "data/SOURCES.md (Known gaps: Annex 2 queries are complete)",
        "treaty_counts.csv CTBT 2024-11-01 (list of CTBT signatories, as of November 2024)",
        "http://m.state.gov/md212168.htm (8 non-ratifiers, 2013)",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_date_parses() {
        let mut dates = vec![
            NWS_CUTOFF,
            MEMBERSHIPS_COVERAGE.complete_through,
            ANNEX2_COVERAGE.complete_through,
        ];
        dates.extend(SUCCESSIONS.iter().map(|c| c.from));
        dates.extend(DOCUMENTED_EXCEPTIONS.iter().map(|e| e.date));
        for d in dates {
            assert!(Date::parse(d).is_ok(), "{d}");
        }
        for code in FIRST_EXPLOSIONS.iter().map(|f| f.state).chain(
            SUCCESSIONS
                .iter()
                .flat_map(|c| [c.predecessor, c.successor]),
        ) {
            assert!(custodian_core::StateCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn three_months_notice() {
        let d = |t| Date::parse(t).unwrap();
        // DPRK's notice of 2003-01-10 could take effect on 2003-04-10 (memberships.csv).
        assert_eq!(
            npt_withdrawal_earliest(d("2003-01-10")),
            Some(d("2003-04-10"))
        );
        assert_eq!(
            npt_withdrawal_earliest(d("2003-11-30")),
            Some(d("2004-02-29"))
        );
        assert_eq!(
            npt_withdrawal_earliest(d("2002-11-30")),
            Some(d("2003-02-28"))
        );
        assert_eq!(add_months(d("2000-12-31"), 1), Some(d("2001-01-31")));
    }
}

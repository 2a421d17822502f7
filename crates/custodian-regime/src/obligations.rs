//! Treaty obligations evaluated over the regime registry and the custody record,
//! under every interpretation (DESIGN.md: "a finding always names the interpretation
//! it was made under. The software takes no side").
//!
//! - An [`Obligation`] is a treaty rule, quoted with its source.
//! - An [`Interpretation`] is a named reading of Articles I and II of the NPT, with the
//!   rules (tenets) it holds and the positions.csv rows it comes from.
//! - A [`GeneralRule`] is a rule of general international law that an argument about
//!   the obligations rests on (VCLT Art. 28; acquiescence). It is applied as a reasoning
//!   step, never silently.
//! - [`evaluate`] reads the custody record at a time into acts (an item stationed in
//!   another state, assigned to another state's unit, exercised with another state's
//!   forces, transferred, held), finds each obligation's subjects among the states the
//!   acts involve, and judges every subject under every interpretation. A [`Finding`]
//!   names its interpretation, the events and registry facts it rests on, and numbered
//!   reasoning steps. A state the acts do not involve gets no finding; a state whose
//!   status the registry cannot settle gets [`Verdict::Undetermined`].
//!
//! The custody record passed in is expected to be replayed up to `at`
//! ([`Custody::replay`]); transfers and exercises stated after `at` are ignored.

use crate::data::{Position, TreatyId};
use crate::model::Registry;
use crate::positions::{self, statement_label};
use crate::query::{EifStatus, NptCategory};
use crate::rules::{self, Citation};
use crate::TreatyStatus;
use custodian_core::event::ItemStatus;
use custodian_core::{Date, EventId, LeafIndex, StateCode, UtcTime};
use custodian_custody::{Custody, EventRef, Location, TransferKind};
use serde::Serialize;
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------------
// Public types.
// ---------------------------------------------------------------------------------

/// The result of judging one subject under one interpretation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No act violates the obligation under the interpretation.
    Complies,
    /// At least one act violates it.
    Violates,
    /// The registry or the interpretation cannot settle it; the steps say why.
    Undetermined,
}

impl Verdict {
    fn rank(self) -> u8 {
        match self {
            Verdict::Complies => 0,
            Verdict::Undetermined => 1,
            Verdict::Violates => 2,
        }
    }
    /// The graver of two verdicts: violates over undetermined over complies.
    fn worst(self, other: Verdict) -> Verdict {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Complies => "complies",
            Verdict::Violates => "violates",
            Verdict::Undetermined => "undetermined",
        }
    }
}

/// A treaty obligation, quoted (or closely paraphrased, and then marked) with its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Obligation {
    /// Short id (`npt-art-1`).
    pub id: &'static str,
    /// The treaty (or treaties) id as in treaties.csv.
    pub treaty: &'static str,
    /// The article.
    pub article: &'static str,
    /// The text.
    pub text: &'static str,
    /// Where the text was read.
    pub source: &'static str,
}

/// One nuclear-weapon-free-zone treaty's stationing clause, for `nwfz-stationing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ZoneBan {
    /// The treaty id as in treaties.csv.
    pub treaty: &'static str,
    /// The clause, its text and sources.
    pub citation: Citation,
}

/// A named reading of the obligations, with its rules and sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Interpretation {
    /// Short id (`us-1968-qa`).
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// The reading in a few sentences.
    pub summary: &'static str,
    /// Each rule of the reading, one sentence each.
    pub tenets: &'static [&'static str],
    /// Where the reading is stated.
    pub sources: &'static [&'static str],
}

/// A rule of general international law an argument rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GeneralRule {
    /// Short id (`vclt-art-28`).
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// The rule, quoted where a source gives it.
    pub text: &'static str,
    /// Where it was read (and what could not be verified).
    pub source: &'static str,
}

/// A registry fact a finding rests on, with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// The table or rule set it comes from (`memberships`, `positions`, `rules`, ...).
    pub table: String,
    /// The fact, in one sentence.
    pub statement: String,
    /// Where it comes from.
    pub source: String,
}

/// One subject judged under one interpretation of one obligation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The obligation id.
    pub obligation: &'static str,
    /// The interpretation id.
    pub interpretation: &'static str,
    /// The state judged.
    pub subject: StateCode,
    /// The verdict.
    pub verdict: Verdict,
    /// The custody events the finding rests on, in log order.
    pub events: Vec<EventRef>,
    /// The registry facts it rests on.
    pub facts: Vec<Fact>,
    /// Numbered reasoning steps in plain English.
    pub reasoning: Vec<String>,
}

// ---------------------------------------------------------------------------------
// Obligations, interpretations, general rules.
// ---------------------------------------------------------------------------------

const NPT_I: &str = "npt-art-1";
const NPT_II: &str = "npt-art-2";
const TPNW_G: &str = "tpnw-art-1-1-g";
const NWFZ: &str = "nwfz-stationing";
const US: &str = "us-1968-qa";
const BROAD: &str = "broad-revcon";

const NPT_TEXT_SOURCE: &str = "NPT text as at https://lawi.us/treaty-on-the-non-proliferation-of-nuclear-weapons/ \
     and https://nsspi-nssep.org/nssep/reference/safeguards-treaties-and-legal-issues/the-treaty-on-the-non-proliferation-of-nuclear-weapons/the-text-of-the-npt.html";

/// The obligations Custodian evaluates.
///
/// - NPT Art. I and II: text at <https://lawi.us/treaty-on-the-non-proliferation-of-nuclear-weapons/>
///   and nsspi-nssep.org (the NPT text page); quoted in Chinese by
///   004_4a12c9be46617769.txt fn \[16\] and \[17\].
/// - TPNW Art. 1(1)(g): <https://banmonitor.org/tpnw-prohibitions/the-prohibition-on-allowing-stationing-installation-or-deployment-of-nuclear-weapons>.
/// - The zone treaties' stationing clauses: [`ZONE_BANS`].
pub const OBLIGATIONS: &[Obligation] = &[
    Obligation {
        id: NPT_I,
        treaty: "NPT",
        article: "NPT Art. I",
        text: "Each nuclear-weapon State Party to the Treaty undertakes not to transfer to any \
               recipient whatsoever nuclear weapons or other nuclear explosive devices or \
               control over such weapons or explosive devices directly, or indirectly; and \
               not in any way to assist, encourage, or induce any non-nuclear-weapon State to \
               manufacture or otherwise acquire nuclear weapons or other nuclear explosive \
               devices, or control over such weapons or explosive devices.",
        source: NPT_TEXT_SOURCE,
    },
    Obligation {
        id: NPT_II,
        treaty: "NPT",
        article: "NPT Art. II",
        text: "Each non-nuclear-weapon State Party to the Treaty undertakes not to receive the \
               transfer from any transferor whatsoever of nuclear weapons or other nuclear \
               explosive devices or of control over such weapons or explosive devices \
               directly, or indirectly; not to manufacture or otherwise acquire nuclear \
               weapons or other nuclear explosive devices; and not to seek or receive any \
               assistance in the manufacture of nuclear weapons or other nuclear explosive \
               devices.",
        source: NPT_TEXT_SOURCE,
    },
    Obligation {
        id: TPNW_G,
        treaty: "TPNW",
        article: "TPNW Art. 1(1)(g)",
        text: "Each State Party undertakes never under any circumstances to: [...] (g) Allow \
               any stationing, installation or deployment of any nuclear weapons or other \
               nuclear explosive devices in its territory or at any place under its \
               jurisdiction or control.",
        source: "https://banmonitor.org/tpnw-prohibitions/the-prohibition-on-allowing-stationing-installation-or-deployment-of-nuclear-weapons \
                 (Nuclear Weapons Ban Monitor, quoting Art. 1(1)(g)); \
                 https://www.opednews.com/articles/3/Treaties-Constitutions-a-by-David-Swanson-Constitution-In-Crisis_Constitution-Party_Constitution-Project_Constitution-The-220109-540.html (Art. 1(1)(a)-(g) quoted)",
    },
    Obligation {
        id: NWFZ,
        treaty: "Rarotonga, Bangkok, Pelindaba, Tlatelolco, Semipalatinsk",
        article: "the stationing clause of each nuclear-weapon-free-zone treaty (see zone_bans)",
        text: "(Custodian's summary) each party to a zone treaty undertakes to prevent, prohibit \
               or not allow the stationing of nuclear weapons or nuclear explosive devices in \
               its territory; each clause is quoted or paraphrased in zone_bans.",
        source: "zone_bans(): one citation per treaty",
    },
];

/// The stationing clauses of the zone treaties in treaties.csv. Where an article
/// number or wording could not be checked against a stored text, the citation says so.
///
/// - Rarotonga Art. 5(1): the IEA database's coded treaty text (iea.uoregon.edu);
///   Art. 1(d) at <https://lawi.us/south-pacific-nuclear-free-zone-treaty/>.
/// - Bangkok Art. 3(2): the ECOLEX summary of the treaty (sub-paragraph not verified).
/// - Pelindaba: the Journal of African Law note on the adoption of the treaty and the
///   text at fredsakademiet.dk (article number not verified).
/// - Tlatelolco Art. 1: OPANAL S/Inf. 652 Rev. 3 (heading only; wording not verified).
/// - Semipalatinsk: uzdaily.ru (article number not verified).
pub const ZONE_BANS: &[ZoneBan] = &[
    ZoneBan {
        treaty: "Rarotonga",
        citation: Citation {
            article: "Rarotonga Art. 5(1)",
            text: "Each Party undertakes to prevent in its territory the stationing of any \
                   nuclear explosive device. (Art. 1(d): \"stationing\" means emplantation, \
                   emplacement, transportation on land or inland waters, stockpiling, \
                   storage, installation and deployment.)",
            sources: &[
                "https://iea.uoregon.edu/ (IEA database, South Pacific Nuclear Free Zone Treaty coded text: Art. 5.1)",
                "https://lawi.us/south-pacific-nuclear-free-zone-treaty/ (Art. 1(d), definition of stationing)",
            ],
        },
    },
    ZoneBan {
        treaty: "Bangkok",
        citation: Citation {
            // The sub-paragraph letter of Art. 3(2) was not verified; the summary read
            // gives the paragraph only.
            article: "Bangkok Treaty Art. 3(2) (sub-paragraph not verified)",
            text: "(paraphrase of the ECOLEX summary) each State Party undertakes not to allow, \
                   in its territory, any other State to develop, manufacture or otherwise \
                   acquire, possess or have control over nuclear weapons, station or transport \
                   nuclear weapons by any means, or test or use nuclear weapons.",
            sources: &[
                "https://www.ecolex.org/details/treaty/treaty-on-the-southeast-asia-nuclear-weapon-free-zone-tre-001246/ (art. 3.1 and 3.2)",
            ],
        },
    },
    ZoneBan {
        treaty: "Pelindaba",
        citation: Citation {
            // The article number was not found in the sources read; it is not given.
            article: "Pelindaba Treaty, prevention of stationing (article number not verified)",
            text: "(paraphrase) each Party undertakes to prevent the stationing of nuclear \
                   explosive devices in its territory; \"stationing\" means implantation, \
                   emplacement, transport on land or inland waters, stockpiling, storage, \
                   installation and deployment (definitions article).",
            sources: &[
                "https://www.cambridge.org/core/journals/journal-of-african-law/article/abs/adoption-of-the-african-nuclearweaponfree-zone-treaty/A849AE6AFCC3C2E8F187730A08AEDD3C (each State Party undertakes to prevent the stationing of nuclear explosive devices in its territory)",
                "http://fredsakademiet.dk/ordbog/treaty/africa.htm (treaty text: definition of stationing)",
            ],
        },
    },
    ZoneBan {
        treaty: "Tlatelolco",
        citation: Citation {
            // Art. 1 is headed "Obligations" (OPANAL S/Inf. 652); the wording below was
            // not checked against a stored text.
            article: "Tlatelolco Art. 1 (Obligations; wording not verified)",
            text: "(paraphrase, not verified against a stored text) the Contracting Parties \
                   undertake to prohibit and prevent in their territories the receipt, \
                   storage, installation, deployment and any form of possession of any nuclear \
                   weapon, directly or indirectly, by the Parties themselves, by anyone on \
                   their behalf or in any other way.",
            sources: &[
                "https://docslib.org/download/3455980/s-inf-652-rev-3-treaty-of-tlatelolco (OPANAL S/Inf. 652 Rev. 3: Art. 1, Obligations)",
            ],
        },
    },
    ZoneBan {
        treaty: "Semipalatinsk",
        citation: Citation {
            // No stored text of the treaty gave the article number.
            article: "Semipalatinsk Treaty, basic obligations (article number not verified)",
            text: "(paraphrase of the source) renunciation by all parties of the possession, \
                   production and deployment of nuclear weapons and prevention of such actions \
                   by other states on the relevant territory.",
            sources: &["https://uzdaily.ru/en/russia-ratifies-protocol-to-canwfz"],
        },
    },
];

const FN19: &str = "positions.csv 1968 USA: Rusk letter to the Senate, \"Questions of US allies \
     and US answers\", submitted 1968-07-09 (004_4a12c9be46617769.txt fn [19])";

/// The interpretations Custodian evaluates, in the order findings list them.
///
/// - `us-1968-qa`: positions.csv rows 1968 USA (004 fn \[19\]), 1969 USA (fn \[18\]), 1995
///   NATO states (fn \[31\]), 2022 USA (fn \[21\]), 2022 DEU (fn \[22\]), 2023 USA (fn \[20\]).
/// - `broad-revcon`: positions.csv rows 1995 TZA (fn \[31\]), 1995 non-NATO group
///   (fn \[32\]), 2000 NAM, NAC, EGY (fn \[33\], \[35\]\[36\], \[37\]), 2005 NAC (fn \[38\]), 2010
///   IRN (fn \[41\]\[42\]), 2015 RUS (fn \[47\]), 2022 IRN (fn \[50\]), 2023 NAM, EGY, BRA
///   (fn \[54\]-\[56\]), CHN/ZAF/EGY/MEX (004 section 2).
///
/// No third reading is modelled: the statements that call for strict observance "under
/// all circumstances" (1985, NAC) without saying stationing is a transfer are read by
/// their speakers or by the 2024 report as part of the broader reading.
pub const INTERPRETATIONS: &[Interpretation] = &[
    Interpretation {
        id: US,
        name: "United States' 1968 questions and answers",
        summary: "Articles I and II prohibit the transfer of nuclear weapons or of control over \
                  them. Deployment on allied territory under the nuclear-weapon State's custody \
                  and control involves no transfer \"unless and until a decision to go to war \
                  is made, at which point the treaty would no longer be controlling\".",
        tenets: &[
            "Articles I and II prohibit a transfer of nuclear weapons, or of control over them, to any recipient.",
            "Stationing weapons on a non-nuclear-weapon State's territory under the nuclear-weapon State's custody and control is no transfer.",
            "Assigning a weapon to the host's delivery unit and exercising with the host's forces transfer nothing while custody and control are retained.",
            "A custody or control transfer in peacetime is a transfer and is prohibited.",
            "Upon a decision to go to war the treaty \"would no longer be controlling\", so a transfer of control upon that decision falls outside it (the reading's claim).",
            "Its proponents add that the arrangement predates the NPT and was known and unchallenged; those arguments rest on VCLT Art. 28 and on acquiescence, which Custodian applies as reasoning steps.",
        ],
        sources: &[
            FN19,
            "positions.csv 1969 USA: Gen. Wheeler, US custody and control until war (004 fn [18])",
            "positions.csv 1995 NATO states: nuclear sharing does not violate the NPT (004 fn [31])",
            "positions.csv 2022 USA: Countryman, known, public and unquestioned for 45 years (004 fn [21])",
            "positions.csv 2022 DEU: Göbel, taken into account in the negotiation and accepted (004 fn [22])",
            "positions.csv 2023 USA: Scheinman, predates the NPT; full US custody and control the basis of compliance (004 fn [20])",
        ],
    },
    Interpretation {
        id: BROAD,
        name: "Broader reading stated at NPT review conferences 1995-2023",
        summary: "Stationing nuclear weapons on a non-nuclear-weapon State's territory and \
                  preparing its forces in peacetime are themselves (indirect) transfer or \
                  assistance prohibited by Articles I and II; the articles bind \"at all times \
                  and in all circumstances\", in peace and war.",
        tenets: &[
            "Deployment of nuclear weapons in a non-nuclear-weapon State is a transfer prohibited by Article I.",
            "Peacetime preparation (assignment to the host's delivery units, nuclear training and exercises with its forces) is prohibited assistance and indirect transfer.",
            "The nuclear-weapon State so acting violates Article I; the non-nuclear-weapon State taking part violates Article II.",
            "Articles I and II admit no exception and bind at all times and in all circumstances, in peace and war, so a wartime transfer of control is prohibited.",
            "A custody or control transfer to a non-nuclear-weapon State is prohibited in any case.",
        ],
        sources: &[
            "positions.csv 1995 TZA (004 fn [31]) and 1995 non-NATO states (004 fn [32])",
            "positions.csv 2000 NAM (004 fn [33]), 2000 NAC (004 fn [35][36]), 2000 EGY (004 fn [37]), 2005 NAC (004 fn [38])",
            "positions.csv 2010 IRN (004 fn [41][42]), 2015 RUS (004 fn [47]), 2022 IRN (004 fn [50])",
            "positions.csv 2023 NAM (004 fn [54]), EGY (004 fn [55]), BRA (004 fn [56])",
            "positions.csv CHN; ZAF; EGY; MEX, years not given (004_4a12c9be46617769.txt section 2)",
        ],
    },
];

/// The general rules applied as reasoning steps.
///
/// - VCLT Art. 28: text at <http://www.law-ref.org/VIENNA/kw-exist.html>; the ILC
///   commentary as 004 fn \[23\] quotes it (in Chinese).
/// - Acquiescence: the four conditions as 004 section 4 states them from the ICJ's Gulf
///   of Maine (1984) and Pedra Branca (2008) judgments and the ILC's 2001 report on
///   unilateral acts; the Preah Vihear maxim (ICJ Reports 1962 p. 23) as quoted by
///   Cuasay, Modern Asian Studies 32(4), 1998; MacGibbon, 31 BYIL 143 (1954). The Gulf
///   of Maine paragraph (130) was not read: the citation is the report's.
pub const GENERAL_RULES: &[GeneralRule] = &[
    GeneralRule {
        id: "vclt-art-28",
        name: "Non-retroactivity of treaties (VCLT Art. 28)",
        text: "\"Unless a different intention appears from the treaty or is otherwise \
               established, its provisions do not bind a party in relation to any act or fact \
               which took place or any situation which ceased to exist before the date of the \
               entry into force of the treaty with respect to that party.\" The ILC's \
               commentary adds that an act, fact or situation that arose before entry into \
               force and continues after it is caught by the treaty.",
        source: "Vienna Convention on the Law of Treaties (1969) Art. 28, text at \
                 http://www.law-ref.org/VIENNA/kw-exist.html; ILC commentary on the draft \
                 article as quoted (in Chinese) by 004_4a12c9be46617769.txt fn [23] (the \
                 commentary itself not read)",
    },
    GeneralRule {
        id: "acquiescence",
        name: "Acquiescence",
        text: "Silence or absence of protest, in circumstances that call for a reaction, may \
               be read as consent (\"qui tacet consentire videtur si loqui debuisset ac \
               potuisset\"). Its conditions: (1) the silent state knew, or could know, of the \
               claim, made public in a reasonable way; (2) a reaction was called for and none \
               came; (3) the silence lasted long enough to allow a reaction; (4) it was not \
               due to coercion.",
        source: "004_4a12c9be46617769.txt section 4 (the four conditions, citing the ICJ's \
                 Gulf of Maine judgment 1984, Pedra Branca 2008 and the ILC's 2001 report on \
                 unilateral acts; Gulf of Maine para. 130 not read by Custodian); Temple of \
                 Preah Vihear, ICJ Reports 1962 p. 23, as quoted by P. Cuasay, Modern Asian \
                 Studies 32(4) 1998; I. C. MacGibbon, \"The Scope of Acquiescence in \
                 International Law\", 31 BYIL 143 (1954) (\"silence or absence of protest in \
                 circumstances which generally call for a positive reaction\")",
    },
];

/// The obligations, in the order findings list them.
pub fn obligations() -> &'static [Obligation] {
    OBLIGATIONS
}
/// The zone treaties' stationing clauses.
pub fn zone_bans() -> &'static [ZoneBan] {
    ZONE_BANS
}
/// The interpretations, in the order findings list them.
pub fn interpretations() -> &'static [Interpretation] {
    INTERPRETATIONS
}
/// The general rules applied as reasoning steps.
pub fn general_rules() -> &'static [GeneralRule] {
    GENERAL_RULES
}

// ---------------------------------------------------------------------------------
// The custody record read as acts.
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActKind {
    /// At a site in the receiver's territory, custodian or controller another state.
    Stationed,
    /// Assigned to a unit of the receiver's forces.
    Assigned,
    /// Exercised with the receiver's forces.
    Exercised,
    /// Custody or control passed from the giver to the receiver.
    Transferred(TransferKind),
    /// The receiver holds custody or control with no transfer recorded.
    Holds,
}

impl ActKind {
    fn preparation(self) -> bool {
        matches!(
            self,
            ActKind::Stationed | ActKind::Assigned | ActKind::Exercised
        )
    }
}

/// One fact of the custody record that an obligation may bear on.
#[derive(Debug, Clone)]
struct Act {
    kind: ActKind,
    /// The states that hold custody or control (other than the receiver), or the
    /// transferor.
    givers: Vec<StateCode>,
    /// The host, the unit's state, the participant, the recipient or the holder.
    receiver: StateCode,
    /// Custody and control both with states other than the receiver.
    retained: bool,
    /// A control transfer stated to take effect upon a decision to go to war.
    wartime: bool,
    events: Vec<EventRef>,
    text: String,
}

fn distinct_except(states: [StateCode; 2], except: StateCode) -> Vec<StateCode> {
    let mut out: Vec<StateCode> = Vec::new();
    for s in states {
        if s != except && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn transfer_name(kind: TransferKind) -> &'static str {
    match kind {
        TransferKind::Custody => "custody",
        TransferKind::Control => "control",
    }
}

fn dedup(mut events: Vec<EventRef>) -> Vec<EventRef> {
    let mut seen = BTreeSet::new();
    events.retain(|e| seen.insert((e.leaf, e.event.clone())));
    events
}

/// Reads the record into acts: items as they stand, exercises and transfers stated at
/// or before `at`, in a deterministic order (items by id, then log order).
fn record_acts(custody: &Custody, at: UtcTime) -> Vec<Act> {
    let transfers: Vec<_> = custody
        .transfers()
        .iter()
        .filter(|t| t.by.time <= at)
        .collect();
    // The events that transferred something: a holder whose custody or control
    // came from one of them received it; any other holder has held it from the
    // item's first record.
    let transfer_events: BTreeSet<(LeafIndex, &EventId)> = custody
        .transfers()
        .iter()
        .map(|t| (t.by.leaf, &t.by.event))
        .collect();
    let mut acts = Vec::new();
    for item in custody
        .items()
        .filter(|i| i.status != ItemStatus::Dismantled)
    {
        let (c, k) = (item.custodian, item.controller);
        let id = &item.item;
        if let Location::AtSite { site, since } = &item.location {
            if let Some(host) = custody.site(site).map(|s| s.state) {
                if c != host || k != host {
                    let mut events = vec![item.located_by.clone()];
                    events.extend(item.deployment.as_ref().map(|d| d.by.clone()));
                    events.extend([item.custody_by.clone(), item.control_by.clone()]);
                    let arrangement = item
                        .deployment
                        .as_ref()
                        .map(|d| format!(", deployed under \"{}\"", d.arrangement))
                        .unwrap_or_default();
                    acts.push(Act {
                        kind: ActKind::Stationed,
                        givers: distinct_except([c, k], host),
                        receiver: host,
                        retained: c != host && k != host,
                        wartime: false,
                        events,
                        text: format!(
                            "Item {id} ({}) is at site {site} in {host} since {since}{arrangement}; \
                             custodian {c}, controller {k}",
                            item.item_type
                        ),
                    });
                }
            }
        }
        if let Some(a) = &item.assignment {
            let unit = a.unit_state;
            if c != unit || k != unit {
                let system = a
                    .delivery_system
                    .as_ref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                acts.push(Act {
                    kind: ActKind::Assigned,
                    givers: distinct_except([c, k], unit),
                    receiver: unit,
                    retained: c != unit && k != unit,
                    wartime: false,
                    events: vec![
                        a.by.clone(),
                        item.custody_by.clone(),
                        item.control_by.clone(),
                    ],
                    text: format!(
                        "Item {id} is assigned to unit \"{}\" of {unit}{system}; custodian {c}, \
                         controller {k}",
                        a.unit
                    ),
                });
            }
        }
        let held: Vec<(StateCode, &str, &EventRef)> = [
            (c, "custody", &item.custody_by),
            (k, "control", &item.control_by),
        ]
        .into_iter()
        .filter(|(_, _, by)| !transfer_events.contains(&(by.leaf, &by.event)))
        .collect();
        let holders: BTreeSet<StateCode> = held.iter().map(|h| h.0).collect();
        for holder in holders {
            let what: Vec<&str> = held.iter().filter(|h| h.0 == holder).map(|h| h.1).collect();
            acts.push(Act {
                kind: ActKind::Holds,
                givers: Vec::new(),
                receiver: holder,
                retained: false,
                wartime: false,
                events: held
                    .iter()
                    .filter(|h| h.0 == holder)
                    .map(|h| h.2.clone())
                    .collect(),
                text: format!(
                    "{holder} holds {} of item {id} from its first record, with no transfer recorded",
                    what.join(" and ")
                ),
            });
        }
    }
    for x in custody.exercises().iter().filter(|x| x.by.time <= at) {
        let participants: BTreeSet<StateCode> = x.participants.iter().copied().collect();
        for p in participants {
            if p == x.custodian || p == x.controller {
                continue;
            }
            acts.push(Act {
                kind: ActKind::Exercised,
                givers: distinct_except([x.custodian, x.controller], p),
                receiver: p,
                retained: true,
                wartime: false,
                events: vec![x.by.clone()],
                text: format!(
                    "Exercise \"{}\" with item {} at site {} in {} on {}, with forces of {}; \
                     custodian {}, controller {}",
                    x.exercise,
                    x.item,
                    x.site,
                    x.site_state,
                    x.by.time,
                    x.participants
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    x.custodian,
                    x.controller
                ),
            });
        }
    }
    for t in transfers {
        let condition = t
            .condition
            .as_ref()
            .map(|c| format!(", condition \"{c}\""))
            .unwrap_or_default();
        let wartime = if t.wartime {
            ", stated to take effect upon a decision to go to war"
        } else {
            ""
        };
        acts.push(Act {
            kind: ActKind::Transferred(t.what),
            givers: vec![t.from],
            receiver: t.to,
            retained: false,
            wartime: t.wartime,
            events: vec![t.by.clone()],
            text: format!(
                "{} of item {} passes from {} to {} on {}{condition}{wartime}",
                capitalised(transfer_name(t.what)),
                t.item,
                t.from,
                t.to,
                t.by.time
            ),
        });
    }
    for act in &mut acts {
        act.events = dedup(std::mem::take(&mut act.events));
    }
    acts
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn event_ids(events: &[EventRef]) -> String {
    events
        .iter()
        .map(|e| format!("{} (leaf {})", e.event, e.leaf))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------
// Whether an obligation binds a subject at the date.
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Standing {
    /// Bound, since the date given (when known).
    Bound(Option<Date>),
    /// A party whose treaty does not bind it at the date (not in force).
    NotInForce,
    /// The registry cannot settle it.
    Unknown,
}

/// A subject's standing under a treaty, with the facts and steps that establish it.
struct Check {
    standing: Standing,
    facts: Vec<Fact>,
    steps: Vec<String>,
}

fn joined(sources: &[String], fallback: String) -> String {
    if sources.is_empty() {
        fallback
    } else {
        sources.join("; ")
    }
}

fn status_text(status: &TreatyStatus) -> String {
    match status {
        TreatyStatus::NonSignatory => "not a signatory".into(),
        TreatyStatus::Signatory { signed } => format!("a signatory since {signed}, not bound"),
        TreatyStatus::Party { since, by } => format!("a party since {since} ({by})"),
        TreatyStatus::WithdrawalPending {
            since, by, notice, ..
        } => {
            format!("a party since {since} ({by}), withdrawal notice of {notice} pending")
        }
        TreatyStatus::Withdrawn { effective, .. } => format!("withdrawn since {effective}"),
        TreatyStatus::RatificationRevoked { revoked, .. } => {
            format!("a signatory again after revoking its ratification on {revoked}")
        }
        TreatyStatus::CeasedToExist { on, continued_by } => {
            format!("a state that ceased to exist on {on} (continued by {continued_by})")
        }
    }
}

fn party_since(status: &TreatyStatus) -> Option<Date> {
    match status {
        TreatyStatus::Party { since, .. } | TreatyStatus::WithdrawalPending { since, .. } => {
            Some(*since)
        }
        _ => None,
    }
}

fn category_text(category: NptCategory) -> &'static str {
    match category {
        NptCategory::NuclearWeaponState => "a nuclear-weapon State",
        NptCategory::NonNuclearWeaponState => "a non-nuclear-weapon State",
        NptCategory::NonParty => "not a party",
        NptCategory::CeasedToExist => "a state that no longer exists",
    }
}

fn under_text(under: &[crate::readings::ReadingChoice]) -> String {
    if under.is_empty() {
        return String::new();
    }
    let readings: Vec<String> = under
        .iter()
        .map(|c| {
            c.iter()
                .map(|(f, r)| format!("{f}={r}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    format!(" (under {})", readings.join(" or "))
}

/// Whether a treaty is in force at a date, and how Custodian knows: the sourced rule
/// applied to memberships.csv, else to treaty_counts.csv, else the date treaties.csv
/// records. `None` when none of these tells.
struct InForceAt {
    in_force: Option<bool>,
    since: Option<Date>,
    how: String,
    source: String,
}

fn in_force_at(registry: &Registry, treaty: &TreatyId, date: Date) -> InForceAt {
    let answer = match registry.in_force(treaty, date) {
        Ok(a) => a,
        Err(e) => {
            return InForceAt {
                in_force: None,
                since: None,
                how: e.to_string(),
                source: "treaties.csv".into(),
            }
        }
    };
    let row = &answer.recorded.row;
    let recorded_source = format!("treaties.csv {} row: {}", treaty, row.source);
    let article = answer
        .rule
        .map(|r| r.citation.article)
        .unwrap_or("no sourced rule");
    if let Some(eval) = answer.answers.unanimous() {
        if let Some(in_force) = eval.in_force() {
            let status = match &eval.status {
                EifStatus::InForce { since } => format!("in force since {since}"),
                EifStatus::Pending { enters_into_force } => {
                    format!("not yet in force (enters into force {enters_into_force})")
                }
                _ => "not in force".to_owned(),
            };
            let sources: Vec<String> = answer
                .rule
                .map(|r| r.citation.sources.iter().map(|s| (*s).to_owned()).collect())
                .unwrap_or_default();
            return InForceAt {
                in_force: Some(in_force),
                since: eval.since(),
                how: format!("{article} applied to memberships.csv: {status}"),
                source: joined(&sources, recorded_source),
            };
        }
    }
    let why_not = match answer.answers.unanimous().map(|e| &e.status) {
        Some(EifStatus::NotEnoughData { .. }) => format!(
            "memberships.csv, complete through {}, does not reach {date}",
            answer.coverage.coverage.complete_through
        ),
        Some(EifStatus::RuleNotSourced) | None => {
            "Custodian applies no sourced entry-into-force rule for it".to_owned()
        }
        Some(_) => "the readings disagree".to_owned(),
    };
    if let Some(counts) = answer.from_counts.as_ref() {
        if let Some(in_force) = counts.in_force {
            let source = counts
                .reached
                .as_ref()
                .map(|r| format!("treaty_counts.csv: {}", r.row.source))
                .unwrap_or_else(|| "treaty_counts.csv".to_owned());
            return InForceAt {
                in_force: Some(in_force),
                since: row.entry_into_force.or(counts.in_force_no_later_than),
                how: format!(
                    "{article} applied to the sourced counts of parties in treaty_counts.csv; \
                     {why_not}"
                ),
                source,
            };
        }
    }
    match row.entry_into_force {
        Some(recorded) => InForceAt {
            in_force: Some(date >= recorded),
            since: Some(recorded),
            how: format!("treaties.csv records entry into force on {recorded}; {why_not}"),
            source: recorded_source,
        },
        None => InForceAt {
            in_force: None,
            since: None,
            how: format!(
                "{why_not}, and treaties.csv records no single date of entry into force; \
                 its rule text: {}",
                row.entry_into_force_rule
                    .as_deref()
                    .unwrap_or("not sourced")
            ),
            source: recorded_source,
        },
    }
}

/// The subject's NPT standing for an article that binds States of `want` category;
/// `None` when the article does not bind it (another category, or not a party).
fn npt_check(ctx: &Ctx<'_>, subject: StateCode, want: NptCategory) -> Option<Check> {
    let npt = treaty_id("NPT")?;
    let date = ctx.date;
    let (status, category) = match (
        ctx.registry.status(&npt, subject, date),
        ctx.registry.npt_category(subject, date),
    ) {
        (Ok(s), Ok(c)) => (s, c),
        (Err(e), _) | (_, Err(e)) => {
            return Some(Check {
                standing: Standing::Unknown,
                facts: vec![Fact {
                    table: "states".into(),
                    statement: format!("The registry cannot answer for {subject}: {e}"),
                    source: "states.csv".into(),
                }],
                steps: vec![format!(
                    "The registry cannot establish {subject}'s NPT status at {date} ({e}), so \
                     the verdict is undetermined."
                )],
            })
        }
    };
    let mut facts: Vec<Fact> = status
        .iter()
        .map(|a| Fact {
            table: "memberships".into(),
            statement: format!(
                "NPT status of {subject} at {date}: {}{}",
                status_text(&a.value),
                under_text(&a.under)
            ),
            source: joined(
                &a.sources,
                format!("memberships.csv (no NPT row for {subject})"),
            ),
        })
        .collect();
    facts.extend(category.iter().map(|a| Fact {
        table: "rules".into(),
        statement: format!(
            "{subject} at {date}: {} under NPT Art. IX.3{}",
            category_text(a.value),
            under_text(&a.under)
        ),
        source: joined(&a.sources, rules::NWS_DEFINITION.sources.join("; ")),
    }));
    if date > rules::rule_date(rules::MEMBERSHIPS_COVERAGE.complete_through) {
        facts.push(Fact {
            table: "rules".into(),
            statement: format!(
                "memberships.csv is complete through {}; actions after it (a withdrawal, for \
                 one) may be missing",
                rules::MEMBERSHIPS_COVERAGE.complete_through
            ),
            source: rules::MEMBERSHIPS_COVERAGE.sources.join("; "),
        });
    }
    let explosion = ctx
        .registry
        .nws_qualification(subject)
        .map(|f| {
            format!(
                ", having exploded a device in {} (before 1967-01-01)",
                f.year
            )
        })
        .unwrap_or_default();
    match category.unanimous() {
        Some(c) if *c == want => {
            let since = status.unanimous().and_then(party_since);
            let npt_since = in_force_at(ctx.registry, &npt, date).since;
            let bound = since.max(npt_since);
            let since_text = since.map(|s| format!(" since {s}")).unwrap_or_default();
            Some(Check {
                standing: Standing::Bound(bound),
                facts,
                steps: vec![format!(
                    "{subject} is a party to the NPT at {date}{since_text} and {} under Art. \
                     IX.3{explosion}, so the article binds it.",
                    category_text(want)
                )],
            })
        }
        Some(_) => None,
        None if category.iter().any(|a| a.value == want) => {
            let answers: Vec<String> = category
                .iter()
                .map(|a| format!("{}{}", category_text(a.value), under_text(&a.under)))
                .collect();
            Some(Check {
                standing: Standing::Unknown,
                facts,
                steps: vec![format!(
                    "The registry's readings of a contested fact disagree on {subject}'s NPT \
                     category at {date}: {}. Custodian takes no side, so the verdict is \
                     undetermined.",
                    answers.join("; ")
                )],
            })
        }
        None => None,
    }
}

/// The subject's standing under a treaty other than the NPT; `None` when it is not a
/// party (or the registry does not hold the treaty).
fn treaty_check(ctx: &Ctx<'_>, treaty: &str, subject: StateCode) -> Option<Check> {
    let id = treaty_id(treaty)?;
    ctx.registry.treaty(&id)?;
    let date = ctx.date;
    let status = ctx.registry.status(&id, subject, date).ok()?;
    let facts: Vec<Fact> = status
        .iter()
        .map(|a| Fact {
            table: "memberships".into(),
            statement: format!(
                "{treaty} status of {subject} at {date}: {}{}",
                status_text(&a.value),
                under_text(&a.under)
            ),
            source: joined(
                &a.sources,
                format!("memberships.csv (no {treaty} row for {subject})"),
            ),
        })
        .collect();
    let party = match status.unanimous() {
        Some(s) if s.is_party() => s,
        Some(_) => return None,
        None if status.iter().any(|a| a.value.is_party()) => {
            return Some(Check {
                standing: Standing::Unknown,
                facts,
                steps: vec![format!(
                    "The registry's readings disagree on whether {subject} is a party to \
                     {treaty} at {date}; Custodian takes no side, so the verdict is undetermined."
                )],
            })
        }
        None => return None,
    };
    let mut facts = facts;
    let force = in_force_at(ctx.registry, &id, date);
    facts.push(Fact {
        table: "treaties".into(),
        statement: format!("{treaty} in force at {date}: {}", force.how),
        source: force.source.clone(),
    });
    let since = party_since(party);
    let consent = since.map(|s| format!(" since {s}")).unwrap_or_default();
    let (standing, step) = match force.in_force {
        Some(true) => (
            Standing::Bound(since.max(force.since)),
            format!(
                "{subject} is a party to {treaty}{consent}, and {treaty} is in force at {date} \
                 ({}), so the clause binds it.",
                force.how
            ),
        ),
        Some(false) => (
            Standing::NotInForce,
            format!(
                "{subject} is a party to {treaty}{consent}, but {treaty} is not in force at \
                 {date} ({}), so the clause does not bind it yet.",
                force.how
            ),
        ),
        None => (
            Standing::Unknown,
            format!(
                "{subject} is a party to {treaty}{consent}, but whether {treaty} is in force \
                 for it at {date} cannot be told: {}. The verdict is undetermined.",
                force.how
            ),
        ),
    };
    Some(Check {
        standing,
        facts,
        steps: vec![step],
    })
}

fn treaty_id(id: &str) -> Option<TreatyId> {
    TreatyId::parse(id).ok()
}

// ---------------------------------------------------------------------------------
// Judgement under each interpretation.
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Article {
    I,
    II,
}

/// How one interpretation judges one act under NPT Art. I or II. `receiver_nws`: the
/// receiving state is a nuclear-weapon State under Art. IX.3.
///
/// `us-1968-qa` follows the 1968 answers (004 fn \[19\]) and Gen. Wheeler's 1969
/// testimony (fn \[18\]); `broad-revcon` follows the review-conference statements listed
/// on [`INTERPRETATIONS`] (004 fn \[31\]-\[56\]). The rule that a non-nuclear-weapon State
/// holding a weapon without any transfer "otherwise acquires" it is Art. II's text.
fn judge(
    interpretation: &str,
    article: Article,
    act: &Act,
    receiver_nws: bool,
) -> (Verdict, String) {
    let givers = act
        .givers
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" and ");
    let r = act.receiver;
    let holds = (
        Verdict::Violates,
        format!(
            "{r} holds custody or control of a nuclear weapon with no transfer recorded; Art. II \
             forbids a non-nuclear-weapon State to \"manufacture or otherwise acquire\" one, \
             under every reading"
        ),
    );
    if interpretation == US {
        return match act.kind {
            k if k.preparation() && act.retained => (
                Verdict::Complies,
                format!(
                    "custody and control stay with {givers}; this reading holds that deployment \
                     on allied territory, and the host's preparation under retained custody and \
                     control, \"involve no transfer of weapons or control\" (1968 answers, 004 \
                     fn [19])"
                ),
            ),
            k if k.preparation() => (
                Verdict::Complies,
                format!(
                    "{r} itself holds custody or control of the item; this reading judges that \
                     by the transfer or acquisition that gave it, taken as its own act"
                ),
            ),
            ActKind::Transferred(TransferKind::Control) if act.wartime => (
                Verdict::Complies,
                "the event states that the transfer takes effect upon a decision to go to war. \
                 This reading claims that at that point \"the treaty would no longer be \
                 controlling\" (1968 answers, 004 fn [19]), so the transfer falls outside \
                 Articles I and II. That is the reading's claim, not Custodian's finding; the \
                 broad-revcon reading rejects it"
                    .to_owned(),
            ),
            ActKind::Transferred(kind) => (
                Verdict::Violates,
                format!(
                    "a {} transfer that the event does not state to take effect upon a decision \
                     to go to war: this reading too holds a transfer of nuclear weapons or of \
                     control over them prohibited (Art. I \"to any recipient whatsoever\", Art. \
                     II \"from any transferor whatsoever\")",
                    transfer_name(kind)
                ),
            ),
            _ => holds,
        };
    }
    match act.kind {
        k if k.preparation() => {
            let what = match k {
                ActKind::Stationed => {
                    "stationing in a non-nuclear-weapon State is an indirect transfer (TZA 1995, \
                     IRN 2010, CHN/ZAF/EGY/MEX)"
                }
                _ => {
                    "peacetime preparation of a non-nuclear-weapon State's forces is assistance \
                     and indirect transfer (RUS 2015, non-NATO group 1995, NAM 2023)"
                }
            };
            match article {
                Article::I if receiver_nws => (
                    Verdict::Undetermined,
                    format!(
                        "{r} is itself a nuclear-weapon State; this reading's statements concern \
                         non-nuclear-weapon States and do not say whether this is a transfer"
                    ),
                ),
                Article::I => (
                    Verdict::Violates,
                    format!("under this reading {what}, prohibited to {givers} by Art. I"),
                ),
                Article::II => (
                    Verdict::Violates,
                    format!(
                        "under this reading {what}; taking part is receiving an indirect transfer \
                         or assistance, prohibited to {r} by Art. II (IRN 2010, NAM 2023, BRA \
                         2023)"
                    ),
                ),
            }
        }
        ActKind::Transferred(kind) => {
            let war = if act.wartime {
                "; the wartime condition changes nothing, since this reading holds that \
                 Articles I and II bind \"at all times and in all circumstances\", in peace and \
                 war (NAC 2000/2005, EGY 2000, NAM 2023)"
            } else {
                ""
            };
            (
                Verdict::Violates,
                format!(
                    "a {} transfer of a nuclear weapon, prohibited by the article's text{war}",
                    transfer_name(kind)
                ),
            )
        }
        _ => holds,
    }
}

// ---------------------------------------------------------------------------------
// Evaluation.
// ---------------------------------------------------------------------------------

struct Ctx<'a> {
    registry: &'a Registry,
    date: Date,
    acts: Vec<Act>,
    interpretations: Vec<&'static Interpretation>,
    acquiescence: String,
}

fn select<T>(
    all: &'static [T],
    wanted: Option<&str>,
    id: impl Fn(&T) -> &'static str,
    what: &str,
) -> Result<Vec<&'static T>, String> {
    match wanted {
        None | Some("all") => Ok(all.iter().collect()),
        Some(w) => all
            .iter()
            .find(|x| id(x) == w)
            .map(|x| vec![x])
            .ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(id).collect();
                format!("unknown {what} {w:?}; known: {}, or all", known.join(", "))
            }),
    }
}

/// Evaluates the obligations (all, or the one named) under the interpretations (all,
/// or the one named; `"all"` means all) over the registry and the custody record at
/// `at`. Findings are ordered by obligation (as declared), subject, interpretation (as
/// declared). An unknown id is an error listing the known ones.
pub fn evaluate(
    registry: &Registry,
    custody: &Custody,
    at: UtcTime,
    obligation: Option<&str>,
    interpretation: Option<&str>,
) -> Result<Vec<Finding>, String> {
    let chosen = select(OBLIGATIONS, obligation, |o| o.id, "obligation")?;
    let interpretations = select(INTERPRETATIONS, interpretation, |i| i.id, "interpretation")?;
    let date = at.date();
    let ctx = Ctx {
        registry,
        date,
        acts: record_acts(custody, at),
        interpretations,
        acquiescence: acquiescence_step(registry, date),
    };
    let mut findings = Vec::new();
    for o in chosen {
        match o.id {
            NPT_I => npt_findings(&ctx, Article::I, &mut findings),
            NPT_II => npt_findings(&ctx, Article::II, &mut findings),
            TPNW_G => stationing_findings(&ctx, TPNW_G, &["TPNW"], &mut findings),
            _ => {
                let zones: Vec<&str> = ZONE_BANS.iter().map(|z| z.treaty).collect();
                stationing_findings(&ctx, NWFZ, &zones, &mut findings)
            }
        }
    }
    Ok(findings)
}

/// Acts shown in full in a reasoning step; the rest of a group are counted.
const ACTS_SHOWN_PER_GROUP: usize = 3;

/// Events kept as a group's evidence (each with an inclusion proof in a bundle):
/// enough to check the claim, bounded so that a finding over millions of events
/// stays readable and small. The step says how many there were.
const EVIDENCE_PER_GROUP: usize = 50;

/// Acts judged alike — same kind, same states, same verdict and reason — become
/// one reasoning step, so a finding grows with the kinds of fact it rests on,
/// not with the length of the log.
#[derive(Default)]
struct Groups<'a> {
    order: Vec<(String, Verdict, String, Vec<&'a Act>)>,
    index: std::collections::HashMap<String, usize>,
}

impl<'a> Groups<'a> {
    fn add(&mut self, act: &'a Act, verdict: Verdict, why: String) {
        let key = format!(
            "{:?}|{}|{:?}|{}|{}|{why}",
            act.kind,
            act.receiver,
            act.givers,
            act.retained,
            verdict.as_str()
        );
        match self.index.get(&key) {
            Some(&i) => self.order[i].3.push(act),
            None => {
                self.index.insert(key.clone(), self.order.len());
                self.order.push((key, verdict, why, vec![act]));
            }
        }
    }

    /// One step per group, judged by `judgement(verdict, why)`, and the groups'
    /// evidence (at most [`EVIDENCE_PER_GROUP`] events each), sorted.
    fn steps(&self, judgement: impl Fn(Verdict, &str) -> String) -> (Vec<String>, Vec<EventRef>) {
        let mut steps = Vec::new();
        let mut evidence = Vec::new();
        for (_, verdict, why, acts) in &self.order {
            let shown: Vec<String> = acts
                .iter()
                .take(ACTS_SHOWN_PER_GROUP)
                .map(|a| format!("{} (events {})", a.text, event_ids(&a.events)))
                .collect();
            let events = sorted_events(acts.iter().copied());
            let total = events.len();
            evidence.extend(events.into_iter().take(EVIDENCE_PER_GROUP));
            let rest = acts.len().saturating_sub(ACTS_SHOWN_PER_GROUP);
            let judged = judgement(*verdict, why);
            steps.push(if rest == 0 {
                format!("{}. {judged}", shown.join("; "))
            } else {
                format!(
                    "{} acts alike, {} events in all (the first {} are this finding's \
                     evidence): {}; and {rest} more of the same kind. {judged}",
                    acts.len(),
                    total,
                    total.min(EVIDENCE_PER_GROUP),
                    shown.join("; ")
                )
            });
        }
        evidence.sort_by(|a, b| (a.leaf, &a.event).cmp(&(b.leaf, &b.event)));
        evidence.dedup();
        (steps, evidence)
    }
}

fn sorted_events<'a>(acts: impl Iterator<Item = &'a Act>) -> Vec<EventRef> {
    let mut events: Vec<EventRef> = acts.flat_map(|a| a.events.iter().cloned()).collect();
    events.sort_by(|a, b| (a.leaf, &a.event).cmp(&(b.leaf, &b.event)));
    events.dedup();
    events
}

fn numbered(steps: Vec<String>) -> Vec<String> {
    steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}", i + 1))
        .collect()
}

fn nws_fact(registry: &Registry, state: StateCode) -> Fact {
    match registry.nws_qualification(state) {
        Some(f) => Fact {
            table: "rules".into(),
            statement: format!(
                "{state} exploded its first device in {}, before 1967-01-01: a nuclear-weapon \
                 State under NPT Art. IX.3",
                f.year
            ),
            source: f.source.to_owned(),
        },
        None => Fact {
            table: "rules".into(),
            statement: format!(
                "{state} has no first explosion before 1967-01-01 on record: not a \
                 nuclear-weapon State under NPT Art. IX.3"
            ),
            source: rules::NWS_DEFINITION.sources.join("; "),
        },
    }
}

fn positions_facts(registry: &Registry, reading: &str, date: Date) -> Vec<Fact> {
    let year = date.ymd().0;
    registry
        .positions()
        .iter()
        .filter(|p| positions::classification(&p.row).is_some_and(|c| c.reading == reading))
        .filter(|p| p.row.year.is_none_or(|y| i64::from(y) <= year))
        .map(|p| Fact {
            table: "positions".into(),
            statement: format!(
                "{} ({}): {}",
                statement_label(&p.row),
                p.row.forum,
                p.row.position
            ),
            source: p.row.source.to_string(),
        })
        .collect()
}

fn deployment_facts(registry: &Registry, act: &Act, date: Date) -> Vec<Fact> {
    registry
        .deployment_rows()
        .iter()
        .filter(|d| d.row.host_state == Some(act.receiver))
        .filter(|d| act.givers.contains(&d.row.custodian_state))
        .filter(|d| {
            d.row
                .source_date
                .is_none_or(|s| s.last_day().is_some_and(|l| l <= date))
        })
        .map(|d| Fact {
            table: "deployments".into(),
            statement: format!(
                "Estimated (not declared): {} {} at {} in {}{}",
                d.row.custodian_state,
                d.row.weapon_type,
                d.row.site,
                act.receiver,
                d.row
                    .note
                    .as_ref()
                    .map(|n| format!("; {n}"))
                    .unwrap_or_default()
            ),
            source: d.row.source.to_string(),
        })
        .collect()
}

fn push_fact(facts: &mut Vec<Fact>, fact: Fact) {
    if !facts.contains(&fact) {
        facts.push(fact);
    }
}

/// NPT Art. I (subjects: nuclear-weapon States giving) or Art. II (subjects:
/// non-nuclear-weapon States receiving).
fn npt_findings(ctx: &Ctx<'_>, article: Article, out: &mut Vec<Finding>) {
    let (id, want) = match article {
        Article::I => (NPT_I, NptCategory::NuclearWeaponState),
        Article::II => (NPT_II, NptCategory::NonNuclearWeaponState),
    };
    let relevant = |s: StateCode, a: &Act| match article {
        Article::I => a.kind != ActKind::Holds && a.givers.contains(&s) && a.receiver != s,
        Article::II => a.receiver == s && !a.givers.contains(&s),
    };
    let candidates: BTreeSet<StateCode> = ctx
        .acts
        .iter()
        .flat_map(|a| match article {
            Article::I => a.givers.clone(),
            Article::II => vec![a.receiver],
        })
        .collect();
    for subject in candidates {
        let acts: Vec<&Act> = ctx.acts.iter().filter(|a| relevant(subject, a)).collect();
        if acts.is_empty() {
            continue;
        }
        let Some(check) = npt_check(ctx, subject, want) else {
            continue;
        };
        for interp in &ctx.interpretations {
            out.push(npt_finding(
                ctx, id, article, subject, interp, &check, &acts,
            ));
        }
    }
}

fn npt_finding(
    ctx: &Ctx<'_>,
    id: &'static str,
    article: Article,
    subject: StateCode,
    interp: &Interpretation,
    check: &Check,
    acts: &[&Act],
) -> Finding {
    let mut facts = check.facts.clone();
    let mut steps = check.steps.clone();
    let mut verdict = Verdict::Complies;
    let mut groups = Groups::default();
    for act in acts {
        let receiver_nws = ctx.registry.nws_qualification(act.receiver).is_some();
        let (v, why) = judge(interp.id, article, act, receiver_nws);
        verdict = verdict.worst(v);
        groups.add(act, v, why);
        let counterparts = match article {
            Article::I => vec![act.receiver],
            Article::II => act.givers.clone(),
        };
        for c in counterparts {
            push_fact(&mut facts, nws_fact(ctx.registry, c));
        }
        if act.kind == ActKind::Stationed {
            for f in deployment_facts(ctx.registry, act, ctx.date) {
                push_fact(&mut facts, f);
            }
        }
    }
    let (group_steps, events) =
        groups.steps(|v, why| format!("Under {}: {} — {why}.", interp.id, v.as_str()));
    steps.extend(group_steps);
    if acts.iter().any(|a| a.kind.preparation()) {
        let rests_on = if interp.id == US {
            "its claim that stationing and preparation under retained custody and control \
             transfer nothing"
        } else {
            "its claim that stationing and peacetime preparation are themselves transfer or \
             assistance"
        };
        let bound = match check.standing {
            Standing::Bound(Some(d)) => format!(" from {d}"),
            _ => String::new(),
        };
        let first = sorted_events(acts.iter().copied())
            .iter()
            .map(|e| e.time)
            .min()
            .map(|t| format!(" (first recorded {t})"))
            .unwrap_or_default();
        steps.push(format!(
            "[vclt-art-28] It is argued that the arrangement predates the NPT (positions.csv \
             2022 USA, 2022 DEU, 2023 USA). Under VCLT Art. 28 a treaty does not bind a party as \
             to acts or facts before, or situations that ceased to exist before, its entry into \
             force for that party; a situation that continues after it is bound. The situation \
             recorded here{first} continues at {date}, when the NPT binds {subject}{bound}, so \
             predating alone exempts nothing. The verdict of {} rests instead on {rests_on}.",
            interp.id,
            date = ctx.date
        ));
        steps.push(format!(
            "{} It does not by itself decide the verdict of {}, which rests on {rests_on}.",
            ctx.acquiescence, interp.id
        ));
    }
    for f in positions_facts(ctx.registry, interp.id, ctx.date) {
        push_fact(&mut facts, f);
    }
    if check.standing == Standing::Unknown {
        verdict = Verdict::Undetermined;
    }
    steps.push(final_step(id, subject, interp.id, verdict, &check.standing));
    Finding {
        obligation: id,
        interpretation: interp.id,
        subject,
        verdict,
        events,
        facts,
        reasoning: numbered(steps),
    }
}

fn final_step(
    obligation: &str,
    subject: StateCode,
    interp: &str,
    verdict: Verdict,
    standing: &Standing,
) -> String {
    let why = match (verdict, standing) {
        (Verdict::Undetermined, Standing::Unknown) => {
            "the registry cannot establish whether the obligation binds it at the date"
        }
        (Verdict::Undetermined, _) => "no act violates, and at least one cannot be judged",
        (Verdict::Violates, _) => "at least one act violates it",
        (Verdict::Complies, Standing::NotInForce) => "the obligation does not bind it at the date",
        (Verdict::Complies, _) => "no act violates it",
    };
    format!(
        "Verdict on {obligation} for {subject} under {interp}: {} ({why}).",
        verdict.as_str()
    )
}

/// TPNW Art. 1(1)(g) or the zone treaties' stationing clauses: every party hosting an
/// item of another state. The text is explicit, so every interpretation reaches the
/// same verdict; each finding still names its interpretation.
fn stationing_findings(ctx: &Ctx<'_>, id: &'static str, treaties: &[&str], out: &mut Vec<Finding>) {
    let hosts: BTreeSet<StateCode> = ctx
        .acts
        .iter()
        .filter(|a| a.kind == ActKind::Stationed)
        .map(|a| a.receiver)
        .collect();
    for host in hosts {
        let acts: Vec<&Act> = ctx
            .acts
            .iter()
            .filter(|a| a.kind == ActKind::Stationed && a.receiver == host)
            .collect();
        let checks: Vec<(&str, Check)> = treaties
            .iter()
            .filter_map(|t| treaty_check(ctx, t, host).map(|c| (*t, c)))
            .collect();
        if checks.is_empty() {
            continue;
        }
        for interp in &ctx.interpretations {
            let mut facts = Vec::new();
            let mut steps = Vec::new();
            let mut events = Vec::new();
            let mut verdict = Verdict::Complies;
            let mut standing = Standing::NotInForce;
            for (treaty, check) in &checks {
                facts.extend(check.facts.iter().cloned());
                steps.extend(check.steps.iter().cloned());
                let clause = clause_of(id, treaty);
                let v = match check.standing {
                    Standing::Bound(_) => Verdict::Violates,
                    Standing::NotInForce => Verdict::Complies,
                    Standing::Unknown => Verdict::Undetermined,
                };
                if v.rank() >= verdict.rank() {
                    standing = check.standing.clone();
                }
                verdict = verdict.worst(v);
                let mut groups = Groups::default();
                for act in &acts {
                    groups.add(act, v, String::new());
                }
                let (group_steps, group_events) = groups.steps(|v, _| {
                    format!(
                        "That is stationing in {host}'s territory, which {clause} forbids its \
                         parties to allow: {} under {treaty}.",
                        v.as_str()
                    )
                });
                steps.extend(group_steps);
                events.extend(group_events);
            }
            events.sort_by(|a, b| (a.leaf, &a.event).cmp(&(b.leaf, &b.event)));
            events.dedup();
            for act in &acts {
                for f in deployment_facts(ctx.registry, act, ctx.date) {
                    push_fact(&mut facts, f);
                }
            }
            steps.push(format!(
                "The clause's text is explicit about stationing; the readings of NPT Articles I \
                 and II do not bear on it, so {} reaches the same verdict as every other \
                 interpretation.",
                interp.id
            ));
            steps.push(final_step(id, host, interp.id, verdict, &standing));
            out.push(Finding {
                obligation: id,
                interpretation: interp.id,
                subject: host,
                verdict,
                events,
                facts,
                reasoning: numbered(steps),
            });
        }
    }
}

fn clause_of(obligation: &str, treaty: &str) -> &'static str {
    if obligation == TPNW_G {
        return "TPNW Art. 1(1)(g)";
    }
    ZONE_BANS
        .iter()
        .find(|z| z.treaty == treaty)
        .map(|z| z.citation.article)
        .unwrap_or("the zone treaty's stationing clause")
}

/// The acquiescence conditions held against positions.csv at a date: the knowledge
/// fact of the 1968 row, the objections recorded before the date's year, and what the
/// record does not show.
fn acquiescence_step(registry: &Registry, date: Date) -> String {
    let year = date.ymd().0;
    let rows: Vec<&Position> = registry.positions().iter().map(|p| &p.row).collect();
    let qa = rows
        .iter()
        .find(|p| p.year == Some(1968) && p.state_or_group.to_string() == "USA");
    let opened = treaty_id("NPT")
        .and_then(|id| registry.treaty(&id))
        .and_then(|t| t.row.opened_for_signature)
        .map(|d| format!("; the NPT opened for signature on {d} (treaties.csv)"))
        .unwrap_or_default();
    let knowledge = match qa.and_then(|p| p.note.as_ref()) {
        Some(note) => format!(
            "positions.csv 1968 USA note: \"{note}\" ({}){opened}",
            qa.map(|p| p.source.to_string()).unwrap_or_default()
        ),
        None => "positions.csv holds no note on who knew of the 1968 answers".to_owned(),
    };
    let objecting = |p: &&&Position| positions::classification(p).is_some_and(|c| c.objects);
    let before: Vec<String> = rows
        .iter()
        .filter(objecting)
        .filter(|p| p.year.is_some_and(|y| i64::from(y) < year))
        .map(|p| format!("{} ({})", statement_label(p), p.source))
        .collect();
    let undated: Vec<String> = rows
        .iter()
        .filter(objecting)
        .filter(|p| p.year.is_none())
        .map(|p| format!("{} ({})", statement_label(p), p.source))
        .collect();
    let first = rows
        .iter()
        .filter(objecting)
        .filter_map(|p| p.year)
        .filter(|y| i64::from(*y) < year)
        .min();
    let objections = if before.is_empty() {
        format!("none recorded in a year before {year}")
    } else {
        format!("{}: {}", before.len(), before.join("; "))
    };
    let npt_eif = treaty_id("NPT").and_then(|id| in_force_at(registry, &id, date).since);
    let silence = match (first, npt_eif) {
        (Some(f), Some(eif)) => format!(
            "the first recorded objection is of {f}, {} years after the NPT entered into force \
             on {eif} (the 2022 USA statement counts 45 unquestioned years, until 2015)",
            i64::from(f) - eif.ymd().0
        ),
        (Some(f), None) => format!("the first recorded objection is of {f}"),
        (None, _) => "no objection is recorded before the date".to_owned(),
    };
    let undated = if undated.is_empty() {
        String::new()
    } else {
        format!("; undated: {}", undated.join("; "))
    };
    let shown = if before.is_empty() {
        "knowledge by all parties is not shown"
    } else {
        "knowledge by all parties is not shown, and objections are recorded"
    };
    format!(
        "[acquiescence] It is argued that the arrangement was known and went unchallenged \
         (positions.csv 2022 USA, 2022 DEU). Acquiescence needs the other parties' knowledge, \
         no protest where one was called for, over a long enough time, and no coercion (Gulf \
         of Maine 1984 and Pedra Branca 2008 as the 2024 report reads them; Preah Vihear 1962 \
         p. 23). The record shows: knowledge: {knowledge}. Objections or questions recorded \
         before {year}: {objections}{undated}. Duration: {silence}. Coercion: nothing \
         recorded. On this record the conditions are not all shown ({shown}); positions.csv \
         is a selection from one report, not a full record of state practice, so a year \
         without a row is not proof of silence."
    )
}

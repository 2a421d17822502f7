//! The obligations engine over a hypothetical nuclear-sharing record: US weapons at
//! sites in Germany and Belgium (as deployments.csv estimates, from 004 fn [9][10]),
//! an assignment to a German unit, a certification exercise with German forces and a
//! control transfer to Germany; plus hypothetical hosts that are TPNW and zone-treaty
//! parties in the bundled data (AUT, MEX, ZAF). Every event is invented for the test.

use custodian_core::event::{
    ControlTransfer, ItemArrive, ItemAssign, ItemDepart, ItemDeployAbroad, ItemExercise,
    ItemProduce, ItemStatus, SiteRegister,
};
use custodian_core::ids::{ItemId, SiteId};
use custodian_core::{ActorId, Date, Event, EventId, LeafIndex, Payload, StateCode, UtcTime};
use custodian_custody::Custody;
use custodian_regime::obligations::{
    evaluate, general_rules, interpretations, obligations, Finding, Verdict,
};
use custodian_regime::positions::{positions_on, NO_READING, UNCLASSIFIED};
use custodian_regime::Registry;

fn t(s: &str) -> UtcTime {
    UtcTime::parse(s).unwrap()
}
fn st(s: &str) -> StateCode {
    StateCode::parse(s).unwrap()
}
fn site(s: &str) -> SiteId {
    SiteId::parse(s).unwrap()
}
fn item(s: &str) -> ItemId {
    ItemId::parse(s).unwrap()
}
fn registry() -> Registry {
    Registry::bundled(Date::parse("2026-11-24").unwrap()).unwrap()
}

/// Builds events with ids e-1, e-2, ... and times a day apart from 2024-01-01.
#[derive(Default)]
struct Log {
    events: Vec<Event>,
}

impl Log {
    fn push(&mut self, payload: Payload) -> &mut Log {
        let n = self.events.len() + 1;
        let time = Date::parse("2024-01-01")
            .unwrap()
            .plus_days(n as i64)
            .start_utc();
        self.events.push(Event {
            id: EventId::parse(&format!("e-{n}")).unwrap(),
            time,
            actor: ActorId::parse("usa-officer-1").unwrap(),
            payload,
            approvals: Vec::new(),
        });
        self
    }
    fn site(&mut self, id: &str, state: &str) -> &mut Log {
        self.push(Payload::SiteRegister(SiteRegister {
            site: site(id),
            name: id.into(),
            state: st(state),
            site_type: "air_base".into(),
        }))
    }
    fn produce(&mut self, id: &str) -> &mut Log {
        self.push(Payload::ItemProduce(ItemProduce {
            item: item(id),
            item_type: "B61 gravity bomb".into(),
            site: site("us-depot"),
            custodian: st("USA"),
            controller: st("USA"),
            status: ItemStatus::Stockpiled,
        }))
    }
    /// Moves an item from the US depot to `to` and deploys it there.
    fn station(&mut self, id: &str, to: &str, host: &str) -> &mut Log {
        let by = Date::parse("2024-12-31").unwrap().start_utc();
        self.push(Payload::ItemDepart(ItemDepart {
            item: item(id),
            from: site("us-depot"),
            to: site(to),
            arrive_by_utc: by,
        }))
        .push(Payload::ItemArrive(ItemArrive {
            item: item(id),
            site: site(to),
        }))
        .push(Payload::ItemDeployAbroad(ItemDeployAbroad {
            item: item(id),
            site: site(to),
            host: st(host),
            arrangement: "NATO nuclear sharing (hypothetical)".into(),
        }))
    }
    fn control(&mut self, id: &str, to: &str, wartime: bool) -> &mut Log {
        self.push(Payload::ControlTransfer(ControlTransfer {
            item: item(id),
            from: st("USA"),
            to: st(to),
            condition: wartime.then(|| "upon a decision to go to war (hypothetical)".into()),
            wartime,
        }))
    }
    fn custody(&self) -> Custody {
        let mut c = Custody::new();
        for (i, e) in self.events.iter().enumerate() {
            c.apply(LeafIndex(i as u64), e).unwrap();
        }
        c
    }
}

/// US bombs at Büchel (DEU) and Kleine Brogel (BEL); one assigned to a German unit
/// and used in a certification exercise with German forces.
fn sharing() -> Log {
    let mut log = Log::default();
    log.site("us-depot", "USA")
        .site("buechel", "DEU")
        .site("kleine-brogel", "BEL")
        .produce("b61-1")
        .produce("b61-2")
        .station("b61-1", "buechel", "DEU")
        .station("b61-2", "kleine-brogel", "BEL")
        .push(Payload::ItemAssign(ItemAssign {
            item: item("b61-1"),
            unit: "Taktisches Luftwaffengeschwader 33 (hypothetical)".into(),
            unit_state: st("DEU"),
            delivery_system: Some("dual-capable aircraft".into()),
        }))
        .push(Payload::ItemExercise(ItemExercise {
            item: item("b61-1"),
            site: site("buechel"),
            exercise: "certification exercise (hypothetical)".into(),
            participants: vec![st("USA"), st("DEU")],
        }));
    log
}

const AT: &str = "2024-12-01T00:00:00Z";

fn all(log: &Log) -> Vec<Finding> {
    evaluate(&registry(), &log.custody(), t(AT), None, None).unwrap()
}

fn find<'a>(fs: &'a [Finding], obligation: &str, subject: &str, interp: &str) -> &'a Finding {
    fs.iter()
        .find(|f| {
            f.obligation == obligation && f.subject == st(subject) && f.interpretation == interp
        })
        .unwrap_or_else(|| panic!("no finding {obligation} {subject} {interp}"))
}

fn mentions(f: &Finding, text: &str) -> bool {
    f.reasoning.iter().any(|s| s.contains(text))
}

#[test]
fn stationing_and_wartime_transfer_under_each_reading() {
    let mut log = sharing();
    log.control("b61-1", "DEU", true);
    let fs = all(&log);
    for f in &fs {
        eprintln!(
            "{} {} {} {:?}",
            f.obligation, f.subject, f.interpretation, f.verdict
        );
    }
    // us-1968-qa: stationing, assignment, exercise and the wartime transfer comply.
    let usa = find(&fs, "npt-art-1", "USA", "us-1968-qa");
    assert_eq!(usa.verdict, Verdict::Complies, "{:#?}", usa.reasoning);
    assert!(mentions(usa, "would no longer be controlling"));
    assert!(mentions(usa, "That is the reading's claim"));
    let deu = find(&fs, "npt-art-2", "DEU", "us-1968-qa");
    assert_eq!(deu.verdict, Verdict::Complies, "{:#?}", deu.reasoning);
    assert!(mentions(deu, "would no longer be controlling"));
    assert_eq!(
        find(&fs, "npt-art-2", "BEL", "us-1968-qa").verdict,
        Verdict::Complies
    );
    // broad-revcon: the same record violates both articles.
    let usa = find(&fs, "npt-art-1", "USA", "broad-revcon");
    assert_eq!(usa.verdict, Verdict::Violates);
    assert!(mentions(usa, "in peace and war"));
    assert_eq!(
        find(&fs, "npt-art-2", "DEU", "broad-revcon").verdict,
        Verdict::Violates
    );
    assert_eq!(
        find(&fs, "npt-art-2", "BEL", "broad-revcon").verdict,
        Verdict::Violates
    );
    // The general rules are applied as steps where the arguments rest on them.
    for f in fs.iter().filter(|f| f.obligation.starts_with("npt")) {
        assert!(mentions(f, "[vclt-art-28]"), "{}", f.subject);
        assert!(mentions(f, "predating alone exempts nothing"));
        assert!(mentions(f, "[acquiescence]"));
        assert!(mentions(f, "1995 TZA"), "objections listed");
        assert!(mentions(f, "1968-07-09"), "the knowledge fact");
    }
    // No TPNW or zone-treaty party hosts in this record.
    assert!(fs.iter().all(|f| f.obligation.starts_with("npt")));
    // The nuclear-weapon State has no Art. II finding, the hosts no Art. I finding.
    assert!(!fs
        .iter()
        .any(|f| f.obligation == "npt-art-2" && f.subject == st("USA")));
    assert!(!fs
        .iter()
        .any(|f| f.obligation == "npt-art-1" && f.subject == st("DEU")));
}

#[test]
fn a_peacetime_control_transfer_violates_under_both() {
    let mut log = sharing();
    log.control("b61-1", "DEU", false);
    let fs = all(&log);
    for interp in ["us-1968-qa", "broad-revcon"] {
        let usa = find(&fs, "npt-art-1", "USA", interp);
        assert_eq!(
            usa.verdict,
            Verdict::Violates,
            "{interp}: {:#?}",
            usa.reasoning
        );
        let deu = find(&fs, "npt-art-2", "DEU", interp);
        assert_eq!(deu.verdict, Verdict::Violates, "{interp}");
        assert!(mentions(
            deu,
            "Control of item b61-1 passes from USA to DEU"
        ));
    }
    // Belgium took part in nothing but hosting: the readings still differ for it.
    assert_eq!(
        find(&fs, "npt-art-2", "BEL", "us-1968-qa").verdict,
        Verdict::Complies
    );
}

#[test]
fn a_tpnw_party_hosting_violates_under_every_reading() {
    // Austria ratified the TPNW on 2018-05-08 (memberships.csv); the TPNW entered into
    // force on 2021-01-22 (treaty_counts.csv, treaties.csv). Hosting is hypothetical.
    let mut log = sharing();
    log.site("aut-base", "AUT")
        .produce("b61-3")
        .station("b61-3", "aut-base", "AUT");
    let fs = all(&log);
    for interp in ["us-1968-qa", "broad-revcon"] {
        let f = find(&fs, "tpnw-art-1-1-g", "AUT", interp);
        assert_eq!(f.verdict, Verdict::Violates, "{interp}: {:#?}", f.reasoning);
        assert!(f
            .facts
            .iter()
            .any(|x| x.statement.contains("TPNW status of AUT")));
    }
    // Under the NPT the readings part ways for the same host.
    assert_eq!(
        find(&fs, "npt-art-2", "AUT", "us-1968-qa").verdict,
        Verdict::Complies
    );
    assert_eq!(
        find(&fs, "npt-art-2", "AUT", "broad-revcon").verdict,
        Verdict::Violates
    );
    // Germany and Belgium are not TPNW parties: no finding.
    assert!(!fs
        .iter()
        .any(|f| f.obligation == "tpnw-art-1-1-g" && f.subject != st("AUT")));
}

#[test]
fn zone_treaties_bind_where_in_force_and_say_when_they_cannot_tell() {
    // South Africa ratified Pelindaba 1998-03-27, in force 2009-07-15; Mexico ratified
    // Tlatelolco 1967-09-20, whose entry into force ("for each Government individually",
    // Art. 28) Custodian does not model. Both hostings are hypothetical.
    let mut log = Log::default();
    log.site("us-depot", "USA")
        .site("zaf-base", "ZAF")
        .site("mex-base", "MEX")
        .produce("b61-1")
        .produce("b61-2")
        .station("b61-1", "zaf-base", "ZAF")
        .station("b61-2", "mex-base", "MEX");
    let fs = all(&log);
    for interp in ["us-1968-qa", "broad-revcon"] {
        let zaf = find(&fs, "nwfz-stationing", "ZAF", interp);
        assert_eq!(zaf.verdict, Verdict::Violates, "{:#?}", zaf.reasoning);
        assert!(mentions(zaf, "Pelindaba"));
        let mex = find(&fs, "nwfz-stationing", "MEX", interp);
        assert_eq!(mex.verdict, Verdict::Undetermined, "{:#?}", mex.reasoning);
        assert!(mentions(mex, "cannot be told"));
        // Mexico ratified the TPNW on 2018-01-16.
        assert_eq!(
            find(&fs, "tpnw-art-1-1-g", "MEX", interp).verdict,
            Verdict::Violates
        );
    }
}

#[test]
fn every_finding_names_its_interpretation_and_rests_on_events_and_sourced_facts() {
    let mut log = sharing();
    log.control("b61-1", "DEU", true)
        .site("aut-base", "AUT")
        .produce("b61-3")
        .station("b61-3", "aut-base", "AUT");
    let fs = all(&log);
    assert!(!fs.is_empty());
    let ids: Vec<&str> = interpretations().iter().map(|i| i.id).collect();
    for f in &fs {
        assert!(ids.contains(&f.interpretation), "{}", f.interpretation);
        assert!(!f.events.is_empty(), "{} {}", f.obligation, f.subject);
        assert!(!f.facts.is_empty());
        assert!(f.facts.iter().all(|x| !x.source.trim().is_empty()));
        assert!(f
            .reasoning
            .iter()
            .enumerate()
            .all(|(i, s)| s.starts_with(&format!("{}. ", i + 1))));
        assert!(f
            .reasoning
            .last()
            .unwrap()
            .contains(&format!("under {}", f.interpretation)));
    }
    // Every (obligation, subject) is judged under every interpretation.
    let mut pairs: Vec<(&str, StateCode)> = fs.iter().map(|f| (f.obligation, f.subject)).collect();
    pairs.dedup();
    assert_eq!(pairs.len() * ids.len(), fs.len());
    // "all" and None are the same; the order is deterministic.
    let reg = registry();
    let c = log.custody();
    let again = evaluate(&reg, &c, t(AT), Some("all"), Some("all")).unwrap();
    assert_eq!(fs, again);
    let order: Vec<&str> = obligations().iter().map(|o| o.id).collect();
    let keys: Vec<(usize, StateCode, usize)> = fs
        .iter()
        .map(|f| {
            (
                order.iter().position(|o| *o == f.obligation).unwrap(),
                f.subject,
                ids.iter().position(|i| *i == f.interpretation).unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // One interpretation, one obligation.
    let only = evaluate(&reg, &c, t(AT), Some("npt-art-1"), Some("us-1968-qa")).unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].subject, st("USA"));
    // Serializes for --json.
    let json = serde_json::to_value(&fs[0]).unwrap();
    assert!(json["verdict"].is_string());
}

#[test]
fn unknown_ids_are_errors_listing_the_known_ones() {
    let reg = registry();
    let c = sharing().custody();
    let e = evaluate(&reg, &c, t(AT), Some("npt-art-9"), None).unwrap_err();
    assert!(
        e.contains("npt-art-1") && e.contains("nwfz-stationing"),
        "{e}"
    );
    let e = evaluate(&reg, &c, t(AT), None, Some("mine")).unwrap_err();
    assert!(
        e.contains("us-1968-qa") && e.contains("broad-revcon"),
        "{e}"
    );
}

#[test]
fn a_state_with_no_item_facts_gets_no_finding() {
    let fs = all(&sharing());
    assert!(fs
        .iter()
        .all(|f| ["USA", "DEU", "BEL"].contains(&f.subject.as_str())));
    let mut empty = Log::default();
    empty.site("us-depot", "USA").produce("b61-1");
    assert!(all(&empty).is_empty());
}

#[test]
fn rules_and_readings_are_cited() {
    for o in obligations() {
        assert!(!o.text.is_empty() && !o.source.is_empty(), "{}", o.id);
    }
    for i in interpretations() {
        assert!(!i.tenets.is_empty() && !i.sources.is_empty(), "{}", i.id);
    }
    let rules: Vec<&str> = general_rules().iter().map(|r| r.id).collect();
    assert_eq!(rules, ["vclt-art-28", "acquiescence"]);
    for z in custodian_regime::obligations::zone_bans() {
        assert!(!z.citation.sources.is_empty(), "{}", z.treaty);
    }
}

#[test]
fn positions_on_nuclear_sharing_cover_every_row() {
    let reg = registry();
    let answer = positions_on(&reg, "nuclear-sharing").unwrap();
    assert_eq!(answer.positions.len(), reg.positions().len());
    assert_eq!(answer.classified_by, "Custodian");
    assert!(answer.positions.iter().all(|p| p.reading != UNCLASSIFIED));
    let reading = |year: Option<i32>, speaker: &str| {
        answer
            .positions
            .iter()
            .find(|p| {
                p.position.row.year == year && p.position.row.state_or_group.to_string() == speaker
            })
            .map(|p| p.reading)
            .unwrap()
    };
    assert_eq!(reading(Some(1968), "USA"), "us-1968-qa");
    assert_eq!(reading(Some(2000), "EGY"), "broad-revcon");
    assert_eq!(reading(Some(2015), "CELAC"), NO_READING);
    let summary: Vec<&str> = answer.by_reading.iter().map(|r| r.reading).collect();
    assert_eq!(summary, ["us-1968-qa", "broad-revcon", NO_READING]);
    let us = &answer.by_reading[0];
    assert_eq!((us.first_year, us.last_year), (Some(1968), Some(2023)));
    assert!(us.speakers.contains(&"DEU".to_owned()));
    let broad = &answer.by_reading[1];
    assert_eq!(broad.first_year, Some(1995));
    assert!(broad.statements.contains(&"2015 RUS".to_owned()));
    let total: usize = answer.by_reading.iter().map(|r| r.statements.len()).sum();
    assert_eq!(total, reg.positions().len());
    let e = positions_on(&reg, "nuclear-testing").unwrap_err();
    assert!(e.contains("nuclear-sharing"), "{e}");
}

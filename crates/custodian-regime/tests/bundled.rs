//! Queries over the bundled data, each expected answer with the source it comes from:
//! the CSV row's source, the treaty article, or the seed document.

use custodian_core::{Date, StateCode};
use custodian_regime::data::TreatyId;
use custodian_regime::query::Figure;
use custodian_regime::{EifStatus, NptCategory, Registry, TreatyStatus};

fn d(text: &str) -> Date {
    Date::parse(text).unwrap()
}
fn s(code: &str) -> StateCode {
    StateCode::parse(code).unwrap()
}
fn t(id: &str) -> TreatyId {
    TreatyId::parse(id).unwrap()
}
fn codes(list: &[&str]) -> Vec<StateCode> {
    let mut v: Vec<StateCode> = list.iter().map(|c| s(c)).collect();
    v.sort();
    v
}
fn registry() -> Registry {
    Registry::bundled(d("2026-11-24")).unwrap()
}

const PRK: &str = "prk-npt-withdrawal";
const RUS_DATE: &str = "rus-ctbt-ratification-date";

#[test]
fn bundled_data_loads_whole() {
    // SOURCES.md: states 197, treaties 9, memberships 1151, ctbt_annex2 44, forces 115,
    // deployments 8, review_conferences 17, positions 35, treaty_counts 13.
    let reg = registry();
    assert_eq!(reg.states().filter(|s| s.row.is_some()).count(), 197);
    assert_eq!(reg.treaties().len(), 9);
    assert_eq!(reg.memberships().count(), 1151);
    assert_eq!(reg.ctbt_annex2().len(), 44);
    assert_eq!(reg.force_estimates().len(), 115);
    assert_eq!(reg.deployment_rows().len(), 8);
    assert_eq!(reg.review_conferences().len(), 17);
    assert_eq!(reg.positions().len(), 35);
    assert_eq!(reg.treaty_counts().len(), 13);
    // The USSR is added by the continuation rule (rules::SUCCESSIONS).
    assert!(reg.state(s("SUN")).unwrap().continued_by.is_some());
    // Both contested facts are active: their rows are in memberships.csv.
    assert_eq!(reg.contested_facts().len(), 2);
}

#[test]
fn npt_parties_at_2018_06_30_per_reading() {
    // memberships.csv (UNODA, harvested 2018): 191 states have an NPT ratification,
    // accession or succession row; India, Israel, Pakistan, South Sudan, Cook Islands
    // and Niue have none (SOURCES.md, Known gaps). The DPRK's withdrawal is contested
    // (memberships.csv note; SOURCES.md, Disagreements kept): 191 parties if it had no
    // legal effect, 190 if it took effect (on 2003-04-10 or, per the DPRK, 2003-01-11).
    let reg = registry();
    let all = reg.status_all(&t("NPT"), d("2018-06-30")).unwrap();
    assert_eq!(
        all.answers.len(),
        2,
        "two distinct tables across three readings"
    );
    let not_effective = all.answers.under(PRK, "not-legally-effective").unwrap();
    assert_eq!(not_effective.parties.len(), 191);
    assert!(not_effective.withdrawn.is_empty());
    for reading in ["effective-2003-04-10", "effective-2003-01-11"] {
        let table = all.answers.under(PRK, reading).unwrap();
        assert_eq!(table.parties.len(), 190, "{reading}");
        assert_eq!(table.withdrawn, codes(&["PRK"]));
    }
    // Every answer names its readings; none is picked silently.
    let named: usize = all.answers.iter().map(|a| a.under.len()).sum();
    assert_eq!(named, 3);
    assert!(!all.coverage.beyond_coverage);
    for never in ["IND", "ISR", "PAK", "SSD"] {
        assert!(not_effective.non_signatories.contains(&s(never)), "{never}");
    }
}

#[test]
fn npt_parties_at_2022_08_26_match_the_sourced_count() {
    // treaty_counts.csv NPT 2022-08-26: 191 states parties (bolnews.com, 2022 RevCon),
    // "counts PRK per some readings": the not-legally-effective reading gives 191.
    // memberships.csv has no NPT action after 2015-02-10, so the gap after the 2018
    // harvest does not change the count (flagged as beyond coverage all the same).
    let reg = registry();
    let all = reg.status_all(&t("NPT"), d("2022-08-26")).unwrap();
    let count = reg
        .treaty_counts()
        .iter()
        .find(|c| c.row.treaty.as_str() == "NPT")
        .unwrap();
    assert_eq!(count.row.value, 191);
    assert_eq!(
        all.answers
            .under(PRK, "not-legally-effective")
            .unwrap()
            .parties
            .len(),
        191
    );
    assert!(all.coverage.beyond_coverage);
}

#[test]
fn nuclear_weapon_states_at_2020_01_01() {
    // NPT Art. IX.3: a party that exploded a device before 1967-01-01. First tests:
    // US 1945, USSR 1949 (continued by Russia, rules::SUCCESSIONS), UK 1952, France
    // 1960, China 1964 (CTBTO FAQ, rules::FIRST_EXPLOSIONS). All five are parties in
    // memberships.csv by 2020 (CHN accession 1992-03-09, FRA accession 1992-08-02).
    let reg = registry();
    let all = reg.status_all(&t("NPT"), d("2020-01-01")).unwrap();
    for answer in all.answers.iter() {
        assert_eq!(
            answer.value.nuclear_weapon_states.clone().unwrap(),
            codes(&["USA", "RUS", "GBR", "FRA", "CHN"])
        );
    }
    assert_eq!(
        reg.npt_category(s("RUS"), d("2020-01-01"))
            .unwrap()
            .unanimous(),
        Some(&NptCategory::NuclearWeaponState)
    );
    // India exploded a device in 1974 (sputnikglobe 2014 factbox) and is no party:
    // not a nuclear-weapon State under the treaty.
    assert_eq!(
        reg.npt_category(s("IND"), d("2020-01-01"))
            .unwrap()
            .unanimous(),
        Some(&NptCategory::NonParty)
    );
}

#[test]
fn nuclear_weapon_states_at_1980_01_01_count_the_ussr_once() {
    // memberships.csv: GBR ratified 1968-11-27, USA and the USSR (filed under RUS)
    // 1970-03-05; France and China joined only in 1992. Before 1991-12-24 the USSR's
    // record is listed under SUN and RUS is not listed (rules::SUCCESSIONS).
    let reg = registry();
    let all = reg.status_all(&t("NPT"), d("1980-01-01")).unwrap();
    let table = all.answers.unanimous().unwrap();
    assert_eq!(
        table.nuclear_weapon_states.clone().unwrap(),
        codes(&["GBR", "SUN", "USA"])
    );
    assert!(!table.parties.contains(&s("RUS")));
    assert!(!table.non_signatories.contains(&s("RUS")));
    assert!(table.non_signatories.contains(&s("FRA")));
}

#[test]
fn ussr_and_russia() {
    // rules::SUCCESSIONS (UN letter of 24 December 1991; UNODA files the USSR's actions
    // under RUS): the USSR's NPT ratification of 1970-03-05 answers for SUN before
    // 1991-12-24 and for RUS throughout.
    let reg = registry();
    let npt = t("NPT");
    let party = TreatyStatus::Party {
        since: d("1970-03-05"),
        by: custodian_regime::ActionKind::Ratification,
    };
    assert_eq!(
        reg.status(&npt, s("SUN"), d("1980-01-01"))
            .unwrap()
            .unanimous(),
        Some(&party)
    );
    assert_eq!(
        reg.status(&npt, s("RUS"), d("2020-01-01"))
            .unwrap()
            .unanimous(),
        Some(&party)
    );
    assert_eq!(
        reg.status(&npt, s("SUN"), d("1992-01-01"))
            .unwrap()
            .unanimous(),
        Some(&TreatyStatus::CeasedToExist {
            on: d("1991-12-24"),
            continued_by: s("RUS")
        })
    );
    let history = reg.history(s("RUS"), &npt).unwrap();
    assert_eq!(history.entries.len(), 2);
    assert!(history.entries.iter().all(|e| e.acting_state == s("SUN")));
    assert!(history
        .sources
        .iter()
        .any(|src| src.contains("ask.un.org/faq/378083")));
    assert_eq!(reg.history(s("SUN"), &npt).unwrap().entries.len(), 2);
}

#[test]
fn dprk_npt_status_at_2004_01_01_under_each_reading() {
    // memberships.csv: PRK accession 1985-12-12 (UNODA), withdrawal_notice 2003-01-10
    // and withdrawal_effective 2003-04-10 (piglix.com Wikipedia mirror, CONTESTED).
    // Readings (readings::CONTESTED_FACTS): effective 2003-04-10 (CNS 2003: the
    // generally held view), not legally effective (VOA 2003-04-11: Japan), effective
    // 2003-01-11 (the DPRK's own position, CNS 2003).
    let reg = registry();
    let status = reg.status(&t("NPT"), s("PRK"), d("2004-01-01")).unwrap();
    assert_eq!(status.len(), 3);
    assert_eq!(
        status.under(PRK, "effective-2003-04-10"),
        Some(&TreatyStatus::Withdrawn {
            notice: Some(d("2003-01-10")),
            effective: d("2003-04-10"),
            effective_by_rule: false
        })
    );
    assert_eq!(
        status.under(PRK, "not-legally-effective"),
        Some(&TreatyStatus::Party {
            since: d("1985-12-12"),
            by: custodian_regime::ActionKind::Accession
        })
    );
    assert_eq!(
        status.under(PRK, "effective-2003-01-11"),
        Some(&TreatyStatus::Withdrawn {
            notice: Some(d("2003-01-10")),
            effective: d("2003-01-11"),
            effective_by_rule: false
        })
    );
    for answer in status.iter() {
        assert!(!answer.sources.is_empty());
    }
    let category = reg.npt_category(s("PRK"), d("2004-01-01")).unwrap();
    assert_eq!(
        category.under(PRK, "not-legally-effective"),
        Some(&NptCategory::NonNuclearWeaponState)
    );
    assert_eq!(
        category.under(PRK, "effective-2003-04-10"),
        Some(&NptCategory::NonParty)
    );
}

#[test]
fn dprk_during_the_notice_period() {
    // NPT Art. X.1: three months' notice. On 2003-02-01 the notice of 2003-01-10 is
    // pending under the first reading; the DPRK's own reading has it out since
    // 2003-01-11.
    let reg = registry();
    let status = reg.status(&t("NPT"), s("PRK"), d("2003-02-01")).unwrap();
    assert_eq!(
        status.under(PRK, "effective-2003-04-10"),
        Some(&TreatyStatus::WithdrawalPending {
            since: d("1985-12-12"),
            by: custodian_regime::ActionKind::Accession,
            notice: d("2003-01-10"),
            effective: Some(d("2003-04-10")),
        })
    );
    assert!(matches!(
        status.under(PRK, "effective-2003-01-11"),
        Some(TreatyStatus::Withdrawn { .. })
    ));
}

#[test]
fn ctbt_not_in_force_at_2024_01_01_nine_annex2_states_missing() {
    // CTBT Art. XIV.1 (UN depositary page): all 44 Annex 2 states (ctbt_annex2.csv,
    // atomicarchive.com) must ratify. memberships.csv: no ratification by CHN, EGY,
    // IND, IRN, ISR, PAK, PRK, USA (state.gov md212168: 8 non-ratifiers), and Russia
    // revoked its ratification on 2023-11-02 (themoscowtimes.com): 9 missing. Both
    // readings of Russia's ratification date agree here.
    let reg = registry();
    let answer = reg.in_force(&t("CTBT"), d("2024-01-01")).unwrap();
    let eval = answer.answers.unanimous().unwrap();
    assert_eq!(eval.status, EifStatus::NotInForce);
    assert_eq!(eval.in_force(), Some(false));
    assert_eq!(
        eval.missing,
        codes(&["CHN", "EGY", "IND", "IRN", "ISR", "PAK", "PRK", "RUS", "USA"])
    );
    assert_eq!(answer.answers.iter().next().unwrap().under.len(), 2);
    let status_all = reg.status_all(&t("CTBT"), d("2024-01-01")).unwrap();
    assert_eq!(
        status_all.answers.unanimous().unwrap().ratification_revoked,
        codes(&["RUS"])
    );
}

#[test]
fn ctbt_annex2_missing_before_and_after_russias_revocation() {
    // The day before the revocation law (memberships.csv, 2023-11-02) eight Annex 2
    // states are missing (000 and state.gov md212168: 8 of the 44); from that day nine.
    let reg = registry();
    let before = reg.in_force(&t("CTBT"), d("2023-11-01")).unwrap();
    let after = reg.in_force(&t("CTBT"), d("2023-11-02")).unwrap();
    let before = before.answers.unanimous().unwrap();
    let after = after.answers.unanimous().unwrap();
    assert_eq!(
        before.missing,
        codes(&["CHN", "EGY", "IND", "IRN", "ISR", "PAK", "PRK", "USA"])
    );
    assert_eq!(after.missing.len(), 9);
    assert_eq!((before.counted, after.counted), (Some(36), Some(35)));
    // Russia is a signatory again, whichever ratification date is read.
    let rus = reg.status(&t("CTBT"), s("RUS"), d("2024-01-01")).unwrap();
    for (reading, ratified) in [
        ("deposit-2000-06-30", "2000-06-30"),
        ("domestic-2000-05-27", "2000-05-27"),
    ] {
        assert_eq!(
            rus.under(RUS_DATE, reading),
            Some(&TreatyStatus::RatificationRevoked {
                signed: Some(d("1996-09-24")),
                ratified: d(ratified),
                revoked: d("2023-11-02"),
            })
        );
    }
}

#[test]
fn ctbt_annex2_count_at_2013_07_31_matches_state_gov() {
    // treaty_counts.csv CTBT 2013-07-31: 36 Annex 2 states ratified (m.state.gov
    // md212168). The rule applied to memberships.csv counts the same.
    let reg = registry();
    let answer = reg.in_force(&t("CTBT"), d("2013-07-31")).unwrap();
    assert_eq!(answer.answers.unanimous().unwrap().counted, Some(36));
    assert_eq!(answer.counts.len(), 1);
    assert_eq!(answer.counts[0].row.value, 36);
}

#[test]
fn russias_ctbt_ratification_date_is_two_readings() {
    // memberships.csv: RUS ratification 2000-06-30 (UNODA deposit; VERTIC) and
    // 2000-05-27 (vestikavkaza.ru; TASS). On 2000-06-15 the readings differ on
    // whether Russia had ratified.
    let reg = registry();
    let status = reg.status(&t("CTBT"), s("RUS"), d("2000-06-15")).unwrap();
    assert_eq!(status.len(), 2);
    assert!(matches!(
        status.under(RUS_DATE, "deposit-2000-06-30"),
        Some(TreatyStatus::Signatory { .. })
    ));
    assert!(matches!(
        status.under(RUS_DATE, "domestic-2000-05-27"),
        Some(TreatyStatus::Party { since, .. }) if *since == d("2000-05-27")
    ));
    let eif = reg.in_force(&t("CTBT"), d("2000-06-15")).unwrap();
    let deposit = eif.answers.under(RUS_DATE, "deposit-2000-06-30").unwrap();
    let domestic = eif.answers.under(RUS_DATE, "domestic-2000-05-27").unwrap();
    assert!(deposit.missing.contains(&s("RUS")));
    assert!(!domestic.missing.contains(&s("RUS")));
    // Later, the status still differs in its date, but entry into force does not
    // depend on it: one answer naming both readings.
    let status = reg.status(&t("CTBT"), s("RUS"), d("2010-01-01")).unwrap();
    assert_eq!(status.len(), 2);
    let eif = reg.in_force(&t("CTBT"), d("2010-01-01")).unwrap();
    assert_eq!(eif.answers.len(), 1);
    assert_eq!(eif.answers.iter().next().unwrap().under.len(), 2);
}

#[test]
fn tpnw_entry_into_force_2021_01_22() {
    // TPNW Art. 15.1: 90 days after the 50th instrument. memberships.csv holds only the
    // 11 TPNW ratifications of the 2018 harvest (SOURCES.md, Known gaps), so the rule
    // applied to it says "not enough data" on 2021-01-22. Separate sourced facts:
    // treaties.csv records entry into force on 2021-01-22 (wikimili, icanw.org); and
    // treaty_counts.csv gives 32 parties on 2019-09-26 (ICAN) and 50 on 2020-10-24
    // (icanw.org), so by the same rule entry into force falls between 2019-12-26 and
    // 2021-01-22: in force on 2021-01-22.
    let reg = registry();
    let answer = reg.in_force(&t("TPNW"), d("2021-01-22")).unwrap();
    let eval = answer.answers.unanimous().unwrap();
    assert!(matches!(eval.status, EifStatus::NotEnoughData { .. }));
    assert_eq!(eval.in_force(), None);
    assert_eq!((eval.counted, eval.required), (Some(11), Some(50)));
    assert_eq!(answer.recorded.row.entry_into_force, Some(d("2021-01-22")));
    let counts = answer.from_counts.unwrap();
    assert_eq!(counts.reached.unwrap().row.as_of, d("2020-10-24"));
    assert_eq!(counts.in_force_no_later_than, Some(d("2021-01-22")));
    assert_eq!(counts.in_force_no_earlier_than, Some(d("2019-12-26")));
    assert_eq!(counts.in_force, Some(true));
    // The day before, the counts cannot tell.
    let before = reg.in_force(&t("TPNW"), d("2021-01-21")).unwrap();
    assert_eq!(before.from_counts.unwrap().in_force, None);
}

#[test]
fn tpnw_instruments_at_2018_06_24_match_the_sourced_count() {
    // treaty_counts.csv TPNW 2018-06-24: 10 states parties, counted from the UNODA
    // records of the 2018 harvest; within the harvest the rule can say "not in force".
    let reg = registry();
    let answer = reg.in_force(&t("TPNW"), d("2018-06-24")).unwrap();
    let eval = answer.answers.unanimous().unwrap();
    assert_eq!(eval.counted, Some(10));
    assert_eq!(eval.status, EifStatus::NotInForce);
}

#[test]
fn npt_entry_into_force_computed_matches_recorded() {
    // NPT Art. IX.3: the three depositaries and 40 other signatories. memberships.csv:
    // USA and the USSR ratified on 1970-03-05, by which 42 other signatories had; the
    // date treaties.csv records (piglix.com) is 1970-03-05.
    let reg = registry();
    let answer = reg.in_force(&t("NPT"), d("2000-01-01")).unwrap();
    let eval = answer.answers.unanimous().unwrap();
    assert_eq!(eval.since(), Some(d("1970-03-05")));
    assert_eq!(answer.recorded.row.entry_into_force, eval.since());
    let before = reg.in_force(&t("NPT"), d("1970-03-04")).unwrap();
    let before = before.answers.unanimous().unwrap();
    assert_eq!(before.in_force(), Some(false));
    assert_eq!(before.missing, vec![s("USA"), s("SUN")]);
    assert_eq!((before.counted, before.required), (Some(38), Some(40)));
}

#[test]
fn ptbt_in_force_1963_10_10_and_nwfz_rules_not_sourced() {
    // PTBT: in force on 1963-10-10 when the three Original Parties deposited their
    // ratifications (worldhistoryproject.org); memberships.csv has GBR, USA and RUS
    // (USSR) ratifications on 1963-10-10.
    let reg = registry();
    let ptbt = reg.in_force(&t("PTBT"), d("1970-01-01")).unwrap();
    assert_eq!(
        ptbt.answers.unanimous().unwrap().since(),
        Some(d("1963-10-10"))
    );
    // Tlatelolco (in force for each state individually) and Semipalatinsk (clause not
    // sourced) have no rule; the other zones' rules are tested in tests/nwfz.rs.
    for zone in ["Tlatelolco", "Semipalatinsk"] {
        let answer = reg.in_force(&t(zone), d("2020-01-01")).unwrap();
        assert!(answer.rule.is_none(), "{zone}");
        assert_eq!(
            answer.answers.unanimous().unwrap().status,
            EifStatus::RuleNotSourced
        );
    }
}

#[test]
fn documented_exceptions_are_applied_and_shown() {
    // PTBT Original Parties signed at Moscow on 1963-08-05, before the opening for
    // signature on 1963-08-08 (worldhistoryproject.org; treaties.csv). Fiji's NPT
    // accession (Washington 1972-07-21) and succession (London 1972-08-14) are both in
    // memberships.csv (UNODA per-depositary notes): a party from the earlier date.
    let reg = registry();
    let ptbt = reg.history(s("GBR"), &t("PTBT")).unwrap();
    assert!(ptbt.entries[0].documented_exception.is_some());
    assert_eq!(
        reg.status(&t("NPT"), s("FJI"), d("1980-01-01"))
            .unwrap()
            .unanimous(),
        Some(&TreatyStatus::Party {
            since: d("1972-07-21"),
            by: custodian_regime::ActionKind::Accession
        })
    );
    let fiji = reg.history(s("FJI"), &t("NPT")).unwrap();
    assert!(fiji.entries[1].documented_exception.is_some());
}

#[test]
fn forces_keep_every_source() {
    // forces.csv: US January 2024 total 5,044 (SIPRI Yearbook 2024) and 5,328 (SIPRI
    // Yearbook 2025, revised): both kept, shown as a disagreement.
    let reg = registry();
    let y2024 = reg.forces(Some(2024));
    let us: Vec<_> = y2024
        .estimates
        .iter()
        .filter(|r| r.row.state == s("USA"))
        .collect();
    assert_eq!(us.len(), 2);
    let us_total = y2024
        .disagreements
        .iter()
        .find(|x| x.state == s("USA") && x.year == Some(2024))
        .unwrap();
    let totals: Vec<Figure> = us_total.figures.iter().map(|f| f.figure).collect();
    assert!(totals.contains(&Figure::Estimate {
        value: custodian_regime::data::EstimatedWarheads(5044)
    }));
    assert!(totals.contains(&Figure::Estimate {
        value: custodian_regime::data::EstimatedWarheads(5328)
    }));
    assert!(us_total.figures.iter().all(|f| f.source_date.is_some()));
    // Israel: SIPRI 2019 range 80-90 vs 002 "more than 200" (undated): both kept.
    let y2019 = reg.forces(Some(2019));
    let israel = y2019
        .disagreements
        .iter()
        .find(|x| x.state == s("ISR"))
        .unwrap();
    let figures: Vec<Figure> = israel.figures.iter().map(|f| f.figure).collect();
    use custodian_regime::data::EstimatedWarheads as W;
    assert!(figures.contains(&Figure::Range {
        low: W(80),
        high: Some(W(90))
    }));
    assert!(figures.contains(&Figure::Range {
        low: W(200),
        high: None
    }));
    assert_eq!(y2019.undated.len(), 1);
    // A missing figure stays missing: the SIPRI 2018 India row gives a range only.
    let india_2018 = reg
        .forces(Some(2018))
        .estimates
        .into_iter()
        .find(|r| r.row.state == s("IND"))
        .unwrap();
    assert_eq!(india_2018.row.total_inventory, None);
    assert_eq!(india_2018.row.stockpile, None);
    assert_eq!(
        india_2018.row.total(),
        Some(Figure::Range {
            low: W(130),
            high: Some(W(140))
        })
    );
    assert_eq!(reg.forces(None).estimates.len(), 114);
}

#[test]
fn deployments_keep_both_estimates_of_us_weapons_in_europe() {
    // deployments.csv: ~100 B61 at six bases (004, citing FAS 2023, report of
    // 2024-07) vs ~180 US warheads in NATO states (002, undated): both kept.
    let reg = registry();
    let all = reg.deployments(None);
    assert_eq!(all.deployments.len() + all.undated.len(), 8);
    let europe = all
        .disagreements
        .iter()
        .find(|x| x.state == s("USA") && x.host_state.is_none())
        .unwrap();
    let counts: Vec<Figure> = europe.figures.iter().map(|f| f.figure).collect();
    use custodian_regime::data::EstimatedWarheads as W;
    assert_eq!(
        counts,
        vec![
            Figure::Estimate { value: W(100) },
            Figure::Estimate { value: W(180) }
        ]
    );
    // As published by 2020-01-01: the 004 rows (2024-07-27) are not yet known.
    let early = reg.deployments(Some(d("2020-01-01")));
    assert!(early.deployments.is_empty());
    assert_eq!(early.undated.len(), 1);
}

#[test]
fn state_profile_of_germany() {
    // Germany: NPT party (memberships.csv), non-nuclear-weapon State (Art. IX.3),
    // Annex 2 (ctbt_annex2.csv), hosts US B61 bombs at Büchel (deployments.csv, 004),
    // and stated at the 2022 RevCon that sharing complies (positions.csv, 004 fn [22]).
    let reg = registry();
    let profile = reg.state_profile(s("DEU"), d("2024-12-31")).unwrap();
    assert_eq!(
        profile.npt_category.as_ref().unwrap().unanimous(),
        Some(&NptCategory::NonNuclearWeaponState)
    );
    assert!(profile.ctbt_annex2);
    assert_eq!(profile.deployments_hosted.len(), 1);
    assert!(profile.deployments_hosted[0].row.site.contains("Büchel"));
    assert_eq!(profile.positions.len(), 1);
    assert_eq!(profile.treaties.len(), 9);
    assert!(!profile.sources.is_empty());
    // The USA owns every deployment row.
    let usa = reg.state_profile(s("USA"), d("2024-12-31")).unwrap();
    assert_eq!(usa.deployments_owned.len(), 8);
    assert!(!usa.forces.is_empty());
}

#[test]
fn answers_serialize_to_json() {
    let reg = registry();
    let json = serde_json::to_value(reg.status_all(&t("NPT"), d("2018-06-30")).unwrap()).unwrap();
    assert_eq!(json["answers"].as_array().unwrap().len(), 2);
    let json = serde_json::to_value(reg.in_force(&t("CTBT"), d("2024-01-01")).unwrap()).unwrap();
    assert_eq!(
        json["answers"][0]["value"]["status"]["kind"],
        "not_in_force"
    );
    serde_json::to_string(&reg.state_profile(s("PRK"), d("2024-01-01")).unwrap()).unwrap();
    serde_json::to_string(&reg.forces(None)).unwrap();
    serde_json::to_string(&reg.deployments(None)).unwrap();
    serde_json::to_string(&reg.history(s("PRK"), &t("NPT")).unwrap()).unwrap();
}

//! The bundled fuel fabrication plant (issue 6, point 6): the true year balances
//! exactly; a diversion of one significant quantity alarms; a year without
//! loss holds the 5 % false-alarm budget within its binomial error.

use custodian_accountancy::evaluate::{evaluate, EvaluateOptions};
use custodian_accountancy::facility::{
    alarm_rate, measured, truth, year, yearly_threshold, Diversion, PERIODS, SQ_KG_U,
};

#[test]
fn the_true_year_balances_exactly_and_every_amount_is_physical() {
    let mut t = truth();
    t.page.h = yearly_threshold().unwrap();
    let e = evaluate(&t, &EvaluateOptions::default()).unwrap();
    assert_eq!(e.periods, PERIODS);
    for m in &e.muf {
        assert!(m.abs() < 1e-9, "{:?}", e.muf);
    }
    for f in t.outputs.iter().chain(&t.inputs) {
        assert!(f.amounts.iter().all(|a| *a > 0.0), "{}", f.name);
    }
    // The monthly sigma MUF is a few tenths of a percent of the throughput, and
    // one SQ over the year is detectable in principle (sigma of the year's
    // balance well under SQ/3.29).
    assert!(
        e.sigma_muf.iter().all(|s| (20.0..120.0).contains(s)),
        "{:?}",
        e.sigma_muf
    );
    let year_sigma = e.cumuf_variance[PERIODS - 1].sqrt();
    assert!(year_sigma < SQ_KG_U / 3.2897073, "{year_sigma}");
    assert!((yearly_threshold().unwrap() - 3.374521).abs() < 1e-6);
}

#[test]
fn a_diversion_takes_material_from_the_process_inventory() {
    let abrupt = Diversion::Abrupt {
        balance: 7,
        amount: 100.0,
    };
    let h = yearly_threshold().unwrap();
    let base = measured(&Diversion::None, 5, h);
    let taken = measured(&abrupt, 5, h);
    let (b, d) = (&base.inventories[1].values, &taken.inventories[1].values);
    assert!(b[..7].iter().zip(&d[..7]).all(|(x, y)| x == y));
    assert!(b[7..].iter().zip(&d[7..]).all(|(x, y)| y < x));
    assert_eq!(
        Diversion::Protracted { total: 120.0 }.per_period(),
        [10.0; PERIODS]
    );
}

#[test]
fn an_abrupt_diversion_of_one_sq_alarms_in_its_month() {
    let abrupt = Diversion::Abrupt {
        balance: 7,
        amount: SQ_KG_U,
    };
    let e = year(&abrupt, 1).unwrap();
    assert!(e.page_alarm);
    assert_eq!(e.page_first_alarm_balance, Some(7));
    let rate = alarm_rate(&abrupt, 300, 1000).unwrap();
    assert_eq!(rate.alarms, rate.runs, "{rate:?}");
}

#[test]
fn a_protracted_diversion_of_one_sq_alarms_in_most_years() {
    let rate = alarm_rate(&Diversion::Protracted { total: SQ_KG_U }, 400, 2000).unwrap();
    assert!(rate.rate > 0.9, "{rate:?}");
}

#[test]
fn a_year_without_loss_holds_its_false_alarm_rate() {
    // 5 % per year (accountancy.md §4); 3 binomial standard errors.
    let runs = 4000;
    let rate = alarm_rate(&Diversion::None, runs, 7).unwrap();
    let se = (0.05 * 0.95 / runs as f64).sqrt();
    assert!(
        (rate.rate - 0.05).abs() <= 3.0 * se,
        "{rate:?} (3 se = {})",
        3.0 * se
    );
}

/// The plant's year recorded as ledger events (facility::ledger_events),
/// replayed into the accounts and evaluated from them, gives the MUF, σMUF
/// and alarms of the same year evaluated directly.
#[test]
fn the_year_recorded_in_the_ledger_evaluates_as_the_year_itself() {
    use custodian_accountancy::facility::{ledger_events, LEDGER_MBA};
    use custodian_accountancy::ledger_balances::{evaluate_ledger, BalanceQuantity, FindingKind};
    use custodian_accountancy::Accounts;
    use custodian_core::event::MbaCode;
    use custodian_core::{Event, LeafIndex};
    let mba = MbaCode::parse(LEDGER_MBA).unwrap();
    for (name, diversion) in Diversion::variants() {
        let mut accounts = Accounts::new();
        for (leaf, submission) in ledger_events(&diversion, 1).into_iter().enumerate() {
            for (n, mut raw) in submission.into_iter().enumerate() {
                let map = raw.as_object_mut().unwrap();
                map.insert("v".into(), 1.into());
                map.insert("actor".into(), "xff-operator-1".into());
                map.insert("id".into(), format!("xff:{leaf}:{n}").into());
                let event = Event::from_json(raw).unwrap();
                accounts
                    .apply(LeafIndex(leaf as u64), &event)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        let ledger = evaluate_ledger(
            &accounts,
            &mba,
            BalanceQuantity::Element,
            0.05,
            &EvaluateOptions::default(),
        )
        .unwrap();
        let direct = year(&diversion, 1).unwrap();
        assert_eq!(ledger.periods.len(), 12);
        for t in 0..12 {
            // Nine streams rounded to the milligram: within 1e-5 kg.
            assert!(
                (ledger.evaluation.muf[t] - direct.muf[t]).abs() < 1e-5,
                "{name} balance {t}: {} vs {}",
                ledger.evaluation.muf[t],
                direct.muf[t]
            );
            let rel = (ledger.evaluation.sigma_muf[t] / direct.sigma_muf[t] - 1.0).abs();
            assert!(rel < 1e-6, "{name} sigma {t}: {rel}");
        }
        assert_eq!(
            ledger.evaluation.page_first_alarm_balance, direct.page_first_alarm_balance,
            "{name}"
        );
        let page = ledger
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::PageAlarm);
        match name {
            "abrupt" => {
                let f = page.expect("the abrupt diversion alarms");
                assert_eq!(f.balance, 7);
                assert!(f.statistic > f.threshold);
                assert!(!f.evidence.is_empty());
            }
            "none" => assert!(page.is_none(), "no loss, seed 1: no Page alarm"),
            _ => {}
        }
    }
}

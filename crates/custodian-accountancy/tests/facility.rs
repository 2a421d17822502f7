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

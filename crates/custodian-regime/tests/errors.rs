//! Bad input: one test per error variant, each with a small inline CSV (CRLF line
//! ends, as the bundled files). Every error names the file, the line and the field,
//! and a rejected batch applies nothing.

use custodian_core::{Date, StateCode};
use custodian_regime::bundled;
use custodian_regime::data::{parse_rows, DataFiles, ForceEstimate, Located, MembershipAction};
use custodian_regime::{Place, RegimeError, Registry, TreatyId, TreatyStatus};

const HEADER: &str = "treaty,iso3,action,date,source,note\r\n";
const SRC: &str = "test source";

fn d(text: &str) -> Date {
    Date::parse(text).unwrap()
}
fn today() -> Date {
    d("2026-11-24")
}

/// The bundled registry with `rows` (after the header) as memberships.csv.
fn with_memberships(rows: &str) -> Result<Registry, RegimeError> {
    let text = format!("{HEADER}{rows}");
    let files = DataFiles {
        memberships: &text,
        ..bundled::FILES
    };
    Registry::from_files(&files, today())
}

fn batch(rows: &str) -> Vec<Located<MembershipAction>> {
    parse_rows("import.csv", &format!("{HEADER}{rows}")).unwrap()
}

fn line(err: &RegimeError) -> Option<u64> {
    err.place().line
}

#[test]
fn error_message_names_file_line_field() {
    let err = with_memberships(&format!(
        "NPT,USA,signature,1968-07-01,{SRC},\r\nNPT,USA,ratification,1970-3-5,{SRC},\r\n"
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "memberships.csv:3: field date: expected YYYY-MM-DD, found \"1970-3-5\""
    );
    assert!(matches!(err, RegimeError::Field { field: "date", .. }));
}

#[test]
fn csv_malformed() {
    let err = with_memberships(&format!(
        "NPT,USA,signature,1968-07-01,{SRC},\r\nNPT,USA,ratification\r\n"
    ))
    .unwrap_err();
    assert!(matches!(err, RegimeError::Csv { .. }), "{err}");
    assert_eq!(line(&err), Some(3));
}

#[test]
fn header_wrong() {
    let files = DataFiles {
        memberships: "treaty,state,action,date,source,note\r\n",
        ..bundled::FILES
    };
    let err = Registry::from_files(&files, today()).unwrap_err();
    assert!(matches!(err, RegimeError::Header { .. }), "{err}");
    assert!(err.to_string().starts_with("memberships.csv:1: header"));
}

#[test]
fn missing_source() {
    let err = with_memberships("NPT,USA,signature,1968-07-01,,\r\n").unwrap_err();
    assert!(matches!(err, RegimeError::MissingSource { .. }), "{err}");
    assert_eq!(line(&err), Some(2));
    // A figure without a source is refused too.
    let forces = "state,year,total_inventory,stockpile,deployed,retired,total_low,total_high,source,source_date,note\r\nUSA,2024,5044,,,,,,,2024-06-17,\r\n";
    let err = parse_rows::<ForceEstimate>("forces.csv", forces).unwrap_err();
    assert!(matches!(err, RegimeError::MissingSource { .. }), "{err}");
}

#[test]
fn unknown_state() {
    let err = with_memberships(&format!("NPT,XXA,signature,1968-07-01,{SRC},\r\n")).unwrap_err();
    assert!(
        matches!(err, RegimeError::UnknownState { field: "iso3", .. }),
        "{err}"
    );
    assert_eq!(line(&err), Some(2));
}

#[test]
fn unknown_treaty() {
    let err = with_memberships(&format!("SALT,USA,signature,1972-05-26,{SRC},\r\n")).unwrap_err();
    assert!(matches!(err, RegimeError::UnknownTreaty { .. }), "{err}");
}

#[test]
fn unknown_action() {
    let err = with_memberships(&format!("NPT,USA,denunciation,1970-03-05,{SRC},\r\n")).unwrap_err();
    assert!(matches!(err, RegimeError::UnknownAction { .. }), "{err}");
    assert!(err.to_string().contains("\"denunciation\""));
}

#[test]
fn future_date() {
    let err = with_memberships(&format!("TPNW,USA,signature,2030-01-01,{SRC},\r\n")).unwrap_err();
    assert!(
        matches!(err, RegimeError::FutureDate { field: "date", .. }),
        "{err}"
    );
}

#[test]
fn duplicate_row() {
    let err = with_memberships(&format!(
        "NPT,USA,signature,1968-07-01,{SRC},\r\nNPT,USA,signature,1968-07-01,other source,\r\n"
    ))
    .unwrap_err();
    match &err {
        RegimeError::DuplicateRow { at, first, .. } => {
            assert_eq!((at.line, first.line), (Some(3), Some(2)));
        }
        other => panic!("expected DuplicateRow, got {other}"),
    }
}

#[test]
fn contradictory_rows() {
    // Two ratifications of the NPT by the USA on different dates: no reading
    // reconciles them (unlike Russia's CTBT ratification, readings::CONTESTED_FACTS).
    let err = with_memberships(&format!(
        "NPT,USA,signature,1968-07-01,{SRC},\r\nNPT,USA,ratification,1970-03-05,{SRC},\r\nNPT,USA,ratification,1971-01-01,{SRC},\r\n"
    ))
    .unwrap_err();
    match &err {
        RegimeError::ContradictoryRow {
            at, conflicts_with, ..
        } => {
            assert_eq!((at.line, conflicts_with.line), (Some(4), Some(3)));
        }
        other => panic!("expected ContradictoryRow, got {other}"),
    }
    // Two signatures contradict each other too.
    let err = with_memberships(&format!(
        "NPT,USA,signature,1968-07-01,{SRC},\r\nNPT,USA,signature,1968-07-02,{SRC},\r\n"
    ))
    .unwrap_err();
    assert!(matches!(err, RegimeError::ContradictoryRow { .. }), "{err}");
}

#[test]
fn before_opened_for_signature() {
    // treaties.csv: the NPT opened for signature on 1968-07-01.
    let err = with_memberships(&format!("NPT,USA,signature,1968-06-30,{SRC},\r\n")).unwrap_err();
    assert!(
        matches!(err, RegimeError::BeforeOpenedForSignature { .. }),
        "{err}"
    );
    // The PTBT Original Parties' signatures of 1963-08-05 are a documented exception
    // (rules::DOCUMENTED_EXCEPTIONS); France's would not be.
    assert!(with_memberships(&format!("PTBT,GBR,signature,1963-08-05,{SRC},\r\n")).is_ok());
    let err = with_memberships(&format!("PTBT,FRA,signature,1963-08-05,{SRC},\r\n")).unwrap_err();
    assert!(
        matches!(err, RegimeError::BeforeOpenedForSignature { .. }),
        "{err}"
    );
}

#[test]
fn ratification_revoked_without_ratification() {
    let err = with_memberships(&format!(
        "CTBT,USA,signature,1996-09-24,{SRC},\r\nCTBT,USA,ratification_revoked,2023-11-02,{SRC},\r\n"
    ))
    .unwrap_err();
    assert!(
        matches!(err, RegimeError::RevokedWithoutRatification { .. }),
        "{err}"
    );
    assert_eq!(line(&err), Some(3));
}

#[test]
fn ratification_without_signature() {
    let err =
        with_memberships(&format!("CTBT,USA,ratification,2000-01-01,{SRC},\r\n")).unwrap_err();
    assert!(
        matches!(err, RegimeError::RatificationWithoutSignature { .. }),
        "{err}"
    );
}

#[test]
fn withdrawal_without_membership() {
    let err =
        with_memberships(&format!("NPT,IND,withdrawal_notice,2000-01-01,{SRC},\r\n")).unwrap_err();
    assert!(
        matches!(err, RegimeError::WithdrawalWithoutMembership { .. }),
        "{err}"
    );
}

#[test]
fn withdrawal_effective_without_notice() {
    let err = with_memberships(&format!(
        "NPT,PRK,accession,1985-12-12,{SRC},\r\nNPT,PRK,withdrawal_effective,2003-04-10,{SRC},\r\n"
    ))
    .unwrap_err();
    assert!(
        matches!(err, RegimeError::WithdrawalEffectiveWithoutNotice { .. }),
        "{err}"
    );
}

#[test]
fn withdrawal_before_the_notice_period() {
    // NPT Art. X.1: three months. A row claiming effect the day after the notice is
    // refused; the DPRK's own reading of 2003-01-11 lives in readings, not in a row.
    let err = with_memberships(&format!(
        "NPT,PRK,accession,1985-12-12,{SRC},\r\nNPT,PRK,withdrawal_notice,2003-01-10,{SRC},\r\nNPT,PRK,withdrawal_effective,2003-01-11,{SRC},\r\n"
    ))
    .unwrap_err();
    match &err {
        RegimeError::WithdrawalBeforeNoticePeriod { earliest, .. } => {
            assert_eq!(*earliest, d("2003-04-10"));
        }
        other => panic!("expected WithdrawalBeforeNoticePeriod, got {other}"),
    }
}

#[test]
fn filed_under_continuator() {
    // rules::SUCCESSIONS: the USSR's actions are filed under RUS, as UNODA files them.
    let err = with_memberships(&format!("NPT,SUN,signature,1968-07-01,{SRC},\r\n")).unwrap_err();
    assert!(
        matches!(err, RegimeError::FiledUnderContinuator { .. }),
        "{err}"
    );
}

#[test]
fn limit_on_field_size() {
    let long = "x".repeat(10_000);
    let err = with_memberships(&format!("NPT,USA,signature,1968-07-01,{long},\r\n")).unwrap_err();
    assert!(matches!(err, RegimeError::Limit { .. }), "{err}");
}

#[test]
fn other_files_are_checked_too() {
    // An empty cell is a missing figure; "12.5" is not a whole number.
    let header = "state,year,total_inventory,stockpile,deployed,retired,total_low,total_high,source,source_date,note\r\n";
    let err = parse_rows::<ForceEstimate>(
        "forces.csv",
        &format!("{header}USA,2024,12.5,,,,,,{SRC},2024-06-17,\r\n"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "forces.csv:2: field total_inventory: expected a whole number (digits only), found \"12.5\""
    );
    let err = parse_rows::<ForceEstimate>(
        "forces.csv",
        &format!("{header}USA,2024,,,,,,90,{SRC},2024-06-17,\r\n"),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            RegimeError::Field {
                field: "total_high",
                ..
            }
        ),
        "{err}"
    );
    let text = format!("{header}XXA,2024,100,,,,,,{SRC},2024-06-17,\r\n");
    let files = DataFiles {
        forces: &text,
        ..bundled::FILES
    };
    let err = Registry::from_files(&files, today()).unwrap_err();
    assert!(
        matches!(err, RegimeError::UnknownState { field: "state", .. }),
        "{err}"
    );
    let text = format!("{header}USA,2031,100,,,,,,{SRC},2024-06-17,\r\n");
    let files = DataFiles {
        forces: &text,
        ..bundled::FILES
    };
    let err = Registry::from_files(&files, today()).unwrap_err();
    assert!(
        matches!(err, RegimeError::FutureDate { field: "year", .. }),
        "{err}"
    );
}

#[test]
fn a_rejected_batch_applies_nothing() {
    let mut reg = Registry::bundled(today()).unwrap();
    let before = reg.memberships().count();
    let ctbt = TreatyId::parse("CTBT").unwrap();
    let usa = StateCode::parse("USA").unwrap();
    // A valid US ratification, then a bad row: the whole batch is refused.
    let err = reg
        .apply_batch(batch(&format!(
            "CTBT,USA,ratification,2025-01-01,{SRC},\r\nCTBT,XXA,signature,2025-01-01,{SRC},\r\n"
        )))
        .unwrap_err();
    assert!(matches!(err, RegimeError::UnknownState { .. }), "{err}");
    assert_eq!(err.place(), &Place::at("import.csv", 3));
    assert_eq!(reg.memberships().count(), before);
    assert!(matches!(
        reg.status(&ctbt, usa, d("2026-01-01")).unwrap().unanimous(),
        Some(TreatyStatus::Signatory { .. })
    ));
    // The valid row alone is applied.
    reg.apply_batch(batch(&format!(
        "CTBT,USA,ratification,2025-01-01,{SRC},\r\n"
    )))
    .unwrap();
    assert_eq!(reg.memberships().count(), before + 1);
    assert!(reg
        .status(&ctbt, usa, d("2026-01-01"))
        .unwrap()
        .unanimous()
        .unwrap()
        .is_party());
}

#[test]
fn check_action_against_the_current_registry() {
    let reg = Registry::bundled(today()).unwrap();
    let row = |text: &str| batch(text).remove(0).row;
    // Russia's ratification was revoked on 2023-11-02 (memberships.csv): a second
    // revocation has no ratification in force before it.
    let err = reg
        .check_action(&row(&format!(
            "CTBT,RUS,ratification_revoked,2024-06-01,{SRC},\r\n"
        )))
        .unwrap_err();
    assert!(
        matches!(err, RegimeError::RevokedWithoutRatification { .. }),
        "{err}"
    );
    assert_eq!(err.place(), &Place::direct());
    // A new Russian ratification after the revocation is coherent.
    reg.check_action(&row(&format!(
        "CTBT,RUS,ratification,2025-06-01,{SRC},\r\n"
    )))
    .unwrap();
    // A copy of a bundled row is a duplicate, reported at the given row.
    let err = reg
        .check_action(&row(&format!("NPT,USA,signature,1968-07-01,{SRC},\r\n")))
        .unwrap_err();
    match &err {
        RegimeError::DuplicateRow { at, first, .. } => {
            assert_eq!(at, &Place::direct());
            assert_eq!(first.file.as_deref(), Some("memberships.csv"));
        }
        other => panic!("expected DuplicateRow, got {other}"),
    }
    // A second US signature of the NPT contradicts the bundled one.
    let err = reg
        .check_action(&row(&format!("NPT,USA,signature,1969-01-01,{SRC},\r\n")))
        .unwrap_err();
    assert!(matches!(err, RegimeError::ContradictoryRow { .. }), "{err}");
}

#[test]
fn a_batch_is_checked_as_a_whole_in_any_row_order() {
    // The revocation comes first in the file but after the ratification in time.
    let reg = with_memberships(&format!(
        "CTBT,USA,ratification_revoked,2020-01-01,{SRC},\r\nCTBT,USA,ratification,2000-01-01,{SRC},\r\nCTBT,USA,signature,1996-09-24,{SRC},\r\n"
    ))
    .unwrap();
    let status = reg
        .status(
            &TreatyId::parse("CTBT").unwrap(),
            StateCode::parse("USA").unwrap(),
            d("2021-01-01"),
        )
        .unwrap();
    assert!(matches!(
        status.unanimous(),
        Some(TreatyStatus::RatificationRevoked { .. })
    ));
}

//! Round trips: every row type of the bundled data through serde JSON (the form a
//! ledger payload will take), strict JSON parsing (`deny_unknown_fields`, no empty
//! source), and arbitrary membership rows through RFC 4180 CSV and back.

use custodian_core::{Date, StateCode};
use custodian_regime::bundled;
use custodian_regime::data::{
    parse_rows, ActionKind, Annex2Row, CsvRow, Deployment, ForceEstimate, MembershipAction,
    Position, ReviewConference, Source, StateRow, TreatyCount, TreatyId, TreatyRow,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

fn json_round_trip<T>(text: &str) -> usize
where
    T: CsvRow + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let rows = parse_rows::<T>(T::FILE, text).unwrap();
    for row in &rows {
        let json = serde_json::to_string(&row.row).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(back, row.row, "{}: {json}", row.at);
    }
    rows.len()
}

#[test]
fn every_bundled_row_round_trips_through_json() {
    assert_eq!(json_round_trip::<StateRow>(bundled::STATES), 197);
    assert_eq!(json_round_trip::<TreatyRow>(bundled::TREATIES), 9);
    assert_eq!(
        json_round_trip::<MembershipAction>(bundled::MEMBERSHIPS),
        1151
    );
    assert_eq!(json_round_trip::<Annex2Row>(bundled::CTBT_ANNEX2), 44);
    assert_eq!(json_round_trip::<ForceEstimate>(bundled::FORCES), 115);
    assert_eq!(json_round_trip::<Deployment>(bundled::DEPLOYMENTS), 8);
    assert_eq!(
        json_round_trip::<ReviewConference>(bundled::REVIEW_CONFERENCES),
        17
    );
    assert_eq!(json_round_trip::<Position>(bundled::POSITIONS), 35);
    assert_eq!(json_round_trip::<TreatyCount>(bundled::TREATY_COUNTS), 13);
}

#[test]
fn json_rows_are_parsed_strictly() {
    let good = r#"{"treaty":"NPT","iso3":"USA","action":"ratification","date":"1970-03-05","source":"UNODA","note":null}"#;
    let row: MembershipAction = serde_json::from_str(good).unwrap();
    assert_eq!(row.action, ActionKind::Ratification);
    for bad in [
        // An unknown field.
        r#"{"treaty":"NPT","iso3":"USA","action":"ratification","date":"1970-03-05","source":"UNODA","note":null,"extra":1}"#,
        // No source.
        r#"{"treaty":"NPT","iso3":"USA","action":"ratification","date":"1970-03-05","source":" ","note":null}"#,
        // An unknown action.
        r#"{"treaty":"NPT","iso3":"USA","action":"denunciation","date":"1970-03-05","source":"UNODA","note":null}"#,
        // A date in another form.
        r#"{"treaty":"NPT","iso3":"USA","action":"ratification","date":"1970-3-5","source":"UNODA","note":null}"#,
        // A lowercase state code.
        r#"{"treaty":"NPT","iso3":"usa","action":"ratification","date":"1970-03-05","source":"UNODA","note":null}"#,
    ] {
        assert!(
            serde_json::from_str::<MembershipAction>(bad).is_err(),
            "{bad}"
        );
    }
    // A missing figure is null, never 0.
    let estimate = r#"{"state":"ISR","year":null,"total_inventory":null,"stockpile":null,"deployed":null,"retired":null,"total_low":200,"total_high":null,"source":"002","source_date":null,"note":null}"#;
    let row: ForceEstimate = serde_json::from_str(estimate).unwrap();
    assert_eq!(row.total_inventory, None);
}

#[test]
fn rows_keep_their_file_lines() {
    // memberships.csv line 294 is CTBT RUS signature 1996-09-24 (CRLF line ends).
    let rows = parse_rows::<MembershipAction>("memberships.csv", bundled::MEMBERSHIPS).unwrap();
    let rus = rows
        .iter()
        .find(|r| r.row.key() == "CTBT RUS signature 1996-09-24")
        .unwrap();
    assert_eq!(rus.at.line, Some(294));
    // A quoted field with a line break makes a record span two lines.
    let text = "treaty,iso3,action,date,source,note\r\nNPT,USA,signature,1968-07-01,src,\"two\r\nlines\"\r\nNPT,USA,ratification,1970-03-05,src,\r\n";
    let rows = parse_rows::<MembershipAction>("m.csv", text).unwrap();
    assert_eq!(rows[0].at.line, Some(2));
    assert_eq!(rows[1].at.line, Some(4));
}

fn arb_action() -> impl Strategy<Value = MembershipAction> {
    (
        prop::sample::select(vec!["NPT", "CTBT", "TPNW", "Tlatelolco"]),
        "[A-Z]{3}",
        prop::sample::select(ActionKind::ALL.to_vec()),
        -20_000i64..30_000,
        "[ -~]{0,20}[a-z][ -~]{0,20}",
        proptest::option::of("[ -~\r\n,\"]{1,40}"),
    )
        .prop_map(|(treaty, iso3, action, days, source, note)| {
            let date = Date::parse("1970-01-01").unwrap().plus_days(days);
            MembershipAction {
                treaty: TreatyId::parse(treaty).unwrap(),
                iso3: StateCode::parse(&iso3).unwrap(),
                action,
                date,
                source: Source::parse(&source).unwrap(),
                note,
            }
        })
}

proptest! {
    #[test]
    fn membership_rows_round_trip_through_csv_and_json(rows in prop::collection::vec(arb_action(), 1..20)) {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        writer.write_record(<MembershipAction as CsvRow>::HEADER).unwrap();
        for r in &rows {
            let date = r.date.to_string();
            writer
                .write_record([
                    r.treaty.as_str(),
                    r.iso3.as_str(),
                    r.action.as_str(),
                    date.as_str(),
                    r.source.as_str(),
                    r.note.as_deref().unwrap_or(""),
                ])
                .unwrap();
        }
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        let parsed = parse_rows::<MembershipAction>("m.csv", &text).unwrap();
        let back: Vec<MembershipAction> = parsed.into_iter().map(|l| l.row).collect();
        prop_assert_eq!(&back, &rows);
        for r in &rows {
            let json = serde_json::to_string(r).unwrap();
            prop_assert_eq!(&serde_json::from_str::<MembershipAction>(&json).unwrap(), r);
        }
    }
}

//! The labelled format (FORMATS.md §3.2): reports filed as text become
//! ledger events, and exporting them from the ledger gives the same bytes;
//! every malformed file is refused with its text line and label, and nothing
//! of it reaches the accounts.

mod material_scenario;

use custodian_accountancy::filing::{export, import};
use custodian_accountancy::labelled::{
    self, parse, render, Crc64Xz, CrcMode, LabelledError, LineChecksum,
};
use custodian_accountancy::Accounts;
use custodian_core::event::{CorrectionCode, Direction, MbaCode, ReportType};
use custodian_core::{ActorId, Event, LeafIndex, Payload};
use material_scenario::registrations;

/// Builds a labelled file: header lines, then entries whose `CRC` line is
/// computed with the provisional CRC-64/XZ over the entry's lines before it.
fn file(header: &[&str], entries: &[&[&str]]) -> Vec<u8> {
    let mut out = String::new();
    for line in header {
        out.push_str(line);
        out.push('\n');
    }
    for entry in entries {
        let mut body = String::new();
        for line in *entry {
            body.push_str(line);
            body.push('\n');
        }
        let crc = Crc64Xz.compute(body.as_bytes());
        out.push_str(&body);
        out.push_str(&format!("CRC:{crc}\n"));
    }
    out.into_bytes()
}

fn crc_of(lines: &[&str]) -> u64 {
    let mut body = String::new();
    for line in lines {
        body.push_str(line);
        body.push('\n');
    }
    Crc64Xz.compute(body.as_bytes())
}

const ICR1_HEADER: &[&str] = &[
    "MBA:XBB1",
    "REPORT TYPE:I",
    "REPORT DATE:05022026",
    "REPORT NUMBER:1",
    "LINE COUNT:3",
    "START REPORT:01012026",
    "END REPORT:31012026",
    "REPORTING PERSON:J. DOE (OPERATOR)",
];

const ICR1_LINE1: &[&str] = &[
    "LINE NUMBER:1",
    "TRANSACTION ID:1",
    "IC CODE:RD",
    "BATCH:B-001",
    "KMP:1",
    "MEASUREMENT:N",
    "MATERIAL FORM:U2",
    "MATERIAL CONTAINER:D",
    "MATERIAL STATE:F",
    "MBA FROM:XCC9",
    "ACCOUNTING DATE:10012026",
    "ITEMS:4",
    "ELEMENT CATEGORY:L",
    "ELEMENT WEIGHT:100000",
    "ISOTOPE:G",
    "FISSILE WEIGHT:4000",
    "OBLIGATION:E",
    "DOCUMENT:DN 2026/001",
];

const ICR1_LINE2: &[&str] = &[
    "LINE NUMBER:2",
    "TRANSACTION ID:2",
    "IC CODE:RD",
    "BATCH:B-002",
    "KMP:&",
    "MEASUREMENT:F",
    "MATERIAL FORM:U2",
    "MBA FROM:W",
    "ACCOUNTING DATE:20012026",
    "ELEMENT CATEGORY:L",
    "ELEMENT WEIGHT:3000",
    "ISOTOPE:G",
    "FISSILE WEIGHT:120",
    "COMMENT:SHIPPER: EXAMPLE FUELS LTD, 1 HARBOUR ROAD",
];

const ICR1_LINE3: &[&str] = &[
    "LINE NUMBER:3",
    "TRANSACTION ID:3",
    "IC CODE:TE",
    "BATCH:W-001",
    "KMP:3",
    "MEASUREMENT:M",
    "MATERIAL FORM:WL",
    "ACCOUNTING DATE:28012026",
    "ELEMENT CATEGORY:L",
    "ELEMENT WEIGHT:120.5",
    "ISOTOPE:G",
    "FISSILE WEIGHT:4.82",
];

fn icr1() -> Vec<u8> {
    file(ICR1_HEADER, &[ICR1_LINE1, ICR1_LINE2, ICR1_LINE3])
}

/// February: a shipment, a shipper/receiver difference (signed), line 2 of
/// report 1 deleted by reference alone and re-added with its right weight,
/// and a late discard of January.
fn icr2() -> Vec<u8> {
    let deleted = crc_of(ICR1_LINE2).to_string();
    let d_line = format!("PREVIOUS CRC:{deleted}");
    file(
        &[
            "MBA:XBB1",
            "REPORT TYPE:I",
            "REPORT DATE:04032026",
            "REPORT NUMBER:2",
            "LINE COUNT:5",
            "START REPORT:01022026",
            "END REPORT:28022026",
        ],
        &[
            &[
                "LINE NUMBER:1",
                "IC CODE:SD",
                "BATCH:B-001",
                "KMP:2",
                "MEASUREMENT:M",
                "MBA TO:XCC9",
                "ACCOUNTING DATE:12022026",
                "ELEMENT CATEGORY:L",
                "ELEMENT WEIGHT:60000",
                "ISOTOPE:G",
                "FISSILE WEIGHT:2400",
            ],
            &[
                "LINE NUMBER:2",
                "IC CODE:DI",
                "BATCH:B-001",
                "ACCOUNTING DATE:13022026",
                "ELEMENT CATEGORY:L",
                "ELEMENT WEIGHT:-19.5",
                "ISOTOPE:G",
                "FISSILE WEIGHT:-0.78",
            ],
            &[
                "LINE NUMBER:3",
                "CORRECTION:D",
                "PREVIOUS REPORT:1",
                "PREVIOUS LINE:2",
                &d_line,
            ],
            &[
                "LINE NUMBER:4",
                "IC CODE:RD",
                "BATCH:B-002",
                "KMP:&",
                "MEASUREMENT:F",
                "MATERIAL FORM:U2",
                "MBA FROM:W",
                "ACCOUNTING DATE:20012026",
                "ELEMENT CATEGORY:L",
                "ELEMENT WEIGHT:30000",
                "ISOTOPE:G",
                "FISSILE WEIGHT:1200",
                "CORRECTION:A",
                "PREVIOUS REPORT:1",
                "PREVIOUS LINE:2",
                "COMMENT:WEIGHT MISTYPED IN REPORT 1",
            ],
            &[
                "LINE NUMBER:5",
                "IC CODE:TE",
                "BATCH:W-002",
                "KMP:3",
                "ORIGINAL DATE:25012026",
                "ACCOUNTING DATE:02022026",
                "ELEMENT CATEGORY:L",
                "ELEMENT WEIGHT:10",
                "ISOTOPE:G",
                "FISSILE WEIGHT:0.4",
                "CORRECTION:L",
                "PREVIOUS REPORT:1",
            ],
        ],
    )
}

fn pil3() -> Vec<u8> {
    file(
        &[
            "MBA:XBB1",
            "REPORT TYPE:P",
            "REPORT DATE:05032026",
            "REPORT NUMBER:3",
            "PIT DATE:28022026",
            "LINE COUNT:2",
            "REPORTING PERSON:J. DOE (OPERATOR)",
        ],
        &[
            &[
                "LINE NUMBER:1",
                "PIL_ITEM_ID:1",
                "BATCH:B-001",
                "KMP:A",
                "MEASUREMENT:M",
                "ELEMENT CATEGORY:L",
                "MATERIAL FORM:U2",
                "MATERIAL CONTAINER:D",
                "MATERIAL STATE:F",
                "ITEMS:2",
                "ELEMENT WEIGHT:39980",
                "ISOTOPE:G",
                "FISSILE WEIGHT:1599.2",
                "CONTAINER ID:DRUM 17",
            ],
            &[
                "LINE NUMBER:2",
                "PIL_ITEM_ID:2",
                "BATCH:B-002",
                "KMP:A",
                "MEASUREMENT:M",
                "ELEMENT CATEGORY:L",
                "ELEMENT WEIGHT:29890",
                "ISOTOPE:G",
                "FISSILE WEIGHT:1195.6",
            ],
        ],
    )
}

fn actor() -> ActorId {
    ActorId::parse("xbb-operator-1").unwrap()
}

fn registered() -> Accounts {
    let events = registrations();
    Accounts::new()
        .replay(
            events
                .iter()
                .enumerate()
                .map(|(i, e)| (LeafIndex(i as u64), e)),
        )
        .unwrap()
}

/// Imports `bytes`, sends every event through its JSON form (as the log
/// stores it) and applies it.
fn file_into(accounts: &mut Accounts, bytes: &[u8]) -> Vec<Event> {
    let report = parse(bytes).unwrap();
    let events = import(accounts, &report, CrcMode::Verify(&Crc64Xz), &actor()).unwrap();
    for event in &events {
        let stored = Event::from_json(event.to_json()).unwrap();
        assert_eq!(&stored, event);
        let leaf = accounts.last_leaf().map_or(0, |l| l.0 + 1);
        accounts.apply(LeafIndex(leaf), &stored).unwrap();
    }
    events
}

fn exported(accounts: &Accounts, number: u32) -> Vec<u8> {
    render(&export(accounts, &MbaCode::parse("XBB1").unwrap(), number).unwrap())
}

#[test]
fn filed_reports_export_byte_for_byte() {
    let mut accounts = registered();
    let events = file_into(&mut accounts, &icr1());
    assert_eq!(events.len(), 4, "three lines and the report");
    assert_eq!(exported(&accounts, 1), icr1());

    let events = file_into(&mut accounts, &icr2());
    assert_eq!(events.len(), 6);
    assert_eq!(
        String::from_utf8(exported(&accounts, 2)).unwrap(),
        String::from_utf8(icr2()).unwrap()
    );

    let events = file_into(&mut accounts, &pil3());
    assert_eq!(
        events.len(),
        4,
        "two lines, the report and the closing taking"
    );
    assert!(matches!(&events[3].payload, Payload::InventoryTaking(t) if t.line_count == 2));
    assert_eq!(exported(&accounts, 3), pil3());
    // Report 1 still exports as filed after its line 2 was corrected.
    assert_eq!(exported(&accounts, 1), icr1());
}

#[test]
fn the_lines_become_the_ledger_events_they_mean() {
    let mut accounts = registered();
    file_into(&mut accounts, &icr1());
    let events = file_into(&mut accounts, &icr2());
    let change = |i: usize| match &events[i].payload {
        Payload::InventoryChange(p) => p.clone(),
        other => panic!("{other:?}"),
    };
    // MBA FROM W is outside the ledger; XCC9 is registered.
    assert_eq!(change(0).counterpart_mba.as_deref(), Some("XCC9"));
    assert_eq!(change(3).counterpart_mba.as_deref(), Some("EXT:W"));
    // The signed DI line: the minus is the direction.
    assert_eq!(change(1).direction, Some(Direction::Decrease));
    assert_eq!(change(1).element_grams, 19.5);
    // The short D repeats the line it deletes, by its event.
    let d = change(2);
    assert_eq!(d.correction, Some(CorrectionCode::Delete));
    assert_eq!(d.corrects.unwrap().event.as_str(), "xbb1-i1-2");
    assert_eq!((d.batch.as_str(), d.element_grams), ("B-002", 3000.0));
    assert_eq!(
        events[2].time.date().to_string(),
        "2026-03-04",
        "the report date"
    );
    // The L line keeps its original date.
    assert_eq!(change(4).original_date.unwrap().to_string(), "2026-01-25");
    // The filing keeps what the events do not model.
    let Payload::ReportFiled(f) = &events[5].payload else {
        panic!()
    };
    assert_eq!(f.report_type, ReportType::InventoryChange);
    assert_eq!(f.lines[2].omitted.len(), 10, "{:?}", f.lines[2].omitted);
    assert_eq!(f.lines[3].fields[0].label, "KMP");
    // The balance: January's receipts after the D/A are 130000 g U.
    let book = accounts.book_inventory(
        &MbaCode::parse("XBB1").unwrap(),
        custodian_core::Date::parse("2026-01-31").unwrap(),
    );
    let leu = book.values().next().unwrap();
    assert_eq!(leu.element_grams.to_string(), "129869.5");
}

fn refused(accounts: &Accounts, bytes: &[u8]) -> LabelledError {
    let report = match parse(bytes) {
        Ok(r) => r,
        Err(e) => return e,
    };
    import(accounts, &report, CrcMode::Verify(&Crc64Xz), &actor()).unwrap_err()
}

fn with_line1(replace: &str, by: &str) -> Vec<u8> {
    let line: Vec<&str> = ICR1_LINE1
        .iter()
        .map(|l| if *l == replace { by } else { l })
        .collect();
    file(ICR1_HEADER, &[&line, ICR1_LINE2, ICR1_LINE3])
}

#[test]
fn bad_files_name_line_and_field() {
    let accounts = registered();
    let cases: Vec<(Vec<u8>, usize, &str, &str)> = vec![
        (
            with_line1("BATCH:B-001", "BATCH:B-0000000000000000001"),
            12,
            "BATCH",
            "1 to 20 characters",
        ),
        (
            with_line1("BATCH:B-001", "BATCH:b-001"),
            12,
            "(line)",
            "0x62",
        ),
        (
            with_line1("IC CODE:RD", "IC CODE:ZZ"),
            11,
            "IC CODE",
            "inventory change code",
        ),
        (
            with_line1("ELEMENT WEIGHT:100000", "ELEMENT WEIGHT:-100000"),
            22,
            "ELEMENT WEIGHT",
            "only the signed codes",
        ),
        (
            with_line1("ELEMENT WEIGHT:100000", "ELEMENT WEIGHT:100000.000"),
            22,
            "ELEMENT WEIGHT",
            "no leading or trailing zeros",
        ),
        (
            with_line1("ELEMENT WEIGHT:100000", "ELEMENT WEIGHT:NAN"),
            22,
            "ELEMENT WEIGHT",
            "grams",
        ),
        (
            with_line1("ACCOUNTING DATE:10012026", "ACCOUNTING DATE:32012026"),
            19,
            "ACCOUNTING DATE",
            "DDMMYYYY",
        ),
        (
            with_line1("MATERIAL STATE:F", "MATERIAL STATE:X"),
            17,
            "MATERIAL STATE",
            "F I W N",
        ),
        (
            with_line1("ITEMS:4", "ITEMS:0004"),
            20,
            "ITEMS",
            "without leading zeros",
        ),
        (
            with_line1("MEASUREMENT:N", "MEASUREMENT:Z"),
            14,
            "MEASUREMENT",
            "M E N F",
        ),
        (with_line1("KMP:1", "KMP:9"), 13, "KMP", "KMP"),
        (
            with_line1("ISOTOPE:G", "ISOTOPE:J"),
            23,
            "ISOTOPE",
            "mixture",
        ),
        (
            with_line1("DOCUMENT:DN 2026/001", "FAVOURITE COLOUR:RED"),
            26,
            "FAVOURITE COLOUR",
            "a label of the inventory change report",
        ),
        (
            with_line1("KMP:1", "ITEMS:4"),
            14,
            "MEASUREMENT",
            "too late or twice",
        ),
    ];
    for (bytes, line, field, message) in cases {
        let e = refused(&accounts, &bytes);
        assert_eq!((e.line, e.field.as_str()), (line, field), "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}

#[test]
fn bad_reports_are_refused_whole() {
    let accounts = registered();
    // The line count must match the entries.
    let mut header = ICR1_HEADER.to_vec();
    header[4] = "LINE COUNT:4";
    let e = refused(
        &accounts,
        &file(&header, &[ICR1_LINE1, ICR1_LINE2, ICR1_LINE3]),
    );
    assert_eq!((e.line, e.field.as_str()), (5, "LINE COUNT"), "{e}");
    // An MBA that is not registered.
    header = ICR1_HEADER.to_vec();
    header[0] = "MBA:XZZ9";
    header[4] = "LINE COUNT:1";
    let e = refused(&accounts, &file(&header, &[ICR1_LINE1]));
    assert_eq!((e.line, e.field.as_str()), (1, "MBA"), "{e}");
    // A CRC that is not the line's.
    let mut bytes = icr1();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let crc = crc_of(ICR1_LINE1).to_string();
    bytes = text
        .replacen(&format!("CRC:{crc}"), "CRC:12345", 1)
        .into_bytes();
    let e = refused(&accounts, &bytes);
    assert_eq!((e.line, e.field.as_str()), (27, "CRC"), "{e}");
    assert!(e.message.contains(&crc), "{e}");
    // ... which the carry mode keeps as filed.
    let report = parse(&bytes).unwrap();
    let events = import(&accounts, &report, CrcMode::Carry, &actor()).unwrap();
    let Payload::ReportFiled(f) = &events[3].payload else {
        panic!()
    };
    assert_eq!(f.lines[0].crc, "12345");
    // A file without its final LF, with CR LF, or empty.
    let e = refused(&accounts, &icr1()[..icr1().len() - 1]);
    assert_eq!(e.field, "(line)");
    let crlf = String::from_utf8(icr1()).unwrap().replace('\n', "\r\n");
    assert!(refused(&accounts, crlf.as_bytes()).message.contains("0x0D"));
    assert_eq!(refused(&accounts, b"").field, "MBA");
    // An entry without its CRC.
    let e = refused(&accounts, b"MBA:XBB1\nREPORT TYPE:I\nREPORT DATE:05022026\nREPORT NUMBER:1\nLINE COUNT:1\nSTART REPORT:01012026\nEND REPORT:31012026\nLINE NUMBER:1\nIC CODE:RD\n");
    assert_eq!(e.field, "CRC");
    // Line numbers with a gap.
    let mut second = ICR1_LINE2.to_vec();
    second[0] = "LINE NUMBER:3";
    let mut header = ICR1_HEADER.to_vec();
    header[4] = "LINE COUNT:2";
    let e = refused(&accounts, &file(&header, &[ICR1_LINE1, &second]));
    assert_eq!((e.line, e.field.as_str()), (28, "LINE NUMBER"), "{e}");
}

#[test]
fn corrections_must_point_at_a_filed_line() {
    let mut accounts = registered();
    file_into(&mut accounts, &icr1());
    let header = [
        "MBA:XBB1",
        "REPORT TYPE:I",
        "REPORT DATE:04032026",
        "REPORT NUMBER:2",
        "LINE COUNT:1",
        "START REPORT:01022026",
        "END REPORT:28022026",
    ];
    let crc = crc_of(ICR1_LINE2).to_string();
    let right = format!("PREVIOUS CRC:{crc}");
    for (lines, field, message) in [
        (
            vec![
                "LINE NUMBER:1",
                "CORRECTION:D",
                "PREVIOUS REPORT:9",
                "PREVIOUS LINE:2",
                right.as_str(),
            ],
            "PREVIOUS REPORT",
            "a report filed earlier",
        ),
        (
            vec![
                "LINE NUMBER:1",
                "CORRECTION:D",
                "PREVIOUS REPORT:1",
                "PREVIOUS LINE:7",
                right.as_str(),
            ],
            "PREVIOUS LINE",
            "1 to 3",
        ),
        (
            vec![
                "LINE NUMBER:1",
                "CORRECTION:D",
                "PREVIOUS REPORT:1",
                "PREVIOUS LINE:2",
                "PREVIOUS CRC:1",
            ],
            "PREVIOUS CRC",
            &crc,
        ),
        (
            vec![
                "LINE NUMBER:1",
                "CORRECTION:D",
                "PREVIOUS REPORT:1",
                "PREVIOUS LINE:2",
            ],
            "PREVIOUS CRC",
            "found none",
        ),
    ] {
        let e = refused(&accounts, &file(&header, &[&lines]));
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(message), "{e}");
    }
    // The same report number twice.
    let e = refused(&accounts, &icr1());
    assert_eq!((e.line, e.field.as_str()), (4, "REPORT NUMBER"), "{e}");
    // An A line for a line that was never deleted (the accounts refuse it).
    let a_line = [
        "LINE NUMBER:1",
        "IC CODE:RD",
        "BATCH:B-002",
        "MBA FROM:W",
        "ACCOUNTING DATE:20012026",
        "ELEMENT CATEGORY:L",
        "ELEMENT WEIGHT:30000",
        "ISOTOPE:G",
        "FISSILE WEIGHT:1200",
        "CORRECTION:A",
        "PREVIOUS REPORT:1",
        "PREVIOUS LINE:2",
    ];
    let e = refused(&accounts, &file(&header, &[&a_line]));
    assert_eq!(e.field, "PREVIOUS LINE", "{e}");
    assert!(e.message.contains("deleted"), "{e}");
}

#[test]
fn every_accepted_file_renders_back_to_itself() {
    for bytes in [icr1(), icr2(), pil3()] {
        let report = parse(&bytes).unwrap();
        assert_eq!(render(&report), bytes);
        labelled::check_crcs(&report, CrcMode::Verify(&Crc64Xz)).unwrap();
    }
}

/// The files in examples/labelled/ (used by the CLI tests and the README)
/// are these reports; `CUSTODIAN_WRITE_EXAMPLES=1` rewrites them.
#[test]
fn the_bundled_examples_are_these_reports() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/labelled");
    for (name, bytes) in [
        ("xbb1-icr-1.txt", icr1()),
        ("xbb1-icr-2.txt", icr2()),
        ("xbb1-pil-3.txt", pil3()),
    ] {
        let path = dir.join(name);
        if std::env::var_os("CUSTODIAN_WRITE_EXAMPLES").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}");
    }
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    /// A text of the character set without leading or trailing spaces.
    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("[A-Z0-9/().,:%$&;?=<>*+\"-]([A-Z0-9 /().,:%$&;?=<>*+\"-]{{0,{}}}[A-Z0-9/().,:%$&;?=<>*+\"-])?", max - 2)).unwrap()
    }

    fn weight(mg: u64) -> String {
        labelled::format_weight(i128::from(mg))
    }

    prop_compose! {
        fn line()(
            code in prop::sample::select(vec!["RD", "SD", "TE", "DI"]),
            element in 1u64..1_000_000_000,
            fissile_share in 0u64..50,
            decrease in any::<bool>(),
            items in proptest::option::of(0u32..999_999),
            transaction in proptest::option::of(1u32..99_999_999),
            document in proptest::option::of(text(70)),
            comment in proptest::option::of(text(256)),
            container in proptest::option::of(prop::sample::select(vec!["C", "P", "D", "S", "B", "F", "T", "O"])),
            form in proptest::option::of(prop::sample::select(vec!["U6", "U2", "CP", "EA", "SS", "WL"])),
            basis in proptest::option::of(prop::sample::select(vec!["M", "E", "N", "F"])),
            external in any::<bool>(),
            day in 1u32..=28,
        ) -> Vec<String> {
            let mut l = Vec::new();
            if let Some(t) = transaction { l.push(format!("TRANSACTION ID:{t}")); }
            l.push(format!("IC CODE:{code}"));
            l.push("BATCH:B-1".to_owned());
            l.push(match code { "RD" => "KMP:1", "SD" => "KMP:2", "TE" => "KMP:3", _ => "KMP:&" }.to_owned());
            if let Some(b) = basis { l.push(format!("MEASUREMENT:{b}")); }
            if let Some(f) = form { l.push(format!("MATERIAL FORM:{f}")); }
            if let Some(c) = container { l.push(format!("MATERIAL CONTAINER:{c}")); }
            let other = if external { "W" } else { "XCC9" };
            match code {
                "RD" => l.push(format!("MBA FROM:{other}")),
                "SD" => l.push(format!("MBA TO:{other}")),
                _ => {}
            }
            l.push(format!("ACCOUNTING DATE:{day:02}012026"));
            if let Some(i) = items { l.push(format!("ITEMS:{i}")); }
            l.push("ELEMENT CATEGORY:L".to_owned());
            let sign = if code == "DI" && decrease { "-" } else { "" };
            l.push(format!("ELEMENT WEIGHT:{sign}{}", weight(element)));
            let fissile = element * fissile_share / 1000;
            l.push("ISOTOPE:G".to_owned());
            if fissile == 0 {
                l.push("FISSILE WEIGHT:0".to_owned());
            } else {
                l.push(format!("FISSILE WEIGHT:{sign}{}", weight(fissile)));
            }
            if let Some(d) = document { l.push(format!("DOCUMENT:{d}")); }
            if let Some(c) = comment { l.push(format!("COMMENT:{c}")); }
            l
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any ICR of receipts, shipments, discards and differences with
        /// any mix of optional fields exports byte for byte.
        #[test]
        fn any_icr_round_trips(lines in prop::collection::vec(line(), 1..8)) {
            let count = format!("LINE COUNT:{}", lines.len());
            let header = ["MBA:XBB1", "REPORT TYPE:I", "REPORT DATE:05022026", "REPORT NUMBER:1",
                &count, "START REPORT:01012026", "END REPORT:31012026"];
            let numbered: Vec<Vec<String>> = lines.iter().enumerate().map(|(i, l)| {
                let mut v = vec![format!("LINE NUMBER:{}", i + 1)];
                v.extend(l.iter().cloned());
                v
            }).collect();
            let refs: Vec<Vec<&str>> = numbered.iter().map(|l| l.iter().map(String::as_str).collect()).collect();
            let entries: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
            let bytes = file(&header, &entries);
            // A first receipt, so that shipments and discards have material.
            let mut accounts = registered();
            let report = parse(&bytes).unwrap();
            let events = import(&accounts, &report, CrcMode::Verify(&Crc64Xz), &actor())
                .map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&bytes))))?;
            for event in &events {
                let leaf = accounts.last_leaf().map_or(0, |l| l.0 + 1);
                accounts.apply(LeafIndex(leaf), &Event::from_json(event.to_json()).unwrap()).unwrap();
            }
            prop_assert_eq!(String::from_utf8(exported(&accounts, 1)).unwrap(), String::from_utf8(bytes).unwrap());
        }
    }
}

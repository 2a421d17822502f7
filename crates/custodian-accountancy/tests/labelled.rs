//! The labelled format (FORMATS.md §3.2): reports filed as text become
//! ledger events, and exporting them from the ledger gives the same bytes;
//! every malformed file is refused with its text line and label, and nothing
//! of it reaches the accounts. A material balance report is checked against
//! the balance the ledger computes, line by line.

mod material_scenario;

use custodian_accountancy::filing::{export, import, render_mbr, ExportError};
use custodian_accountancy::labelled::{
    self, parse, render, Crc64Xz, CrcMode, LabelledError, LineChecksum,
};
use custodian_accountancy::reports::Period;
use custodian_accountancy::Accounts;
use custodian_core::event::{CorrectionCode, Direction, MaterialCategory, MbaCode, ReportType};
use custodian_core::{ActorId, Date, Event, LeafIndex, Payload};
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

const MBR4_HEADER: &[&str] = &[
    "MBA:XBB1",
    "REPORT TYPE:M",
    "REPORT DATE:06032026",
    "START REPORT:01012026",
    "END REPORT:28022026",
    "REPORT NUMBER:4",
    "ELEMENT CATEGORY:L",
    "LINE COUNT:8",
];

/// The MBR of category L for January–February (the first balance of XBB1,
/// so it starts from nothing), figures by hand from reports 1–3, element
/// grams U and fissile grams U-235:
///
/// - PB: no taking before 1 January and no line before it: 0 / 0.
/// - RD (increases): B-001 100000 / 4000 on 10 January, and B-002 as
///   replaced by the A line of report 2, 30000 / 1200 (its 3000 / 120 was
///   deleted by the D line): 130000 / 5200.
/// - SD: B-001 60000 / 2400 on 12 February.
/// - TE: W-001 120.5 / 4.82 on 28 January and the late W-002 10 / 0.4
///   (original date 25 January): 130.5 / 5.22.
/// - DI: −19.5 / −0.78 on 13 February, a decrease; a signed code keeps its
///   minus as in the ICR.
/// - BA = PB + 130000 − (60000 + 130.5 + 19.5) = 69850; fissile
///   5200 − (2400 + 5.22 + 0.78) = 2794.
/// - PE: the PIL of 28 February, 39980 + 29890 = 69870; fissile
///   1599.2 + 1195.6 = 2794.8.
/// - MF = PE − BA = 20 / 0.8 (302/2005 Annex IV note 10: positive, the
///   physical inventory is above the book).
const MBR4_LINES: [[&str; 3]; 8] = [
    ["PB", "0", "0"],
    ["RD", "130000", "5200"],
    ["SD", "60000", "2400"],
    ["TE", "130.5", "5.22"],
    ["DI", "-19.5", "-0.78"],
    ["BA", "69850", "2794"],
    ["PE", "69870", "2794.8"],
    ["MF", "20", "0.8"],
];

/// An MBR entry's lines before its CRC.
fn mbr_entry(number: usize, [code, element, fissile]: [&str; 3]) -> Vec<String> {
    vec![
        format!("LINE NUMBER:{number}"),
        format!("IC CODE:{code}"),
        format!("ELEMENT WEIGHT:{element}"),
        "ISOTOPE:G".to_owned(),
        format!("FISSILE WEIGHT:{fissile}"),
    ]
}

/// An MBR of XBB1 from its header and entries (numbered here, CRCs computed).
fn mbr_file(header: &[&str], entries: &[Vec<String>]) -> Vec<u8> {
    let numbered: Vec<Vec<String>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut e = e.clone();
            e[0] = format!("LINE NUMBER:{}", i + 1);
            e
        })
        .collect();
    let refs: Vec<Vec<&str>> = numbered
        .iter()
        .map(|e| e.iter().map(String::as_str).collect())
        .collect();
    let slices: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    let mut header = header.to_vec();
    let count = format!("LINE COUNT:{}", entries.len());
    if let Some(h) = header.iter_mut().find(|h| h.starts_with("LINE COUNT:")) {
        *h = &count;
    }
    file(&header, &slices)
}

fn mbr4_entries() -> Vec<Vec<String>> {
    MBR4_LINES
        .iter()
        .enumerate()
        .map(|(i, l)| mbr_entry(i + 1, *l))
        .collect()
}

fn mbr4() -> Vec<u8> {
    mbr_file(MBR4_HEADER, &mbr4_entries())
}

fn xbb1() -> MbaCode {
    MbaCode::parse("XBB1").unwrap()
}

fn date(iso: &str) -> Date {
    Date::parse(iso).unwrap()
}

fn january_february() -> Period {
    Period::new(date("2026-01-01"), date("2026-02-28")).unwrap()
}

/// The accounts after reports 1–3.
fn filed_1_to_3() -> Accounts {
    let mut accounts = registered();
    for bytes in [icr1(), icr2(), pil3()] {
        file_into(&mut accounts, &bytes);
    }
    accounts
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
    for bytes in [icr1(), icr2(), pil3(), mbr4()] {
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
        ("xbb1-mbr-4.txt", mbr4()),
    ] {
        let path = dir.join(name);
        if std::env::var_os("CUSTODIAN_WRITE_EXAMPLES").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}");
    }
}

#[test]
fn the_material_balance_is_rendered_checked_filed_and_exported_byte_for_byte() {
    let mut accounts = filed_1_to_3();
    // The operator's duty: the MBR written from the ledger is the one
    // computed by hand above.
    let rendered = render_mbr(
        &accounts,
        &xbb1(),
        MaterialCategory::Leu,
        january_february(),
        4,
        date("2026-03-06"),
        &Crc64Xz,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(render(&rendered)).unwrap(),
        String::from_utf8(mbr4()).unwrap()
    );
    let before = accounts.clone();
    // Imported, it is one event binding the report; its lines name no event.
    let events = file_into(&mut accounts, &mbr4());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id.as_str(), "xbb1-m4");
    let Payload::ReportFiled(f) = &events[0].payload else {
        panic!("{:?}", events[0].payload)
    };
    assert_eq!(f.report_type, ReportType::MaterialBalance);
    assert_eq!(f.lines.len(), 8);
    assert!(f
        .lines
        .iter()
        .all(|l| l.event.is_none() && l.fields.is_empty()));
    let json = events[0].to_json();
    assert_eq!(json["payload"]["report_type"], "M");
    assert!(json["payload"]["lines"][0].get("event").is_none(), "{json}");
    // ... while an ICR's lines keep their event member in JSON.
    let icr = serde_json::to_value(&accounts.filing(&xbb1(), 1).unwrap().report).unwrap();
    assert_eq!(icr["lines"][0]["event"], "xbb1-i1-1", "{icr}");
    // Exported from the ledger: the same bytes; so are reports 1–3.
    assert_eq!(exported(&accounts, 4), mbr4());
    for (number, bytes) in [(1, icr1()), (2, icr2()), (3, pil3())] {
        assert_eq!(exported(&accounts, number), bytes, "report {number}");
    }

    // Fields the ledger does not compute are kept as filed: the reporting
    // person, an obligation, a comment.
    let mut accounts = before;
    let mut header = MBR4_HEADER.to_vec();
    header.push("REPORTING PERSON:J. DOE (OPERATOR)");
    let mut entries = mbr4_entries();
    entries[1].push("OBLIGATION:E".to_owned());
    entries[7].push("COMMENT:MUF WITHIN 0.03 %".to_owned());
    let annotated = mbr_file(&header, &entries);
    let events = file_into(&mut accounts, &annotated);
    let Payload::ReportFiled(f) = &events[0].payload else {
        panic!()
    };
    assert_eq!(f.lines[7].fields[0].label, "COMMENT");
    assert_eq!(
        String::from_utf8(exported(&accounts, 4)).unwrap(),
        String::from_utf8(annotated).unwrap()
    );
}

/// The `material.report` event that filed report `number` of XBB1, as JSON.
fn json_of_filing(accounts: &Accounts, number: u32) -> serde_json::Value {
    let filing = accounts.filing(&xbb1(), number).unwrap();
    serde_json::json!({
        "v": 1, "id": filing.by.event.as_str(), "time": "2026-02-05T00:00:00Z",
        "actor": "xbb-operator-1", "kind": "material.report",
        "payload": serde_json::to_value(&filing.report).unwrap(), "approvals": []
    })
}

fn mbr4_with(edit: impl FnOnce(&mut Vec<&str>, &mut Vec<Vec<String>>)) -> Vec<u8> {
    let mut header = MBR4_HEADER.to_vec();
    let mut entries = mbr4_entries();
    edit(&mut header, &mut entries);
    mbr_file(&header, &entries)
}

#[test]
fn a_balance_that_disagrees_with_the_ledger_is_refused_with_line_and_label() {
    let accounts = filed_1_to_3();
    // Header lines 1–8; each entry is 6 lines from line 9 (LINE NUMBER,
    // IC CODE, ELEMENT WEIGHT, ISOTOPE, FISSILE WEIGHT, CRC).
    let at = |entry: usize, field: usize| 9 + 6 * (entry - 1) + field;
    let cases: Vec<(&str, Vec<u8>, usize, &str, &str)> = vec![
        (
            "a weight off by 0.001 g",
            mbr4_with(|_, e| e[1][2] = "ELEMENT WEIGHT:130000.001".into()),
            at(2, 2),
            "ELEMENT WEIGHT",
            "130000 as the ledger holds it (line 2 of the ledger's material balance of category L for MBA XBB1 from 01012026 to 28022026: IC CODE RD, ELEMENT WEIGHT 130000, ISOTOPE G, FISSILE WEIGHT 5200); found 130000.001",
        ),
        (
            "an MBR edited by one gram",
            mbr4_with(|_, e| e[5][2] = "ELEMENT WEIGHT:69851".into()),
            at(6, 2),
            "ELEMENT WEIGHT",
            "69850 as the ledger holds it (line 6 ",
        ),
        (
            "a fissile weight off",
            mbr4_with(|_, e| e[3][4] = "FISSILE WEIGHT:5.23".into()),
            at(4, 4),
            "FISSILE WEIGHT",
            "5.22 as the ledger holds it (line 4 ",
        ),
        (
            "a signed line without its minus",
            mbr4_with(|_, e| e[4][2] = "ELEMENT WEIGHT:19.5".into()),
            at(5, 2),
            "ELEMENT WEIGHT",
            "-19.5 as the ledger holds it (line 5 ",
        ),
        (
            "a missing line",
            mbr4_with(|_, e| {
                e.remove(3);
            }),
            at(4, 1),
            "IC CODE",
            "TE as the ledger holds it (line 4 of the ledger's material balance of category L for MBA XBB1 from 01012026 to 28022026: IC CODE TE, ELEMENT WEIGHT 130.5, ISOTOPE G, FISSILE WEIGHT 5.22); the report lacks this line (the ledger's DI is its line 5); found DI",
        ),
        (
            "a missing last line",
            mbr4_with(|_, e| {
                e.pop();
            }),
            8,
            "LINE COUNT",
            "8: the lines of the ledger's material balance of category L for MBA XBB1 from 01012026 to 28022026; the report lacks (IC CODE MF, ELEMENT WEIGHT 20, ISOTOPE G, FISSILE WEIGHT 0.8); found 7",
        ),
        (
            "an extra line",
            mbr4_with(|_, e| e.insert(2, mbr_entry(3, ["NM", "1", "0.04"]))),
            at(3, 1),
            "IC CODE",
            "the ledger has no NM line in this balance; found NM",
        ),
        (
            "an extra last line",
            mbr4_with(|_, e| e.push(mbr_entry(9, ["RA", "1", "0"]))),
            at(9, 0),
            "LINE NUMBER",
            "no line 9: the ledger's material balance of category L for MBA XBB1 from 01012026 to 28022026 has 8 lines",
        ),
        (
            "lines out of order",
            mbr4_with(|_, e| e.swap(2, 3)),
            at(3, 1),
            "IC CODE",
            "the lines in the order of 302/2005 Annex IV note 10 (PB, increases, decreases, BA, PE, MF): the ledger's TE is its line 4; found TE",
        ),
        (
            "an unknown category",
            mbr4_with(|h, _| h[6] = "ELEMENT CATEGORY:X"),
            7,
            "ELEMENT CATEGORY",
            "one of the codes P H L N D T",
        ),
        (
            "a category the MBA never held",
            mbr4_with(|h, _| h[6] = "ELEMENT CATEGORY:P"),
            7,
            "ELEMENT CATEGORY",
            "a category the MBA held from 2026-01-01 to 2026-02-28 (L), found P",
        ),
        (
            "a period that ends on no taking",
            mbr4_with(|h, _| h[4] = "END REPORT:31012026"),
            5,
            "END REPORT",
            "no physical inventory taking at 2026-01-31",
        ),
        (
            "a period that starts after material was booked",
            mbr4_with(|h, _| h[3] = "START REPORT:15012026"),
            4,
            "START REPORT",
            "no physical inventory taking at 2026-01-14",
        ),
        (
            "a period that ends before it starts",
            mbr4_with(|h, _| h[3] = "START REPORT:01032026"),
            5,
            "END REPORT",
            "expected a start on or before the end",
        ),
        (
            "a correction",
            mbr4_with(|_, e| e[7].push("CORRECTION:L".into())),
            at(8, 5),
            "CORRECTION",
            "not supported",
        ),
        (
            "a code not of an MBR",
            mbr4_with(|_, e| e[1][1] = "IC CODE:RB".into()),
            at(2, 1),
            "IC CODE",
            "302/2005 Annex IV note 10",
        ),
        (
            "a report number taken by the PIL",
            mbr4_with(|h, _| h[5] = "REPORT NUMBER:3"),
            6,
            "REPORT NUMBER",
            "3 was filed by event xbb1-p3",
        ),
    ];
    for (what, bytes, line, field, message) in cases {
        let e = refused(&accounts, &bytes);
        assert_eq!((e.line, e.field.as_str()), (line, field), "{what}: {e}");
        assert!(e.message.contains(message), "{what}: {e}");
    }
    // Report numbers are one sequence per MBA, ICRs, PILs and MBRs alike:
    // after a PIL numbered 9, an MBR numbered 4 is refused.
    let mut numbered_9 = registered();
    file_into(&mut numbered_9, &icr1());
    file_into(&mut numbered_9, &icr2());
    let pil9 = String::from_utf8(pil3())
        .unwrap()
        .replace("REPORT NUMBER:3", "REPORT NUMBER:9");
    file_into(&mut numbered_9, pil9.as_bytes());
    let e = refused(&numbered_9, &mbr4());
    assert_eq!((e.line, e.field.as_str()), (6, "REPORT NUMBER"), "{e}");
    assert!(e.message.contains("a number above 9"), "{e}");
    // The same balance twice.
    let mut accounts = accounts;
    file_into(&mut accounts, &mbr4());
    let again = mbr4_with(|h, _| h[5] = "REPORT NUMBER:5");
    let e = refused(&accounts, &again);
    assert_eq!((e.line, e.field.as_str()), (4, "START REPORT"), "{e}");
    assert!(e.message.contains("report 4 (event xbb1-m4)"), "{e}");
}

#[test]
fn a_filed_balance_exports_only_while_the_ledger_still_gives_it() {
    let mut accounts = filed_1_to_3();
    file_into(&mut accounts, &mbr4());
    // The MF booking that follows an MBR (302/2005 Annex III note 10: PE −
    // BA, original date the taking's) is no line of the balance.
    let mf = file(
        &[
            "MBA:XBB1",
            "REPORT TYPE:I",
            "REPORT DATE:02042026",
            "REPORT NUMBER:5",
            "LINE COUNT:1",
            "START REPORT:01032026",
            "END REPORT:31032026",
        ],
        &[&[
            "LINE NUMBER:1",
            "IC CODE:MF",
            "BATCH:MUF-2026-02",
            "PIT DATE:28022026",
            "ACCOUNTING DATE:06032026",
            "ELEMENT CATEGORY:L",
            "ELEMENT WEIGHT:20",
            "ISOTOPE:G",
            "FISSILE WEIGHT:0.8",
        ]],
    );
    file_into(&mut accounts, &mf);
    assert_eq!(exported(&accounts, 4), mbr4());
    // A late discard dated in February changes the balance filed: the
    // export refuses rather than give other figures under report 4.
    let late = file(
        &[
            "MBA:XBB1",
            "REPORT TYPE:I",
            "REPORT DATE:03042026",
            "REPORT NUMBER:6",
            "LINE COUNT:1",
            "START REPORT:01032026",
            "END REPORT:31032026",
        ],
        &[&[
            "LINE NUMBER:1",
            "IC CODE:TE",
            "BATCH:W-003",
            "ORIGINAL DATE:20022026",
            "ACCOUNTING DATE:03042026",
            "ELEMENT CATEGORY:L",
            "ELEMENT WEIGHT:1",
            "ISOTOPE:G",
            "FISSILE WEIGHT:0.04",
            "CORRECTION:L",
        ]],
    );
    file_into(&mut accounts, &late);
    let e = export(&accounts, &xbb1(), 4).unwrap_err();
    assert!(
        matches!(&e, ExportError::BalanceChanged { event, .. } if event.as_str() == "xbb1-i6-1"),
        "{e}"
    );
    assert!(e.to_string().contains("not supported"), "{e}");
    // Reports whose lines are events still export.
    assert_eq!(exported(&accounts, 3), pil3());
}

#[test]
fn the_accounts_check_an_mbr_filing_too() {
    let mut accounts = filed_1_to_3();
    let report = parse(&mbr4()).unwrap();
    let events = import(&accounts, &report, CrcMode::Verify(&Crc64Xz), &actor()).unwrap();
    let leaf = LeafIndex(accounts.last_leaf().unwrap().0 + 1);
    let mut json = events[0].to_json();
    // A line of an MBR that names an event.
    json["payload"]["lines"][0]["event"] = "xbb1-i1-1".into();
    let e = Event::from_json(json).unwrap_err();
    assert!(e.to_string().contains("lines[0].event"), "{e}");
    // ... and the accounts, for an event built in code.
    let mut built = events[0].clone();
    if let Payload::ReportFiled(f) = &mut built.payload {
        f.lines[0].event = Some(custodian_core::EventId::parse("xbb1-i1-1").unwrap());
    }
    let e = accounts.clone().apply(leaf, &built).unwrap_err();
    assert_eq!(e.field(), "payload.lines[0].event", "{e}");
    // A balance that does not end at a closed taking.
    let mut json = events[0].to_json();
    json["payload"]["header"][2]["value"] = "31012026".into();
    assert_eq!(json["payload"]["header"][2]["label"], "END REPORT");
    let event = Event::from_json(json).unwrap();
    let e = accounts.clone().apply(leaf, &event).unwrap_err();
    assert_eq!(e.field(), "payload.header[2].value", "{e}");
    // An ICR line without its event.
    let mut json = json_of_filing(&accounts, 1);
    json["id"] = "xbb1-i9".into();
    json["payload"]["report_number"] = 9.into();
    json["payload"]["lines"][0]
        .as_object_mut()
        .unwrap()
        .remove("event");
    let e = Event::from_json(json).unwrap_err();
    assert!(e.to_string().contains("lines[0].event"), "{e}");
    accounts.apply(leaf, &events[0]).unwrap();
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
        /// any mix of optional fields exports byte for byte, and so does
        /// the MBR the ledger then writes for January.
        #[test]
        fn any_icr_and_its_balance_round_trip(lines in prop::collection::vec(line(), 1..8)) {
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
            // A taking at the end of January closes the first balance; the
            // MBR the ledger writes for it is accepted and exports as written.
            let pil = file(
                &["MBA:XBB1", "REPORT TYPE:P", "REPORT DATE:01022026", "REPORT NUMBER:2",
                  "PIT DATE:31012026", "LINE COUNT:1"],
                &[&["LINE NUMBER:1", "BATCH:B-1", "ELEMENT CATEGORY:L", "ELEMENT WEIGHT:1000",
                    "ISOTOPE:G", "FISSILE WEIGHT:40"]],
            );
            file_into(&mut accounts, &pil);
            let january = Period::new(date("2026-01-01"), date("2026-01-31")).unwrap();
            let mbr = render(&render_mbr(&accounts, &xbb1(), MaterialCategory::Leu, january, 3,
                date("2026-02-02"), &Crc64Xz).unwrap());
            file_into(&mut accounts, &mbr);
            prop_assert_eq!(String::from_utf8(exported(&accounts, 3)).unwrap(), String::from_utf8(mbr).unwrap());
        }
    }
}

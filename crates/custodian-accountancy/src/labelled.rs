//! The EU/UK labelled format for Inventory Change Reports, Material Balance
//! Reports and Physical Inventory Listings, read and written byte for byte
//! (FORMATS.md §3.2).
//!
//! **What is sourced and what is Custodian's.** The labels, their order,
//! their content types and widths, the code lists, the 55-character set, the
//! decimal point, grams with at most three decimals, `DDMMYYYY` dates and the
//! D/A/L correction fields are those of Regulation (Euratom) 302/2005
//! Annexes III, IV and V (the UK's S.I. 2019/196 Schedule 1 Parts 2–4 copy
//! them; research notes in docs/research/labelled-format.md §2–§4). The
//! regulations require "a world-wide accepted labelled reporting format" but
//! publish no byte syntax, and say of the CRC only "hash code of line for
//! quality control purposes; the Commission \[the ONR] will inform the
//! operator of the algorithm" (labelled-format.md §0, §4.3). So the framing
//! below — one `LABEL:value` per text line, an entry opened by its
//! `LINE NUMBER`, the CRC last and covering the entry's bytes before it — is
//! Custodian's, and the CRC algorithm is pluggable: [`Crc64Xz`] is a
//! *provisional* choice for data Custodian writes itself, and
//! [`CrcMode::Carry`] accepts a regulator's CRCs as filed without
//! recomputing them. Replace both when the regulator's guideline is public.
//!
//! The parser is strict: every value has exactly one spelling (no padding,
//! no leading zeros, no trailing decimal zeros), so a file that parses
//! renders back to the same bytes ([`render`]).

use custodian_core::event::{ChangeCode, ReportType, MATERIAL_FORMS};
use custodian_core::Date;
use std::fmt;

/// What a field holds (302/2005 Annex III "Content" column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// `Character (n)`: 1 to n characters of the 55-character set.
    Char(usize),
    /// `Number (n)`: a non-negative integer of 1 to n digits.
    Number(usize),
    /// `Number (24.3)`: grams, optional minus, at most three decimals.
    Weight,
    /// `DDMMYYYY`.
    Date,
}

/// One field of a report table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Its number in the annex.
    pub number: u8,
    /// The label, as written in a file.
    pub label: &'static str,
    /// Its content.
    pub content: Content,
    /// Whether it repeats per line (an entry field) or belongs to the header.
    pub entry: bool,
    /// The codes allowed, where the field is a code.
    pub codes: Codes,
}

/// Which codes a code field allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codes {
    /// Any text of the character set.
    Any,
    /// One of these one-letter codes.
    Letters(&'static str),
    /// An inventory change code (302/2005 Annex III note 10).
    ChangeCode,
    /// A material form code (Annex III note 14).
    Form,
    /// A code of an MBR line (Annex IV note 10): `PB`, an inventory change
    /// code allowed in a balance (every code but `RB` and `MF`), `BA`, `PE`
    /// or `MF`.
    BalanceCode,
}

const fn field(number: u8, label: &'static str, content: Content, entry: bool) -> FieldSpec {
    FieldSpec {
        number,
        label,
        content,
        entry,
        codes: Codes::Any,
    }
}

const fn code(number: u8, label: &'static str, content: Content, codes: Codes) -> FieldSpec {
    FieldSpec {
        number,
        label,
        content,
        entry: true,
        codes,
    }
}

use Content::{Char, Date as DateField, Number, Weight};

/// Element category codes (Annex III note 25), in order of strategic value.
const CATEGORY_CODES: &str = "PHLNDT";
/// Measurement codes (Annex III note 13).
const MEASUREMENT_CODES: &str = "MENFTGLH";
/// Isotope codes (Annex III field 27).
const ISOTOPE_CODES: &str = "GKJ";
/// Material container codes (Annex III note 15).
const CONTAINER_CODES: &str = "CPDSBFTO";
/// Material state codes (Annex III note 16).
const STATE_CODES: &str = "FIWN";
/// Correction codes (Annex III note 37).
const CORRECTION_CODES: &str = "DAL";

/// The Inventory Change Report: 302/2005 Annex III, fields 1–47.
pub const ICR_FIELDS: &[FieldSpec] = &[
    field(1, "MBA", Char(4), false),
    field(2, "REPORT TYPE", Char(1), false),
    field(3, "REPORT DATE", DateField, false),
    field(4, "REPORT NUMBER", Number(8), false),
    field(5, "LINE COUNT", Number(8), false),
    field(6, "START REPORT", DateField, false),
    field(7, "END REPORT", DateField, false),
    field(8, "REPORTING PERSON", Char(30), false),
    field(9, "TRANSACTION ID", Number(8), true),
    code(10, "IC CODE", Char(2), Codes::ChangeCode),
    field(11, "BATCH", Char(20), true),
    field(12, "KMP", Char(1), true),
    code(
        13,
        "MEASUREMENT",
        Char(1),
        Codes::Letters(MEASUREMENT_CODES),
    ),
    code(14, "MATERIAL FORM", Char(2), Codes::Form),
    code(
        15,
        "MATERIAL CONTAINER",
        Char(1),
        Codes::Letters(CONTAINER_CODES),
    ),
    code(16, "MATERIAL STATE", Char(1), Codes::Letters(STATE_CODES)),
    field(17, "MBA FROM", Char(4), true),
    field(18, "MBA TO", Char(4), true),
    field(19, "PREVIOUS BATCH", Char(20), true),
    field(20, "ORIGINAL DATE", DateField, true),
    field(21, "PIT DATE", DateField, true),
    field(22, "LINE NUMBER", Number(8), true),
    field(23, "ACCOUNTING DATE", DateField, true),
    field(24, "ITEMS", Number(6), true),
    code(
        25,
        "ELEMENT CATEGORY",
        Char(1),
        Codes::Letters(CATEGORY_CODES),
    ),
    field(26, "ELEMENT WEIGHT", Weight, true),
    code(27, "ISOTOPE", Char(1), Codes::Letters(ISOTOPE_CODES)),
    field(28, "FISSILE WEIGHT", Weight, true),
    field(29, "ISOTOPIC COMPOSITION", Char(130), true),
    field(30, "OBLIGATION", Char(2), true),
    code(
        31,
        "PREVIOUS CATEGORY",
        Char(1),
        Codes::Letters(CATEGORY_CODES),
    ),
    field(32, "PREVIOUS OBLIGATION", Char(2), true),
    field(33, "CAM CODE FROM", Char(8), true),
    field(34, "CAM CODE TO", Char(8), true),
    field(35, "DOCUMENT", Char(70), true),
    field(36, "CONTAINER ID", Char(20), true),
    code(37, "CORRECTION", Char(1), Codes::Letters(CORRECTION_CODES)),
    field(38, "PREVIOUS REPORT", Number(8), true),
    field(39, "PREVIOUS LINE", Number(8), true),
    field(40, "COMMENT", Char(256), true),
    field(41, "BURN-UP", Number(6), true),
    field(42, "CRC", Number(20), true),
    field(43, "PREVIOUS CRC", Number(20), true),
    field(44, "ADVANCE NOTIFICATION", Char(8), true),
    field(45, "CAMPAIGN", Char(12), true),
    field(46, "REACTOR", Char(12), true),
    field(47, "ERROR PATH", Char(8), true),
];

/// The Physical Inventory Listing: 302/2005 Annex V, fields 1–29.
pub const PIL_FIELDS: &[FieldSpec] = &[
    field(1, "MBA", Char(4), false),
    field(2, "REPORT TYPE", Char(1), false),
    field(3, "REPORT DATE", DateField, false),
    field(4, "REPORT NUMBER", Number(8), false),
    field(5, "PIT DATE", DateField, false),
    field(6, "LINE COUNT", Number(8), false),
    field(7, "REPORTING PERSON", Char(30), false),
    field(8, "PIL_ITEM_ID", Number(8), true),
    field(9, "BATCH", Char(20), true),
    field(10, "KMP", Char(1), true),
    code(
        11,
        "MEASUREMENT",
        Char(1),
        Codes::Letters(MEASUREMENT_CODES),
    ),
    code(
        12,
        "ELEMENT CATEGORY",
        Char(1),
        Codes::Letters(CATEGORY_CODES),
    ),
    code(13, "MATERIAL FORM", Char(2), Codes::Form),
    code(
        14,
        "MATERIAL CONTAINER",
        Char(1),
        Codes::Letters(CONTAINER_CODES),
    ),
    code(15, "MATERIAL STATE", Char(1), Codes::Letters(STATE_CODES)),
    field(16, "LINE NUMBER", Number(8), true),
    field(17, "ITEMS", Number(6), true),
    field(18, "ELEMENT WEIGHT", Weight, true),
    code(19, "ISOTOPE", Char(1), Codes::Letters(ISOTOPE_CODES)),
    field(20, "FISSILE WEIGHT", Weight, true),
    field(21, "OBLIGATION", Char(2), true),
    field(22, "DOCUMENT", Char(70), true),
    field(23, "CONTAINER ID", Char(20), true),
    code(24, "CORRECTION", Char(1), Codes::Letters(CORRECTION_CODES)),
    field(25, "PREVIOUS REPORT", Number(8), true),
    field(26, "PREVIOUS LINE", Number(8), true),
    field(27, "COMMENT", Char(256), true),
    field(28, "CRC", Number(20), true),
    field(29, "PREVIOUS CRC", Number(20), true),
];

/// The Material Balance Report: 302/2005 Annex IV, fields 1–21 (research
/// notes labelled-format.md §3.2). One report per element category (field
/// 7, a header field; Art. 18(2)(b)).
pub const MBR_FIELDS: &[FieldSpec] = &[
    field(1, "MBA", Char(4), false),
    field(2, "REPORT TYPE", Char(1), false),
    field(3, "REPORT DATE", DateField, false),
    field(4, "START REPORT", DateField, false),
    field(5, "END REPORT", DateField, false),
    field(6, "REPORT NUMBER", Number(8), false),
    FieldSpec {
        entry: false,
        ..code(
            7,
            "ELEMENT CATEGORY",
            Char(1),
            Codes::Letters(CATEGORY_CODES),
        )
    },
    field(8, "LINE COUNT", Number(8), false),
    field(9, "REPORTING PERSON", Char(30), false),
    code(10, "IC CODE", Char(2), Codes::BalanceCode),
    field(11, "LINE NUMBER", Number(8), true),
    field(12, "ELEMENT WEIGHT", Weight, true),
    code(13, "ISOTOPE", Char(1), Codes::Letters(ISOTOPE_CODES)),
    field(14, "FISSILE WEIGHT", Weight, true),
    field(15, "OBLIGATION", Char(2), true),
    code(16, "CORRECTION", Char(1), Codes::Letters(CORRECTION_CODES)),
    field(17, "PREVIOUS REPORT", Number(8), true),
    field(18, "PREVIOUS LINE", Number(8), true),
    field(19, "COMMENT", Char(256), true),
    field(20, "CRC", Number(20), true),
    field(21, "PREVIOUS CRC", Number(20), true),
];

/// The label that opens an entry.
pub const LINE_NUMBER: &str = "LINE NUMBER";
/// The label that closes an entry.
pub const CRC: &str = "CRC";

/// The field table of a report type.
pub fn fields(report_type: ReportType) -> &'static [FieldSpec] {
    match report_type {
        ReportType::InventoryChange => ICR_FIELDS,
        ReportType::PhysicalInventory => PIL_FIELDS,
        ReportType::MaterialBalance => MBR_FIELDS,
    }
}

/// The order of an entry's fields in a file: `LINE NUMBER` first, then the
/// table's order, `CRC` last.
pub fn entry_order(report_type: ReportType) -> Vec<&'static FieldSpec> {
    let table = fields(report_type);
    let by = |label: &str| table.iter().find(|f| f.label == label);
    let mut order: Vec<&FieldSpec> = by(LINE_NUMBER).into_iter().collect();
    order.extend(
        table
            .iter()
            .filter(|f| f.entry && f.label != LINE_NUMBER && f.label != CRC),
    );
    order.extend(by(CRC));
    order
}

/// A report as filed: header and entries, each a list of (label, value) in
/// file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// ICR, MBR or PIL.
    pub report_type: ReportType,
    /// The header fields, in table order.
    pub header: Vec<(&'static str, String)>,
    /// The entries.
    pub entries: Vec<Entry>,
}

/// One entry (an accounting line) of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The text line of the file where it starts (from 1), 0 when built in memory.
    pub text_line: usize,
    /// Its fields in file order, `LINE NUMBER` first and `CRC` last.
    pub fields: Vec<(&'static str, String)>,
}

impl Report {
    /// A header field's value.
    pub fn header(&self, label: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.as_str())
    }
}

impl Entry {
    /// A field's value.
    pub fn get(&self, label: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.as_str())
    }

    /// The bytes the line's CRC covers: the entry's text lines before `CRC`,
    /// each ending in LF (FORMATS.md §3.2).
    pub fn crc_input(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (label, value) in self.fields.iter().filter(|(l, _)| *l != CRC) {
            write_field(&mut out, label, value);
        }
        out
    }
}

/// Where a labelled file is wrong: text line (from 1), label and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: field {field}: {message}")]
pub struct LabelledError {
    /// The text line, from 1.
    pub line: usize,
    /// The label, or `(line)` when the text line itself is malformed.
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

fn error(line: usize, field: &str, message: impl Into<String>) -> LabelledError {
    LabelledError {
        line,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Whether `b` is one of the 55 characters 302/2005 Annex III general remark
/// 3 allows: `A–Z`, `0–9` and `+ - / * space = > < . , ( ) : $ % " ; ? &`.
pub fn allowed_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b"+-/* =><.,():$%\";?&".contains(&b)
}

/// Checks one value against its field's content and codes; `Err(expected)`.
pub fn check_value(spec: &FieldSpec, value: &str) -> Result<(), String> {
    if let Some(bad) = value.bytes().find(|b| !allowed_byte(*b)) {
        return Err(format!(
            "a character of the 55 allowed (A-Z 0-9 and + - / * space = > < . , ( ) : $ % \" ; ? &), found byte 0x{bad:02X}"
        ));
    }
    match spec.content {
        Char(width) => {
            if value.is_empty() || value.len() > width {
                return Err(format!(
                    "1 to {width} characters, found {} ({value:?})",
                    value.len()
                ));
            }
            if value.starts_with(' ') || value.ends_with(' ') {
                return Err(format!(
                    "a value without leading or trailing spaces, found {value:?}"
                ));
            }
        }
        Number(width) => check_digits(value, width)?,
        Weight => parse_weight(value).map(|_| ())?,
        DateField => parse_date(value).map(|_| ())?,
    }
    let ok = match spec.codes {
        Codes::Any => true,
        Codes::Letters(set) => value.len() == 1 && set.contains(value),
        Codes::ChangeCode => ChangeCode::parse(value).is_some(),
        Codes::Form => MATERIAL_FORMS.iter().any(|(c, _, _)| *c == value),
        Codes::BalanceCode => balance_code(value),
    };
    if !ok {
        let expected = match spec.codes {
            Codes::Letters(set) => format!("one of the codes {}", spaced(set)),
            Codes::ChangeCode => {
                "an inventory change code of 302/2005 Annex III note 10 (RD, SD, TE, ...)"
                    .to_owned()
            }
            Codes::Form => {
                "a material form code of 302/2005 Annex III note 14 (U2, CP, EA, ...)".to_owned()
            }
            Codes::BalanceCode => {
                "a material balance line code of 302/2005 Annex IV note 10 (PB, an inventory change code other than RB and MF, BA, PE or MF)".to_owned()
            }
            Codes::Any => String::new(),
        };
        return Err(format!("{expected}, found {value:?}"));
    }
    Ok(())
}

/// Whether `value` may be the code of an MBR line (Annex IV note 10).
fn balance_code(value: &str) -> bool {
    matches!(value, "PB" | "BA" | "PE" | "MF")
        || ChangeCode::parse(value).is_some_and(ChangeCode::allowed_in_balance_report)
}

fn spaced(set: &str) -> String {
    set.chars().map(String::from).collect::<Vec<_>>().join(" ")
}

fn check_digits(value: &str, width: usize) -> Result<(), String> {
    let canonical = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'));
    if !canonical || value.len() > width {
        return Err(format!(
            "a whole number of 1 to {width} digits without leading zeros, found {value:?}"
        ));
    }
    Ok(())
}

/// Parses a `Number (n)` value.
pub fn parse_number(value: &str) -> Result<u64, String> {
    check_digits(value, 20)?;
    value
        .parse::<u64>()
        .map_err(|_| format!("a number below 2^64, found {value:?}"))
}

/// Parses `Number (24.3)`: grams as signed integer milligrams. The one
/// spelling: an optional `-`, the whole grams without leading zeros, and
/// when there is a fraction a point and 1–3 digits without trailing zeros
/// (general remark 2: "a point should precede the decimal digits"; notes to
/// fields 26 and 28: "up to a maximum of three decimal places"). At most 21
/// whole digits, so that the digits fit the width of 24 with 3 decimals
/// (\[I], labelled-format.md §2.1).
pub fn parse_weight(value: &str) -> Result<i128, String> {
    let expected = || {
        format!("grams with at most three decimals and no leading or trailing zeros (e.g. 1250.5, -0.78), found {value:?}")
    };
    let (negative, body) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    let whole_ok = !whole.is_empty()
        && whole.len() <= 21
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || !whole.starts_with('0'));
    let fraction_ok = fraction.is_none_or(|f| {
        (1..=3).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) && !f.ends_with('0')
    });
    if !whole_ok || !fraction_ok {
        return Err(expected());
    }
    let mut mg: i128 = whole.parse::<i128>().map_err(|_| expected())? * 1000;
    if let Some(f) = fraction {
        let digits = format!("{f:0<3}");
        mg += digits.parse::<i128>().map_err(|_| expected())?;
    }
    if negative {
        if mg == 0 {
            return Err(format!("a weight without a sign on zero, found {value:?}"));
        }
        mg = -mg;
    }
    Ok(mg)
}

/// Writes milligrams in the one spelling [`parse_weight`] accepts.
pub fn format_weight(milligrams: i128) -> String {
    crate::accounts::Grams::from_milligrams(milligrams).to_string()
}

/// Parses `DDMMYYYY`.
pub fn parse_date(value: &str) -> Result<Date, String> {
    let expected = || format!("a date DDMMYYYY (e.g. 31012026), found {value:?}");
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected());
    }
    let iso = format!("{}-{}-{}", &value[4..8], &value[2..4], &value[0..2]);
    Date::parse(&iso).map_err(|_| expected())
}

/// Writes a date as `DDMMYYYY`.
pub fn format_date(date: Date) -> String {
    let iso = date.to_string();
    format!("{}{}{}", &iso[8..10], &iso[5..7], &iso[0..4])
}

fn write_field(out: &mut Vec<u8>, label: &str, value: &str) {
    out.extend_from_slice(label.as_bytes());
    out.push(b':');
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

/// Reads a labelled report. Strict: ASCII lines ending in LF, each
/// `LABEL:value` with a label of the report's table; the header in table
/// order starting with `MBA` and `REPORT TYPE`; each entry opened by
/// `LINE NUMBER`, its fields in table order, closed by `CRC`; line numbers
/// 1, 2, … and `LINE COUNT` equal to the number of entries. The CRCs are
/// checked by [`check_crcs`], not here.
pub fn parse(bytes: &[u8]) -> Result<Report, LabelledError> {
    if bytes.is_empty() {
        return Err(error(1, "MBA", "expected a report, found an empty file"));
    }
    if bytes.last() != Some(&b'\n') {
        let line = bytes.iter().filter(|b| **b == b'\n').count() + 1;
        return Err(error(line, "(line)", "expected the file to end with LF"));
    }
    let body = &bytes[..bytes.len() - 1];
    let mut report_type = None;
    let mut header: Vec<(&'static str, String)> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut header_pos = 0usize; // next header table index allowed
    let mut entry_pos = 0usize; // next entry_order index allowed
    let mut order: Vec<&'static FieldSpec> = Vec::new();
    let mut line_count_at = 0usize;
    for (i, raw) in body.split(|b| *b == b'\n').enumerate() {
        let n = i + 1;
        if let Some(bad) = raw.iter().position(|b| !(allowed_byte(*b) || *b == b'_')) {
            return Err(error(
                n,
                "(line)",
                format!(
                    "a character of the 55 allowed, found byte 0x{:02X} at column {}",
                    raw[bad],
                    bad + 1
                ),
            ));
        }
        // Only ASCII bytes pass the check above.
        let text = std::str::from_utf8(raw).map_err(|_| error(n, "(line)", "expected ASCII"))?;
        let Some((label, value)) = text.split_once(':') else {
            return Err(error(
                n,
                "(line)",
                format!("a line LABEL:value, found {text:?}"),
            ));
        };
        let Some(rt) = report_type else {
            // The header's first two lines fix the table.
            match (header.len(), label) {
                (0, "MBA") => {
                    check_value(&ICR_FIELDS[0], value).map_err(|e| error(n, label, e))?;
                    header.push(("MBA", value.to_owned()));
                    continue;
                }
                (0, _) => {
                    return Err(error(
                        n,
                        label,
                        format!("the header to open with MBA, found label {label:?}"),
                    ))
                }
                (_, "REPORT TYPE") => {
                    report_type = Some(match value {
                        "I" => ReportType::InventoryChange,
                        "M" => ReportType::MaterialBalance,
                        "P" => ReportType::PhysicalInventory,
                        _ => {
                            return Err(error(
                                n,
                                label,
                                format!("I (inventory change report), M (material balance report) or P (physical inventory listing), found {value:?}"),
                            ))
                        }
                    });
                    header.push(("REPORT TYPE", value.to_owned()));
                    header_pos = 2;
                    order = entry_order(report_type.unwrap_or(ReportType::InventoryChange));
                    continue;
                }
                _ => {
                    return Err(error(
                        n,
                        label,
                        format!("REPORT TYPE after MBA, found label {label:?}"),
                    ))
                }
            }
        };
        let table = fields(rt);
        if label == LINE_NUMBER {
            if let Some(last) = entries.last() {
                if last.fields.last().map(|(l, _)| *l) != Some(CRC) {
                    return Err(error(
                        n,
                        CRC,
                        format!(
                            "entry from line {} to end with CRC before the next LINE NUMBER",
                            last.text_line
                        ),
                    ));
                }
            }
            entries.push(Entry {
                text_line: n,
                fields: Vec::new(),
            });
            entry_pos = 0;
        }
        match entries.last_mut() {
            None => {
                // Still in the header.
                let Some(offset) = table[header_pos..]
                    .iter()
                    .position(|f| !f.entry && f.label == label)
                else {
                    return Err(error(n, label, unknown_label(rt, label, &header)));
                };
                let spec = &table[header_pos + offset];
                check_value(spec, value).map_err(|e| error(n, label, e))?;
                if spec.label == "LINE COUNT" {
                    line_count_at = n;
                }
                header.push((spec.label, value.to_owned()));
                header_pos += offset + 1;
            }
            Some(entry) => {
                if entry.fields.last().map(|(l, _)| *l) == Some(CRC) {
                    return Err(error(
                        n,
                        label,
                        format!("LINE NUMBER to open a new entry after the CRC of the entry from line {}, found label {label:?}", entry.text_line),
                    ));
                }
                let Some(offset) = order[entry_pos..].iter().position(|f| f.label == label) else {
                    let known = order.iter().any(|f| f.label == label);
                    return Err(error(
                        n,
                        label,
                        if known {
                            format!("the entry's fields in table order (LINE NUMBER first, CRC last), each once; {label} comes too late or twice")
                        } else {
                            format!("a label of the {} entry table, found {label:?}", name(rt))
                        },
                    ));
                };
                let spec = order[entry_pos + offset];
                check_value(spec, value).map_err(|e| error(n, label, e))?;
                entry.fields.push((spec.label, value.to_owned()));
                entry_pos += offset + 1;
            }
        }
    }
    let Some(report_type) = report_type else {
        return Err(error(2, "REPORT TYPE", "a REPORT TYPE line after MBA"));
    };
    let total_lines = body.split(|b| *b == b'\n').count();
    if let Some(last) = entries.last() {
        if last.fields.last().map(|(l, _)| *l) != Some(CRC) {
            return Err(error(
                total_lines,
                CRC,
                format!("entry from line {} to end with CRC", last.text_line),
            ));
        }
    }
    let report = Report {
        report_type,
        header,
        entries,
    };
    let required: &[&str] = match report_type {
        ReportType::InventoryChange => &[
            "REPORT DATE",
            "REPORT NUMBER",
            "LINE COUNT",
            "START REPORT",
            "END REPORT",
        ],
        ReportType::PhysicalInventory => {
            &["REPORT DATE", "REPORT NUMBER", "PIT DATE", "LINE COUNT"]
        }
        ReportType::MaterialBalance => &[
            "REPORT DATE",
            "START REPORT",
            "END REPORT",
            "REPORT NUMBER",
            "ELEMENT CATEGORY",
            "LINE COUNT",
        ],
    };
    for label in required {
        if report.header(label).is_none() {
            return Err(error(
                report.entries.first().map_or(total_lines, |e| e.text_line),
                label,
                format!("the header field {label}, found none"),
            ));
        }
    }
    let declared = report.header("LINE COUNT").map(parse_number);
    if let Some(Ok(declared)) = declared {
        if declared != report.entries.len() as u64 {
            return Err(error(
                line_count_at,
                "LINE COUNT",
                format!(
                    "the number of entries in the report ({}), found {declared}",
                    report.entries.len()
                ),
            ));
        }
    }
    for (i, entry) in report.entries.iter().enumerate() {
        let expected = (i + 1).to_string();
        let found = entry.get(LINE_NUMBER).unwrap_or_default();
        if found != expected {
            return Err(error(
                entry.text_line,
                LINE_NUMBER,
                format!("line numbers 1, 2, … without gaps: {expected}, found {found}"),
            ));
        }
    }
    Ok(report)
}

fn name(rt: ReportType) -> &'static str {
    match rt {
        ReportType::InventoryChange => "inventory change report (302/2005 Annex III)",
        ReportType::PhysicalInventory => "physical inventory listing (302/2005 Annex V)",
        ReportType::MaterialBalance => "material balance report (302/2005 Annex IV)",
    }
}

fn unknown_label(rt: ReportType, label: &str, header: &[(&'static str, String)]) -> String {
    let table = fields(rt);
    if table.iter().any(|f| !f.entry && f.label == label) {
        let dup = header.iter().any(|(l, _)| *l == label);
        if dup {
            return format!("each header field once, found {label} twice");
        }
        return format!("the header fields in table order; {label} comes too late");
    }
    if table.iter().any(|f| f.entry && f.label == label) {
        return format!("LINE NUMBER to open an entry before its field {label}");
    }
    format!("a label of the {} header, found {label:?}", name(rt))
}

/// Writes a report: each field `LABEL:value` and LF, in the order held.
pub fn render(report: &Report) -> Vec<u8> {
    let mut out = Vec::new();
    for (label, value) in &report.header {
        write_field(&mut out, label, value);
    }
    for entry in &report.entries {
        for (label, value) in &entry.fields {
            write_field(&mut out, label, value);
        }
    }
    out
}

/// A line checksum: the regulator's algorithm, once known (see the module doc).
pub trait LineChecksum: fmt::Debug {
    /// Its name, as the CLI and FORMATS.md give it.
    fn name(&self) -> &'static str;
    /// The checksum of the bytes of one entry ([`Entry::crc_input`]).
    fn compute(&self, bytes: &[u8]) -> u64;
}

/// CRC-64/XZ (ECMA-182 polynomial 0x42F0E1EBA9EA3693, reflected, initial
/// value and final XOR all ones; check value of `123456789` is
/// 0x995DC9BBDF1939FA, the "CRC-64/XZ" entry of Greg Cook's catalogue of
/// parametrised CRC algorithms). A **provisional** choice \[G]: the width of
/// the CRC field, `Number (20)`, holds any 64-bit value in decimal, and
/// nothing more is published (labelled-format.md §4.4).
#[derive(Clone, Copy, Debug, Default)]
pub struct Crc64Xz;

const CRC64_XZ_REFLECTED: u64 = 0xC96C_5795_D787_0F42;

const fn crc64_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ CRC64_XZ_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static CRC64_TABLE: [u64; 256] = crc64_table();

impl LineChecksum for Crc64Xz {
    fn name(&self) -> &'static str {
        "crc64-xz-provisional"
    }
    fn compute(&self, bytes: &[u8]) -> u64 {
        let mut crc = u64::MAX;
        for b in bytes {
            crc = CRC64_TABLE[((crc ^ u64::from(*b)) & 0xFF) as usize] ^ (crc >> 8);
        }
        !crc
    }
}

/// How an import treats the CRCs of a file.
#[derive(Clone, Copy, Debug)]
pub enum CrcMode<'a> {
    /// Each line's CRC must equal this algorithm's.
    Verify(&'a dyn LineChecksum),
    /// CRCs are kept as filed, not recomputed (the regulator's algorithm is
    /// not known here); previous-CRC references are still checked against
    /// the CRCs on record.
    Carry,
}

impl fmt::Display for CrcMode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrcMode::Verify(c) => f.write_str(c.name()),
            CrcMode::Carry => f.write_str("carry"),
        }
    }
}

/// Checks each entry's CRC under `mode`.
pub fn check_crcs(report: &Report, mode: CrcMode<'_>) -> Result<(), LabelledError> {
    let CrcMode::Verify(algorithm) = mode else {
        return Ok(());
    };
    for entry in &report.entries {
        let expected = algorithm.compute(&entry.crc_input()).to_string();
        let found = entry.get(CRC).unwrap_or_default();
        if found != expected {
            let at = entry.text_line + entry.fields.len() - 1;
            return Err(error(
                at,
                CRC,
                format!(
                    "{expected} ({} of the entry's lines from {}), found {found}",
                    algorithm.name(),
                    entry.text_line
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_xz_check_value() {
        // The catalogue's check value for "123456789".
        assert_eq!(Crc64Xz.compute(b"123456789"), 0x995D_C9BB_DF19_39FA);
        assert_eq!(Crc64Xz.compute(b""), 0);
    }

    #[test]
    fn weights_have_one_spelling() {
        for (text, mg) in [
            ("0", 0),
            ("1250.5", 1_250_500),
            ("-0.78", -780),
            ("7", 7000),
        ] {
            assert_eq!(parse_weight(text), Ok(mg), "{text}");
            assert_eq!(format_weight(mg), text);
        }
        for bad in [
            "", "-0", "01", "1.", "1.50", "1.2345", ".5", "1,5", "+1", " 1",
        ] {
            assert!(parse_weight(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_round_trip() {
        let d = parse_date("29022028").unwrap();
        assert_eq!(format_date(d), "29022028");
        assert!(parse_date("30022026").is_err());
        assert!(parse_date("2026-01-01").is_err());
    }

    #[test]
    fn entry_order_opens_with_line_number_and_closes_with_crc() {
        let order = entry_order(ReportType::InventoryChange);
        assert_eq!(order.first().unwrap().label, LINE_NUMBER);
        assert_eq!(order.last().unwrap().label, CRC);
        assert_eq!(order.len(), 47 - 8);
        assert_eq!(entry_order(ReportType::PhysicalInventory).len(), 29 - 7);
        let mbr = entry_order(ReportType::MaterialBalance);
        assert_eq!(mbr.len(), 21 - 9);
        assert_eq!(
            mbr.iter().map(|f| f.label).collect::<Vec<_>>()[..3],
            [LINE_NUMBER, "IC CODE", "ELEMENT WEIGHT"]
        );
    }

    #[test]
    fn balance_codes_are_those_of_annex_iv_note_10() {
        let spec = MBR_FIELDS.iter().find(|f| f.label == "IC CODE").unwrap();
        for ok in ["PB", "RD", "SD", "DI", "TE", "BA", "PE", "MF"] {
            assert_eq!(check_value(spec, ok), Ok(()), "{ok}");
        }
        for bad in ["RB", "PX", "pb", ""] {
            assert!(check_value(spec, bad).is_err(), "{bad}");
        }
    }
}

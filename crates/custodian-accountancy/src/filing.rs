//! Labelled reports in and out of the ledger (issue 6, point 2): a filed ICR
//! or PIL becomes one `material.inventory_change` or
//! `material.physical_inventory` event per line plus a `material.report`
//! event that binds them to the report's number, header and CRCs
//! ([`import`]); [`export`] writes the same report again from the ledger,
//! byte for byte.
//!
//! A Material Balance Report is not a record of events but a statement of
//! what the ledger already holds: its lines are computed
//! ([`crate::reports::material_balance_report`]). So importing one *checks*
//! it, line by line, against the ledger's balance for its period and
//! category and refuses it on the first difference; when it agrees, only the
//! `material.report` event is appended. [`render_mbr`] writes a new MBR from
//! the ledger (the operator's duty after each taking).
//!
//! The rule that keeps the round trip exact: a line's fields are split into
//! those the line event models (batch, code, weights, …), rendered from the
//! accounts, and the rest (container, document, comment, …), kept verbatim
//! in the `material.report` event; labels the event models but the filed
//! line left out are listed as `omitted`. Before anything is appended the
//! import renders every line back and refuses one whose modelled value would
//! be written differently. FORMATS.md §3.2 states the mapping.

use crate::accounts::{Accounts, ChangeLine, Filing, Grams, InventoryLine, LineRef, Quantity};
use crate::labelled::{
    check_crcs, entry_order, fields, format_date, format_weight, parse_date, parse_number,
    parse_weight, CrcMode, Entry, LabelledError, LineChecksum, Report, CRC, LINE_NUMBER,
};
use crate::reports::{
    material_balances, CategoryBalance, MbrLine, MbrLineKind, Period, ReportError,
};
use custodian_core::event::{
    ChangeCode, ChangeEffect, CorrectionCode, Direction, FiledLine, InventoryChange,
    InventoryTaking, Isotope, KmpCode, LabelledField, LineReference, MaterialCategory, MbaCode,
    MeasurementBasis, PhysicalInventory, ReportFiled, ReportType,
};
use custodian_core::{ActorId, Date, Event, EventId, LeafIndex, Payload};
use std::collections::BTreeMap;

/// Header labels the `material.report` event holds as typed members (or,
/// for the line count, derives): not kept among its `header` fields.
const TYPED_HEADER: [&str; 4] = ["MBA", "REPORT TYPE", "REPORT NUMBER", "LINE COUNT"];

fn error(line: usize, field: &str, message: impl Into<String>) -> LabelledError {
    LabelledError {
        line,
        field: field.to_owned(),
        message: message.into(),
    }
}

fn header_line(report: &Report, label: &str) -> usize {
    report
        .header
        .iter()
        .position(|(l, _)| *l == label)
        .map_or(1, |i| i + 1)
}

fn category_of(letter: &str) -> Option<MaterialCategory> {
    MaterialCategory::ALL
        .into_iter()
        .find(|c| c.code().to_string() == letter)
}

fn basis_of(letter: &str) -> Option<MeasurementBasis> {
    use MeasurementBasis::*;
    [
        MeasuredHere,
        EstimatedHere,
        MeasuredElsewhere,
        EstimatedElsewhere,
        MeasuredHereReported,
        EstimatedHereReported,
        MeasuredElsewhereReported,
        EstimatedElsewhereReported,
    ]
    .into_iter()
    .find(|b| b.code().to_string() == letter)
}

fn correction_of(letter: &str) -> Option<CorrectionCode> {
    [
        CorrectionCode::Delete,
        CorrectionCode::Add,
        CorrectionCode::Late,
    ]
    .into_iter()
    .find(|c| c.code().to_string() == letter)
}

/// The event id of a filed line: `<mba>-<i|p><report>-<line>` in lower case
/// (an MBR's lines have none).
pub fn line_event_id(mba: &MbaCode, report_type: ReportType, number: u32, line: u32) -> String {
    let t = report_type.code().to_ascii_lowercase();
    format!("{}-{t}{number}-{line}", mba.as_str().to_ascii_lowercase())
}

/// The event id of a filing: `<mba>-<i|m|p><report>`.
pub fn report_event_id(mba: &MbaCode, report_type: ReportType, number: u32) -> String {
    let t = report_type.code().to_ascii_lowercase();
    format!("{}-{t}{number}", mba.as_str().to_ascii_lowercase())
}

/// One entry read as the fields an event models.
struct Read<'e> {
    entry: &'e Entry,
}

impl<'e> Read<'e> {
    fn at(&self, label: &str) -> usize {
        self.entry.text_line
            + self
                .entry
                .fields
                .iter()
                .position(|(l, _)| *l == label)
                .unwrap_or(0)
    }
    fn get(&self, label: &str) -> Option<&'e str> {
        self.entry.get(label)
    }
    fn need(&self, label: &str, why: &str) -> Result<&'e str, LabelledError> {
        self.get(label).ok_or_else(|| {
            error(
                self.entry.text_line,
                label,
                format!("the field {label} ({why}), found none"),
            )
        })
    }
    fn number(&self, label: &str) -> Result<Option<u32>, LabelledError> {
        self.get(label)
            .map(|v| {
                parse_number(v)
                    .ok()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| {
                        error(
                            self.at(label),
                            label,
                            format!("a number below 2^32, found {v}"),
                        )
                    })
            })
            .transpose()
    }
    fn date(&self, label: &str) -> Result<Option<Date>, LabelledError> {
        self.get(label)
            .map(|v| parse_date(v).map_err(|e| error(self.at(label), label, e)))
            .transpose()
    }
    fn category(&self, label: &str) -> Result<Option<MaterialCategory>, LabelledError> {
        Ok(self.get(label).and_then(category_of))
    }
    fn kmp(&self) -> Result<Option<KmpCode>, LabelledError> {
        match self.get("KMP") {
            None | Some("&") => Ok(None),
            Some(v) => KmpCode::parse(v)
                .map(Some)
                .map_err(|e| error(self.at("KMP"), "KMP", e.to_string())),
        }
    }
    fn isotope(&self) -> Result<Option<Isotope>, LabelledError> {
        match self.get("ISOTOPE") {
            None => Ok(None),
            Some("G") => Ok(Some(Isotope::U235)),
            Some("K") => Ok(Some(Isotope::U233)),
            Some(v) => Err(error(
                self.at("ISOTOPE"),
                "ISOTOPE",
                format!("G (U-235) or K (U-233): a mixture (J) is not modelled, its weights cannot be split; found {v}"),
            )),
        }
    }
    /// The element weight as grams and its sign.
    fn weight(&self, label: &str) -> Result<Option<(f64, bool)>, LabelledError> {
        self.get(label)
            .map(|v| {
                let mg = parse_weight(v).map_err(|e| error(self.at(label), label, e))?;
                Ok(((mg.unsigned_abs() as f64) / 1000.0, mg < 0))
            })
            .transpose()
    }
}

/// The line a `D` or `A` correction names by previous report, line and CRC.
fn corrected<'a>(
    accounts: &'a Accounts,
    mba: &MbaCode,
    report_type: ReportType,
    read: &Read<'_>,
    correction: CorrectionCode,
) -> Result<(EventId, LineRef<'a>), LabelledError> {
    let why = "the line a D or A correction replaces";
    let number = read.number("PREVIOUS REPORT")?.ok_or_else(|| {
        error(
            read.entry.text_line,
            "PREVIOUS REPORT",
            format!("the field PREVIOUS REPORT ({why}), found none"),
        )
    })?;
    let line = read.number("PREVIOUS LINE")?.ok_or_else(|| {
        error(
            read.entry.text_line,
            "PREVIOUS LINE",
            format!("the field PREVIOUS LINE ({why}), found none"),
        )
    })?;
    let filing = accounts.filing(mba, number).ok_or_else(|| {
        error(
            read.at("PREVIOUS REPORT"),
            "PREVIOUS REPORT",
            format!("a report filed earlier for MBA {mba}, found {number}"),
        )
    })?;
    if filing.report.report_type != report_type {
        return Err(error(
            read.at("PREVIOUS REPORT"),
            "PREVIOUS REPORT",
            format!(
                "a report of type {}, found report {number} of type {}",
                report_type.code(),
                filing.report.report_type.code()
            ),
        ));
    }
    let filed = line
        .checked_sub(1)
        .and_then(|i| filing.report.lines.get(i as usize))
        .ok_or_else(|| {
            error(
                read.at("PREVIOUS LINE"),
                "PREVIOUS LINE",
                format!(
                    "a line of report {number} (1 to {}), found {line}",
                    filing.report.lines.len()
                ),
            )
        })?;
    match read.get("PREVIOUS CRC") {
        Some(crc) if crc != filed.crc => {
            return Err(error(
                read.at("PREVIOUS CRC"),
                "PREVIOUS CRC",
                format!("{} (the CRC filed for report {number} line {line}), found {crc}", filed.crc),
            ))
        }
        None if correction == CorrectionCode::Delete => {
            return Err(error(
                read.entry.text_line,
                "PREVIOUS CRC",
                "the field PREVIOUS CRC (a deletion names the CRC of the line it deletes, 302/2005 Annex III note 37), found none",
            ))
        }
        _ => {}
    }
    let event = filed.event.as_ref().ok_or_else(|| {
        error(
            read.at("PREVIOUS REPORT"),
            "PREVIOUS REPORT",
            format!(
                "a report whose lines are events, found report {number} of type {}",
                filing.report.report_type.code()
            ),
        )
    })?;
    let target = accounts.line(event).ok_or_else(|| {
        error(
            read.entry.text_line,
            "PREVIOUS LINE",
            format!("the event {event} on record"),
        )
    })?;
    Ok((event.clone(), target))
}

fn change_payload(
    accounts: &Accounts,
    mba: &MbaCode,
    read: &Read<'_>,
) -> Result<InventoryChange, LabelledError> {
    let correction = read.get("CORRECTION").and_then(correction_of);
    let corrects = match correction {
        Some(c @ (CorrectionCode::Delete | CorrectionCode::Add)) => Some(corrected(
            accounts,
            mba,
            ReportType::InventoryChange,
            read,
            c,
        )?),
        _ => None,
    };
    if let (Some(CorrectionCode::Delete), None, Some((event, LineRef::Change(old)))) =
        (correction, read.get("IC CODE"), &corrects)
    {
        // A deletion that names only the line it deletes repeats that line.
        let mut p = change_of_line(old);
        p.correction = Some(CorrectionCode::Delete);
        p.corrects = Some(LineReference {
            event: event.clone(),
        });
        return Ok(p);
    }
    let why = "an inventory change line";
    let code_text = read.need("IC CODE", why)?;
    let code = ChangeCode::parse(code_text)
        .ok_or_else(|| error(read.at("IC CODE"), "IC CODE", "an inventory change code"))?;
    let category = read.category("ELEMENT CATEGORY")?.ok_or_else(|| {
        error(
            read.entry.text_line,
            "ELEMENT CATEGORY",
            format!("the field ELEMENT CATEGORY ({why}), found none"),
        )
    })?;
    let (element_grams, negative) = read.weight("ELEMENT WEIGHT")?.ok_or_else(|| {
        error(
            read.entry.text_line,
            "ELEMENT WEIGHT",
            format!("the field ELEMENT WEIGHT ({why}), found none"),
        )
    })?;
    let signed = code.effect() == ChangeEffect::Signed;
    if negative && !signed {
        return Err(error(
            read.at("ELEMENT WEIGHT"),
            "ELEMENT WEIGHT",
            format!("a weight of at least 0 for code {code_text}: only the signed codes DI NM BJ MF RA R5 take a minus"),
        ));
    }
    let fissile = read.weight("FISSILE WEIGHT")?;
    if let Some((g, fissile_negative)) = fissile {
        if g != 0.0 && fissile_negative != negative {
            return Err(error(
                read.at("FISSILE WEIGHT"),
                "FISSILE WEIGHT",
                "the sign of the element weight",
            ));
        }
    }
    let (from, to) = (read.get("MBA FROM"), read.get("MBA TO"));
    let counterpart = match code.effect() {
        ChangeEffect::Increase if code.has_counterpart() => from,
        ChangeEffect::Decrease if code.has_counterpart() => to,
        _ => None,
    }
    .map(|c| {
        let registered = MbaCode::parse(c)
            .ok()
            .is_some_and(|m| accounts.mba(&m).is_some());
        if registered {
            c.to_owned()
        } else {
            format!("{}{c}", custodian_core::event::EXTERNAL_PREFIX)
        }
    });
    Ok(InventoryChange {
        mba: mba.to_string(),
        batch: read.need("BATCH", why)?.to_owned(),
        code: code_text.to_owned(),
        element: category.element(),
        element_grams,
        isotope_grams: fissile.map(|(g, _)| g),
        counterpart_mba: counterpart,
        line: None,
        material_category: Some(category),
        isotope: read.isotope()?,
        form: read.get("MATERIAL FORM").map(str::to_owned),
        measurement_basis: read.get("MEASUREMENT").and_then(basis_of),
        kmp: read.kmp()?,
        items: read.number("ITEMS")?,
        direction: signed.then_some(if negative {
            Direction::Decrease
        } else {
            Direction::Increase
        }),
        previous_category: read.category("PREVIOUS CATEGORY")?,
        previous_batch: read.get("PREVIOUS BATCH").map(str::to_owned),
        obligation: read.get("OBLIGATION").map(str::to_owned),
        previous_obligation: read.get("PREVIOUS OBLIGATION").map(str::to_owned),
        pit_date: read.date("PIT DATE")?,
        correction,
        corrects: corrects.map(|(event, _)| LineReference { event }),
        original_date: if correction == Some(CorrectionCode::Late) {
            read.date("ORIGINAL DATE")?
        } else {
            None
        },
    })
}

/// An inventory change payload repeating a recorded line.
fn change_of_line(old: &ChangeLine) -> InventoryChange {
    InventoryChange {
        mba: old.mba.to_string(),
        batch: old.batch.clone(),
        code: old.code.as_str().to_owned(),
        element: old.element,
        element_grams: old.quantity.element_grams.as_f64(),
        isotope_grams: old.isotope.map(|_| old.quantity.fissile_grams().as_f64()),
        counterpart_mba: old.counterpart.as_ref().map(ToString::to_string),
        line: None,
        material_category: Some(old.category),
        isotope: old.isotope,
        form: old.form.clone(),
        measurement_basis: old.measurement_basis,
        kmp: old.kmp.clone(),
        items: old.items,
        direction: old.direction,
        previous_category: old.previous_category,
        previous_batch: old.previous_batch.clone(),
        obligation: old.obligation.clone(),
        previous_obligation: old.previous_obligation.clone(),
        pit_date: old.pit_date,
        correction: None,
        corrects: None,
        original_date: None,
    }
}

fn inventory_payload(
    accounts: &Accounts,
    mba: &MbaCode,
    pit_date: Date,
    read: &Read<'_>,
) -> Result<PhysicalInventory, LabelledError> {
    let correction = read.get("CORRECTION").and_then(correction_of);
    let corrects = match correction {
        Some(c @ (CorrectionCode::Delete | CorrectionCode::Add)) => Some(corrected(
            accounts,
            mba,
            ReportType::PhysicalInventory,
            read,
            c,
        )?),
        _ => None,
    };
    let old_pit = match &corrects {
        Some((_, LineRef::Inventory(old))) => Some(old.pit_date),
        _ => None,
    };
    if let (Some(CorrectionCode::Delete), None, Some((event, LineRef::Inventory(old)))) =
        (correction, read.get("BATCH"), &corrects)
    {
        let mut p = inventory_of_line(old);
        p.correction = Some(CorrectionCode::Delete);
        p.corrects = Some(LineReference {
            event: event.clone(),
        });
        return Ok(p);
    }
    let why = "a physical inventory line";
    let category = read.category("ELEMENT CATEGORY")?.ok_or_else(|| {
        error(
            read.entry.text_line,
            "ELEMENT CATEGORY",
            format!("the field ELEMENT CATEGORY ({why}), found none"),
        )
    })?;
    let (element_grams, negative) = read.weight("ELEMENT WEIGHT")?.ok_or_else(|| {
        error(
            read.entry.text_line,
            "ELEMENT WEIGHT",
            format!("the field ELEMENT WEIGHT ({why}), found none"),
        )
    })?;
    let fissile = read.weight("FISSILE WEIGHT")?;
    for (label, neg) in [
        ("ELEMENT WEIGHT", negative),
        ("FISSILE WEIGHT", fissile.is_some_and(|(_, n)| n)),
    ] {
        if neg {
            return Err(error(
                read.at(label),
                label,
                "a weight of at least 0 (a physical inventory holds no negative amounts)",
            ));
        }
    }
    Ok(PhysicalInventory {
        mba: mba.to_string(),
        batch: read.need("BATCH", why)?.to_owned(),
        element: category.element(),
        element_grams,
        isotope_grams: fissile.map(|(g, _)| g),
        pit_date: Some(old_pit.unwrap_or(pit_date)),
        line: None,
        material_category: Some(category),
        isotope: read.isotope()?,
        form: read.get("MATERIAL FORM").map(str::to_owned),
        measurement_basis: read.get("MEASUREMENT").and_then(basis_of),
        kmp: read.kmp()?,
        items: read.number("ITEMS")?,
        obligation: read.get("OBLIGATION").map(str::to_owned),
        correction,
        corrects: corrects.map(|(event, _)| LineReference { event }),
    })
}

fn inventory_of_line(old: &InventoryLine) -> PhysicalInventory {
    PhysicalInventory {
        mba: old.mba.to_string(),
        batch: old.batch.clone(),
        element: old.element,
        element_grams: old.quantity.element_grams.as_f64(),
        isotope_grams: old.isotope.map(|_| old.quantity.fissile_grams().as_f64()),
        pit_date: Some(old.pit_date),
        line: None,
        material_category: Some(old.category),
        isotope: old.isotope,
        form: old.form.clone(),
        measurement_basis: old.measurement_basis,
        kmp: old.kmp.clone(),
        items: old.items,
        obligation: old.obligation.clone(),
        correction: None,
        corrects: None,
    }
}

/// The payload field an accounts error names, as the label of the file.
fn label_of(field: &str, report_type: ReportType) -> &'static str {
    let name = field.strip_prefix("payload.").unwrap_or(field);
    let name = name.split('.').next().unwrap_or(name);
    match name {
        "mba" => "MBA",
        "batch" => "BATCH",
        "code" => "IC CODE",
        "element" | "material_category" => "ELEMENT CATEGORY",
        "element_grams" | "direction" => "ELEMENT WEIGHT",
        "isotope_grams" => "FISSILE WEIGHT",
        "isotope" => "ISOTOPE",
        "counterpart_mba" => "MBA FROM",
        "form" => "MATERIAL FORM",
        "measurement_basis" => "MEASUREMENT",
        "kmp" => "KMP",
        "items" => "ITEMS",
        "previous_category" => "PREVIOUS CATEGORY",
        "previous_batch" => "PREVIOUS BATCH",
        "obligation" => "OBLIGATION",
        "previous_obligation" => "PREVIOUS OBLIGATION",
        "pit_date" if report_type == ReportType::PhysicalInventory => "PIT DATE",
        "pit_date" => "PIT DATE",
        "correction" => "CORRECTION",
        "corrects" => "PREVIOUS LINE",
        "original_date" => "ORIGINAL DATE",
        _ => "LINE NUMBER",
    }
}

/// Reads a parsed labelled report into the events that record it: one line
/// event per entry, then the `material.report` event, then (for a PIL of a
/// taking not yet closed) the `material.inventory_taking` that closes it.
/// An MBR is compared with the ledger's balance instead and becomes the
/// `material.report` event alone (see the module doc).
/// Everything is checked against a copy of `accounts` first; an error names
/// the text line and label at fault, and nothing is returned to append.
pub fn import(
    accounts: &Accounts,
    report: &Report,
    crc: CrcMode<'_>,
    actor: &ActorId,
) -> Result<Vec<Event>, LabelledError> {
    check_crcs(report, crc)?;
    let rt = report.report_type;
    let mba_text = report.header("MBA").unwrap_or_default();
    let mba = MbaCode::parse(mba_text)
        .ok()
        .filter(|m| accounts.mba(m).is_some())
        .ok_or_else(|| {
            error(
                1,
                "MBA",
                format!("an MBA registered by an earlier mba.register event, found {mba_text}"),
            )
        })?;
    let number_at = header_line(report, "REPORT NUMBER");
    let number = report
        .header("REPORT NUMBER")
        .and_then(|v| parse_number(v).ok())
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            error(
                number_at,
                "REPORT NUMBER",
                "a report number from 1 below 2^32",
            )
        })?;
    if let Some(earlier) = accounts.filing(&mba, number) {
        return Err(error(
            number_at,
            "REPORT NUMBER",
            format!(
                "a report number not yet filed for MBA {mba}; {number} was filed by event {}",
                earlier.by.event
            ),
        ));
    }
    let report_date = header_date(report, "REPORT DATE")?;
    let pit_date = match rt {
        ReportType::PhysicalInventory => Some(header_date(report, "PIT DATE")?),
        ReportType::InventoryChange => None,
        ReportType::MaterialBalance => {
            return import_balance(accounts, report, actor, &mba, number, report_date)
        }
    };
    let mut trial = accounts.clone();
    let mut leaf = accounts.last_leaf().map_or(0, |l| l.0 + 1);
    let mut events = Vec::new();
    let mut filed_lines = Vec::new();
    for entry in &report.entries {
        let read = Read { entry };
        let line_number = read.number(LINE_NUMBER)?.unwrap_or_default();
        let id_text = line_event_id(&mba, rt, number, line_number);
        let id = EventId::parse(&id_text)
            .map_err(|e| error(entry.text_line, LINE_NUMBER, e.to_string()))?;
        let (payload, time) = match pit_date {
            None => {
                let p = change_payload(&trial, &mba, &read)?;
                let date = read.date("ACCOUNTING DATE")?.unwrap_or(report_date);
                (Payload::InventoryChange(p), date.start_utc())
            }
            Some(pit) => {
                let p = inventory_payload(&trial, &mba, pit, &read)?;
                (Payload::PhysicalInventory(p), pit.start_utc())
            }
        };
        let event = Event {
            id,
            time,
            actor: actor.clone(),
            payload,
            approvals: Vec::new(),
        };
        trial.apply(LeafIndex(leaf), &event).map_err(|e| {
            let label = label_of(e.field(), rt);
            error(read.at(label), label, e.to_string())
        })?;
        leaf += 1;
        let crc = entry.get(CRC).unwrap_or_default().to_owned();
        let modelled = model(&trial, rt, &event.id, line_number, &crc)
            .map_err(|m| error(entry.text_line, LINE_NUMBER, m))?;
        let mut omitted = Vec::new();
        for (label, value) in &modelled {
            match entry.get(label) {
                None => omitted.push((*label).to_owned()),
                Some(filed) if filed != value => {
                    return Err(error(
                        read.at(label),
                        label,
                        format!("a value Custodian writes back as filed: the ledger holds it as {value}, found {filed}"),
                    ))
                }
                Some(_) => {}
            }
        }
        filed_lines.push(FiledLine {
            line_number,
            event: Some(event.id.clone()),
            crc,
            omitted,
            fields: kept_fields(entry, &modelled),
        });
        events.push(event);
    }
    let filing_event = filing_event(report, &mba, number, report_date, actor, filed_lines)?;
    apply_filing(&mut trial, LeafIndex(leaf), &filing_event, report)?;
    leaf += 1;
    events.push(filing_event);
    if let Some(pit) = pit_date {
        let open = trial.pit(&mba, pit).is_some_and(|p| p.closed_by.is_none());
        if open {
            let close = Event {
                id: EventId::parse(&format!("{}-close", report_event_id(&mba, rt, number)))
                    .map_err(|e| error(number_at, "REPORT NUMBER", e.to_string()))?,
                time: report_date.start_utc().max(pit.start_utc()),
                actor: actor.clone(),
                payload: Payload::InventoryTaking(InventoryTaking {
                    mba: mba.clone(),
                    pit_date: pit,
                    line_count: trial.inventory_listing(&mba, pit).len() as u32,
                }),
                approvals: Vec::new(),
            };
            trial
                .apply(LeafIndex(leaf), &close)
                .map_err(|e| error(header_line(report, "PIT DATE"), "PIT DATE", e.to_string()))?;
            events.push(close);
        }
    }
    Ok(events)
}

/// A header date, or where it is missing or malformed.
fn header_date(report: &Report, label: &str) -> Result<Date, LabelledError> {
    let at = header_line(report, label);
    report
        .header(label)
        .ok_or_else(|| error(at, label, format!("the header field {label}")))
        .and_then(|v| parse_date(v).map_err(|e| error(at, label, e)))
}

/// The entry's fields the ledger does not model, kept verbatim.
fn kept_fields(entry: &Entry, modelled: &[(&'static str, String)]) -> Vec<LabelledField> {
    entry
        .fields
        .iter()
        .filter(|(label, _)| !modelled.iter().any(|(l, _)| l == label))
        .map(|(label, value)| LabelledField {
            label: (*label).to_owned(),
            value: value.clone(),
        })
        .collect()
}

/// The `material.report` event of a report with its filed lines.
fn filing_event(
    report: &Report,
    mba: &MbaCode,
    number: u32,
    report_date: Date,
    actor: &ActorId,
    lines: Vec<FiledLine>,
) -> Result<Event, LabelledError> {
    let rt = report.report_type;
    let filing = ReportFiled {
        mba: mba.clone(),
        report_type: rt,
        report_number: number,
        header: report
            .header
            .iter()
            .filter(|(l, _)| !TYPED_HEADER.contains(l))
            .map(|(l, v)| LabelledField {
                label: (*l).to_owned(),
                value: v.clone(),
            })
            .collect(),
        lines,
    };
    let id = EventId::parse(&report_event_id(mba, rt, number)).map_err(|e| {
        error(
            header_line(report, "REPORT NUMBER"),
            "REPORT NUMBER",
            e.to_string(),
        )
    })?;
    Ok(Event {
        id,
        time: report_date.start_utc(),
        actor: actor.clone(),
        payload: Payload::ReportFiled(filing),
        approvals: Vec::new(),
    })
}

/// Applies the `material.report` event to the trial accounts; a refusal
/// names the header field it concerns (`REPORT NUMBER` unless the accounts
/// name one of the header's fields).
fn apply_filing(
    trial: &mut Accounts,
    leaf: LeafIndex,
    event: &Event,
    report: &Report,
) -> Result<(), LabelledError> {
    trial.apply(leaf, event).map_err(|e| {
        let label = match &event.payload {
            Payload::ReportFiled(f) => e
                .field()
                .strip_prefix("payload.header[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| f.header.get(i))
                .and_then(|h| report.header.iter().find(|(l, _)| *l == h.label))
                .map_or("REPORT NUMBER", |(l, _)| *l),
            _ => "REPORT NUMBER",
        };
        error(header_line(report, label), label, e.to_string())
    })
}

/// The ledger's material balance of one category of `mba` for `period`
/// ([`material_balances`]: the labelled format carries no checkpoint; the
/// bound report is `custodian accountancy report mbr`).
fn ledger_balance(
    accounts: &Accounts,
    mba: &MbaCode,
    category: MaterialCategory,
    period: Period,
) -> Result<(CategoryBalance, Option<Date>), BalanceFault> {
    let mbr = material_balances(accounts, mba, period).map_err(BalanceFault::Period)?;
    let held: Vec<char> = mbr.balances.iter().map(|b| b.element_category).collect();
    let beginning = mbr.beginning_pit;
    mbr.balances
        .into_iter()
        .find(|b| b.category == category)
        .map(|b| (b, beginning))
        .ok_or(BalanceFault::NoCategory { held })
}

/// Why the ledger has no balance to compare or render.
enum BalanceFault {
    /// The period is not a balance period of the MBA.
    Period(ReportError),
    /// The MBA holds nothing of the category in the period; these it holds.
    NoCategory { held: Vec<char> },
}

impl BalanceFault {
    fn message(&self, category: MaterialCategory, period: Period) -> String {
        match self {
            BalanceFault::Period(e) => e.to_string(),
            BalanceFault::NoCategory { held } => format!(
                "a category the MBA held from {} to {} ({}), found {}: the ledger has no balance of it",
                period.start,
                period.end,
                if held.is_empty() {
                    "none".to_owned()
                } else {
                    held.iter().map(char::to_string).collect::<Vec<_>>().join(" ")
                },
                category.code()
            ),
        }
    }
}

/// The isotope code an MBR of `balance` states on every line: `G` when its
/// fissile weights are U-235, `K` when U-233, `J` for both (Annex IV field
/// 13), none when it has no fissile weight at all.
fn balance_isotope(balance: &CategoryBalance) -> Option<char> {
    let any =
        |g: fn(&Quantity) -> Grams| balance.lines.iter().any(|l| g(&l.quantity) != Grams::ZERO);
    match (any(|q| q.u235_grams), any(|q| q.u233_grams)) {
        (true, false) => Some(Isotope::U235.code()),
        (false, true) => Some(Isotope::U233.code()),
        (true, true) => Some('J'),
        (false, false) => None,
    }
}

/// The weights an MBR line states. `PB`, `BA`, `PE` and the lines of an
/// increase or a decrease code (`RD`, `SD`, `TE`, …) give the amount, as an
/// ICR gives a line of such a code; the consolidated line of a signed code
/// (`DI NM BJ RA R5`) or a category change gives the net change to the
/// book, with a minus when it decreases it (the ICR's convention for signed
/// codes); `MF` gives PE − BA with its sign (Annex IV note 10).
fn balance_weights(line: &MbrLine) -> Quantity {
    let code_has_direction = ChangeCode::parse(line.code)
        .is_none_or(|c| matches!(c.effect(), ChangeEffect::Increase | ChangeEffect::Decrease));
    if line.kind == MbrLineKind::Decrease && !code_has_direction {
        -line.quantity
    } else {
        line.quantity
    }
}

/// The labelled fields of one MBR line that the ledger gives, rendered.
fn balance_fields(line: &MbrLine, isotope: Option<char>) -> Vec<(&'static str, String)> {
    let q = balance_weights(line);
    let mut out = vec![
        ("IC CODE", line.code.to_owned()),
        (
            "ELEMENT WEIGHT",
            format_weight(q.element_grams.milligrams()),
        ),
    ];
    if let Some(i) = isotope {
        out.push(("ISOTOPE", i.to_string()));
        out.push((
            "FISSILE WEIGHT",
            format_weight(q.fissile_grams().milligrams()),
        ));
    }
    out
}

/// The labels of an MBR line that the ledger gives.
const BALANCE_LABELS: [&str; 4] = ["IC CODE", "ELEMENT WEIGHT", "ISOTOPE", "FISSILE WEIGHT"];

/// The correction labels of an MBR line, refused (FORMATS.md §3.2).
const BALANCE_CORRECTION_LABELS: [&str; 4] = [
    "CORRECTION",
    "PREVIOUS REPORT",
    "PREVIOUS LINE",
    "PREVIOUS CRC",
];

fn describe(fields: &[(&'static str, String)]) -> String {
    fields
        .iter()
        .map(|(l, v)| format!("{l} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The header of an MBR: its category and balance period.
fn balance_header(
    category: Option<&str>,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<(MaterialCategory, Period), String> {
    let category = category
        .and_then(category_of)
        .ok_or("the header field ELEMENT CATEGORY")?;
    let date = |v: Option<&str>, label: &str| {
        v.ok_or(format!("the header field {label}"))
            .and_then(|v| parse_date(v).map_err(|e| format!("{label}: {e}")))
    };
    let (start, end) = (date(start, "START REPORT")?, date(end, "END REPORT")?);
    let period = Period::new(start, end).map_err(|e| e.to_string())?;
    Ok((category, period))
}

/// An MBR compared with the ledger: `material.report` alone, or the first
/// difference.
fn import_balance(
    accounts: &Accounts,
    report: &Report,
    actor: &ActorId,
    mba: &MbaCode,
    number: u32,
    report_date: Date,
) -> Result<Vec<Event>, LabelledError> {
    let at = |label: &str| header_line(report, label);
    let (category, period) = balance_header(
        report.header("ELEMENT CATEGORY"),
        report.header("START REPORT"),
        report.header("END REPORT"),
    )
    .map_err(|m| error(at("END REPORT"), "END REPORT", m))?;
    let same_balance = |f: &&Filing| {
        f.report.report_type == ReportType::MaterialBalance
            && ["ELEMENT CATEGORY", "START REPORT", "END REPORT"]
                .iter()
                .all(|label| {
                    let filed = f.report.header.iter().find(|h| h.label == *label);
                    filed.map(|h| h.value.as_str()) == report.header(label)
                })
    };
    if let Some(earlier) = accounts.filings(mba).find(same_balance) {
        return Err(error(
            at("START REPORT"),
            "START REPORT",
            format!(
                "a balance not yet reported: report {} (event {}) is the MBR of category {} for {} to {}; corrections of a filed MBR (D, A, L) are not supported",
                earlier.report.report_number,
                earlier.by.event,
                category.code(),
                period.start,
                period.end
            ),
        ));
    }
    let (balance, _) = ledger_balance(accounts, mba, category, period).map_err(|fault| {
        let label = match &fault {
            BalanceFault::NoCategory { .. } => "ELEMENT CATEGORY",
            BalanceFault::Period(
                ReportError::NoTaking { date, .. } | ReportError::TakingOpen { date, .. },
            ) if *date < period.start => "START REPORT",
            BalanceFault::Period(_) => "END REPORT",
        };
        error(at(label), label, fault.message(category, period))
    })?;
    let isotope = balance_isotope(&balance);
    let ledger: Vec<Vec<(&'static str, String)>> = balance
        .lines
        .iter()
        .map(|l| balance_fields(l, isotope))
        .collect();
    let whose = format!(
        "the ledger's material balance of category {} for MBA {mba} from {} to {}",
        category.code(),
        format_date(period.start),
        format_date(period.end)
    );
    let mut filed_lines = Vec::new();
    for (i, entry) in report.entries.iter().enumerate() {
        let read = Read { entry };
        let line_number = read.number(LINE_NUMBER)?.unwrap_or_default();
        for label in BALANCE_CORRECTION_LABELS {
            if entry.get(label).is_some() {
                return Err(error(
                    read.at(label),
                    label,
                    "no correction fields: D, A and L lines of a material balance report are not supported (FORMATS.md §3.2)",
                ));
            }
        }
        let Some(held) = ledger.get(i) else {
            let last = ledger
                .last()
                .map_or_else(String::new, |l| describe(&l[..1]));
            return Err(error(
                entry.text_line,
                LINE_NUMBER,
                format!(
                    "no line {line_number}: {whose} has {} lines, the last {last}; found an extra line {}",
                    ledger.len(),
                    describe(
                        entry
                            .fields
                            .get(1..entry.fields.len().saturating_sub(1))
                            .unwrap_or_default()
                    )
                ),
            ));
        };
        let code = read.need("IC CODE", "the code of a material balance line")?;
        let held_code = held[0].1.as_str();
        if code != held_code {
            let order =
                "the order of 302/2005 Annex IV note 10 (PB, increases, decreases, BA, PE, MF)";
            let later = ledger[i..].iter().position(|l| l[0].1 == code);
            let held_later = report.entries[i + 1..]
                .iter()
                .any(|e| e.get("IC CODE") == Some(held_code));
            let why = match later {
                Some(k) if held_later => format!(
                    "the lines in {order}: the ledger's {code} is its line {}",
                    i + k + 1
                ),
                Some(k) => format!(
                    "the report lacks this line (the ledger's {code} is its line {})",
                    i + k + 1
                ),
                None if ledger.iter().any(|l| l[0].1 == code) => {
                    format!("the lines in {order}")
                }
                None => format!("the ledger has no {code} line in this balance"),
            };
            return Err(error(
                read.at("IC CODE"),
                "IC CODE",
                format!(
                    "{held_code} as the ledger holds it (line {} of {whose}: {}); {why}; found {code}",
                    i + 1,
                    describe(held)
                ),
            ));
        }
        for label in BALANCE_LABELS {
            let expected = held
                .iter()
                .find(|(l, _)| *l == label)
                .map(|(_, v)| v.as_str());
            let found = entry.get(label);
            if expected != found {
                let at = if found.is_some() {
                    read.at(label)
                } else {
                    entry.text_line
                };
                return Err(error(
                    at,
                    label,
                    format!(
                        "{} as the ledger holds it (line {} of {whose}: {}); found {}",
                        expected.unwrap_or("none"),
                        i + 1,
                        describe(held),
                        found.unwrap_or("none")
                    ),
                ));
            }
        }
        filed_lines.push(FiledLine {
            line_number,
            event: None,
            crc: entry.get(CRC).unwrap_or_default().to_owned(),
            omitted: Vec::new(),
            fields: entry
                .fields
                .iter()
                .filter(|(l, _)| !BALANCE_LABELS.contains(l) && *l != LINE_NUMBER && *l != CRC)
                .map(|(l, v)| LabelledField {
                    label: (*l).to_owned(),
                    value: v.clone(),
                })
                .collect(),
        });
    }
    if report.entries.len() < ledger.len() {
        let missing: Vec<String> = ledger[report.entries.len()..]
            .iter()
            .map(|l| format!("({})", describe(l)))
            .collect();
        return Err(error(
            at("LINE COUNT"),
            "LINE COUNT",
            format!(
                "{}: the lines of {whose}; the report lacks {}; found {}",
                ledger.len(),
                missing.join(", "),
                report.entries.len()
            ),
        ));
    }
    let event = filing_event(report, mba, number, report_date, actor, filed_lines)?;
    let mut trial = accounts.clone();
    let leaf = accounts.last_leaf().map_or(0, |l| l.0 + 1);
    apply_filing(&mut trial, LeafIndex(leaf), &event, report)?;
    Ok(vec![event])
}

/// Why a report cannot be exported or rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// No such filing.
    #[error("no report {number} filed for MBA {mba}; expected the number of a material.report event of that MBA")]
    NotFiled {
        /// The MBA.
        mba: MbaCode,
        /// The number asked for.
        number: u32,
    },
    /// The accounts lack a line the filing names (they were replayed from a
    /// different log).
    #[error("report {number} of MBA {mba}: {message}")]
    Inconsistent {
        /// The MBA.
        mba: MbaCode,
        /// The report.
        number: u32,
        /// What is missing.
        message: String,
    },
    /// A filed MBR's balance changed after it was filed (a late line or a
    /// correction with a balance date in its period, or a corrected line of
    /// its physical inventories): the ledger no longer gives the figures
    /// filed, and corrections of a filed MBR are not supported.
    #[error("report {number} of MBA {mba}: the material balance it states changed after it was filed (leaf {filed_at}): event {event} at leaf {leaf}; expected no line of its category and period recorded later (corrections of a filed MBR are not supported)")]
    BalanceChanged {
        /// The MBA.
        mba: MbaCode,
        /// The report.
        number: u32,
        /// The leaf of the `material.report` event.
        filed_at: LeafIndex,
        /// The first later line that changes the balance.
        event: EventId,
        /// Its leaf.
        leaf: LeafIndex,
    },
    /// The ledger has no balance to write: the period is not a balance
    /// period of the MBA, or the MBA held nothing of the category.
    #[error(
        "MBA {mba}: no material balance of category {category} from {start} to {end}: {message}"
    )]
    NoBalance {
        /// The MBA.
        mba: MbaCode,
        /// The category code asked for.
        category: char,
        /// The period's first day.
        start: Date,
        /// Its last day.
        end: Date,
        /// Why, and what was expected.
        message: String,
    },
}

/// Writes a filed report again from the ledger.
pub fn export(accounts: &Accounts, mba: &MbaCode, number: u32) -> Result<Report, ExportError> {
    let filing = accounts
        .filing(mba, number)
        .ok_or_else(|| ExportError::NotFiled {
            mba: mba.clone(),
            number,
        })?;
    let f = &filing.report;
    let mut header = Vec::new();
    for spec in fields(f.report_type).iter().filter(|s| !s.entry) {
        let value = match spec.label {
            "MBA" => Some(f.mba.to_string()),
            "REPORT TYPE" => Some(f.report_type.code().to_string()),
            "REPORT NUMBER" => Some(f.report_number.to_string()),
            "LINE COUNT" => Some(f.lines.len().to_string()),
            label => f
                .header
                .iter()
                .find(|h| h.label == label)
                .map(|h| h.value.clone()),
        };
        if let Some(v) = value {
            header.push((spec.label, v));
        }
    }
    let inconsistent = |message: String| ExportError::Inconsistent {
        mba: mba.clone(),
        number,
        message,
    };
    let modelled: Vec<Vec<(&'static str, String)>> = if f.report_type.lines_are_events() {
        f.lines
            .iter()
            .map(|line| {
                let event = line.event.as_ref().ok_or_else(|| {
                    inconsistent(format!("line {} names no event", line.line_number))
                })?;
                model(accounts, f.report_type, event, line.line_number, &line.crc)
                    .map_err(inconsistent)
            })
            .collect::<Result<_, _>>()?
    } else {
        filed_balance(accounts, filing)?
    };
    let entries = f
        .lines
        .iter()
        .zip(&modelled)
        .map(|(line, modelled)| {
            let mut out = Vec::new();
            for spec in entry_order(f.report_type) {
                let kept = line.fields.iter().find(|k| k.label == spec.label);
                let value = match kept {
                    Some(k) => Some(k.value.clone()),
                    None if line.omitted.iter().any(|o| o == spec.label) => None,
                    None => modelled
                        .iter()
                        .find(|(l, _)| *l == spec.label)
                        .map(|(_, v)| v.clone()),
                };
                if let Some(v) = value {
                    out.push((spec.label, v));
                }
            }
            Entry {
                text_line: 0,
                fields: out,
            }
        })
        .collect();
    Ok(Report {
        report_type: f.report_type,
        header,
        entries,
    })
}

/// The modelled fields of each line of a filed MBR, from the ledger's
/// balance, after checking that no line of its category and period was
/// recorded after the filing (the balance is then the one compared at
/// import, so the export gives the bytes filed).
fn filed_balance(
    accounts: &Accounts,
    filing: &Filing,
) -> Result<Vec<Vec<(&'static str, String)>>, ExportError> {
    let f = &filing.report;
    let mba = &f.mba;
    let number = f.report_number;
    let inconsistent = |message: String| ExportError::Inconsistent {
        mba: mba.clone(),
        number,
        message,
    };
    let header = |label: &str| {
        f.header
            .iter()
            .find(|h| h.label == label)
            .map(|h| h.value.as_str())
    };
    let (category, period) = balance_header(
        header("ELEMENT CATEGORY"),
        header("START REPORT"),
        header("END REPORT"),
    )
    .map_err(|m| inconsistent(format!("expected {m} in the filed header")))?;
    let (balance, beginning) = ledger_balance(accounts, mba, category, period)
        .map_err(|fault| inconsistent(fault.message(category, period)))?;
    let filed_at = filing.by.leaf;
    let changed_line = accounts
        .change_lines(mba)
        .filter(|l| {
            l.code.allowed_in_balance_report()
                && period.contains(l.balance_date)
                && l.book_changes().iter().any(|(c, _)| *c == category)
        })
        .map(|l| &l.by);
    let changed_listing = beginning
        .into_iter()
        .chain([period.end])
        .flat_map(|d| accounts.pit_lines(mba, d))
        .filter(|l| l.category == category)
        .map(|l| &l.by);
    if let Some(later) = changed_line
        .chain(changed_listing)
        .filter(|by| by.leaf > filed_at)
        .min_by_key(|by| by.leaf)
    {
        return Err(ExportError::BalanceChanged {
            mba: mba.clone(),
            number,
            filed_at,
            event: later.event.clone(),
            leaf: later.leaf,
        });
    }
    if balance.lines.len() != f.lines.len() {
        return Err(inconsistent(format!(
            "the ledger's balance has {} lines, the filing {}",
            balance.lines.len(),
            f.lines.len()
        )));
    }
    let isotope = balance_isotope(&balance);
    Ok(balance
        .lines
        .iter()
        .zip(&f.lines)
        .map(|(l, filed)| {
            let mut m = vec![(LINE_NUMBER, filed.line_number.to_string())];
            m.extend(balance_fields(l, isotope));
            m.push((CRC, filed.crc.clone()));
            m
        })
        .collect())
}

/// A new Material Balance Report of `mba` for one element category and
/// balance period, from the ledger (302/2005 Annex IV; the operator files
/// one per category after each physical inventory taking): the header
/// `MBA`, `REPORT TYPE:M`, `REPORT DATE`, `START REPORT`, `END REPORT`,
/// `REPORT NUMBER`, `ELEMENT CATEGORY`, `LINE COUNT`; one entry per line
/// of the balance (PB, increases, decreases, BA, PE, MF), each closed by
/// its CRC under `crc`. [`import`] of the rendered bytes agrees with the
/// ledger by construction.
pub fn render_mbr(
    accounts: &Accounts,
    mba: &MbaCode,
    category: MaterialCategory,
    period: Period,
    number: u32,
    report_date: Date,
    crc: &dyn LineChecksum,
) -> Result<Report, ExportError> {
    let (balance, _) = ledger_balance(accounts, mba, category, period).map_err(|fault| {
        ExportError::NoBalance {
            mba: mba.clone(),
            category: category.code(),
            start: period.start,
            end: period.end,
            message: fault.message(category, period),
        }
    })?;
    let isotope = balance_isotope(&balance);
    let entries: Vec<Entry> = balance
        .lines
        .iter()
        .map(|l| {
            let mut fields = vec![(LINE_NUMBER, l.line_number.to_string())];
            fields.extend(balance_fields(l, isotope));
            let mut entry = Entry {
                text_line: 0,
                fields,
            };
            let sum = crc.compute(&entry.crc_input());
            entry.fields.push((CRC, sum.to_string()));
            entry
        })
        .collect();
    let header = vec![
        ("MBA", mba.to_string()),
        (
            "REPORT TYPE",
            ReportType::MaterialBalance.code().to_string(),
        ),
        ("REPORT DATE", format_date(report_date)),
        ("START REPORT", format_date(period.start)),
        ("END REPORT", format_date(period.end)),
        ("REPORT NUMBER", number.to_string()),
        ("ELEMENT CATEGORY", category.code().to_string()),
        ("LINE COUNT", entries.len().to_string()),
    ];
    Ok(Report {
        report_type: ReportType::MaterialBalance,
        header,
        entries,
    })
}

/// The labelled fields the ledger models for one filed line, rendered.
fn model(
    accounts: &Accounts,
    rt: ReportType,
    event: &EventId,
    line_number: u32,
    crc: &str,
) -> Result<Vec<(&'static str, String)>, String> {
    let mut m: BTreeMap<&'static str, String> = BTreeMap::new();
    m.insert(LINE_NUMBER, line_number.to_string());
    m.insert(CRC, crc.to_owned());
    let corrects = match (rt, accounts.line(event)) {
        (ReportType::InventoryChange, Some(LineRef::Change(l))) => {
            change_fields(l, &mut m);
            l.corrects.clone()
        }
        (ReportType::PhysicalInventory, Some(LineRef::Inventory(l))) => {
            inventory_fields(l, &mut m);
            l.corrects.clone()
        }
        _ => return Err(format!("the line event {event} is not on record")),
    };
    if let Some(old) = corrects {
        let (number, filed) = accounts
            .filed_line(&old)
            .ok_or_else(|| format!("the corrected line {old} was never filed"))?;
        m.insert("PREVIOUS REPORT", number.to_string());
        m.insert("PREVIOUS LINE", filed.line_number.to_string());
        m.insert("PREVIOUS CRC", filed.crc.clone());
    }
    Ok(entry_order(rt)
        .into_iter()
        .filter_map(|s| m.remove(s.label).map(|v| (s.label, v)))
        .collect())
}

fn signed_weight(g: crate::accounts::Grams, direction: Option<Direction>) -> String {
    let mg = g.milligrams();
    format_weight(if direction == Some(Direction::Decrease) {
        -mg
    } else {
        mg
    })
}

/// The fields inventory change and physical inventory lines share.
struct Common<'a> {
    batch: &'a str,
    kmp: &'a Option<KmpCode>,
    basis: Option<MeasurementBasis>,
    category: MaterialCategory,
    form: &'a Option<String>,
    items: Option<u32>,
    obligation: &'a Option<String>,
    correction: Option<CorrectionCode>,
}

impl Common<'_> {
    fn insert(self, m: &mut BTreeMap<&'static str, String>) {
        m.insert("BATCH", self.batch.to_owned());
        if let Some(k) = self.kmp {
            m.insert("KMP", k.to_string());
        }
        if let Some(b) = self.basis {
            m.insert("MEASUREMENT", b.code().to_string());
        }
        m.insert("ELEMENT CATEGORY", self.category.code().to_string());
        if let Some(f) = self.form {
            m.insert("MATERIAL FORM", f.clone());
        }
        if let Some(i) = self.items {
            m.insert("ITEMS", i.to_string());
        }
        if let Some(o) = self.obligation {
            m.insert("OBLIGATION", o.clone());
        }
        if let Some(c) = self.correction {
            m.insert("CORRECTION", c.code().to_string());
        }
    }
}

fn change_fields(l: &ChangeLine, m: &mut BTreeMap<&'static str, String>) {
    Common {
        batch: &l.batch,
        kmp: &l.kmp,
        basis: l.measurement_basis,
        category: l.category,
        form: &l.form,
        items: l.items,
        obligation: &l.obligation,
        correction: l.correction,
    }
    .insert(m);
    m.insert("IC CODE", l.code.as_str().to_owned());
    if let Some(c) = &l.counterpart {
        let label = match l.code.effect() {
            ChangeEffect::Decrease => "MBA TO",
            _ => "MBA FROM",
        };
        m.insert(label, c.code().to_owned());
    }
    if let Some(b) = &l.previous_batch {
        m.insert("PREVIOUS BATCH", b.clone());
    }
    if l.correction == Some(CorrectionCode::Late) {
        if let Some(d) = l.original_date {
            m.insert("ORIGINAL DATE", format_date(d));
        }
    }
    if let Some(d) = l.pit_date {
        m.insert("PIT DATE", format_date(d));
    }
    m.insert("ACCOUNTING DATE", format_date(l.accounting_date));
    m.insert(
        "ELEMENT WEIGHT",
        signed_weight(l.quantity.element_grams, l.direction),
    );
    if let Some(i) = l.isotope {
        m.insert("ISOTOPE", i.code().to_string());
        m.insert(
            "FISSILE WEIGHT",
            signed_weight(l.quantity.fissile_grams(), l.direction),
        );
    }
    if let Some(c) = l.previous_category {
        m.insert("PREVIOUS CATEGORY", c.code().to_string());
    }
    if let Some(o) = &l.previous_obligation {
        m.insert("PREVIOUS OBLIGATION", o.clone());
    }
}

fn inventory_fields(l: &InventoryLine, m: &mut BTreeMap<&'static str, String>) {
    Common {
        batch: &l.batch,
        kmp: &l.kmp,
        basis: l.measurement_basis,
        category: l.category,
        form: &l.form,
        items: l.items,
        obligation: &l.obligation,
        correction: l.correction,
    }
    .insert(m);
    m.insert(
        "ELEMENT WEIGHT",
        format_weight(l.quantity.element_grams.milligrams()),
    );
    if let Some(i) = l.isotope {
        m.insert("ISOTOPE", i.code().to_string());
        m.insert(
            "FISSILE WEIGHT",
            format_weight(l.quantity.fissile_grams().milligrams()),
        );
    }
}

//! Labelled reports in and out of the ledger (issue 6, point 2): a filed ICR
//! or PIL becomes one `material.inventory_change` or
//! `material.physical_inventory` event per line plus a `material.report`
//! event that binds them to the report's number, header and CRCs
//! ([`import`]); [`export`] writes the same report again from the ledger,
//! byte for byte.
//!
//! The rule that keeps the round trip exact: a line's fields are split into
//! those the line event models (batch, code, weights, …), rendered from the
//! accounts, and the rest (container, document, comment, …), kept verbatim
//! in the `material.report` event; labels the event models but the filed
//! line left out are listed as `omitted`. Before anything is appended the
//! import renders every line back and refuses one whose modelled value would
//! be written differently. FORMATS.md §3.2 states the mapping.

use crate::accounts::{Accounts, ChangeLine, InventoryLine, LineRef};
use crate::labelled::{
    check_crcs, entry_order, fields, format_date, format_weight, parse_date, parse_number,
    parse_weight, CrcMode, Entry, LabelledError, Report, CRC, LINE_NUMBER,
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

/// The event id of a filed line: `<mba>-<i|p><report>-<line>` in lower case.
pub fn line_event_id(mba: &MbaCode, report_type: ReportType, number: u32, line: u32) -> String {
    let t = report_type.code().to_ascii_lowercase();
    format!("{}-{t}{number}-{line}", mba.as_str().to_ascii_lowercase())
}

/// The event id of a filing: `<mba>-<i|p><report>`.
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
    let target = accounts.line(&filed.event).ok_or_else(|| {
        error(
            read.entry.text_line,
            "PREVIOUS LINE",
            format!("the event {} on record", filed.event),
        )
    })?;
    Ok((filed.event.clone(), target))
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
    let date_of = |label: &str| -> Result<Date, LabelledError> {
        let at = header_line(report, label);
        report
            .header(label)
            .ok_or_else(|| error(at, label, format!("the header field {label}")))
            .and_then(|v| parse_date(v).map_err(|e| error(at, label, e)))
    };
    let report_date = date_of("REPORT DATE")?;
    let pit_date = match rt {
        ReportType::PhysicalInventory => Some(date_of("PIT DATE")?),
        ReportType::InventoryChange => None,
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
        let (payload, time) = match rt {
            ReportType::InventoryChange => {
                let p = change_payload(&trial, &mba, &read)?;
                let date = read.date("ACCOUNTING DATE")?.unwrap_or(report_date);
                (Payload::InventoryChange(p), date.start_utc())
            }
            ReportType::PhysicalInventory => {
                let pit = pit_date.unwrap_or(report_date);
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
        let mut kept = Vec::new();
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
        for (label, value) in &entry.fields {
            if !modelled.iter().any(|(l, _)| l == label) {
                kept.push(LabelledField {
                    label: (*label).to_owned(),
                    value: value.clone(),
                });
            }
        }
        filed_lines.push(FiledLine {
            line_number,
            event: event.id.clone(),
            crc,
            omitted,
            fields: kept,
        });
        events.push(event);
    }
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
        lines: filed_lines,
    };
    let report_id = EventId::parse(&report_event_id(&mba, rt, number))
        .map_err(|e| error(number_at, "REPORT NUMBER", e.to_string()))?;
    let filing_event = Event {
        id: report_id,
        time: report_date.start_utc(),
        actor: actor.clone(),
        payload: Payload::ReportFiled(filing),
        approvals: Vec::new(),
    };
    trial
        .apply(LeafIndex(leaf), &filing_event)
        .map_err(|e| error(number_at, "REPORT NUMBER", e.to_string()))?;
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

/// Why a report cannot be exported.
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
    let mut entries = Vec::new();
    for line in &f.lines {
        let inconsistent = |message: String| ExportError::Inconsistent {
            mba: mba.clone(),
            number,
            message,
        };
        let modelled = model(
            accounts,
            f.report_type,
            &line.event,
            line.line_number,
            &line.crc,
        )
        .map_err(inconsistent)?;
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
        entries.push(Entry {
            text_line: 0,
            fields: out,
        });
    }
    Ok(Report {
        report_type: f.report_type,
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

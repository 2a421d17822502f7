//! Material accounts replayed from the ledger: facilities, material balance
//! areas (MBA) with their key measurement points (KMP), batches, inventory
//! change lines, physical inventory takings (PIT) and their listings, and
//! measurements (issue 6, point 1).
//!
//! [`Accounts::apply`] takes one event in log order and either refuses it,
//! naming the event and the field, with nothing changed, or folds it in — the
//! pattern of the custody engine (`custodian-custody` `state.rs`). Every line
//! is kept, corrected lines included: a correction is a new line that names
//! the line it corrects (`D` deletes, `A` replaces a deleted line, `L` is a
//! late line), never an edit (Regulation (Euratom) 302/2005 Annex III note 37;
//! `docs/research/labelled-format.md` §4.1). Book and physical inventories are
//! derived on request from the lines in effect.
//!
//! Masses are exact: every line weight has at most three decimals (checked by
//! `custodian-core`) and is held as integer milligrams ([`Grams`]), so a
//! material balance closes to the milligram (labelled-format.md §2.3).
//!
//! Rules the sources leave open, chosen here (FORMATS.md §3.1 states each):
//! - a counterpart MBA is a registered MBA or `EXT:<code>` (outside this
//!   ledger); an unregistered code without the prefix is refused;
//! - a plain inventory change dated on or before the MBA's latest closed PIT
//!   is refused: it must come as a late line (`L`), so a closed balance never
//!   changes silently;
//! - a line counts in the balance period of its *balance date*: its own date;
//!   for an `L` line its `original_date`; for an `A` line the balance date of
//!   the line it replaces; for an `MF` adjustment its PIT date;
//! - `D` repeats the line it deletes (Regulation (Euratom) 2025/974 Annex III
//!   note 37 allows it in entirety); the repetition must match, which does the
//!   work of the "previous CRC" field: the deletion names exactly the line the
//!   record holds;
//! - `A` must follow a `D` of the same line, in log order; a line is replaced
//!   at most once;
//! - a PIT is closed by `material.inventory_taking` with its line count (lines
//!   in effect: deleted lines and `D` lines do not count); after that, lines
//!   for it must be corrections, and PITs close in date order.

use crate::detection::{significant_quantity, Material};
use custodian_core::event::{
    ChangeCode, ChangeEffect, CorrectionCode, Counterpart, Direction, Element, FacilityId,
    FacilityRegister, FiledLine, InventoryChange, InventoryTaking, Isotope, KmpCode,
    KmpDeclaration, KmpKind, MaterialCategory, MbaCode, MbaRegister, Measurement, MeasurementBasis,
    PhysicalInventory, ReportFiled, ReportType,
};
use custodian_core::{Date, Event, EventId, FieldError, LeafIndex, Payload, StateCode, UtcTime};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// A mass in grams, held exactly as integer milligrams (the labelled format
/// reports grams with at most three decimals). Signed: balances and MUF may
/// be negative; recorded lines never are. Serialized as a JSON number of grams.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Grams(i128);

impl Grams {
    /// Zero.
    pub const ZERO: Grams = Grams(0);

    /// From integer milligrams.
    pub fn from_milligrams(milligrams: i128) -> Grams {
        Grams(milligrams)
    }

    /// A recorded line weight: `Some` when `grams` is finite, non-negative and
    /// has at most three decimals ([`custodian_core::event::line_milligrams`]).
    pub fn from_line(grams: f64) -> Option<Grams> {
        custodian_core::event::line_milligrams(grams).map(|mg| Grams(i128::from(mg)))
    }

    /// The integer milligrams.
    pub fn milligrams(self) -> i128 {
        self.0
    }

    /// Grams as a double (exact for every value a report can hold: below
    /// 2^53 mg the three-decimal value is the nearest double).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// The absolute value.
    pub fn abs(self) -> Grams {
        Grams(self.0.abs())
    }
}

impl fmt::Display for Grams {
    /// Grams with up to three decimals, trailing zeros dropped: `149990`, `-0.78`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let mg = self.0.unsigned_abs();
        let (whole, fraction) = (mg / 1000, mg % 1000);
        if fraction == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let digits = format!("{fraction:03}");
            write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl fmt::Debug for Grams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} g")
    }
}

impl Serialize for Grams {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl Add for Grams {
    type Output = Grams;
    fn add(self, other: Grams) -> Grams {
        Grams(self.0 + other.0)
    }
}
impl Sub for Grams {
    type Output = Grams;
    fn sub(self, other: Grams) -> Grams {
        Grams(self.0 - other.0)
    }
}
impl Neg for Grams {
    type Output = Grams;
    fn neg(self) -> Grams {
        Grams(-self.0)
    }
}
impl AddAssign for Grams {
    fn add_assign(&mut self, other: Grams) {
        self.0 += other.0;
    }
}
impl SubAssign for Grams {
    fn sub_assign(&mut self, other: Grams) {
        self.0 -= other.0;
    }
}

/// An amount of nuclear material: element weight and the fissile isotope
/// weights (U-235 and U-233 kept apart: their significant quantities differ).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Quantity {
    /// Element weight.
    pub element_grams: Grams,
    /// U-235 weight.
    pub u235_grams: Grams,
    /// U-233 weight.
    pub u233_grams: Grams,
}

impl Quantity {
    /// Nothing.
    pub const ZERO: Quantity = Quantity {
        element_grams: Grams::ZERO,
        u235_grams: Grams::ZERO,
        u233_grams: Grams::ZERO,
    };

    /// One line's amount.
    pub fn of_line(element: Grams, isotope: Option<(Isotope, Grams)>) -> Quantity {
        let mut q = Quantity {
            element_grams: element,
            ..Quantity::ZERO
        };
        match isotope {
            Some((Isotope::U235, g)) => q.u235_grams = g,
            Some((Isotope::U233, g)) => q.u233_grams = g,
            None => {}
        }
        q
    }

    /// Whether every weight is zero.
    pub fn is_zero(&self) -> bool {
        *self == Quantity::ZERO
    }

    /// The fissile weight (U-235 and U-233).
    pub fn fissile_grams(&self) -> Grams {
        self.u235_grams + self.u233_grams
    }

    /// The amount as a balance of `category` counts it: natural and depleted
    /// uranium in element weight only, since fissile weight is reported only
    /// for enriched uranium and category changes involving it
    /// (labelled-format.md §2.3); a category change from natural uranium
    /// would otherwise leave a negative U-235 book behind.
    pub fn counted_in(self, category: MaterialCategory) -> Quantity {
        match category {
            MaterialCategory::Natural | MaterialCategory::Depleted => Quantity {
                element_grams: self.element_grams,
                ..Quantity::ZERO
            },
            _ => self,
        }
    }
}

impl Add for Quantity {
    type Output = Quantity;
    fn add(self, o: Quantity) -> Quantity {
        Quantity {
            element_grams: self.element_grams + o.element_grams,
            u235_grams: self.u235_grams + o.u235_grams,
            u233_grams: self.u233_grams + o.u233_grams,
        }
    }
}
impl Sub for Quantity {
    type Output = Quantity;
    fn sub(self, o: Quantity) -> Quantity {
        self + (-o)
    }
}
impl Neg for Quantity {
    type Output = Quantity;
    fn neg(self) -> Quantity {
        Quantity {
            element_grams: -self.element_grams,
            u235_grams: -self.u235_grams,
            u233_grams: -self.u233_grams,
        }
    }
}
impl AddAssign for Quantity {
    fn add_assign(&mut self, o: Quantity) {
        *self = *self + o;
    }
}
impl SubAssign for Quantity {
    fn sub_assign(&mut self, o: Quantity) {
        *self = *self - o;
    }
}

/// Where an event is: its leaf, id and stated time. Reports point here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRef {
    /// The leaf that holds it.
    pub leaf: LeafIndex,
    /// Its id.
    pub event: EventId,
    /// Its stated time.
    pub time: UtcTime,
}

impl EventRef {
    /// The reference to `event` in leaf `leaf`.
    pub fn of(leaf: LeafIndex, event: &Event) -> EventRef {
        EventRef {
            leaf,
            event: event.id.clone(),
            time: event.time,
        }
    }
}

/// A registered facility.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FacilityInfo {
    /// Its id.
    pub facility: FacilityId,
    /// Its name.
    pub name: String,
    /// The state it is in.
    pub state: StateCode,
    /// What it is.
    pub facility_type: String,
    /// The registering event.
    pub registered_by: EventRef,
}

/// A registered material balance area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MbaInfo {
    /// Its code.
    pub mba: MbaCode,
    /// Its facility.
    pub facility: FacilityId,
    /// Its name.
    pub name: String,
    /// Its key measurement points.
    pub kmps: Vec<KmpDeclaration>,
    /// The registering event.
    pub registered_by: EventRef,
}

impl MbaInfo {
    /// A key measurement point of the MBA.
    pub fn kmp(&self, kmp: &KmpCode) -> Option<&KmpDeclaration> {
        self.kmps.iter().find(|k| k.kmp == *kmp)
    }
}

/// What one inventory change does to one category's book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    /// The category.
    pub category: MaterialCategory,
    /// Increase or decrease.
    pub direction: Direction,
    /// How much (non-negative for a recorded line).
    pub quantity: Quantity,
}

/// One accepted `material.inventory_change`: a line of the MBA's inventory
/// change record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeLine {
    /// The event that recorded it.
    pub by: EventRef,
    /// The MBA.
    pub mba: MbaCode,
    /// The operator's reference.
    pub line: Option<String>,
    /// The batch.
    pub batch: String,
    /// The inventory change code.
    pub code: ChangeCode,
    /// The stated direction (signed codes only).
    pub direction: Option<Direction>,
    /// The element.
    pub element: Element,
    /// The category (stated or derived).
    pub category: MaterialCategory,
    /// The category left (category changes only).
    pub previous_category: Option<MaterialCategory>,
    /// The weights.
    pub quantity: Quantity,
    /// Which isotope the fissile weight is, if one was given.
    pub isotope: Option<Isotope>,
    /// The counterpart of a receipt or shipment.
    pub counterpart: Option<Counterpart>,
    /// The KMP.
    pub kmp: Option<KmpCode>,
    /// The measurement basis.
    pub measurement_basis: Option<MeasurementBasis>,
    /// The material form code.
    pub form: Option<String>,
    /// Number of items.
    pub items: Option<u32>,
    /// The batch left (rebatching only).
    pub previous_batch: Option<String>,
    /// The obligation code.
    pub obligation: Option<String>,
    /// The obligation left (obligation changes only).
    pub previous_obligation: Option<String>,
    /// The PIT an `MF` adjustment refers to.
    pub pit_date: Option<Date>,
    /// The correction code.
    pub correction: Option<CorrectionCode>,
    /// The line a `D` or `A` corrects.
    pub corrects: Option<EventId>,
    /// The date of the event: when the change occurred or became known
    /// (302/2005 Annex III field 23, "accounting date").
    pub accounting_date: Date,
    /// Field 20 "original date": for `D` and `A` the accounting date of the
    /// first line of the correction chain; for `L` the date the change
    /// occurred; for `MF` the PIT date; otherwise none.
    pub original_date: Option<Date>,
    /// The date that places the line in a balance period (see the module doc).
    pub balance_date: Date,
    /// The `D` line that deleted it.
    pub deleted_by: Option<EventRef>,
    /// The `A` line that replaced it.
    pub replaced_by: Option<EventRef>,
}

impl ChangeLine {
    /// Whether the line counts in the books: not a `D` line and not deleted.
    pub fn in_effect(&self) -> bool {
        self.correction != Some(CorrectionCode::Delete) && self.deleted_by.is_none()
    }

    /// What the line does to each category's book, as recorded (a `D`
    /// line's data are those of the line it deletes; callers negate them),
    /// each amount [counted in](Quantity::counted_in) its category.
    /// Obligation changes and rebatchings change no category's book.
    pub fn effects(&self) -> Vec<Effect> {
        let effect = |category, direction| Effect {
            category,
            direction,
            quantity: self.quantity.counted_in(category),
        };
        match self.code.effect() {
            ChangeEffect::Increase => vec![effect(self.category, Direction::Increase)],
            ChangeEffect::Decrease => vec![effect(self.category, Direction::Decrease)],
            ChangeEffect::Signed => {
                // The core refuses a signed code without a direction.
                let direction = self.direction.unwrap_or(Direction::Increase);
                vec![effect(self.category, direction)]
            }
            ChangeEffect::CategoryChange => {
                let mut out = vec![effect(self.category, Direction::Increase)];
                if let Some(previous) = self.previous_category {
                    out.push(effect(previous, Direction::Decrease));
                }
                out
            }
            ChangeEffect::ObligationChange | ChangeEffect::Rebatching => Vec::new(),
        }
    }

    /// The signed change to each category's book.
    pub fn book_changes(&self) -> Vec<(MaterialCategory, Quantity)> {
        self.effects()
            .into_iter()
            .map(|e| match e.direction {
                Direction::Increase => (e.category, e.quantity),
                Direction::Decrease => (e.category, -e.quantity),
            })
            .collect()
    }
}

/// One accepted `material.physical_inventory`: a line of a physical
/// inventory listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InventoryLine {
    /// The event that recorded it.
    pub by: EventRef,
    /// The MBA.
    pub mba: MbaCode,
    /// The PIT it belongs to.
    pub pit_date: Date,
    /// The operator's reference.
    pub line: Option<String>,
    /// The batch.
    pub batch: String,
    /// The element.
    pub element: Element,
    /// The category (stated or derived).
    pub category: MaterialCategory,
    /// The weights.
    pub quantity: Quantity,
    /// Which isotope the fissile weight is, if one was given.
    pub isotope: Option<Isotope>,
    /// The KMP.
    pub kmp: Option<KmpCode>,
    /// The measurement basis.
    pub measurement_basis: Option<MeasurementBasis>,
    /// The material form code.
    pub form: Option<String>,
    /// Number of items.
    pub items: Option<u32>,
    /// The obligation code.
    pub obligation: Option<String>,
    /// The correction code.
    pub correction: Option<CorrectionCode>,
    /// The line a `D` or `A` corrects.
    pub corrects: Option<EventId>,
    /// The `D` line that deleted it.
    pub deleted_by: Option<EventRef>,
    /// The `A` line that replaced it.
    pub replaced_by: Option<EventRef>,
}

impl InventoryLine {
    /// Whether the line is part of the listing: not a `D` line and not deleted.
    pub fn in_effect(&self) -> bool {
        self.correction != Some(CorrectionCode::Delete) && self.deleted_by.is_none()
    }
}

/// A physical inventory taking of an MBA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pit {
    /// The MBA.
    pub mba: MbaCode,
    /// Its date.
    pub pit_date: Date,
    /// The `material.inventory_taking` that closed it, if any.
    pub closed_by: Option<EventRef>,
    /// The line count it declared.
    pub declared_line_count: Option<u32>,
}

/// A batch as the MBA's lines name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchInfo {
    /// The MBA.
    pub mba: MbaCode,
    /// The batch.
    pub batch: String,
    /// The first line that named it.
    pub first: EventRef,
    /// The categories its lines were in.
    pub categories: BTreeSet<MaterialCategory>,
    /// The last stated material form.
    pub form: Option<String>,
    /// How many lines named it.
    pub lines: u64,
}

/// An accepted measurement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasurementRecord {
    /// The event.
    pub by: EventRef,
    /// The MBA.
    pub mba: MbaCode,
    /// The KMP.
    pub kmp: KmpCode,
    /// The batch.
    pub batch: String,
    /// The element.
    pub element: Element,
    /// Element weight, grams.
    pub element_grams: f64,
    /// Random relative standard deviation.
    pub rsd_random: f64,
    /// Systematic relative standard deviation.
    pub rsd_systematic: f64,
    /// Whether a line of the MBA had named the batch before: an inspector's
    /// measurement of an undeclared batch is evidence, so it is recorded, not
    /// refused.
    pub batch_known: bool,
}

/// A line, by the event that recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineRef<'a> {
    /// An inventory change line.
    Change(&'a ChangeLine),
    /// A physical inventory line.
    Inventory(&'a InventoryLine),
}

/// Why an event does not fit the accounts. The accounts are unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountsError {
    /// The payload fails the core's checks (a negative or non-finite mass, an
    /// unknown code, an uncertainty above 100 %, ...).
    #[error("event {event}: field {field}: {message}")]
    Invalid {
        /// The event.
        event: EventId,
        /// The field, e.g. `payload.element_grams`.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The event names something the accounts do not hold.
    #[error("event {event}: field {field}: unknown {what} {found}; expected {expected}")]
    Unknown {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// What kind of thing (`MBA`, `facility`, `KMP of MBA XBB1`, `line`).
        what: String,
        /// The name given.
        found: String,
        /// What would have been accepted.
        expected: String,
    },
    /// An id or code is registered twice.
    #[error("event {event}: field {field}: {what} {id} already exists (event {by})")]
    Duplicate {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// What kind of thing.
        what: &'static str,
        /// The id.
        id: String,
        /// The event that registered it first.
        by: EventId,
    },
    /// The event contradicts the record (a correction of a line already
    /// corrected, a plain line for a closed period, a deletion that does not
    /// repeat its line, ...).
    #[error("event {event}: field {field}: expected {expected}, found {found}")]
    Contradiction {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// What the record allows.
        expected: String,
        /// What the event says.
        found: String,
    },
    /// A closing PIT declares a line count that is not the number of lines
    /// in effect.
    #[error(
        "event {event}: field payload.line_count: expected {found} (the lines in effect in the physical inventory listing of MBA {mba} at {pit_date}), found {declared}"
    )]
    LineCount {
        /// The event.
        event: EventId,
        /// The MBA.
        mba: MbaCode,
        /// The PIT date.
        pit_date: Date,
        /// The count declared.
        declared: u32,
        /// The count of lines in effect.
        found: u32,
    },
}

impl AccountsError {
    /// The event refused.
    pub fn event(&self) -> &EventId {
        match self {
            AccountsError::Invalid { event, .. }
            | AccountsError::Unknown { event, .. }
            | AccountsError::Duplicate { event, .. }
            | AccountsError::Contradiction { event, .. }
            | AccountsError::LineCount { event, .. } => event,
        }
    }

    /// The field at fault, as a path in the event (`payload.corrects.event`).
    pub fn field(&self) -> &str {
        match self {
            AccountsError::Invalid { field, .. }
            | AccountsError::Unknown { field, .. }
            | AccountsError::Duplicate { field, .. }
            | AccountsError::Contradiction { field, .. } => field,
            AccountsError::LineCount { .. } => "payload.line_count",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineIndex {
    Change(usize),
    Inventory(usize),
}

#[derive(Clone, Debug)]
struct MbaState {
    info: MbaInfo,
    changes: Vec<usize>,
}

#[derive(Clone, Debug)]
struct PitState {
    pit: Pit,
    lines: Vec<usize>,
}

/// The material accounts as the events so far make them.
#[derive(Clone, Debug, Default)]
pub struct Accounts {
    facilities: BTreeMap<FacilityId, FacilityInfo>,
    mbas: BTreeMap<MbaCode, MbaState>,
    changes: Vec<ChangeLine>,
    inventory: Vec<InventoryLine>,
    by_event: BTreeMap<EventId, LineIndex>,
    line_refs: BTreeMap<(MbaCode, String), EventId>,
    pits: BTreeMap<(MbaCode, Date), PitState>,
    batches: BTreeMap<(MbaCode, String), BatchInfo>,
    measurements: Vec<MeasurementRecord>,
    filings: BTreeMap<(MbaCode, u32), Filing>,
    filed: BTreeMap<EventId, (MbaCode, u32, usize)>,
    last_leaf: Option<LeafIndex>,
}

/// A report filed in the labelled format (`material.report`), with the event
/// that filed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filing {
    /// The `material.report` event.
    pub by: EventRef,
    /// What it filed.
    pub report: ReportFiled,
}

/// The mutation one accepted line makes, computed before anything changes.
enum Correcting {
    None,
    Delete(usize),
    Replace(usize),
}

/// What D/A corrections need of a line, change or inventory alike.
trait Correctable {
    fn correction(&self) -> Option<CorrectionCode>;
    fn slots(&mut self) -> (&mut Option<EventRef>, &mut Option<EventRef>);
    fn deleted_by(&self) -> Option<&EventRef>;
    fn replaced_by(&self) -> Option<&EventRef>;
}

macro_rules! correctable {
    ($t:ty) => {
        impl Correctable for $t {
            fn correction(&self) -> Option<CorrectionCode> {
                self.correction
            }
            fn slots(&mut self) -> (&mut Option<EventRef>, &mut Option<EventRef>) {
                (&mut self.deleted_by, &mut self.replaced_by)
            }
            fn deleted_by(&self) -> Option<&EventRef> {
                self.deleted_by.as_ref()
            }
            fn replaced_by(&self) -> Option<&EventRef> {
                self.replaced_by.as_ref()
            }
        }
    };
}
correctable!(ChangeLine);
correctable!(InventoryLine);

/// Whether `old`, line `i` named by `target`, may take a `D` or `A` correction
/// (302/2005 Annex III note 37): a D deletes a line in effect that is not
/// itself a D; an A replaces a deleted line, once. On refusal: (field,
/// expected, found).
fn resolve_correction(
    correction: CorrectionCode,
    target: &EventId,
    i: usize,
    old: &impl Correctable,
) -> Result<Correcting, (&'static str, String, String)> {
    let field = "payload.corrects.event";
    if old.correction() == Some(CorrectionCode::Delete) {
        return Err((
            field,
            "a line that is not itself a deletion".into(),
            format!("{target}, a D line"),
        ));
    }
    if correction == CorrectionCode::Delete {
        if let Some(by) = old.deleted_by() {
            return Err((
                field,
                "a line in effect (not yet deleted)".into(),
                format!("{target}, already deleted by event {}", by.event),
            ));
        }
        return Ok(Correcting::Delete(i));
    }
    if old.deleted_by().is_none() {
        return Err((
            field,
            "a line deleted by an earlier D line (an A line replaces a deleted line)".into(),
            format!("{target}, a line in effect"),
        ));
    }
    if let Some(by) = old.replaced_by() {
        return Err((
            field,
            "a deleted line not yet replaced".into(),
            format!("{target}, already replaced by event {}", by.event),
        ));
    }
    Ok(Correcting::Replace(i))
}

/// Marks the line a correction deletes or replaces.
fn mark(lines: &mut [impl Correctable], correcting: &Correcting, here: &EventRef) {
    match *correcting {
        Correcting::None => {}
        Correcting::Delete(i) => *lines[i].slots().0 = Some(here.clone()),
        Correcting::Replace(i) => *lines[i].slots().1 = Some(here.clone()),
    }
}

impl Accounts {
    /// Empty accounts.
    pub fn new() -> Accounts {
        Accounts::default()
    }

    /// Replays `events` in log order, stopping at the first refusal.
    pub fn replay<'e>(
        mut self,
        events: impl IntoIterator<Item = (LeafIndex, &'e Event)>,
    ) -> Result<Accounts, AccountsError> {
        for (leaf, event) in events {
            self.apply(leaf, event)?;
        }
        Ok(self)
    }

    /// Applies one event. Events of kinds the accounts do not keep are
    /// ignored. On error, nothing changes.
    pub fn apply(&mut self, leaf: LeafIndex, event: &Event) -> Result<(), AccountsError> {
        match &event.payload {
            Payload::FacilityRegister(p) => self.apply_facility(leaf, event, p)?,
            Payload::MbaRegister(p) => self.apply_mba(leaf, event, p)?,
            Payload::InventoryChange(p) => self.apply_change(leaf, event, p)?,
            Payload::PhysicalInventory(p) => self.apply_inventory(leaf, event, p)?,
            Payload::Measurement(p) => self.apply_measurement(leaf, event, p)?,
            Payload::InventoryTaking(p) => self.apply_taking(leaf, event, p)?,
            Payload::ReportFiled(p) => self.apply_report(leaf, event, p)?,
            _ => {}
        }
        self.last_leaf = Some(self.last_leaf.map_or(leaf, |last| last.max(leaf)));
        Ok(())
    }

    /// A report filed for `mba` under `number`.
    pub fn filing(&self, mba: &MbaCode, number: u32) -> Option<&Filing> {
        self.filings.get(&(mba.clone(), number))
    }

    /// The reports filed for `mba`, by number.
    pub fn filings<'a>(&'a self, mba: &MbaCode) -> impl Iterator<Item = &'a Filing> + 'a {
        let mba = mba.clone();
        self.filings
            .range((mba.clone(), 0)..)
            .take_while(move |((m, _), _)| *m == mba)
            .map(|(_, f)| f)
    }

    /// Where a line event was filed: the report number and the filed line.
    pub fn filed_line(&self, event: &EventId) -> Option<(u32, &FiledLine)> {
        let (mba, number, i) = self.filed.get(event)?;
        let filing = self.filings.get(&(mba.clone(), *number))?;
        Some((*number, filing.report.lines.get(*i)?))
    }

    /// The highest leaf applied so far (reports check it against their checkpoint).
    pub fn last_leaf(&self) -> Option<LeafIndex> {
        self.last_leaf
    }

    /// Every facility, by id.
    pub fn facilities(&self) -> impl Iterator<Item = &FacilityInfo> {
        self.facilities.values()
    }

    /// A facility.
    pub fn facility(&self, facility: &FacilityId) -> Option<&FacilityInfo> {
        self.facilities.get(facility)
    }

    /// Every MBA, by code.
    pub fn mbas(&self) -> impl Iterator<Item = &MbaInfo> {
        self.mbas.values().map(|m| &m.info)
    }

    /// An MBA.
    pub fn mba(&self, mba: &MbaCode) -> Option<&MbaInfo> {
        self.mbas.get(mba).map(|m| &m.info)
    }

    /// Every inventory change line of an MBA, in log order, corrections and
    /// corrected lines included.
    pub fn change_lines<'a>(&'a self, mba: &MbaCode) -> impl Iterator<Item = &'a ChangeLine> + 'a {
        self.mbas
            .get(mba)
            .map(|m| m.changes.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.changes[i])
    }

    /// The line an event recorded.
    pub fn line(&self, event: &EventId) -> Option<LineRef<'_>> {
        self.by_event.get(event).map(|index| match *index {
            LineIndex::Change(i) => LineRef::Change(&self.changes[i]),
            LineIndex::Inventory(i) => LineRef::Inventory(&self.inventory[i]),
        })
    }

    /// Every PIT of an MBA (closed or with lines), by date.
    pub fn pits<'a>(&'a self, mba: &MbaCode) -> impl Iterator<Item = &'a Pit> + 'a {
        let mba = mba.clone();
        self.pits
            .iter()
            .filter(move |((m, _), _)| *m == mba)
            .map(|(_, p)| &p.pit)
    }

    /// A PIT.
    pub fn pit(&self, mba: &MbaCode, pit_date: Date) -> Option<&Pit> {
        self.pits.get(&(mba.clone(), pit_date)).map(|p| &p.pit)
    }

    /// The date of the MBA's latest closed PIT.
    pub fn latest_closed_pit(&self, mba: &MbaCode) -> Option<Date> {
        self.pits(mba)
            .filter(|p| p.closed_by.is_some())
            .map(|p| p.pit_date)
            .max()
    }

    /// Every line recorded for a PIT, in log order, corrections and corrected
    /// lines included.
    pub fn pit_lines(&self, mba: &MbaCode, pit_date: Date) -> Vec<&InventoryLine> {
        self.pits
            .get(&(mba.clone(), pit_date))
            .map(|p| p.lines.iter().map(|&i| &self.inventory[i]).collect())
            .unwrap_or_default()
    }

    /// The physical inventory listing of a PIT: its lines in effect, in log order.
    pub fn inventory_listing(&self, mba: &MbaCode, pit_date: Date) -> Vec<&InventoryLine> {
        self.pit_lines(mba, pit_date)
            .into_iter()
            .filter(|l| l.in_effect())
            .collect()
    }

    /// The physical inventory of a PIT per category (empty when it has no
    /// lines), each line [counted in](Quantity::counted_in) its category.
    pub fn physical_inventory(
        &self,
        mba: &MbaCode,
        pit_date: Date,
    ) -> BTreeMap<MaterialCategory, Quantity> {
        let mut out: BTreeMap<MaterialCategory, Quantity> = BTreeMap::new();
        for line in self.inventory_listing(mba, pit_date) {
            *out.entry(line.category).or_default() += line.quantity.counted_in(line.category);
        }
        out
    }

    /// The book inventory of an MBA per category at the end of `on`: every
    /// line in effect with a balance date on or before it, `MF` adjustments
    /// included (so after an `MF` the book at the PIT date equals the
    /// physical inventory). Categories that were never touched are absent.
    pub fn book_inventory(&self, mba: &MbaCode, on: Date) -> BTreeMap<MaterialCategory, Quantity> {
        let mut out: BTreeMap<MaterialCategory, Quantity> = BTreeMap::new();
        for line in self.change_lines(mba) {
            if line.in_effect() && line.balance_date <= on {
                for (category, change) in line.book_changes() {
                    *out.entry(category).or_default() += change;
                }
            }
        }
        out
    }

    /// Every batch the MBA's lines named, by name.
    pub fn batches<'a>(&'a self, mba: &MbaCode) -> impl Iterator<Item = &'a BatchInfo> + 'a {
        let mba = mba.clone();
        self.batches
            .iter()
            .filter(move |((m, _), _)| *m == mba)
            .map(|(_, b)| b)
    }

    /// Every measurement at an MBA, in log order.
    pub fn measurements<'a>(
        &'a self,
        mba: &MbaCode,
    ) -> impl Iterator<Item = &'a MeasurementRecord> + 'a {
        let mba = mba.clone();
        self.measurements.iter().filter(move |m| m.mba == mba)
    }

    // ---- applying ----

    fn apply_facility(
        &mut self,
        leaf: LeafIndex,
        event: &Event,
        p: &FacilityRegister,
    ) -> Result<(), AccountsError> {
        check_payload(event)?;
        if let Some(existing) = self.facilities.get(&p.facility) {
            return Err(AccountsError::Duplicate {
                event: event.id.clone(),
                field: "payload.facility".into(),
                what: "facility",
                id: p.facility.to_string(),
                by: existing.registered_by.event.clone(),
            });
        }
        self.facilities.insert(
            p.facility.clone(),
            FacilityInfo {
                facility: p.facility.clone(),
                name: p.name.clone(),
                state: p.state,
                facility_type: p.facility_type.clone(),
                registered_by: EventRef::of(leaf, event),
            },
        );
        Ok(())
    }

    fn apply_mba(
        &mut self,
        leaf: LeafIndex,
        event: &Event,
        p: &MbaRegister,
    ) -> Result<(), AccountsError> {
        check_payload(event)?;
        if let Some(existing) = self.mbas.get(&p.mba) {
            return Err(AccountsError::Duplicate {
                event: event.id.clone(),
                field: "payload.mba".into(),
                what: "MBA",
                id: p.mba.to_string(),
                by: existing.info.registered_by.event.clone(),
            });
        }
        if !self.facilities.contains_key(&p.facility) {
            return Err(AccountsError::Unknown {
                event: event.id.clone(),
                field: "payload.facility".into(),
                what: "facility".into(),
                found: p.facility.to_string(),
                expected: "a facility registered by an earlier facility.register event".into(),
            });
        }
        self.mbas.insert(
            p.mba.clone(),
            MbaState {
                info: MbaInfo {
                    mba: p.mba.clone(),
                    facility: p.facility.clone(),
                    name: p.name.clone(),
                    kmps: p.kmps.clone(),
                    registered_by: EventRef::of(leaf, event),
                },
                changes: Vec::new(),
            },
        );
        Ok(())
    }

    /// A filed report: a registered MBA, a report number above every earlier
    /// one of the MBA, ICRs, PILs and MBRs alike (302/2005 Annex III field 4,
    /// Annex IV field 6, "sequential number"), lines numbered 1, 2, …. An
    /// ICR's or PIL's lines each name a line event of that MBA and report
    /// type not filed before. An MBR's lines name no event (the ledger
    /// computes them; `filing::import` compared them before appending), and
    /// its header names a balance period ending at a closed taking and an
    /// element category.
    fn apply_report(
        &mut self,
        leaf: LeafIndex,
        event: &Event,
        p: &ReportFiled,
    ) -> Result<(), AccountsError> {
        check_payload(event)?;
        self.known_mba(event, "payload.mba", p.mba.as_str())?;
        let contradiction =
            |field: String, expected: String, found: String| AccountsError::Contradiction {
                event: event.id.clone(),
                field,
                expected,
                found,
            };
        if let Some(earlier) = self.filing(&p.mba, p.report_number) {
            return Err(AccountsError::Duplicate {
                event: event.id.clone(),
                field: "payload.report_number".into(),
                what: "report number",
                id: format!("{} of MBA {}", p.report_number, p.mba),
                by: earlier.by.event.clone(),
            });
        }
        if let Some(last) = self.filings(&p.mba).last() {
            if last.report.report_number > p.report_number {
                return Err(contradiction(
                    "payload.report_number".into(),
                    format!(
                        "a number above {}, the last report filed for MBA {}",
                        last.report.report_number, p.mba
                    ),
                    p.report_number.to_string(),
                ));
            }
        }
        if p.report_number == 0 {
            return Err(contradiction(
                "payload.report_number".into(),
                "a report number from 1".into(),
                "0".into(),
            ));
        }
        if p.report_type == ReportType::MaterialBalance {
            self.check_balance_header(event, p)?;
        }
        let mut seen = BTreeSet::new();
        for (i, line) in p.lines.iter().enumerate() {
            let field = |name: &str| format!("payload.lines[{i}].{name}");
            if line.line_number as usize != i + 1 {
                return Err(contradiction(
                    field("line_number"),
                    format!("{} (line numbers 1, 2, … without gaps)", i + 1),
                    line.line_number.to_string(),
                ));
            }
            // The core's check has paired the event with the report type:
            // present for I and P, absent for M.
            let Some(line_event) = &line.event else {
                continue;
            };
            let right_kind = match (p.report_type, self.by_event.get(line_event)) {
                (ReportType::InventoryChange, Some(LineIndex::Change(j))) => {
                    self.changes[*j].mba == p.mba
                }
                (ReportType::PhysicalInventory, Some(LineIndex::Inventory(j))) => {
                    self.inventory[*j].mba == p.mba
                }
                _ => false,
            };
            if !right_kind {
                let what = match p.report_type {
                    ReportType::InventoryChange => "material.inventory_change",
                    _ => "material.physical_inventory",
                };
                return Err(AccountsError::Unknown {
                    event: event.id.clone(),
                    field: field("event"),
                    what: "line".into(),
                    found: line_event.to_string(),
                    expected: format!("a {what} event of MBA {} recorded earlier", p.mba),
                });
            }
            if let Some((_, number, _)) = self.filed.get(line_event) {
                return Err(contradiction(
                    field("event"),
                    "a line not filed in another report".into(),
                    format!("{line_event}, filed in report {number}"),
                ));
            }
            if !seen.insert(line_event) {
                return Err(contradiction(
                    field("event"),
                    "each line once".into(),
                    format!("{line_event} twice"),
                ));
            }
        }
        for (i, line) in p.lines.iter().enumerate() {
            if let Some(line_event) = &line.event {
                self.filed
                    .insert(line_event.clone(), (p.mba.clone(), p.report_number, i));
            }
        }
        self.filings.insert(
            (p.mba.clone(), p.report_number),
            Filing {
                by: EventRef::of(leaf, event),
                report: p.clone(),
            },
        );
        Ok(())
    }

    /// An MBR's header: `START REPORT` and `END REPORT` dates in order,
    /// `END REPORT` a closed taking of the MBA (302/2005 Annex IV field 5,
    /// "date of current PIT"), `ELEMENT CATEGORY` a category code (field 7).
    fn check_balance_header(&self, event: &Event, p: &ReportFiled) -> Result<(), AccountsError> {
        let header = |label: &str| -> Result<(String, &str), AccountsError> {
            p.header
                .iter()
                .enumerate()
                .find(|(_, f)| f.label == label)
                .map(|(i, f)| (format!("payload.header[{i}].value"), f.value.as_str()))
                .ok_or_else(|| AccountsError::Invalid {
                    event: event.id.clone(),
                    field: "payload.header".into(),
                    message: format!(
                        "expected the header field {label} of a material balance report, found none"
                    ),
                })
        };
        let date = |label: &str| -> Result<Date, AccountsError> {
            let (field, value) = header(label)?;
            crate::labelled::parse_date(value).map_err(|message| AccountsError::Invalid {
                event: event.id.clone(),
                field,
                message: format!("{label}: expected {message}"),
            })
        };
        let (start, end) = (date("START REPORT")?, date("END REPORT")?);
        if start > end {
            let (field, _) = header("END REPORT")?;
            return Err(AccountsError::Contradiction {
                event: event.id.clone(),
                field,
                expected: format!("an END REPORT on or after the START REPORT {start}"),
                found: end.to_string(),
            });
        }
        let (field, letter) = header("ELEMENT CATEGORY")?;
        if !MaterialCategory::ALL
            .into_iter()
            .any(|c| c.code().to_string() == letter)
        {
            return Err(AccountsError::Invalid {
                event: event.id.clone(),
                field,
                message: format!("ELEMENT CATEGORY: expected one of P H L N D T, found {letter:?}"),
            });
        }
        if self
            .pit(&p.mba, end)
            .is_none_or(|pit| pit.closed_by.is_none())
        {
            let (field, _) = header("END REPORT")?;
            return Err(AccountsError::Unknown {
                event: event.id.clone(),
                field,
                what: format!("closed physical inventory taking of MBA {}", p.mba),
                found: end.to_string(),
                expected: "END REPORT on the date of a taking closed by material.inventory_taking (a material balance ends at a physical inventory)".into(),
            });
        }
        Ok(())
    }

    /// The registered MBA a material event names in `field`.
    fn known_mba(&self, event: &Event, field: &str, text: &str) -> Result<&MbaInfo, AccountsError> {
        let unknown = || AccountsError::Unknown {
            event: event.id.clone(),
            field: field.into(),
            what: "MBA".into(),
            found: text.to_owned(),
            expected: "an MBA registered by an earlier mba.register event".into(),
        };
        let code = MbaCode::parse(text).map_err(|_| unknown())?;
        self.mbas.get(&code).map(|m| &m.info).ok_or_else(unknown)
    }

    fn check_kmp(
        &self,
        event: &Event,
        mba: &MbaInfo,
        kmp: &KmpCode,
        kind: Option<KmpKind>,
    ) -> Result<(), AccountsError> {
        let Some(declared) = mba.kmp(kmp) else {
            let known: Vec<&str> = mba.kmps.iter().map(|k| k.kmp.as_str()).collect();
            return Err(AccountsError::Unknown {
                event: event.id.clone(),
                field: "payload.kmp".into(),
                what: format!("KMP of MBA {}", mba.mba),
                found: kmp.to_string(),
                expected: if known.is_empty() {
                    "none: the MBA declares no KMPs".into()
                } else {
                    format!("one of {}", known.join(", "))
                },
            });
        };
        if let Some(kind) = kind {
            if declared.kind != kind {
                return Err(AccountsError::Contradiction {
                    event: event.id.clone(),
                    field: "payload.kmp".into(),
                    expected: format!("a {} KMP", kind_name(kind)),
                    found: format!("{kmp}, a {} KMP", kind_name(declared.kind)),
                });
            }
        }
        Ok(())
    }

    fn check_line_ref(
        &self,
        event: &Event,
        mba: &MbaCode,
        line: &Option<String>,
    ) -> Result<(), AccountsError> {
        if let Some(line) = line {
            if let Some(by) = self.line_refs.get(&(mba.clone(), line.clone())) {
                return Err(AccountsError::Duplicate {
                    event: event.id.clone(),
                    field: "payload.line".into(),
                    what: "line reference",
                    id: format!("{line:?} in MBA {mba}"),
                    by: by.clone(),
                });
            }
        }
        if let Some(index) = self.by_event.get(&event.id) {
            let by = match *index {
                LineIndex::Change(i) => &self.changes[i].by.event,
                LineIndex::Inventory(i) => &self.inventory[i].by.event,
            };
            return Err(AccountsError::Duplicate {
                event: event.id.clone(),
                field: "id".into(),
                what: "event",
                id: event.id.to_string(),
                by: by.clone(),
            });
        }
        Ok(())
    }

    /// The line a `D` or `A` correction names: it must exist, be of the
    /// expected kind and belong to the same MBA.
    fn corrected_line(
        &self,
        event: &Event,
        target: &EventId,
        mba: &MbaCode,
        want_change: bool,
    ) -> Result<usize, AccountsError> {
        let field = "payload.corrects.event";
        let index = self
            .by_event
            .get(target)
            .ok_or_else(|| AccountsError::Unknown {
                event: event.id.clone(),
                field: field.into(),
                what: "line".into(),
                found: target.to_string(),
                expected: format!(
                    "the event id of an earlier {} line",
                    if want_change {
                        "inventory change"
                    } else {
                        "physical inventory"
                    }
                ),
            })?;
        let (i, target_mba) = match (*index, want_change) {
            (LineIndex::Change(i), true) => (i, &self.changes[i].mba),
            (LineIndex::Inventory(i), false) => (i, &self.inventory[i].mba),
            _ => {
                return Err(AccountsError::Contradiction {
                    event: event.id.clone(),
                    field: field.into(),
                    expected: format!(
                        "a {} line (a correction corrects a line of its own kind)",
                        if want_change {
                            "inventory change"
                        } else {
                            "physical inventory"
                        }
                    ),
                    found: format!(
                        "{target}, a {} line",
                        if want_change {
                            "physical inventory"
                        } else {
                            "inventory change"
                        }
                    ),
                })
            }
        };
        if target_mba != mba {
            return Err(AccountsError::Contradiction {
                event: event.id.clone(),
                field: field.into(),
                expected: format!("a line of MBA {mba}"),
                found: format!("{target}, a line of MBA {target_mba}"),
            });
        }
        Ok(i)
    }

    fn apply_change(
        &mut self,
        leaf: LeafIndex,
        event: &Event,
        p: &InventoryChange,
    ) -> Result<(), AccountsError> {
        check_payload(event)?;
        let as_invalid = |e: FieldError| invalid(event, e);
        let code = p.change_code().map_err(as_invalid)?;
        let category = p.category().map_err(as_invalid)?;
        let counterpart = p.counterpart().map_err(as_invalid)?;
        let mba = self.known_mba(event, "payload.mba", &p.mba)?;
        if let Some(kmp) = &p.kmp {
            self.check_kmp(event, mba, kmp, Some(KmpKind::Flow))?;
        }
        if let Some(Counterpart::Mba(other)) = &counterpart {
            if !self.mbas.contains_key(other) {
                return Err(AccountsError::Unknown {
                    event: event.id.clone(),
                    field: "payload.counterpart_mba".into(),
                    what: "MBA".into(),
                    found: other.to_string(),
                    expected:
                        "a registered MBA, or EXT:<code> for an MBA or state outside this ledger"
                            .into(),
                });
            }
        }
        let mba = mba.mba.clone();
        self.check_line_ref(event, &mba, &p.line)?;
        let contradiction =
            |field: &str, expected: String, found: String| AccountsError::Contradiction {
                event: event.id.clone(),
                field: field.into(),
                expected,
                found,
            };
        let accounting_date = event.time.date();
        // An MF adjustment refers to a closed PIT and is booked after it
        // (302/2005 Annex III note 10, MF: "the accounting date must be after
        // the date of the physical inventory taking").
        if let (ChangeCode::MaterialUnaccountedFor, Some(pit_date), false) = (
            code,
            p.pit_date,
            p.correction == Some(CorrectionCode::Delete),
        ) {
            let closed = self
                .pit(&mba, pit_date)
                .is_some_and(|pit| pit.closed_by.is_some());
            if !closed {
                return Err(AccountsError::Unknown {
                    event: event.id.clone(),
                    field: "payload.pit_date".into(),
                    what: format!("closed physical inventory taking of MBA {mba}"),
                    found: pit_date.to_string(),
                    expected: "the date of a PIT closed by material.inventory_taking".into(),
                });
            }
            if accounting_date <= pit_date {
                return Err(contradiction(
                    "time",
                    format!("a date after the PIT {pit_date}"),
                    accounting_date.to_string(),
                ));
            }
        }
        let own_balance_date = match code {
            ChangeCode::MaterialUnaccountedFor => p.pit_date.unwrap_or(accounting_date),
            _ => accounting_date,
        };
        let (original_date, balance_date, correcting) = match p.correction {
            None => {
                if let Some(closed) = self.latest_closed_pit(&mba) {
                    if code != ChangeCode::MaterialUnaccountedFor && accounting_date <= closed {
                        return Err(contradiction(
                            "payload.correction",
                            format!(
                                "a late line (correction L): the physical inventory of MBA {mba} at {closed} is closed, so a change dated on or before it is late"
                            ),
                            format!("a plain line dated {accounting_date}"),
                        ));
                    }
                }
                let original =
                    (code == ChangeCode::MaterialUnaccountedFor).then_some(own_balance_date);
                (original, own_balance_date, Correcting::None)
            }
            Some(CorrectionCode::Late) => {
                // The core requires original_date on a late line.
                let original = p.original_date.unwrap_or(accounting_date);
                if original > accounting_date {
                    return Err(contradiction(
                        "payload.original_date",
                        format!("a date on or before the event's date {accounting_date} (a late line records a past change)"),
                        original.to_string(),
                    ));
                }
                (Some(original), original, Correcting::None)
            }
            Some(correction) => {
                // The core requires corrects on D and A.
                let Some(target) = p.corrects.as_ref().map(|r| &r.event) else {
                    return Err(contradiction(
                        "payload.corrects",
                        "a line reference".into(),
                        "none".into(),
                    ));
                };
                let i = self.corrected_line(event, target, &mba, true)?;
                let old = &self.changes[i];
                let chain_original = old.original_date.unwrap_or(old.accounting_date);
                let correcting = resolve_correction(correction, target, i, old)
                    .map_err(|(field, expected, found)| contradiction(field, expected, found))?;
                (Some(chain_original), old.balance_date, correcting)
            }
        };
        let quantity = line_quantity(p.element_grams, p.isotope_kind(), p.isotope_grams);
        let line = ChangeLine {
            by: EventRef::of(leaf, event),
            mba: mba.clone(),
            line: p.line.clone(),
            batch: p.batch.clone(),
            code,
            direction: p.direction,
            element: p.element,
            category,
            previous_category: p.previous_category,
            quantity,
            isotope: p.isotope_kind(),
            counterpart,
            kmp: p.kmp.clone(),
            measurement_basis: p.measurement_basis,
            form: p.form.clone(),
            items: p.items,
            previous_batch: p.previous_batch.clone(),
            obligation: p.obligation.clone(),
            previous_obligation: p.previous_obligation.clone(),
            pit_date: p.pit_date,
            correction: p.correction,
            corrects: p.corrects.as_ref().map(|r| r.event.clone()),
            accounting_date,
            original_date,
            balance_date,
            deleted_by: None,
            replaced_by: None,
        };
        if let Correcting::Delete(i) = correcting {
            if let Some((field, expected, found)) = change_difference(&self.changes[i], &line) {
                return Err(contradiction(
                    &format!("payload.{field}"),
                    format!(
                        "{expected}, as in the line being deleted (event {}): a D line repeats it",
                        self.changes[i].by.event
                    ),
                    found,
                ));
            }
        }
        // Nothing can fail from here on.
        let here = line.by.clone();
        let index = self.changes.len();
        mark(&mut self.changes, &correcting, &here);
        self.note_batch(&here, &mba, &line.batch, line.category, &line.form);
        if let Some(previous) = &line.previous_batch {
            self.note_batch(&here, &mba, previous, line.category, &None);
        }
        if let Some(r) = &line.line {
            self.line_refs
                .insert((mba.clone(), r.clone()), event.id.clone());
        }
        self.by_event
            .insert(event.id.clone(), LineIndex::Change(index));
        if let Some(state) = self.mbas.get_mut(&mba) {
            state.changes.push(index);
        }
        self.changes.push(line);
        Ok(())
    }

    fn apply_inventory(
        &mut self,
        leaf: LeafIndex,
        event: &Event,
        p: &PhysicalInventory,
    ) -> Result<(), AccountsError> {
        check_payload(event)?;
        let category = p.category().map_err(|e| invalid(event, e))?;
        let mba = self.known_mba(event, "payload.mba", &p.mba)?;
        if let Some(kmp) = &p.kmp {
            self.check_kmp(event, mba, kmp, Some(KmpKind::Inventory))?;
        }
        let mba = mba.mba.clone();
        self.check_line_ref(event, &mba, &p.line)?;
        let contradiction =
            |field: &str, expected: String, found: String| AccountsError::Contradiction {
                event: event.id.clone(),
                field: field.into(),
                expected,
                found,
            };
        let own_pit = p.pit_date.unwrap_or(event.time.date());
        let closed = |date: Date| {
            self.pit(&mba, date)
                .and_then(|pit| pit.closed_by.as_ref())
                .map(|by| by.event.clone())
        };
        let (pit_date, correcting) = match p.correction {
            None => {
                if let Some(by) = closed(own_pit) {
                    return Err(contradiction(
                        "payload.correction",
                        format!(
                            "a correction (L or A): the physical inventory of MBA {mba} at {own_pit} was closed by event {by}"
                        ),
                        "a plain line".into(),
                    ));
                }
                if let Some(latest) = self.latest_closed_pit(&mba) {
                    if own_pit <= latest {
                        return Err(contradiction(
                            "payload.pit_date",
                            format!("a PIT date after MBA {mba}'s latest closed taking {latest}"),
                            own_pit.to_string(),
                        ));
                    }
                }
                (own_pit, Correcting::None)
            }
            Some(CorrectionCode::Late) => {
                if closed(own_pit).is_none() {
                    return Err(contradiction(
                        "payload.correction",
                        format!(
                            "a plain line: the physical inventory of MBA {mba} at {own_pit} is not closed, so no line for it is late"
                        ),
                        "a late line (L)".into(),
                    ));
                }
                (own_pit, Correcting::None)
            }
            Some(correction) => {
                let Some(target) = p.corrects.as_ref().map(|r| &r.event) else {
                    return Err(contradiction(
                        "payload.corrects",
                        "a line reference".into(),
                        "none".into(),
                    ));
                };
                let i = self.corrected_line(event, target, &mba, false)?;
                let old = &self.inventory[i];
                if let Some(given) = p.pit_date {
                    if given != old.pit_date {
                        return Err(contradiction(
                            "payload.pit_date",
                            format!(
                                "{}, the PIT of the line corrected (or no pit_date)",
                                old.pit_date
                            ),
                            given.to_string(),
                        ));
                    }
                }
                let correcting = resolve_correction(correction, target, i, old)
                    .map_err(|(field, expected, found)| contradiction(field, expected, found))?;
                (old.pit_date, correcting)
            }
        };
        let line = InventoryLine {
            by: EventRef::of(leaf, event),
            mba: mba.clone(),
            pit_date,
            line: p.line.clone(),
            batch: p.batch.clone(),
            element: p.element,
            category,
            quantity: line_quantity(p.element_grams, p.isotope_kind(), p.isotope_grams),
            isotope: p.isotope_kind(),
            kmp: p.kmp.clone(),
            measurement_basis: p.measurement_basis,
            form: p.form.clone(),
            items: p.items,
            obligation: p.obligation.clone(),
            correction: p.correction,
            corrects: p.corrects.as_ref().map(|r| r.event.clone()),
            deleted_by: None,
            replaced_by: None,
        };
        if let Correcting::Delete(i) = correcting {
            if let Some((field, expected, found)) = inventory_difference(&self.inventory[i], &line)
            {
                return Err(contradiction(
                    &format!("payload.{field}"),
                    format!(
                        "{expected}, as in the line being deleted (event {}): a D line repeats it",
                        self.inventory[i].by.event
                    ),
                    found,
                ));
            }
        }
        // Nothing can fail from here on.
        let here = line.by.clone();
        let index = self.inventory.len();
        mark(&mut self.inventory, &correcting, &here);
        self.note_batch(&here, &mba, &line.batch, line.category, &line.form);
        if let Some(r) = &line.line {
            self.line_refs
                .insert((mba.clone(), r.clone()), event.id.clone());
        }
        self.by_event
            .insert(event.id.clone(), LineIndex::Inventory(index));
        self.pits
            .entry((mba.clone(), pit_date))
            .or_insert_with(|| PitState {
                pit: Pit {
                    mba: mba.clone(),
                    pit_date,
                    closed_by: None,
                    declared_line_count: None,
                },
                lines: Vec::new(),
            })
            .lines
            .push(index);
        self.inventory.push(line);
        Ok(())
    }

    fn apply_measurement(
        &mut self,
        leaf: LeafIndex,
        event: &Event,
        p: &Measurement,
    ) -> Result<(), AccountsError> {
        check_payload(event)?;
        let mba = self.known_mba(event, "payload.mba", &p.mba)?;
        let kmp = KmpCode::parse(&p.kmp).map_err(|e| AccountsError::Unknown {
            event: event.id.clone(),
            field: "payload.kmp".into(),
            what: format!("KMP of MBA {}", mba.mba),
            found: p.kmp.clone(),
            expected: e.expected.to_string(),
        })?;
        self.check_kmp(event, mba, &kmp, None)?;
        let mba = mba.mba.clone();
        let batch_known = self.batches.contains_key(&(mba.clone(), p.batch.clone()));
        self.measurements.push(MeasurementRecord {
            by: EventRef::of(leaf, event),
            mba,
            kmp,
            batch: p.batch.clone(),
            element: p.element,
            element_grams: p.element_grams,
            rsd_random: p.rsd_random,
            rsd_systematic: p.rsd_systematic,
            batch_known,
        });
        Ok(())
    }

    fn apply_taking(
        &mut self,
        leaf: LeafIndex,
        event: &Event,
        p: &InventoryTaking,
    ) -> Result<(), AccountsError> {
        check_payload(event)?;
        let mba = self
            .known_mba(event, "payload.mba", p.mba.as_str())?
            .mba
            .clone();
        if let Some(by) = self
            .pit(&mba, p.pit_date)
            .and_then(|pit| pit.closed_by.as_ref())
        {
            return Err(AccountsError::Duplicate {
                event: event.id.clone(),
                field: "payload.pit_date".into(),
                what: "closed physical inventory taking",
                id: format!("{} of MBA {mba}", p.pit_date),
                by: by.event.clone(),
            });
        }
        if let Some(latest) = self.latest_closed_pit(&mba) {
            if p.pit_date <= latest {
                return Err(AccountsError::Contradiction {
                    event: event.id.clone(),
                    field: "payload.pit_date".into(),
                    expected: format!("a date after MBA {mba}'s latest closed taking {latest} (takings close in date order)"),
                    found: p.pit_date.to_string(),
                });
            }
        }
        let found = self.inventory_listing(&mba, p.pit_date).len();
        let found = u32::try_from(found).unwrap_or(u32::MAX);
        if found != p.line_count {
            return Err(AccountsError::LineCount {
                event: event.id.clone(),
                mba,
                pit_date: p.pit_date,
                declared: p.line_count,
                found,
            });
        }
        let state = self
            .pits
            .entry((mba.clone(), p.pit_date))
            .or_insert_with(|| PitState {
                pit: Pit {
                    mba: mba.clone(),
                    pit_date: p.pit_date,
                    closed_by: None,
                    declared_line_count: None,
                },
                lines: Vec::new(),
            });
        state.pit.closed_by = Some(EventRef::of(leaf, event));
        state.pit.declared_line_count = Some(p.line_count);
        Ok(())
    }

    fn note_batch(
        &mut self,
        here: &EventRef,
        mba: &MbaCode,
        batch: &str,
        category: MaterialCategory,
        form: &Option<String>,
    ) {
        let entry = self
            .batches
            .entry((mba.clone(), batch.to_owned()))
            .or_insert_with(|| BatchInfo {
                mba: mba.clone(),
                batch: batch.to_owned(),
                first: here.clone(),
                categories: BTreeSet::new(),
                form: None,
                lines: 0,
            });
        entry.categories.insert(category);
        if form.is_some() {
            entry.form.clone_from(form);
        }
        entry.lines += 1;
    }
}

fn kind_name(kind: KmpKind) -> &'static str {
    match kind {
        KmpKind::Inventory => "inventory",
        KmpKind::Flow => "flow",
    }
}

fn invalid(event: &Event, e: FieldError) -> AccountsError {
    let e = e.within("payload");
    AccountsError::Invalid {
        event: event.id.clone(),
        field: e.field,
        message: e.message,
    }
}

/// Re-runs the core's checks: an event built in code never went through the
/// parser (STYLE §5, "pair the assertions").
fn check_payload(event: &Event) -> Result<(), AccountsError> {
    event.payload.check().map_err(|e| invalid(event, e))
}

fn line_quantity(
    element_grams: f64,
    isotope: Option<Isotope>,
    isotope_grams: Option<f64>,
) -> Quantity {
    // The core has checked both weights (three decimals, finite, non-negative).
    let grams = |g: f64| Grams::from_line(g).unwrap_or_default();
    Quantity::of_line(
        grams(element_grams),
        isotope.zip(isotope_grams).map(|(i, g)| (i, grams(g))),
    )
}

fn show<T: fmt::Debug>(value: &Option<T>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "none".into(),
    }
}

/// The first member in which a `D` line differs from the line it deletes.
fn change_difference(old: &ChangeLine, new: &ChangeLine) -> Option<(&'static str, String, String)> {
    let pairs: [(&'static str, String, String); 11] = [
        (
            "batch",
            format!("{:?}", old.batch),
            format!("{:?}", new.batch),
        ),
        ("code", old.code.to_string(), new.code.to_string()),
        (
            "element",
            format!("{:?}", old.element),
            format!("{:?}", new.element),
        ),
        (
            "material_category",
            old.category.to_string(),
            new.category.to_string(),
        ),
        (
            "element_grams",
            old.quantity.element_grams.to_string(),
            new.quantity.element_grams.to_string(),
        ),
        (
            "isotope_grams",
            old.quantity.fissile_grams().to_string(),
            new.quantity.fissile_grams().to_string(),
        ),
        ("isotope", show(&old.isotope), show(&new.isotope)),
        ("direction", show(&old.direction), show(&new.direction)),
        (
            "previous_category",
            show(&old.previous_category),
            show(&new.previous_category),
        ),
        (
            "counterpart_mba",
            show(&old.counterpart.as_ref().map(|c| c.to_string())),
            show(&new.counterpart.as_ref().map(|c| c.to_string())),
        ),
        (
            "previous_batch",
            show(&old.previous_batch),
            show(&new.previous_batch),
        ),
    ];
    pairs.into_iter().find(|(_, a, b)| a != b)
}

/// The first member in which a `D` line differs from the inventory line it deletes.
fn inventory_difference(
    old: &InventoryLine,
    new: &InventoryLine,
) -> Option<(&'static str, String, String)> {
    let pairs: [(&'static str, String, String); 6] = [
        (
            "batch",
            format!("{:?}", old.batch),
            format!("{:?}", new.batch),
        ),
        (
            "element",
            format!("{:?}", old.element),
            format!("{:?}", new.element),
        ),
        (
            "material_category",
            old.category.to_string(),
            new.category.to_string(),
        ),
        (
            "element_grams",
            old.quantity.element_grams.to_string(),
            new.quantity.element_grams.to_string(),
        ),
        (
            "isotope_grams",
            old.quantity.fissile_grams().to_string(),
            new.quantity.fissile_grams().to_string(),
        ),
        ("isotope", show(&old.isotope), show(&new.isotope)),
    ];
    pairs.into_iter().find(|(_, a, b)| a != b)
}

/// A share of a significant quantity: how much of one SQ material an amount
/// holds (accountancy.md §6 \[V], NSSPI mirroring the IAEA Safeguards Glossary).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SignificantQuantityShare {
    /// The SQ material.
    pub material: Material,
    /// What the SQ counts (`kg Pu`, `kg U-235`, ...).
    pub counted_as: &'static str,
    /// The weight counted.
    pub grams: Grams,
    /// One significant quantity, kg.
    pub significant_quantity_kg: f64,
    /// `grams` / SQ (negative for a negative amount, e.g. a MUF showing a gain).
    pub fraction: f64,
}

/// The significant-quantity shares of an amount of one category:
/// Pu 8 kg Pu; HEU 25 kg U-235; LEU 75 kg U-235; natural U 10 t U and
/// depleted U 20 t U (the element, since fissile weight is reported only for
/// enriched uranium, labelled-format.md §2.3); Th 20 t Th; and any U-233 in
/// a uranium category 8 kg U-233.
pub fn significant_quantities(
    category: MaterialCategory,
    quantity: &Quantity,
) -> Vec<SignificantQuantityShare> {
    let share = |material: Material, grams: Grams| {
        let sq = significant_quantity(material);
        SignificantQuantityShare {
            material,
            counted_as: sq.counted_as,
            grams,
            significant_quantity_kg: sq.quantity_kg,
            fraction: grams.as_f64() / (sq.quantity_kg * 1000.0),
        }
    };
    let mut out = match category {
        MaterialCategory::Pu => vec![share(Material::Plutonium, quantity.element_grams)],
        MaterialCategory::Heu => vec![share(Material::HighEnrichedUranium, quantity.u235_grams)],
        MaterialCategory::Leu => vec![share(Material::LowEnrichedUranium, quantity.u235_grams)],
        MaterialCategory::Natural => vec![share(Material::NaturalUranium, quantity.element_grams)],
        MaterialCategory::Depleted => {
            vec![share(Material::DepletedUranium, quantity.element_grams)]
        }
        MaterialCategory::Th => vec![share(Material::Thorium, quantity.element_grams)],
    };
    if category.element() == Element::U && quantity.u233_grams != Grams::ZERO {
        out.push(share(Material::Uranium233, quantity.u233_grams));
    }
    out
}

/// The sum of the shares' fractions: the amount in significant quantities.
pub fn significant_quantity_total(shares: &[SignificantQuantityShare]) -> f64 {
    shares.iter().map(|s| s.fraction).sum()
}

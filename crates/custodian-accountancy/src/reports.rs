//! Accounting reports generated from the [`Accounts`], per MBA and period
//! (issue 6, point 2): the Inventory Change Report (ICR), the Physical
//! Inventory Listing (PIL) and the Material Balance Report (MBR) of
//! Regulation (Euratom) 302/2005 Annexes III, V and IV (the UK's S.I.
//! 2019/196 Schedule 1 Parts 2–4 have the same fields), as typed values.
//!
//! Each report carries the checkpoint it was generated at ([`Binding`]): the
//! log's origin, tree size, root hash and the signed note itself, so anyone
//! can verify the note, prove the report's events included under that root
//! and regenerate the report from the same leaves. The labelled-format byte
//! syntax and the per-line CRC are not public (labelled-format.md §0 items
//! 2–3); these structs hold the fields, by the regulation's names and codes.
//!
//! Which lines go where (FORMATS.md §3.1 states each rule):
//! - an ICR lists every inventory change line whose *accounting date* (the
//!   event's date) falls in the period, in log order: corrections are new
//!   lines in the report of the period they were entered in, and a line
//!   deleted later stays in the report it was made in (with `deleted_by`);
//! - a PIL lists the lines in effect of one physical inventory taking;
//! - an MBR covers one balance period, from the day after a closed taking to
//!   the next closed taking, and counts the lines in effect by *balance date*
//!   ([`crate::accounts`] module doc): a deleted line is out, an `A` line
//!   counts where the line it replaces did, an `L` line in the period of its
//!   original date. `RB`, `MF` (302/2005 Annex IV note 10) and obligation
//!   changes (which move no material between categories; balances here are
//!   per category, not per obligation) have no MBR line.

use crate::accounts::{
    significant_quantities, significant_quantity_total, Accounts, ChangeLine, Grams, Quantity,
    SignificantQuantityShare,
};
use custodian_core::event::{
    ChangeCode, ChangeEffect, CorrectionCode, Counterpart, Direction, Element, FacilityId, KmpCode,
    MaterialCategory, MbaCode,
};
use custodian_core::{Date, EventId, LeafIndex, TreeSize};
use custodian_ledger::checkpoint::Checkpoint;
use custodian_ledger::note::Note;
use custodian_ledger::Hash;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The MUF sign conventions an MBR states, word for word in its output.
pub const SIGN_CONVENTION: &str = "muf = ending book inventory (BA) - ending physical inventory (PE): positive means material missing (shared/reference/accountancy.md §1); mf = PE - BA, the MF line of Regulation (Euratom) 302/2005 Annex IV note 10: negative means material missing";

/// Why a report could not be generated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The signed note does not hold the checkpoint given.
    #[error("checkpoint: {0}")]
    Binding(String),
    /// The period ends before it starts.
    #[error("period: expected a start on or before the end, found {start} after {end}")]
    Period {
        /// Its first day.
        start: Date,
        /// Its last day.
        end: Date,
    },
    /// The accounts hold events from after the checkpoint.
    #[error("the accounts include leaf {leaf}, beyond the checkpoint's tree size {tree_size}; expected accounts replayed up to the checkpoint")]
    BeyondCheckpoint {
        /// The highest leaf applied.
        leaf: LeafIndex,
        /// The checkpoint's size.
        tree_size: TreeSize,
    },
    /// The MBA is not registered.
    #[error("unknown MBA {0}; expected an MBA registered by mba.register")]
    UnknownMba(MbaCode),
    /// There is no physical inventory taking where the report needs one.
    #[error("MBA {mba}: no physical inventory taking at {date}; expected {expected}")]
    NoTaking {
        /// The MBA.
        mba: MbaCode,
        /// The date.
        date: Date,
        /// What the report needs.
        expected: String,
    },
    /// A balance needs a closed taking.
    #[error("MBA {mba}: the physical inventory taking at {date} is not closed; expected a material.inventory_taking event declaring its line count")]
    TakingOpen {
        /// The MBA.
        mba: MbaCode,
        /// The date.
        date: Date,
    },
    /// A balance period spans a taking.
    #[error("MBA {mba}: a physical inventory taking at {date} lies inside the period {start} to {end}; expected a period from the day after one taking to the next")]
    TakingInsidePeriod {
        /// The MBA.
        mba: MbaCode,
        /// The taking inside.
        date: Date,
        /// The period's first day.
        start: Date,
        /// The period's last day.
        end: Date,
    },
}

/// The signed checkpoint a report was generated at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// The log's origin (checkpoint line 1).
    pub origin: String,
    /// The tree size: the report covers leaves `0 .. tree_size`.
    pub tree_size: TreeSize,
    /// The RFC 9162 root hash, standard base64 (checkpoint line 3).
    pub root_hash: String,
    /// The C2SP signed note of the checkpoint, as published.
    pub checkpoint: String,
}

impl Binding {
    /// Binds to the checkpoint `origin`, `tree_size`, `root`, whose signed
    /// note is `signed_note`: the note's text must be that checkpoint. The
    /// signature is not verified here (the verifier key is the caller's:
    /// `custodian_ledger::checkpoint::verify_checkpoint`).
    pub fn new(
        origin: &str,
        tree_size: TreeSize,
        root: Hash,
        signed_note: &str,
    ) -> Result<Binding, ReportError> {
        let note =
            Note::parse(signed_note.as_bytes()).map_err(|e| ReportError::Binding(e.to_string()))?;
        let checkpoint =
            Checkpoint::parse_body(note.text()).map_err(|e| ReportError::Binding(e.to_string()))?;
        let mismatch = |what: &str, expected: String, found: String| {
            ReportError::Binding(format!(
                "the signed note's {what} is {found}; expected {expected}"
            ))
        };
        if checkpoint.origin() != origin {
            return Err(mismatch(
                "origin",
                origin.into(),
                checkpoint.origin().into(),
            ));
        }
        if checkpoint.size() != tree_size {
            return Err(mismatch(
                "tree size",
                tree_size.to_string(),
                checkpoint.size().to_string(),
            ));
        }
        if checkpoint.root() != root {
            return Err(mismatch(
                "root hash",
                root.to_base64(),
                checkpoint.root().to_base64(),
            ));
        }
        Ok(Binding {
            origin: origin.to_owned(),
            tree_size,
            root_hash: root.to_base64(),
            checkpoint: signed_note.to_owned(),
        })
    }

    /// Binds to a checkpoint already parsed (or verified) and its signed note.
    pub fn from_checkpoint(
        checkpoint: &Checkpoint,
        signed_note: &str,
    ) -> Result<Binding, ReportError> {
        Binding::new(
            checkpoint.origin(),
            checkpoint.size(),
            checkpoint.root(),
            signed_note,
        )
    }

    fn check(&self, accounts: &Accounts) -> Result<(), ReportError> {
        match accounts.last_leaf() {
            Some(leaf) if leaf.0 >= self.tree_size.0 => Err(ReportError::BeyondCheckpoint {
                leaf,
                tree_size: self.tree_size,
            }),
            _ => Ok(()),
        }
    }
}

/// A reporting period: `start` to `end`, both days included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The first day.
    pub start: Date,
    /// The last day.
    pub end: Date,
}

impl Period {
    /// A period; the start must not be after the end.
    pub fn new(start: Date, end: Date) -> Result<Period, ReportError> {
        if start > end {
            return Err(ReportError::Period { start, end });
        }
        Ok(Period { start, end })
    }

    /// Whether `date` is in the period.
    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }
}

/// One line of an ICR: the fields of 302/2005 Annex III that the ledger
/// holds, by their labels, with the event that recorded the line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IcrLine {
    /// Field 22, "Line number": 1, 2, … in the report.
    pub line_number: u32,
    /// The event that recorded the line.
    pub event: EventId,
    /// The leaf that holds it.
    pub leaf: LeafIndex,
    /// The operator's reference.
    pub line: Option<String>,
    /// Field 10, "IC code".
    pub code: ChangeCode,
    /// Field 11, "Batch".
    pub batch: String,
    /// Field 12, "KMP".
    pub kmp: Option<KmpCode>,
    /// Field 13, "Measurement" (code letter).
    pub measurement: Option<char>,
    /// Field 14, "Material form".
    pub material_form: Option<String>,
    /// Field 17, "MBA from" (receipts): the code, without `EXT:`.
    pub mba_from: Option<String>,
    /// Field 18, "MBA to" (shipments): the code, without `EXT:`.
    pub mba_to: Option<String>,
    /// Whether the counterpart is outside this ledger (`EXT:`).
    pub counterpart_external: bool,
    /// Field 19, "Previous batch" (`RB`).
    pub previous_batch: Option<String>,
    /// Field 20, "Original date" (corrections, late lines, `MF`).
    pub original_date: Option<Date>,
    /// Field 21, "PIT date" (`MF`).
    pub pit_date: Option<Date>,
    /// Field 23, "Accounting date".
    pub accounting_date: Date,
    /// Field 24, "Items".
    pub items: Option<u32>,
    /// The element.
    pub element: Element,
    /// The category.
    pub category: MaterialCategory,
    /// Field 25, "Element category" (code letter).
    pub element_category: char,
    /// Field 26, "Element weight".
    pub element_grams: Grams,
    /// Field 27, "Isotope" (`G` U-235, `K` U-233).
    pub isotope: Option<char>,
    /// Field 28, "Fissile weight".
    pub fissile_grams: Option<Grams>,
    /// Field 30, "Obligation".
    pub obligation: Option<String>,
    /// Field 31, "Previous category" (code letter).
    pub previous_category: Option<char>,
    /// Field 32, "Previous obligation".
    pub previous_obligation: Option<String>,
    /// The direction of a signed code.
    pub direction: Option<Direction>,
    /// Field 37, "Correction" (`D`, `A`, `L`).
    pub correction: Option<char>,
    /// The line a `D` or `A` corrects (in place of fields 38, 39 and 43).
    pub corrects: Option<EventId>,
    /// The `D` line that later deleted this line, if any.
    pub deleted_by: Option<EventId>,
    /// The `A` line that later replaced it, if any.
    pub replaced_by: Option<EventId>,
}

/// An ICR's totals for one category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IcrTotals {
    /// The element.
    pub element: Element,
    /// The category.
    pub category: MaterialCategory,
    /// Its code letter.
    pub element_category: char,
    /// The increases the report's lines make (a `D` line takes back what the
    /// line it deletes had added).
    pub increases: Quantity,
    /// The decreases (likewise).
    pub decreases: Quantity,
    /// `increases - decreases`.
    pub net: Quantity,
    /// The book inventory at the end of the period, as the ledger knows it
    /// at the checkpoint (the `BA` code of 302/2005 Annex III note 10).
    pub ending_book_inventory: Quantity,
}

/// An Inventory Change Report (302/2005 Annex III; report type `I`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InventoryChangeReport {
    /// Field 2, "Report type": `I`.
    pub report_type: char,
    /// The checkpoint.
    pub binding: Binding,
    /// Field 1, "MBA".
    pub mba: MbaCode,
    /// The MBA's facility.
    pub facility: FacilityId,
    /// Fields 6 and 7, "Start report" and "End report".
    pub period: Period,
    /// Field 5, "Line count".
    pub line_count: u32,
    /// The lines, in log order.
    pub lines: Vec<IcrLine>,
    /// Totals per category, in order of strategic value.
    pub totals: Vec<IcrTotals>,
}

/// One line of a PIL (302/2005 Annex V).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PilLine {
    /// Field 16, "Line number".
    pub line_number: u32,
    /// The event that recorded the line.
    pub event: EventId,
    /// The leaf that holds it.
    pub leaf: LeafIndex,
    /// The operator's reference.
    pub line: Option<String>,
    /// Field 9, "Batch".
    pub batch: String,
    /// Field 10, "KMP".
    pub kmp: Option<KmpCode>,
    /// Field 11, "Measurement".
    pub measurement: Option<char>,
    /// The element.
    pub element: Element,
    /// The category.
    pub category: MaterialCategory,
    /// Field 12, "Element category".
    pub element_category: char,
    /// Field 13, "Material form".
    pub material_form: Option<String>,
    /// Field 17, "Items".
    pub items: Option<u32>,
    /// Field 18, "Element weight".
    pub element_grams: Grams,
    /// Field 19, "Isotope".
    pub isotope: Option<char>,
    /// Field 20, "Fissile weight".
    pub fissile_grams: Option<Grams>,
    /// Field 21, "Obligation".
    pub obligation: Option<String>,
    /// Field 24, "Correction" (`A` or `L`; deleted lines are not listed).
    pub correction: Option<char>,
    /// The line an `A` replaces.
    pub corrects: Option<EventId>,
}

/// A PIL's totals for one category, with its significant quantities.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PilTotals {
    /// The element.
    pub element: Element,
    /// The category.
    pub category: MaterialCategory,
    /// Its code letter.
    pub element_category: char,
    /// The sum of the lines.
    pub quantity: Quantity,
    /// The amount in significant quantities, per SQ material.
    pub significant_quantities: Vec<SignificantQuantityShare>,
    /// Their sum.
    pub significant_quantity_total: f64,
}

/// A Physical Inventory Listing (302/2005 Annex V; report type `P`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhysicalInventoryListing {
    /// Field 2, "Report type": `P`.
    pub report_type: char,
    /// The checkpoint.
    pub binding: Binding,
    /// Field 1, "MBA".
    pub mba: MbaCode,
    /// The MBA's facility.
    pub facility: FacilityId,
    /// Field 5, "PIT date".
    pub pit_date: Date,
    /// Whether a `material.inventory_taking` closed the taking.
    pub closed: bool,
    /// The line count it declared.
    pub declared_line_count: Option<u32>,
    /// Field 6, "Line count": the lines in effect.
    pub line_count: u32,
    /// The lines in effect, in log order.
    pub lines: Vec<PilLine>,
    /// Totals per category.
    pub totals: Vec<PilTotals>,
}

/// What an MBR line is (302/2005 Annex IV note 10, in that order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MbrLineKind {
    /// `PB`: the physical inventory at the beginning of the period.
    BeginningPhysicalInventory,
    /// A consolidated increase.
    Increase,
    /// A consolidated decrease.
    Decrease,
    /// `BA`: `PB` + increases − decreases.
    EndingBookInventory,
    /// `PE`: the physical inventory at the end of the period.
    EndingPhysicalInventory,
    /// `MF`: `PE − BA`.
    MaterialUnaccountedFor,
}

/// One line of an MBR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MbrLine {
    /// Field 11, "Line number".
    pub line_number: u32,
    /// Field 10, "IC code": `PB`, an inventory change code, `BA`, `PE` or `MF`.
    pub code: &'static str,
    /// What the line is.
    pub kind: MbrLineKind,
    /// Fields 12–14: the weights (for increases and decreases, the amount
    /// added or taken; for `MF`, `PE − BA`, signed).
    pub quantity: Quantity,
    /// The events the line consolidates (change lines) or lists (`PB`, `PE`).
    pub events: Vec<EventId>,
}

/// The material balance of one category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryBalance {
    /// The element.
    pub element: Element,
    /// The category.
    pub category: MaterialCategory,
    /// Field 7, "Element category".
    pub element_category: char,
    /// Field 8, "Line count".
    pub line_count: u32,
    /// The lines: PB, increases, decreases, BA, PE, MF.
    pub lines: Vec<MbrLine>,
    /// `PB`.
    pub beginning_physical_inventory: Quantity,
    /// The sum of the increases.
    pub increases: Quantity,
    /// The sum of the decreases.
    pub decreases: Quantity,
    /// `BA`.
    pub ending_book_inventory: Quantity,
    /// `PE`.
    pub ending_physical_inventory: Quantity,
    /// MUF = BA − PE (positive: material missing; accountancy.md §1).
    pub muf: Quantity,
    /// MF = PE − BA (the report line's convention).
    pub mf: Quantity,
    /// The MUF in significant quantities.
    pub muf_significant_quantities: Vec<SignificantQuantityShare>,
    /// Their sum.
    pub muf_significant_quantity_total: f64,
}

/// A Material Balance Report (302/2005 Annex IV; report type `M`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MaterialBalanceReport {
    /// Field 2, "Report type": `M`.
    pub report_type: char,
    /// The checkpoint.
    pub binding: Binding,
    /// Field 1, "MBA".
    pub mba: MbaCode,
    /// The MBA's facility.
    pub facility: FacilityId,
    /// Fields 4 and 5: the day after the beginning taking, and the ending taking.
    pub period: Period,
    /// The beginning taking (`None`: the MBA's first balance, from empty).
    pub beginning_pit: Option<Date>,
    /// [`SIGN_CONVENTION`].
    pub sign_convention: &'static str,
    /// One balance per category, in order of strategic value (302/2005
    /// Art. 18(2)(b): separate balances per category).
    pub balances: Vec<CategoryBalance>,
}

fn facility_of(accounts: &Accounts, mba: &MbaCode) -> Result<FacilityId, ReportError> {
    accounts
        .mba(mba)
        .map(|m| m.facility.clone())
        .ok_or_else(|| ReportError::UnknownMba(mba.clone()))
}

fn icr_line(line_number: u32, l: &ChangeLine) -> IcrLine {
    let (mba_from, mba_to) = match (&l.counterpart, l.code.effect()) {
        (Some(c), ChangeEffect::Increase) => (Some(c.code().to_owned()), None),
        (Some(c), _) => (None, Some(c.code().to_owned())),
        (None, _) => (None, None),
    };
    IcrLine {
        line_number,
        event: l.by.event.clone(),
        leaf: l.by.leaf,
        line: l.line.clone(),
        code: l.code,
        batch: l.batch.clone(),
        kmp: l.kmp.clone(),
        measurement: l.measurement_basis.map(|m| m.code()),
        material_form: l.form.clone(),
        mba_from,
        mba_to,
        counterpart_external: matches!(l.counterpart, Some(Counterpart::External(_))),
        previous_batch: l.previous_batch.clone(),
        original_date: l.original_date,
        pit_date: l.pit_date,
        accounting_date: l.accounting_date,
        items: l.items,
        element: l.element,
        category: l.category,
        element_category: l.category.code(),
        element_grams: l.quantity.element_grams,
        isotope: l.isotope.map(|i| i.code()),
        fissile_grams: l.isotope.map(|_| l.quantity.fissile_grams()),
        obligation: l.obligation.clone(),
        previous_category: l.previous_category.map(|c| c.code()),
        previous_obligation: l.previous_obligation.clone(),
        direction: l.direction,
        correction: l.correction.map(|c| c.code()),
        corrects: l.corrects.clone(),
        deleted_by: l.deleted_by.as_ref().map(|r| r.event.clone()),
        replaced_by: l.replaced_by.as_ref().map(|r| r.event.clone()),
    }
}

/// The ICR of `mba` for `period`: every inventory change line entered in it.
pub fn inventory_change_report(
    accounts: &Accounts,
    binding: &Binding,
    mba: &MbaCode,
    period: Period,
) -> Result<InventoryChangeReport, ReportError> {
    binding.check(accounts)?;
    let facility = facility_of(accounts, mba)?;
    let mut lines = Vec::new();
    let mut moved: BTreeMap<MaterialCategory, (Quantity, Quantity)> = BTreeMap::new();
    for l in accounts.change_lines(mba) {
        if !period.contains(l.accounting_date) {
            continue;
        }
        lines.push(icr_line(lines.len() as u32 + 1, l));
        let sign = if l.correction == Some(CorrectionCode::Delete) {
            -1
        } else {
            1
        };
        for e in l.effects() {
            let q = if sign < 0 { -e.quantity } else { e.quantity };
            let entry = moved.entry(e.category).or_default();
            match e.direction {
                Direction::Increase => entry.0 += q,
                Direction::Decrease => entry.1 += q,
            }
        }
    }
    let book = accounts.book_inventory(mba, period.end);
    let categories: BTreeSet<MaterialCategory> = moved.keys().chain(book.keys()).copied().collect();
    let totals = categories
        .into_iter()
        .map(|category| {
            let (increases, decreases) = moved.get(&category).copied().unwrap_or_default();
            IcrTotals {
                element: category.element(),
                category,
                element_category: category.code(),
                increases,
                decreases,
                net: increases - decreases,
                ending_book_inventory: book.get(&category).copied().unwrap_or_default(),
            }
        })
        .collect();
    Ok(InventoryChangeReport {
        report_type: 'I',
        binding: binding.clone(),
        mba: mba.clone(),
        facility,
        period,
        line_count: lines.len() as u32,
        lines,
        totals,
    })
}

/// The PIL of `mba` at `pit_date`: the lines in effect of that taking.
pub fn physical_inventory_listing(
    accounts: &Accounts,
    binding: &Binding,
    mba: &MbaCode,
    pit_date: Date,
) -> Result<PhysicalInventoryListing, ReportError> {
    binding.check(accounts)?;
    let facility = facility_of(accounts, mba)?;
    let pit = accounts
        .pit(mba, pit_date)
        .ok_or_else(|| ReportError::NoTaking {
            mba: mba.clone(),
            date: pit_date,
            expected: "a date with physical inventory lines or a material.inventory_taking".into(),
        })?;
    let listing = accounts.inventory_listing(mba, pit_date);
    let lines: Vec<PilLine> = listing
        .iter()
        .enumerate()
        .map(|(i, l)| PilLine {
            line_number: i as u32 + 1,
            event: l.by.event.clone(),
            leaf: l.by.leaf,
            line: l.line.clone(),
            batch: l.batch.clone(),
            kmp: l.kmp.clone(),
            measurement: l.measurement_basis.map(|m| m.code()),
            element: l.element,
            category: l.category,
            element_category: l.category.code(),
            material_form: l.form.clone(),
            items: l.items,
            element_grams: l.quantity.element_grams,
            isotope: l.isotope.map(|i| i.code()),
            fissile_grams: l.isotope.map(|_| l.quantity.fissile_grams()),
            obligation: l.obligation.clone(),
            correction: l.correction.map(|c| c.code()),
            corrects: l.corrects.clone(),
        })
        .collect();
    let totals = accounts
        .physical_inventory(mba, pit_date)
        .into_iter()
        .map(|(category, quantity)| {
            let shares = significant_quantities(category, &quantity);
            PilTotals {
                element: category.element(),
                category,
                element_category: category.code(),
                quantity,
                significant_quantity_total: significant_quantity_total(&shares),
                significant_quantities: shares,
            }
        })
        .collect();
    Ok(PhysicalInventoryListing {
        report_type: 'P',
        binding: binding.clone(),
        mba: mba.clone(),
        facility,
        pit_date,
        closed: pit.closed_by.is_some(),
        declared_line_count: pit.declared_line_count,
        line_count: lines.len() as u32,
        lines,
        totals,
    })
}

/// Consolidated change lines of one category: per code, the net book change
/// and the events.
type Consolidated = BTreeMap<ChangeCode, (Quantity, Vec<EventId>)>;

/// The MBR of `mba` for the balance period `period`: `period.start` is the
/// day after the beginning taking (or the MBA's first balance, when it had
/// no taking and no line before), `period.end` the date of the ending taking.
/// Both takings must be closed, and none may lie inside the period.
pub fn material_balance_report(
    accounts: &Accounts,
    binding: &Binding,
    mba: &MbaCode,
    period: Period,
) -> Result<MaterialBalanceReport, ReportError> {
    binding.check(accounts)?;
    let unbound = material_balances(accounts, mba, period)?;
    Ok(MaterialBalanceReport {
        report_type: 'M',
        binding: binding.clone(),
        mba: mba.clone(),
        facility: unbound.facility,
        period,
        beginning_pit: unbound.beginning_pit,
        sign_convention: SIGN_CONVENTION,
        balances: unbound.balances,
    })
}

/// The balances of an MBR without its checkpoint: what
/// [`material_balance_report`] binds, and what a labelled MBR is checked
/// against (the labelled format carries no checkpoint).
#[derive(Clone, Debug, PartialEq)]
pub struct MaterialBalances {
    /// The MBA's facility.
    pub facility: FacilityId,
    /// The beginning taking (`None`: the MBA's first balance, from empty).
    pub beginning_pit: Option<Date>,
    /// One balance per category, in order of strategic value.
    pub balances: Vec<CategoryBalance>,
}

/// The balances of `mba` for `period` by the rules of
/// [`material_balance_report`], unbound.
pub fn material_balances(
    accounts: &Accounts,
    mba: &MbaCode,
    period: Period,
) -> Result<MaterialBalances, ReportError> {
    let facility = facility_of(accounts, mba)?;
    let end = accounts
        .pit(mba, period.end)
        .ok_or_else(|| ReportError::NoTaking {
            mba: mba.clone(),
            date: period.end,
            expected: "the ending physical inventory taking on the period's last day".into(),
        })?;
    if end.closed_by.is_none() {
        return Err(ReportError::TakingOpen {
            mba: mba.clone(),
            date: period.end,
        });
    }
    if let Some(inside) = accounts
        .pits(mba)
        .map(|p| p.pit_date)
        .find(|d| period.start <= *d && *d < period.end)
    {
        return Err(ReportError::TakingInsidePeriod {
            mba: mba.clone(),
            date: inside,
            start: period.start,
            end: period.end,
        });
    }
    let before = period.start.plus_days(-1);
    let beginning_pit = match accounts.pit(mba, before) {
        Some(pit) if pit.closed_by.is_some() => Some(before),
        Some(_) => {
            return Err(ReportError::TakingOpen {
                mba: mba.clone(),
                date: before,
            })
        }
        None => {
            let earlier_taking = accounts.pits(mba).any(|p| p.pit_date < before);
            let earlier_line = accounts
                .change_lines(mba)
                .any(|l| l.in_effect() && l.balance_date < period.start);
            if earlier_taking || earlier_line {
                return Err(ReportError::NoTaking {
                    mba: mba.clone(),
                    date: before,
                    expected: "a closed taking on the day before the period (the balance period starts the day after the previous taking)".into(),
                });
            }
            None
        }
    };
    let beginning = match beginning_pit {
        Some(d) => accounts.physical_inventory(mba, d),
        None => BTreeMap::new(),
    };
    let ending = accounts.physical_inventory(mba, period.end);

    let mut consolidated: BTreeMap<MaterialCategory, Consolidated> = BTreeMap::new();
    for l in accounts.change_lines(mba) {
        if !l.in_effect() || !period.contains(l.balance_date) || !l.code.allowed_in_balance_report()
        {
            continue;
        }
        for (category, change) in l.book_changes() {
            let entry = consolidated
                .entry(category)
                .or_default()
                .entry(l.code)
                .or_insert_with(|| (Quantity::ZERO, Vec::new()));
            entry.0 += change;
            entry.1.push(l.by.event.clone());
        }
    }

    let categories: BTreeSet<MaterialCategory> = beginning
        .keys()
        .chain(ending.keys())
        .chain(consolidated.keys())
        .copied()
        .collect();
    let mut balances = Vec::new();
    for category in categories {
        let pb = beginning.get(&category).copied().unwrap_or_default();
        let pe = ending.get(&category).copied().unwrap_or_default();
        let by_code = consolidated.remove(&category).unwrap_or_default();
        // The listing lines of this category, in log order.
        let in_category = |d: Option<Date>| -> Vec<EventId> {
            d.map(|d| {
                accounts
                    .inventory_listing(mba, d)
                    .into_iter()
                    .filter(|l| l.category == category)
                    .map(|l| l.by.event.clone())
                    .collect()
            })
            .unwrap_or_default()
        };
        let mut increases_lines = Vec::new();
        let mut decreases_lines = Vec::new();
        for code in ChangeCode::ALL {
            let Some((net, events)) = by_code.get(code) else {
                continue;
            };
            let increase = match code.effect() {
                ChangeEffect::Increase => true,
                ChangeEffect::Decrease => false,
                _ => {
                    net.element_grams > Grams::ZERO
                        || (net.element_grams == Grams::ZERO && net.fissile_grams() >= Grams::ZERO)
                }
            };
            if increase {
                increases_lines.push((code.as_str(), MbrLineKind::Increase, *net, events.clone()));
            } else {
                decreases_lines.push((code.as_str(), MbrLineKind::Decrease, -*net, events.clone()));
            }
        }
        let increases = increases_lines
            .iter()
            .fold(Quantity::ZERO, |sum, l| sum + l.2);
        let decreases = decreases_lines
            .iter()
            .fold(Quantity::ZERO, |sum, l| sum + l.2);
        let ba = pb + increases - decreases;
        let mf = pe - ba;
        let muf = ba - pe;
        let mut rows = vec![(
            "PB",
            MbrLineKind::BeginningPhysicalInventory,
            pb,
            in_category(beginning_pit),
        )];
        rows.extend(increases_lines);
        rows.extend(decreases_lines);
        rows.push(("BA", MbrLineKind::EndingBookInventory, ba, Vec::new()));
        rows.push((
            "PE",
            MbrLineKind::EndingPhysicalInventory,
            pe,
            in_category(Some(period.end)),
        ));
        rows.push(("MF", MbrLineKind::MaterialUnaccountedFor, mf, Vec::new()));
        let lines: Vec<MbrLine> = rows
            .into_iter()
            .enumerate()
            .map(|(i, (code, kind, quantity, events))| MbrLine {
                line_number: i as u32 + 1,
                code,
                kind,
                quantity,
                events,
            })
            .collect();
        let shares = significant_quantities(category, &muf);
        balances.push(CategoryBalance {
            element: category.element(),
            category,
            element_category: category.code(),
            line_count: lines.len() as u32,
            lines,
            beginning_physical_inventory: pb,
            increases,
            decreases,
            ending_book_inventory: ba,
            ending_physical_inventory: pe,
            muf,
            mf,
            muf_significant_quantity_total: significant_quantity_total(&shares),
            muf_significant_quantities: shares,
        });
    }
    Ok(MaterialBalances {
        facility,
        beginning_pit,
        balances,
    })
}

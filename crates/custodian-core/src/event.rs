//! The event model: a stable, versioned envelope around a typed payload.
//!
//! Every change Custodian records is an [`Event`]. Its JSON form (version 1) is
//!
//! ```json
//! {"v":1,"id":"ev-1","time":"2026-01-05T10:00:00Z","actor":"usa-dod-1",
//!  "kind":"item.depart","payload":{...},"approvals":[{"actor":"...","signature":"base64"}]}
//! ```
//!
//! and the bytes that are hashed and signed are its RFC 8785 canonical form
//! ([`crate::canonical`]); `docs/FORMATS.md` gives every field. New kinds may be
//! added without changing the version; a change to an existing kind's fields
//! bumps `v`.

use crate::canonical::CanonicalError;
use crate::encoding;
use crate::ids::{
    ActorId, DeclarationId, EventId, IdError, ItemId, Party, Role, SiteId, StateCode,
};
use crate::limits::{APPROVALS_PER_EVENT_MAX, TEXT_FIELD_BYTES_MAX};
use crate::time::{Date, UtcTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// The envelope version this code writes and reads.
pub const EVENT_VERSION: u32 = 1;

/// Domain-separation prefix of the bytes an approver signs (FORMATS.md, "Approvals").
pub const APPROVAL_CONTEXT: &[u8] = b"custodian/approval/v1\n";

/// An error in an event or submission, naming the JSON field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the field, e.g. `events[2].payload.to`.
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "field {}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for FieldError {}

impl FieldError {
    /// An error at `field` (`""` or `"."` for the value as a whole).
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        let field = field.into();
        FieldError {
            field: if field == "." { String::new() } else { field },
            message: message.into(),
        }
    }
    /// The same error, under a parent path (`events[2]` + `payload.to`).
    pub fn within(self, parent: &str) -> FieldError {
        let field = if self.field.is_empty() {
            parent.to_string()
        } else {
            format!("{parent}.{}", self.field)
        };
        FieldError { field, ..self }
    }
}

/// An Ed25519 public key (32 bytes; base64 in JSON).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; 32]);

/// An Ed25519 signature (64 bytes; base64 in JSON).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

macro_rules! base64_bytes {
    ($t:ident, $n:literal) => {
        impl $t {
            /// Parses standard padded base64 of exactly the right length.
            pub fn from_base64(text: &str) -> Result<$t, String> {
                let bytes = encoding::unbase64(text)
                    .map_err(|e| format!("expected base64 of {} bytes: {e}", $n))?;
                <[u8; $n]>::try_from(bytes.as_slice())
                    .map($t)
                    .map_err(|_| format!("expected {} bytes, found {}", $n, bytes.len()))
            }
            /// Standard padded base64.
            pub fn to_base64(&self) -> String {
                encoding::base64(&self.0)
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($t), self.to_base64())
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_base64())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $t::from_base64(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
base64_bytes!(PublicKey, 32);
base64_bytes!(Signature, 64);

/// A co-signature of an event by another actor, for the M-of-N rule: an Ed25519
/// signature over [`APPROVAL_CONTEXT`] followed by the canonical bytes of the event
/// without its `approvals` member ([`Event::approval_message`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The approving actor.
    pub actor: ActorId,
    /// Its signature.
    pub signature: Signature,
}

/// Status of a discrete item (DESIGN.md, "Item").
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Deployed with delivery forces.
    Deployed,
    /// In a stockpile, not deployed.
    Stockpiled,
    /// Retired, awaiting dismantlement.
    Retired,
    /// Dismantled.
    Dismantled,
}

/// A chemical element accounted as nuclear material.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum Element {
    /// Uranium.
    U,
    /// Plutonium.
    Pu,
    /// Thorium.
    Th,
}

/// Registers an actor with its key, role and party. Administrators only; the
/// log's first submission is an administrator registering itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorRegister {
    /// The new actor.
    pub actor: ActorId,
    /// What it may do.
    pub role: Role,
    /// Whom it acts for.
    pub party: Party,
    /// Its Ed25519 public key.
    pub public_key: PublicKey,
    /// A human-readable name or post, for people reading the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Replaces an actor's key. Later submissions must be signed with the new key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorRotateKey {
    /// The actor whose key changes.
    pub actor: ActorId,
    /// Its new Ed25519 public key.
    pub public_key: PublicKey,
}

/// Revokes an actor: it may sign and approve nothing after this event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorRevoke {
    /// The revoked actor.
    pub actor: ActorId,
    /// Why, for the record.
    pub reason: String,
    /// When the key is believed to have been compromised, if earlier than this
    /// event: approvals it gave on events stated at or after this time were
    /// accepted before the revocation was logged, and are raised as alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised_since: Option<UtcTime>,
}

/// Declares a site or facility in a state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRegister {
    /// The site's id.
    pub site: SiteId,
    /// Its name.
    pub name: String,
    /// The state whose territory it is on.
    pub state: StateCode,
    /// What it is: `air_base`, `storage`, `enrichment`, `fuel_fabrication`, ...
    pub site_type: String,
}

/// A new item enters the record (produced, or first declared).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemProduce {
    /// The item's id.
    pub item: ItemId,
    /// Its type, e.g. `B61-12`.
    pub item_type: String,
    /// Where it is.
    pub site: SiteId,
    /// The state that physically holds it.
    pub custodian: StateCode,
    /// The state that may authorise its use.
    pub controller: StateCode,
    /// Its status.
    pub status: ItemStatus,
}

/// An item leaves a site for another; it is in transit until it arrives, and must
/// arrive by `arrive_by_utc`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDepart {
    /// The item.
    pub item: ItemId,
    /// The site it leaves.
    pub from: SiteId,
    /// The site it is declared to go to.
    pub to: SiteId,
    /// The end of the declared route window.
    pub arrive_by_utc: UtcTime,
}

/// An item arrives at a site, ending its transit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemArrive {
    /// The item.
    pub item: ItemId,
    /// The site it arrived at.
    pub site: SiteId,
}

/// Physical custody of an item passes from one state to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyTransfer {
    /// The item.
    pub item: ItemId,
    /// The state that held it.
    pub from: StateCode,
    /// The state that holds it now.
    pub to: StateCode,
}

/// Control (authority to use) of an item passes from one state to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlTransfer {
    /// The item.
    pub item: ItemId,
    /// The state that controlled it.
    pub from: StateCode,
    /// The state that controls it now.
    pub to: StateCode,
    /// The condition stated for the transfer, e.g. "upon decision to go to war".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// True when the transfer is stated to take effect upon a decision to go to
    /// war: the circumstance the United States' 1968 "questions and answers" name
    /// as the point at which the NPT "would no longer be controlling". Written
    /// only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wartime: bool,
}

/// An item is dismantled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDismantle {
    /// The item.
    pub item: ItemId,
    /// Where it was dismantled.
    pub site: SiteId,
}

/// An item at a site in another state than its custodian's is deployed there
/// under a stated arrangement (e.g. "NATO nuclear sharing"). Its status becomes
/// `deployed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDeployAbroad {
    /// The item.
    pub item: ItemId,
    /// The site it is at.
    pub site: SiteId,
    /// The host state (the site's state).
    pub host: StateCode,
    /// The arrangement it is deployed under.
    pub arrangement: String,
}

/// An item is assigned to a delivery unit, possibly of another state (e.g. a
/// dual-capable aircraft squadron of the host state).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemAssign {
    /// The item.
    pub item: ItemId,
    /// The unit, as its state names it.
    pub unit: String,
    /// The state whose forces the unit belongs to.
    pub unit_state: StateCode,
    /// The delivery system, e.g. "dual-capable aircraft".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_system: Option<String>,
}

/// An exercise involving an item at a site (e.g. a certification exercise), with
/// the states whose forces took part. An exercise does not move the item: an
/// exercise at a site other than the item's is recorded and raised as an alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemExercise {
    /// The item.
    pub item: ItemId,
    /// Where.
    pub site: SiteId,
    /// The exercise's name.
    pub exercise: String,
    /// The states whose forces took part.
    pub participants: Vec<StateCode>,
}

/// An item is retired: it awaits dismantlement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRetire {
    /// The item.
    pub item: ItemId,
}

/// Which party a policy requirement draws its signers from, relative to the
/// event and the item it is about.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartySelector {
    /// The item's custodian state (before the event).
    Custodian,
    /// The item's controller state (before the event).
    Controller,
    /// The `from` state of a transfer.
    From,
    /// The `to` state of a transfer.
    To,
    /// The host state of a deployment abroad.
    Host,
    /// The state of the delivery unit of an assignment.
    UnitState,
    /// The state of the site the event names (a site registration's state).
    SiteState,
    /// The state a declaration is for (an escrow commitment's state).
    Declarant,
    /// Any party.
    Any,
}

/// At least `count` distinct signers (the submitter and its approvers) of `role`
/// acting for the party `party` selects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// How many distinct signers.
    pub count: u32,
    /// Their role.
    pub role: Role,
    /// Whom they act for.
    pub party: PartySelector,
}

/// The approvals one event kind needs: every requirement must hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// The event kind, e.g. `item.depart`.
    pub kind: String,
    /// What must hold.
    pub require: Vec<Requirement>,
}

/// Replaces the approval policy (the generalised two-person rule) from this
/// event on. Kinds the policy does not name need only their submitter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySet {
    /// One rule per event kind.
    pub rules: Vec<PolicyRule>,
}

/// An inventory change of nuclear material in a material balance area: one
/// line of an Inventory Change Report (Regulation (Euratom) 302/2005 Annex III;
/// UK S.I. 2019/196 Schedule 1 Part 2). Members after `counterpart_mba` are
/// optional additions under envelope version 1 (FORMATS.md §3.1, "Material
/// accounts"); [`Payload::check`] enforces which codes need or forbid which.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryChange {
    /// The material balance area (an [`MbaCode`]).
    pub mba: String,
    /// The batch.
    pub batch: String,
    /// The inventory change code, one of [`ChangeCode`] (`RD` receipt, `SD`
    /// shipment, `TE` measured discard to the environment, ...).
    pub code: String,
    /// The element.
    pub element: Element,
    /// Element weight, grams (at most three decimals).
    pub element_grams: f64,
    /// Fissile isotope weight (U-235 or U-233, see `isotope`), grams, where it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isotope_grams: Option<f64>,
    /// The other MBA of a receipt (`RD`, `RF`: the shipper) or shipment (`SD`,
    /// `SF`: the receiver): a registered [`MbaCode`] or `EXT:<code>` for an MBA
    /// or state outside this ledger ([`Counterpart`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterpart_mba: Option<String>,
    /// The operator's own reference for the line, unique in the MBA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The material category; when absent it is derived ([`InventoryChange::category`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_category: Option<MaterialCategory>,
    /// Which fissile isotope `isotope_grams` weighs (default U-235).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isotope: Option<Isotope>,
    /// The material form code (302/2005 Annex III note 14, [`MATERIAL_FORMS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// How the weights were obtained (302/2005 Annex III note 13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_basis: Option<MeasurementBasis>,
    /// The key measurement point (a flow KMP of the MBA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kmp: Option<KmpCode>,
    /// Number of items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<u32>,
    /// Whether the change increases or decreases the book: required for the
    /// signed codes (`DI`, `NM`, `BJ`, `MF`, `RA`, `R5`), refused for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// The category the material leaves (category changes `CE`, `CB`, `CC` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_category: Option<MaterialCategory>,
    /// The batch the material leaves (rebatching `RB` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_batch: Option<String>,
    /// The safeguards obligation code (the regulator's list; 1–5 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obligation: Option<String>,
    /// The obligation the material leaves (`BR`, `PR`, `SR`, `CR` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_obligation: Option<String>,
    /// The physical inventory taking an `MF` adjustment refers to (`MF` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pit_date: Option<Date>,
    /// A correction: `D` deletes the line `corrects` names, `A` replaces a
    /// deleted line, `L` is a late line (302/2005 Annex III note 37).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<CorrectionCode>,
    /// The line a `D` or `A` correction is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<LineReference>,
    /// The date a late (`L`) line's change occurred (`L` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_date: Option<Date>,
}

/// One line of a physical inventory taking: a line of a Physical Inventory
/// Listing (302/2005 Annex V). Members after `isotope_grams` are optional
/// additions under envelope version 1 (FORMATS.md §3.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhysicalInventory {
    /// The material balance area.
    pub mba: String,
    /// The batch.
    pub batch: String,
    /// The element.
    pub element: Element,
    /// Element weight, grams (at most three decimals).
    pub element_grams: f64,
    /// Fissile isotope weight, grams, where it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isotope_grams: Option<f64>,
    /// The date of the physical inventory taking the line belongs to; default:
    /// the date of the event's time (for `D` and `A` lines: the PIT of the line
    /// corrected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pit_date: Option<Date>,
    /// The operator's own reference for the line, unique in the MBA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The material category; when absent it is derived ([`PhysicalInventory::category`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_category: Option<MaterialCategory>,
    /// Which fissile isotope `isotope_grams` weighs (default U-235).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isotope: Option<Isotope>,
    /// The material form code ([`MATERIAL_FORMS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// How the weights were obtained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_basis: Option<MeasurementBasis>,
    /// The key measurement point (an inventory KMP of the MBA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kmp: Option<KmpCode>,
    /// Number of items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<u32>,
    /// The safeguards obligation code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obligation: Option<String>,
    /// A correction (`D`, `A` or `L`), as for inventory changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<CorrectionCode>,
    /// The line a `D` or `A` correction is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<LineReference>,
}

/// A measurement of a batch at a key measurement point, with its uncertainty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// The material balance area.
    pub mba: String,
    /// The key measurement point.
    pub kmp: String,
    /// The batch.
    pub batch: String,
    /// The element.
    pub element: Element,
    /// Element weight, grams.
    pub element_grams: f64,
    /// Relative standard deviation of the random error (0.01 = 1 %).
    pub rsd_random: f64,
    /// Relative standard deviation of the systematic error.
    pub rsd_systematic: f64,
}

// ---------------------------------------------------------------------------
// Material accounts: codes and registrations (FORMATS.md §3.1). The code lists
// are those of Commission Regulation (Euratom) No 302/2005 Annexes III–V, which
// the UK Nuclear Safeguards (EU Exit) Regulations 2019 (S.I. 2019/196,
// Schedule 1) copy; `docs/research/labelled-format.md` transcribes them.
// ---------------------------------------------------------------------------

fn code_error(expected: &'static str, text: &str) -> IdError {
    IdError {
        expected,
        found: text.chars().take(80).collect(),
    }
}

fn is_code(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

macro_rules! text_code {
    ($(#[$doc:meta])* $name:ident, $expected:literal, $check:expr) => {
        crate::ids::checked_text!($(#[$doc])* $name, |text| {
            let check: fn(&str) -> bool = $check;
            if check(text) {
                Ok(text.to_owned())
            } else {
                Err(code_error($expected, text))
            }
        });
    };
}

text_code!(
    /// A material balance area: 1 to 8 of `A–Z 0–9` (Euratom and IAEA MBA
    /// codes are 4 characters, e.g. `XBB1`).
    MbaCode,
    "an MBA code: 1 to 8 of A-Z 0-9 (e.g. XBB1)",
    |t| is_code(t, 8)
);
text_code!(
    /// A key measurement point of an MBA: 1 to 4 of `A–Z 0–9` (Euratom KMP
    /// codes are 1 character).
    KmpCode,
    "a KMP code: 1 to 4 of A-Z 0-9 (e.g. A)",
    |t| is_code(t, 4)
);
text_code!(
    /// A facility (installation), with the syntax of site ids.
    FacilityId,
    "a facility id: 1 to 64 of a-z 0-9 . _ : - (starting with a letter or digit)",
    |t| SiteId::parse(t).is_ok()
);

/// The prefix of a counterpart outside this ledger (`EXT:W`, `EXT:USA`).
pub const EXTERNAL_PREFIX: &str = "EXT:";

/// The other side of a receipt or shipment.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Counterpart {
    /// An MBA of this ledger: it must be registered.
    Mba(MbaCode),
    /// An MBA or state outside this ledger, written `EXT:<code>` with 1 to 32
    /// of `A–Z 0–9 . - /`: a foreign MBA code, the Euratom placeholders `F`,
    /// `W` (302/2005 Annex III note 17), or the ISO 3166 code of an exporting
    /// or importing state.
    External(String),
}

impl Counterpart {
    /// Parses an MBA code or `EXT:<code>`.
    pub fn parse(text: &str) -> Result<Counterpart, IdError> {
        const EXPECTED: &str =
            "a registered MBA code (1 to 8 of A-Z 0-9) or EXT:<code> (1 to 32 of A-Z 0-9 . - /) for one outside this ledger";
        if let Some(code) = text.strip_prefix(EXTERNAL_PREFIX) {
            let ok = !code.is_empty()
                && code.len() <= 32
                && code.bytes().all(|b| {
                    b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'/')
                });
            return if ok {
                Ok(Counterpart::External(code.to_owned()))
            } else {
                Err(code_error(EXPECTED, text))
            };
        }
        MbaCode::parse(text)
            .map(Counterpart::Mba)
            .map_err(|_| code_error(EXPECTED, text))
    }

    /// The code as a report writes it (without the `EXT:` prefix).
    pub fn code(&self) -> &str {
        match self {
            Counterpart::Mba(m) => m.as_str(),
            Counterpart::External(c) => c,
        }
    }
}

impl fmt::Display for Counterpart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Counterpart::Mba(m) => write!(f, "{m}"),
            Counterpart::External(c) => write!(f, "{EXTERNAL_PREFIX}{c}"),
        }
    }
}

impl Serialize for Counterpart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A category of nuclear material (302/2005 Art. 18(2)(b), Annex III note 25),
/// in the regulation's order of strategic value: P, H, L, N, D, T.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialCategory {
    /// Plutonium (`P`).
    Pu,
    /// High enriched uranium, 20 % enrichment and above (`H`).
    Heu,
    /// Low enriched uranium, above natural and below 20 % (`L`).
    Leu,
    /// Natural uranium (`N`).
    Natural,
    /// Depleted uranium (`D`).
    Depleted,
    /// Thorium (`T`).
    Th,
}

impl MaterialCategory {
    /// Every category, in order of strategic value.
    pub const ALL: [MaterialCategory; 6] = [
        MaterialCategory::Pu,
        MaterialCategory::Heu,
        MaterialCategory::Leu,
        MaterialCategory::Natural,
        MaterialCategory::Depleted,
        MaterialCategory::Th,
    ];

    /// The element the category is of.
    pub fn element(self) -> Element {
        match self {
            MaterialCategory::Pu => Element::Pu,
            MaterialCategory::Th => Element::Th,
            _ => Element::U,
        }
    }

    /// The Euratom/UK element-category code: `P`, `H`, `L`, `N`, `D`, `T`.
    pub fn code(self) -> char {
        match self {
            MaterialCategory::Pu => 'P',
            MaterialCategory::Heu => 'H',
            MaterialCategory::Leu => 'L',
            MaterialCategory::Natural => 'N',
            MaterialCategory::Depleted => 'D',
            MaterialCategory::Th => 'T',
        }
    }

    /// The name in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialCategory::Pu => "pu",
            MaterialCategory::Heu => "heu",
            MaterialCategory::Leu => "leu",
            MaterialCategory::Natural => "natural",
            MaterialCategory::Depleted => "depleted",
            MaterialCategory::Th => "th",
        }
    }
}

impl fmt::Display for MaterialCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fissile isotope a line's `isotope_grams` weighs (302/2005 Annex III
/// field 27). Plutonium is counted as element.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub enum Isotope {
    /// U-235 (`G`).
    #[serde(rename = "U-235")]
    U235,
    /// U-233 (`K`).
    #[serde(rename = "U-233")]
    U233,
}

impl Isotope {
    /// The Euratom/UK isotope code: `G` (U-235) or `K` (U-233).
    pub fn code(self) -> char {
        match self {
            Isotope::U235 => 'G',
            Isotope::U233 => 'K',
        }
    }
}

/// How a line's weights were obtained: the measurement code of 302/2005
/// Annex III note 13 (= Annex V note 11).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub enum MeasurementBasis {
    /// `M`: measured in the reporting MBA.
    #[serde(rename = "M")]
    MeasuredHere,
    /// `E`: estimated in the reporting MBA.
    #[serde(rename = "E")]
    EstimatedHere,
    /// `N`: measured in another MBA.
    #[serde(rename = "N")]
    MeasuredElsewhere,
    /// `F`: estimated in another MBA.
    #[serde(rename = "F")]
    EstimatedElsewhere,
    /// `T`: measured in the reporting MBA, weights already given in a previous report.
    #[serde(rename = "T")]
    MeasuredHereReported,
    /// `G`: estimated in the reporting MBA, weights already given in a previous report.
    #[serde(rename = "G")]
    EstimatedHereReported,
    /// `L`: measured in another MBA, weights already given in a previous report.
    #[serde(rename = "L")]
    MeasuredElsewhereReported,
    /// `H`: estimated in another MBA, weights already given in a previous report.
    #[serde(rename = "H")]
    EstimatedElsewhereReported,
}

impl MeasurementBasis {
    /// The one-letter code.
    pub fn code(self) -> char {
        match self {
            MeasurementBasis::MeasuredHere => 'M',
            MeasurementBasis::EstimatedHere => 'E',
            MeasurementBasis::MeasuredElsewhere => 'N',
            MeasurementBasis::EstimatedElsewhere => 'F',
            MeasurementBasis::MeasuredHereReported => 'T',
            MeasurementBasis::EstimatedHereReported => 'G',
            MeasurementBasis::MeasuredElsewhereReported => 'L',
            MeasurementBasis::EstimatedElsewhereReported => 'H',
        }
    }

    /// Whether the weights were measured (rather than estimated).
    pub fn is_measured(self) -> bool {
        matches!(
            self,
            MeasurementBasis::MeasuredHere
                | MeasurementBasis::MeasuredElsewhere
                | MeasurementBasis::MeasuredHereReported
                | MeasurementBasis::MeasuredElsewhereReported
        )
    }
}

/// Whether a line increases or decreases the book inventory.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Adds to the book.
    Increase,
    /// Takes from the book.
    Decrease,
}

/// A correction code (302/2005 Annex III note 37, Annex IV note 16, Annex V
/// note 24): corrections are new lines, never edits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub enum CorrectionCode {
    /// `D`: deletes the line `corrects` names.
    #[serde(rename = "D")]
    Delete,
    /// `A`: adds the line that replaces one a `D` deleted (a deletion/addition pair).
    #[serde(rename = "A")]
    Add,
    /// `L`: a late line (stand-alone addition) for an earlier period.
    #[serde(rename = "L")]
    Late,
}

impl CorrectionCode {
    /// The one-letter code.
    pub fn code(self) -> char {
        match self {
            CorrectionCode::Delete => 'D',
            CorrectionCode::Add => 'A',
            CorrectionCode::Late => 'L',
        }
    }
}

/// The line a correction is about: the event that recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineReference {
    /// The event id of the line.
    pub event: EventId,
}

/// What an inventory change code does to the book of its MBA.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeEffect {
    /// Always an increase.
    Increase,
    /// Always a decrease.
    Decrease,
    /// Either, as the line's `direction` says.
    Signed,
    /// Material moves from `previous_category` to `material_category`.
    CategoryChange,
    /// Material moves between safeguards obligations; no change per category.
    ObligationChange,
    /// Material moves from `previous_batch` to `batch`; no change per category.
    Rebatching,
}

macro_rules! change_codes {
    ($( $variant:ident = $code:literal, $effect:ident, $keyword:literal, $source:literal; )*) => {
        /// An inventory change code (302/2005 Annex III note 10; the same list
        /// in S.I. 2019/196 Sch. 1 Part 2; `TG`, `FG`, `GD`, `TZ` from
        /// Regulation (Euratom) 2025/974 Annex III). `BA` (ending book
        /// inventory) is a report line, computed, never recorded.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub enum ChangeCode { $(
            #[doc = concat!("`", $code, "`: ", $keyword, " (", $source, ").")]
            $variant,
        )* }

        impl ChangeCode {
            /// Every code, in the order of the regulation's list (the order of
            /// the consolidated lines of a Material Balance Report).
            pub const ALL: &'static [ChangeCode] = &[$(ChangeCode::$variant),*];

            /// The two-letter code.
            pub fn as_str(self) -> &'static str {
                match self { $(ChangeCode::$variant => $code,)* }
            }

            /// Parses a two-letter code.
            pub fn parse(text: &str) -> Option<ChangeCode> {
                match text { $($code => Some(ChangeCode::$variant),)* _ => None }
            }

            /// The regulation's keyword for the code.
            pub fn keyword(self) -> &'static str {
                match self { $(ChangeCode::$variant => $keyword,)* }
            }

            /// What the code does to the book. The regulations state the
            /// direction only for TC, TE, TW, TU ("subtracted") and NP/NL; the
            /// rest is Custodian's reading (labelled-format.md §3.1, \[I]).
            pub fn effect(self) -> ChangeEffect {
                match self { $(ChangeCode::$variant => ChangeEffect::$effect,)* }
            }
        }
    };
}

change_codes! {
    Receipt = "RD", Increase, "receipt from an MBA within the EU/UK", "302/2005";
    Import = "RF", Increase, "import", "302/2005";
    ReceiptFromNonSafeguarded = "RN", Increase, "receipt from non-safeguarded activity", "302/2005";
    Shipment = "SD", Decrease, "shipment to an MBA within the EU/UK", "302/2005";
    Export = "SF", Decrease, "export", "302/2005";
    ShipmentToNonSafeguarded = "SN", Decrease, "shipment to non-safeguarded activity", "302/2005";
    TransferToConditionedWaste = "TC", Decrease, "transfer to conditioned waste", "302/2005";
    DiscardToEnvironment = "TE", Decrease, "discards to the environment (measured discard)", "302/2005";
    TransferToRetainedWaste = "TW", Decrease, "transfer to retained waste", "302/2005";
    RetransferFromConditionedWaste = "FC", Increase, "retransfer from conditioned waste", "302/2005";
    RetransferFromRetainedWaste = "FW", Increase, "retransfer from retained waste", "302/2005";
    AccidentalLoss = "LA", Decrease, "accidental loss", "302/2005";
    AccidentalGain = "GA", Increase, "accidental gain", "302/2005";
    CategoryChangeEnrichment = "CE", CategoryChange, "category change by enrichment", "302/2005";
    CategoryChangeBlending = "CB", CategoryChange, "category change by blending", "302/2005";
    CategoryChangeOther = "CC", CategoryChange, "category change, other", "302/2005";
    Rebatching = "RB", Rebatching, "rebatching", "302/2005";
    ObligationChangeBlending = "BR", ObligationChange, "change in particular obligation after blending", "302/2005";
    ObligationChangePool = "PR", ObligationChange, "change in particular obligation, accountancy pool", "302/2005";
    ObligationChangeExchange = "SR", ObligationChange, "change in particular obligation, exchange or substitution", "302/2005";
    ObligationChangeOther = "CR", ObligationChange, "change in particular obligation, other", "302/2005";
    NuclearProduction = "NP", Increase, "nuclear production", "302/2005";
    NuclearLoss = "NL", Decrease, "nuclear loss", "302/2005";
    ShipperReceiverDifference = "DI", Signed, "shipper/receiver difference", "302/2005";
    NewMeasurement = "NM", Signed, "new measurement", "302/2005";
    BalanceAdjustment = "BJ", Signed, "balance adjustment", "302/2005; not in 2025/974";
    MaterialUnaccountedFor = "MF", Signed, "book adjustment for material unaccounted for", "302/2005";
    Rounding = "RA", Signed, "roundings", "302/2005";
    IsotopeAdjustment = "R5", Signed, "isotope adjustment", "302/2005";
    MaterialProduction = "MP", Increase, "material production", "302/2005";
    TerminationOfUse = "TU", Decrease, "termination of use", "302/2005";
    TransferToGeologicalDisposal = "TG", Decrease, "transfer to a geological disposal area", "2025/974";
    RetransferFromGeologicalDisposal = "FG", Increase, "retransfer from a geological disposal area", "2025/974";
    DecommissioningGain = "GD", Increase, "decommissioning gain", "2025/974";
    TerminationOfSafeguards = "TZ", Decrease, "termination of safeguards, irrecoverable in waste", "2025/974";
}

impl ChangeCode {
    /// Whether the code may appear as a consolidated line of a Material
    /// Balance Report (302/2005 Annex IV note 10: every code but `RB` and `MF`).
    pub fn allowed_in_balance_report(self) -> bool {
        !matches!(
            self,
            ChangeCode::Rebatching | ChangeCode::MaterialUnaccountedFor
        )
    }

    /// Whether the code needs a counterpart MBA (302/2005 Annex III fields 17
    /// and 18: MBA from for `RD`/`RF`, MBA to for `SD`/`SF`).
    pub fn has_counterpart(self) -> bool {
        matches!(
            self,
            ChangeCode::Receipt | ChangeCode::Import | ChangeCode::Shipment | ChangeCode::Export
        )
    }

    /// Whether the code moves physical material whose enrichment the line
    /// shows (so the category can be derived and checked from it).
    fn moves_material(self) -> bool {
        matches!(
            self.effect(),
            ChangeEffect::Increase
                | ChangeEffect::Decrease
                | ChangeEffect::Rebatching
                | ChangeEffect::ObligationChange
        )
    }
}

impl fmt::Display for ChangeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ChangeCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Material form codes (302/2005 Annex III note 14 = Annex V note 13):
/// code, main type, subtype.
pub const MATERIAL_FORMS: [(&str, &str, &str); 38] = [
    ("OR", "ores", ""),
    ("YC", "concentrates", ""),
    ("U6", "uranium hexafluoride (UF6)", ""),
    ("U4", "uranium tetrafluoride (UF4)", ""),
    ("U2", "uranium dioxide (UO2)", ""),
    ("U3", "uranium trioxide (UO3)", ""),
    ("U8", "uranium oxide (U3O8)", ""),
    ("T2", "thorium oxide (ThO2)", ""),
    ("LN", "solutions", "nitrate"),
    ("LF", "solutions", "fluoride"),
    ("LO", "solutions", "other"),
    ("PH", "powder", "homogeneous"),
    ("PN", "powder", "heterogeneous"),
    ("CP", "ceramics", "pellets"),
    ("CS", "ceramics", "spheres"),
    ("CO", "ceramics", "other"),
    ("MP", "metal", "pure"),
    ("MA", "metal", "alloys"),
    ("ER", "fuel", "rods, pins"),
    ("EP", "fuel", "plates"),
    ("EB", "fuel", "bundles"),
    ("EA", "fuel", "assemblies"),
    ("EO", "fuel", "other"),
    ("QS", "sealed sources", ""),
    ("SS", "small quantities/samples", ""),
    ("SH", "scrap", "homogeneous"),
    ("SN", "scrap", "heterogeneous"),
    ("AH", "solid waste", "hulls"),
    ("AM", "solid waste", "mixed"),
    ("AC", "solid waste", "contaminated equipment"),
    ("AO", "solid waste", "other"),
    ("WL", "liquid waste", "low active"),
    ("WM", "liquid waste", "medium active"),
    ("WH", "liquid waste", "high active"),
    ("NG", "conditioned waste", "glass"),
    ("NB", "conditioned waste", "bitumen"),
    ("NC", "conditioned waste", "concrete"),
    ("NO", "conditioned waste", "other"),
];

/// Largest mass on one material line, in grams (10^12 g: a million tonnes).
/// Below 2^53 mg, so three decimals are exact in an IEEE double.
pub const LINE_GRAMS_MAX: f64 = 1e12;

/// Most items on one line (302/2005 Annex III field 24: `Number (6)`).
pub const LINE_ITEMS_MAX: u32 = 999_999;

/// The enrichment above which uranium of no stated category is taken to be
/// enriched: 0.72 % U-235 by weight, a margin above natural uranium's
/// 0.711 % (Custodian rule, FORMATS.md §3.1).
const ENRICHED_FRACTION_PER_TEN_THOUSAND: i64 = 72;

/// A line mass as integer milligrams: `Some` when `grams` is finite,
/// non-negative, at most [`LINE_GRAMS_MAX`] and has at most three decimals
/// (302/2005 Annex III note 26: weights "up to a maximum of three decimal
/// places"); the one conversion the accounts and the checks share.
pub fn line_milligrams(grams: f64) -> Option<i64> {
    if !grams.is_finite() || !(0.0..=LINE_GRAMS_MAX).contains(&grams) {
        return None;
    }
    let milligrams = (grams * 1000.0).round();
    // Exact: `milligrams` is an integer below 2^53, so the division is the
    // correctly rounded double nearest to the three-decimal value.
    (milligrams / 1000.0 == grams).then_some(milligrams as i64)
}

/// Registers a facility (an installation holding nuclear material) in a state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilityRegister {
    /// The facility's id.
    pub facility: FacilityId,
    /// Its name.
    pub name: String,
    /// The state it is in.
    pub state: StateCode,
    /// What it is: `enrichment`, `fuel_fabrication`, `reactor`, `reprocessing`, `storage`, ...
    pub facility_type: String,
}

/// Whether a key measurement point measures flows or inventory.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KmpKind {
    /// Where inventory is measured (physical inventory lines).
    Inventory,
    /// Where flows are measured (inventory change lines).
    Flow,
}

/// A key measurement point as an MBA declares it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KmpDeclaration {
    /// The code.
    pub kmp: KmpCode,
    /// Flow or inventory.
    pub kind: KmpKind,
    /// What and where it is.
    pub description: String,
}

/// Most key measurement points one MBA declares.
pub const KMPS_PER_MBA_MAX: usize = 64;

/// Registers a material balance area of a facility, with its key measurement points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MbaRegister {
    /// The MBA's code.
    pub mba: MbaCode,
    /// The facility it belongs to (registered first).
    pub facility: FacilityId,
    /// Its name.
    pub name: String,
    /// Its key measurement points (codes distinct; possibly none).
    pub kmps: Vec<KmpDeclaration>,
}

/// Closes a physical inventory taking: the listing of the MBA at `pit_date`
/// is complete with `line_count` lines in effect. Later lines for it must be
/// corrections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryTaking {
    /// The MBA.
    pub mba: MbaCode,
    /// The date of the taking (the situation at 24:00 that day, 302/2005 Annex V note 5).
    pub pit_date: Date,
    /// The number of physical inventory lines in effect for it (0 for an empty MBA).
    pub line_count: u32,
}

/// Which accounting report a [`ReportFiled`] records: the report type field
/// of 302/2005 Annexes III, IV and V.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub enum ReportType {
    /// `I`: an Inventory Change Report (Annex III).
    #[serde(rename = "I")]
    InventoryChange,
    /// `P`: a Physical Inventory Listing (Annex V).
    #[serde(rename = "P")]
    PhysicalInventory,
    /// `M`: a Material Balance Report (Annex IV), one per element category.
    /// Its lines are computed from the ledger, not recorded as events.
    #[serde(rename = "M")]
    MaterialBalance,
}

impl ReportType {
    /// The one-letter report type.
    pub fn code(self) -> char {
        match self {
            ReportType::InventoryChange => 'I',
            ReportType::PhysicalInventory => 'P',
            ReportType::MaterialBalance => 'M',
        }
    }

    /// Whether each line of the report is an event of its own (ICR and
    /// PIL), rather than a figure computed from the ledger (MBR).
    pub fn lines_are_events(self) -> bool {
        !matches!(self, ReportType::MaterialBalance)
    }
}

/// A labelled field as it was filed: the label (`DOCUMENT`) and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledField {
    /// The label, as the labelled format spells it.
    pub label: String,
    /// The value, as filed.
    pub value: String,
}

/// One line of a filed report: the event that records it and what of the
/// filed line that event does not hold (FORMATS.md §3.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiledLine {
    /// The line number in the report (1, 2, … without gaps).
    pub line_number: u32,
    /// The `material.inventory_change` or `material.physical_inventory`
    /// event that records the line: required in an ICR or a PIL, absent in
    /// an MBR, whose lines the ledger computes (absent, the member is not
    /// written, so an ICR's or a PIL's JSON is as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventId>,
    /// The line's CRC as filed (decimal, at most 20 digits).
    pub crc: String,
    /// Labels of fields the event holds that the filed line left out (a
    /// deletion that names only the line it deletes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<String>,
    /// Filed fields the event does not model (container, document, comment, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<LabelledField>,
}

/// A report filed in the labelled format (an ICR, a PIL or an MBR): binds
/// the report's number and header to the events that record its lines (an
/// MBR: to the balance the ledger computes), so the report can be exported
/// again byte for byte (FORMATS.md §3.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportFiled {
    /// The reporting MBA.
    pub mba: MbaCode,
    /// ICR, PIL or MBR.
    pub report_type: ReportType,
    /// The report number (sequential per MBA, shared by the three types).
    pub report_number: u32,
    /// The other header fields as filed (report date, period, reporting person, …).
    pub header: Vec<LabelledField>,
    /// The lines, in order.
    pub lines: Vec<FiledLine>,
}

/// A state's report to an NPT review cycle in the standard reporting format
/// (FORMATS.md, "Review reports"). The report's schema belongs to the review
/// engine (`custodian-review`), which validates it before it is signed and
/// again when it replays the log; here it is a JSON object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewReport {
    /// The reporting state.
    pub state: StateCode,
    /// The review cycle, by the year of its review conference (e.g. 2015).
    pub cycle: u16,
    /// The report, as the schema gives it.
    pub report: serde_json::Map<String, Value>,
}

/// A state commits to its complete declaration without revealing it: the
/// public commitment of `custodian-escrow` (FORMATS.md §15), which the escrow
/// engine validates; the declaration itself stays with the state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowCommit {
    /// The declaration's id, unique in the log.
    pub declaration: DeclarationId,
    /// The declaring state.
    pub state: StateCode,
    /// The date the declaration is complete as of.
    pub as_of: Date,
    /// What it claims to hold in full (e.g. "every nuclear warhead, every
    /// site of the weapons complex and every stock of HEU and plutonium").
    pub scope: String,
    /// The commitment (root, number of entries, measures with their totals).
    pub commitment: serde_json::Map<String, Value>,
    /// Per measure, the annex of per-entry Pedersen commitments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annexes: Vec<serde_json::Map<String, Value>>,
}

/// A state opens part of a committed declaration: entries, a complete
/// category or region, an inspector's sample, or its answer to a key
/// challenge (FORMATS.md §15). Verified by the escrow engine; a reveal that
/// does not verify is a finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowReveal {
    /// The declaration.
    pub declaration: DeclarationId,
    /// `entries`, `range`, `sample` or `response`.
    pub mode: String,
    /// The `escrow.challenge` a sample or a response answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<EventId>,
    /// The reveal, as the escrow format gives it.
    pub reveal: serde_json::Map<String, Value>,
}

/// An inspector asks of a committed declaration: a random sample of `n`
/// entries drawn from the root of a signed checkpoint of this log after the
/// commitment, or whether a key is in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowChallenge {
    /// The declaration.
    pub declaration: DeclarationId,
    /// `sample` or `key`.
    pub request: String,
    /// The sample size (`sample`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u64>,
    /// The signed checkpoint whose root is the seed (`sample`), as its note text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_checkpoint: Option<String>,
    /// The key asked about (`key`): `{category, region, id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<serde_json::Map<String, Value>>,
}

/// A state proves a committed total within a limit without revealing it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowTotal {
    /// The declaration.
    pub declaration: DeclarationId,
    /// The proof: `{measure, limit, proof}`.
    pub proof: serde_json::Map<String, Value>,
}

/// An inspector records something a state's declaration should hold: a site,
/// an item or a stock seen on the ground, with the key it would have.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionObserve {
    /// The state it belongs to.
    pub state: StateCode,
    /// `site`, `item` or `stock`.
    pub entry: String,
    /// Its category, region and id in the declaration's terms.
    pub category: String,
    /// Its region.
    pub region: String,
    /// Its id.
    pub id: String,
    /// What was seen.
    pub description: String,
    /// Since when it existed, if the evidence shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existed_since: Option<Date>,
}

/// A row of the treaty-regime registry (states, treaties, memberships, forces,
/// deployments, ...), appended by a secretariat. The row's schema belongs to the
/// regime engine (`custodian-regime`), which validates it before it is signed
/// and again when it replays the log; here it is an object of text, numbers and
/// nulls with a table name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryRow {
    /// The table: `states`, `treaties`, `memberships`, `ctbt_annex2`, `forces`,
    /// `deployments`, `review_conferences`, `positions`, `treaty_counts`.
    pub table: String,
    /// The row: column name to value (text, number or null for an empty cell).
    pub row: serde_json::Map<String, Value>,
}

macro_rules! kinds {
    ($( $variant:ident($payload:ident) = $name:literal, [$($role:ident),*] ; )*) => {
        /// What an event does: one kind per payload type.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub enum EventKind { $(
            #[doc = concat!("`", $name, "`")]
            $variant,
        )* }

        impl EventKind {
            /// Every kind.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),*];

            /// The kind's name in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $(EventKind::$variant => $name,)* }
            }

            /// Parses a kind's name.
            pub fn parse(text: &str) -> Option<EventKind> {
                match text { $($name => Some(EventKind::$variant),)* _ => None }
            }

            /// Whether an actor of `role` may submit an event of this kind.
            pub fn permits(self, role: Role) -> bool {
                match self { $(EventKind::$variant => matches!(role, $(Role::$role)|*),)* }
            }
        }

        /// An event's typed payload.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Payload { $(
            #[doc = concat!("`", $name, "`")]
            $variant($payload),
        )* }

        impl Payload {
            /// The payload's kind.
            pub fn kind(&self) -> EventKind {
                match self { $(Payload::$variant(_) => EventKind::$variant,)* }
            }

            /// Parses the payload of an event of `kind`, naming the field at fault.
            fn deserialize_kind<'de, D>(kind: EventKind, d: D) -> Result<Payload, FieldError>
            where
                D: Deserializer<'de>,
                D::Error: fmt::Display,
            {
                match kind { $(EventKind::$variant => parse_typed(d).map(Payload::$variant),)* }
            }
        }

        impl Serialize for Payload {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self { $(Payload::$variant(p) => p.serialize(s),)* }
            }
        }
    };
}

kinds! {
    ActorRegister(ActorRegister) = "actor.register", [Administrator];
    ActorRotateKey(ActorRotateKey) = "actor.rotate_key", [Administrator];
    ActorRevoke(ActorRevoke) = "actor.revoke", [Administrator];
    SiteRegister(SiteRegister) = "site.register", [StateAuthority, Operator];
    ItemProduce(ItemProduce) = "item.produce", [StateAuthority];
    ItemDepart(ItemDepart) = "item.depart", [StateAuthority];
    ItemArrive(ItemArrive) = "item.arrive", [StateAuthority];
    CustodyTransfer(CustodyTransfer) = "item.custody_transfer", [StateAuthority];
    ControlTransfer(ControlTransfer) = "item.control_transfer", [StateAuthority];
    ItemDeployAbroad(ItemDeployAbroad) = "item.deploy_abroad", [StateAuthority];
    ItemAssign(ItemAssign) = "item.assign", [StateAuthority];
    ItemExercise(ItemExercise) = "item.exercise", [StateAuthority];
    ItemRetire(ItemRetire) = "item.retire", [StateAuthority];
    ItemDismantle(ItemDismantle) = "item.dismantle", [StateAuthority];
    PolicySet(PolicySet) = "policy.set", [Administrator];
    InventoryChange(InventoryChange) = "material.inventory_change", [Operator, StateAuthority];
    PhysicalInventory(PhysicalInventory) = "material.physical_inventory", [Operator, StateAuthority, Inspector];
    Measurement(Measurement) = "material.measurement", [Operator, Inspector];
    FacilityRegister(FacilityRegister) = "facility.register", [StateAuthority, Operator];
    MbaRegister(MbaRegister) = "mba.register", [StateAuthority, Operator];
    InventoryTaking(InventoryTaking) = "material.inventory_taking", [Operator, StateAuthority, Inspector];
    ReportFiled(ReportFiled) = "material.report", [Operator, StateAuthority];
    RegistryRow(RegistryRow) = "registry.row", [Secretariat];
    ReviewReport(ReviewReport) = "review.report", [StateAuthority];
    EscrowCommit(EscrowCommit) = "escrow.commit", [StateAuthority];
    EscrowReveal(EscrowReveal) = "escrow.reveal", [StateAuthority];
    EscrowChallenge(EscrowChallenge) = "escrow.challenge", [Inspector, Secretariat];
    EscrowTotal(EscrowTotal) = "escrow.total", [StateAuthority];
    InspectionObserve(InspectionObserve) = "inspection.observe", [Inspector];
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Deserializes `T`, turning an error into a [`FieldError`] that names the path
/// of the field at fault (`payload.to`, `events[3].id`).
pub(crate) fn parse_typed<'de, T, D>(d: D) -> Result<T, FieldError>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
    D::Error: fmt::Display,
{
    serde_path_to_error::deserialize(d).map_err(|e| {
        let path = e.path().to_string();
        FieldError::new(path, e.into_inner().to_string())
    })
}

/// One recorded change: the envelope around a typed [`Payload`].
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Unique id in the log.
    pub id: EventId,
    /// When the change happened, as the actor states it.
    pub time: UtcTime,
    /// The submitting actor (equal to its submission's actor).
    pub actor: ActorId,
    /// What happened.
    pub payload: Payload,
    /// Co-signatures for the M-of-N rule.
    pub approvals: Vec<Approval>,
}

/// An event as parsed, before its payload is typed: `P` is a `Value` (input files)
/// or a raw JSON slice (log leaves, parsed without building a `Value`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEvent<P> {
    v: u32,
    id: EventId,
    time: UtcTime,
    actor: ActorId,
    kind: String,
    payload: P,
    #[serde(default)]
    approvals: Vec<Approval>,
}

/// What an approver signs: the event without its approvals.
struct EventBody<'a>(&'a Event);

impl Serialize for EventBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let e = self.0;
        let mut st = s.serialize_struct("Event", 6)?;
        // Fields in canonical (sorted) order, so the writer never re-sorts.
        st.serialize_field("actor", &e.actor)?;
        st.serialize_field("id", &e.id)?;
        st.serialize_field("kind", e.kind().as_str())?;
        st.serialize_field("payload", &e.payload)?;
        st.serialize_field("time", &e.time)?;
        st.serialize_field("v", &EVENT_VERSION)?;
        st.end()
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Event", 7)?;
        // Fields in canonical (sorted) order, so the writer never re-sorts.
        st.serialize_field("actor", &self.actor)?;
        st.serialize_field("approvals", &self.approvals)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("kind", self.kind().as_str())?;
        st.serialize_field("payload", &self.payload)?;
        st.serialize_field("time", &self.time)?;
        st.serialize_field("v", &EVENT_VERSION)?;
        st.end()
    }
}

impl Event {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        self.payload.kind()
    }

    /// Parses an event from JSON (already strictly parsed: see
    /// [`canonical::parse_strict`]) and checks its payload's values.
    pub fn from_json(value: Value) -> Result<Event, FieldError> {
        let raw: RawEvent<Value> = parse_typed(value)?;
        Event::from_raw(raw, |kind, payload| {
            if !payload.is_object() {
                return Err(FieldError::new("", "expected a JSON object"));
            }
            Payload::deserialize_kind(kind, payload)
        })
    }

    /// Builds an event from its parsed envelope, typing the payload with
    /// `parse_payload`.
    pub(crate) fn from_raw<P>(
        raw: RawEvent<P>,
        parse_payload: impl FnOnce(EventKind, P) -> Result<Payload, FieldError>,
    ) -> Result<Event, FieldError> {
        if raw.v != EVENT_VERSION {
            return Err(FieldError::new(
                "v",
                format!("expected event version {EVENT_VERSION}, found {}", raw.v),
            ));
        }
        let kind = EventKind::parse(&raw.kind).ok_or_else(|| {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            FieldError::new(
                "kind",
                format!(
                    "unknown event kind {:?}; expected one of {}",
                    raw.kind,
                    known.join(", ")
                ),
            )
        })?;
        let payload = parse_payload(kind, raw.payload).map_err(|e| e.within("payload"))?;
        if raw.approvals.len() > APPROVALS_PER_EVENT_MAX {
            return Err(FieldError::new(
                "approvals",
                format!(
                    "at most {APPROVALS_PER_EVENT_MAX} approvals per event, found {}",
                    raw.approvals.len()
                ),
            ));
        }
        let event = Event {
            id: raw.id,
            time: raw.time,
            actor: raw.actor,
            payload,
            approvals: raw.approvals,
        };
        event.payload.check().map_err(|e| e.within("payload"))?;
        Ok(event)
    }

    /// Parses the payload of an event of `kind` from raw JSON text.
    pub(crate) fn payload_from_raw(kind: EventKind, raw: &RawValue) -> Result<Payload, FieldError> {
        let mut de = serde_json::Deserializer::from_str(raw.get());
        Payload::deserialize_kind(kind, &mut de)
    }

    /// The event as a JSON value (for display; what is hashed is [`Event::canonical_bytes`]).
    pub fn to_json(&self) -> Value {
        // Serializing ids, times, strings and finite numbers cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The event's RFC 8785 canonical bytes.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        crate::jcs::to_vec(self)
    }

    /// The bytes an approver signs: [`APPROVAL_CONTEXT`] followed by the canonical
    /// bytes of the event without its `approvals` member, so approvals can be
    /// gathered in any order without changing what each one signed.
    pub fn approval_message(&self) -> Result<Vec<u8>, CanonicalError> {
        let mut message = APPROVAL_CONTEXT.to_vec();
        crate::jcs::write(&EventBody(self), &mut message)?;
        Ok(message)
    }
}

fn check_text(field: &str, text: &str) -> Result<(), FieldError> {
    if text.is_empty() {
        return Err(FieldError::new(field, "expected a non-empty text"));
    }
    if text.len() > TEXT_FIELD_BYTES_MAX {
        return Err(FieldError::new(
            field,
            format!(
                "text of {} bytes exceeds the limit of {TEXT_FIELD_BYTES_MAX}",
                text.len()
            ),
        ));
    }
    Ok(())
}

fn check_grams(field: &str, grams: f64) -> Result<(), FieldError> {
    if !grams.is_finite() || grams < 0.0 {
        return Err(FieldError::new(
            field,
            format!("expected a finite, non-negative mass in grams, found {grams}"),
        ));
    }
    Ok(())
}

fn check_rsd(field: &str, rsd: f64) -> Result<(), FieldError> {
    if !rsd.is_finite() || !(0.0..=1.0).contains(&rsd) {
        return Err(FieldError::new(
            field,
            format!("expected a relative standard deviation between 0 and 1 (100 %), found {rsd}"),
        ));
    }
    Ok(())
}

/// A line mass: finite, non-negative, at most [`LINE_GRAMS_MAX`], at most
/// three decimals. Returns milligrams.
fn check_line_grams(field: &str, grams: f64) -> Result<i64, FieldError> {
    check_grams(field, grams)?;
    if grams > LINE_GRAMS_MAX {
        return Err(FieldError::new(
            field,
            format!("expected at most {LINE_GRAMS_MAX:e} grams on one line, found {grams}"),
        ));
    }
    line_milligrams(grams).ok_or_else(|| {
        FieldError::new(
            field,
            format!(
                "expected grams with at most three decimals (Regulation (Euratom) 302/2005 Annex III note 26), found {grams}"
            ),
        )
    })
}

fn check_code_text(field: &str, text: &str, max: usize) -> Result<(), FieldError> {
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            format!("expected 1 to {max} characters without control characters, found {text:?}"),
        ));
    }
    Ok(())
}

fn check_form(form: &Option<String>) -> Result<(), FieldError> {
    if let Some(form) = form {
        if !MATERIAL_FORMS.iter().any(|(code, _, _)| code == form) {
            let codes: Vec<&str> = MATERIAL_FORMS.iter().map(|(c, _, _)| *c).collect();
            return Err(FieldError::new(
                "form",
                format!(
                    "unknown material form code {form:?}; expected one of {} (Regulation (Euratom) 302/2005 Annex III note 14)",
                    codes.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn check_items(items: Option<u32>) -> Result<(), FieldError> {
    match items {
        Some(n) if n > LINE_ITEMS_MAX => Err(FieldError::new(
            "items",
            format!("expected at most {LINE_ITEMS_MAX} items, found {n}"),
        )),
        _ => Ok(()),
    }
}

/// What the category and isotope checks of one line need to know.
struct MaterialLine<'a> {
    element: Element,
    element_grams: f64,
    isotope_grams: Option<f64>,
    isotope: Option<Isotope>,
    category: Option<MaterialCategory>,
    /// The line's code, `None` for a physical inventory line.
    code: Option<ChangeCode>,
    line: &'a Option<String>,
}

/// Checks a line's masses, isotope and category; returns its category
/// (stated or derived).
fn check_material_line(m: &MaterialLine<'_>) -> Result<MaterialCategory, FieldError> {
    let element_mg = check_line_grams("element_grams", m.element_grams)?;
    let isotope_mg = match m.isotope_grams {
        Some(g) => Some(check_line_grams("isotope_grams", g)?),
        None => None,
    };
    if let Some(line) = m.line {
        check_code_text("line", line, 64)?;
    }
    if m.isotope.is_some() && isotope_mg.is_none() {
        return Err(FieldError::new(
            "isotope",
            "expected isotope only with isotope_grams",
        ));
    }
    if isotope_mg.is_some() && m.element != Element::U {
        return Err(FieldError::new(
            "isotope_grams",
            format!(
                "expected no isotope weight for element {:?}: only uranium carries a fissile isotope weight (U-235 or U-233); plutonium is counted as element",
                m.element
            ),
        ));
    }
    let adjusts_isotope_only = m.code == Some(ChangeCode::IsotopeAdjustment);
    if let Some(iso) = isotope_mg {
        if iso > element_mg && !adjusts_isotope_only {
            return Err(FieldError::new(
                "isotope_grams",
                format!(
                    "expected at most the element weight {} g, found {}",
                    m.element_grams,
                    m.isotope_grams.unwrap_or_default()
                ),
            ));
        }
    }
    let moves_material = m.code.is_none_or(ChangeCode::moves_material);
    let category = match m.category {
        Some(c) if c.element() != m.element => {
            return Err(FieldError::new(
                "material_category",
                format!(
                    "expected a category of element {:?}, found {c} (a category of {:?})",
                    m.element,
                    c.element()
                ),
            ))
        }
        Some(c) => c,
        None => match m.element {
            Element::Pu => MaterialCategory::Pu,
            Element::Th => MaterialCategory::Th,
            Element::U if !moves_material => {
                return Err(FieldError::new(
                    "material_category",
                    "expected a material category: it is derived only for lines that move material, not for adjustments, differences or category changes",
                ))
            }
            Element::U => match isotope_mg {
                Some(iso) if element_mg > 0 && 5 * iso >= element_mg => MaterialCategory::Heu,
                Some(iso)
                    if element_mg > 0
                        && 10_000 * iso > ENRICHED_FRACTION_PER_TEN_THOUSAND * element_mg =>
                {
                    MaterialCategory::Leu
                }
                _ => {
                    return Err(FieldError::new(
                        "material_category",
                        "expected a material category (depleted, natural, leu or heu): uranium without an isotope weight showing more than 0.72 % enrichment is not classified by guess",
                    ))
                }
            },
        },
    };
    if matches!(category, MaterialCategory::Heu | MaterialCategory::Leu) && isotope_mg.is_none() {
        return Err(FieldError::new(
            "isotope_grams",
            format!(
                "expected the fissile isotope weight of enriched uranium (category {category})"
            ),
        ));
    }
    // The enrichment must fit the category where the line weighs material
    // (302/2005 Annex III note 25: HEU is 20 % and above, LEU below 20 %).
    if let (Some(iso), true, true) = (isotope_mg, moves_material, element_mg > 0) {
        let high = 5 * iso >= element_mg;
        if category == MaterialCategory::Heu && !high {
            return Err(FieldError::new(
                "material_category",
                format!(
                    "expected an enrichment of 20 % or more for heu, found {:.4} %",
                    100.0 * iso as f64 / element_mg as f64
                ),
            ));
        }
        if category.element() == Element::U && category != MaterialCategory::Heu && high {
            return Err(FieldError::new(
                "material_category",
                format!(
                    "expected heu for an enrichment of 20 % or more, found {category} at {:.4} %",
                    100.0 * iso as f64 / element_mg as f64
                ),
            ));
        }
    }
    Ok(category)
}

fn forbid<T>(value: &Option<T>, field: &str, why: &str) -> Result<(), FieldError> {
    if value.is_some() {
        return Err(FieldError::new(
            field,
            format!("expected no {field}: {why}"),
        ));
    }
    Ok(())
}

fn require<'a, T>(value: &'a Option<T>, field: &str, why: &str) -> Result<&'a T, FieldError> {
    value
        .as_ref()
        .ok_or_else(|| FieldError::new(field, format!("expected {field}: {why}")))
}

fn check_correction(
    correction: Option<CorrectionCode>,
    corrects: &Option<LineReference>,
    original_date: Option<&Option<Date>>,
) -> Result<(), FieldError> {
    match correction {
        None => {
            forbid(
                corrects,
                "corrects",
                "only a D or A correction names the line it corrects",
            )?;
            if let Some(d) = original_date {
                forbid(
                    d,
                    "original_date",
                    "only a late line (correction L) has an original date",
                )?;
            }
        }
        Some(CorrectionCode::Delete) | Some(CorrectionCode::Add) => {
            require(
                corrects,
                "corrects",
                "a D or A correction names the line it corrects",
            )?;
            if let Some(d) = original_date {
                forbid(
                    d,
                    "original_date",
                    "a D or A line takes the original date of the line it corrects",
                )?;
            }
        }
        Some(CorrectionCode::Late) => {
            forbid(corrects, "corrects", "a late line (L) corrects no line")?;
            if let Some(d) = original_date {
                require(
                    d,
                    "original_date",
                    "a late line (L) states the date its change occurred",
                )?;
            }
        }
    }
    Ok(())
}

impl InventoryChange {
    /// The inventory change code.
    pub fn change_code(&self) -> Result<ChangeCode, FieldError> {
        if self.code == "BA" {
            return Err(FieldError::new(
                "code",
                "BA (ending book inventory) is a report line computed from the ledger, not an inventory change",
            ));
        }
        ChangeCode::parse(&self.code).ok_or_else(|| {
            let known: Vec<&str> = ChangeCode::ALL.iter().map(|c| c.as_str()).collect();
            let hint = match self.code.as_str() {
                "LD" => "; IAEA code LD (measured discard) is TE (discards to the environment) in the Euratom/UK list",
                "DU" => "; IAEA code DU (de-exemption) has no Euratom/UK equivalent",
                _ => "",
            };
            FieldError::new(
                "code",
                format!(
                    "unknown inventory change code {:?}; expected one of {} (Regulation (Euratom) 302/2005 Annex III note 10){hint}",
                    self.code,
                    known.join(", ")
                ),
            )
        })
    }

    /// The material category: `material_category`, or derived for lines
    /// that move material: plutonium and thorium from the element, uranium
    /// from its fissile weight fraction (20 % and above HEU; above 0.72 %
    /// LEU; otherwise the category must be stated).
    pub fn category(&self) -> Result<MaterialCategory, FieldError> {
        check_material_line(&MaterialLine {
            element: self.element,
            element_grams: self.element_grams,
            isotope_grams: self.isotope_grams,
            isotope: self.isotope,
            category: self.material_category,
            code: Some(self.change_code()?),
            line: &self.line,
        })
    }

    /// The isotope `isotope_grams` weighs (U-235 unless stated).
    pub fn isotope_kind(&self) -> Option<Isotope> {
        self.isotope_grams
            .map(|_| self.isotope.unwrap_or(Isotope::U235))
    }

    /// The counterpart MBA, parsed.
    pub fn counterpart(&self) -> Result<Option<Counterpart>, FieldError> {
        self.counterpart_mba
            .as_deref()
            .map(Counterpart::parse)
            .transpose()
            .map_err(|e| FieldError::new("counterpart_mba", e.to_string()))
    }

    fn check(&self) -> Result<(), FieldError> {
        check_text("mba", &self.mba)?;
        check_text("batch", &self.batch)?;
        let code = self.change_code()?;
        let category = self.category()?;
        let effect = code.effect();
        if effect == ChangeEffect::Signed {
            require(
                &self.direction,
                "direction",
                &format!(
                    "{code} ({}) may increase or decrease the book",
                    code.keyword()
                ),
            )?;
        } else {
            forbid(
                &self.direction,
                "direction",
                &format!("the direction of {code} is fixed by the code"),
            )?;
        }
        if effect == ChangeEffect::CategoryChange {
            let previous = *require(
                &self.previous_category,
                "previous_category",
                &format!("{code} is a category change"),
            )?;
            require(
                &self.material_category,
                "material_category",
                "a category change states the new category",
            )?;
            if previous == category || previous.element() != category.element() {
                return Err(FieldError::new(
                    "previous_category",
                    format!(
                        "expected another category of element {:?} than {category}, found {previous}",
                        category.element()
                    ),
                ));
            }
        } else {
            forbid(
                &self.previous_category,
                "previous_category",
                "only category changes (CE, CB, CC) have one",
            )?;
        }
        if effect == ChangeEffect::Rebatching {
            let previous = require(&self.previous_batch, "previous_batch", "RB is a rebatching")?;
            check_text("previous_batch", previous)?;
            if *previous == self.batch {
                return Err(FieldError::new(
                    "previous_batch",
                    format!("expected a batch other than {:?}", self.batch),
                ));
            }
        } else {
            forbid(
                &self.previous_batch,
                "previous_batch",
                "only a rebatching (RB) has one",
            )?;
        }
        if let Some(o) = &self.obligation {
            check_code_text("obligation", o, 5)?;
        }
        if effect == ChangeEffect::ObligationChange {
            let previous = require(
                &self.previous_obligation,
                "previous_obligation",
                &format!("{code} is a change of obligation"),
            )?;
            check_code_text("previous_obligation", previous, 5)?;
            let current = require(
                &self.obligation,
                "obligation",
                "a change of obligation states the new one",
            )?;
            if current == previous {
                return Err(FieldError::new(
                    "previous_obligation",
                    format!("expected an obligation other than {current:?}"),
                ));
            }
        } else {
            forbid(
                &self.previous_obligation,
                "previous_obligation",
                "only BR, PR, SR and CR have one",
            )?;
        }
        if code.has_counterpart() {
            require(
                &self.counterpart_mba,
                "counterpart_mba",
                &format!("{code} ({}) names the other MBA", code.keyword()),
            )?;
            if let Some(Counterpart::Mba(other)) = self.counterpart()? {
                if other.as_str() == self.mba {
                    return Err(FieldError::new(
                        "counterpart_mba",
                        format!("expected an MBA other than {}", self.mba),
                    ));
                }
            }
        } else {
            forbid(
                &self.counterpart_mba,
                "counterpart_mba",
                "only RD, RF, SD and SF have a counterpart MBA",
            )?;
        }
        if code == ChangeCode::MaterialUnaccountedFor {
            require(
                &self.pit_date,
                "pit_date",
                "an MF adjustment names the physical inventory taking it refers to",
            )?;
        } else {
            forbid(
                &self.pit_date,
                "pit_date",
                "only an MF adjustment refers to a physical inventory taking",
            )?;
        }
        check_form(&self.form)?;
        check_items(self.items)?;
        check_correction(self.correction, &self.corrects, Some(&self.original_date))
    }
}

impl PhysicalInventory {
    /// The material category: stated, or derived as for
    /// [`InventoryChange::category`].
    pub fn category(&self) -> Result<MaterialCategory, FieldError> {
        check_material_line(&MaterialLine {
            element: self.element,
            element_grams: self.element_grams,
            isotope_grams: self.isotope_grams,
            isotope: self.isotope,
            category: self.material_category,
            code: None,
            line: &self.line,
        })
    }

    /// The isotope `isotope_grams` weighs (U-235 unless stated).
    pub fn isotope_kind(&self) -> Option<Isotope> {
        self.isotope_grams
            .map(|_| self.isotope.unwrap_or(Isotope::U235))
    }

    fn check(&self) -> Result<(), FieldError> {
        check_text("mba", &self.mba)?;
        check_text("batch", &self.batch)?;
        self.category()?;
        if let Some(o) = &self.obligation {
            check_code_text("obligation", o, 5)?;
        }
        check_form(&self.form)?;
        check_items(self.items)?;
        check_correction(self.correction, &self.corrects, None)
    }
}

impl Payload {
    /// Checks the values that types alone cannot: text lengths, masses,
    /// uncertainties, transfers to the same state.
    pub fn check(&self) -> Result<(), FieldError> {
        match self {
            Payload::ActorRegister(p) => {
                if let Some(name) = &p.name {
                    check_text("name", name)?;
                }
            }
            Payload::ActorRevoke(p) => check_text("reason", &p.reason)?,
            Payload::SiteRegister(p) => {
                check_text("name", &p.name)?;
                check_text("site_type", &p.site_type)?;
            }
            Payload::ItemProduce(p) => check_text("item_type", &p.item_type)?,
            Payload::ItemDepart(p) => {
                if p.from == p.to {
                    return Err(FieldError::new("to", "expected a site other than `from`"));
                }
            }
            Payload::CustodyTransfer(CustodyTransfer { from, to, .. })
            | Payload::ControlTransfer(ControlTransfer { from, to, .. }) => {
                if from == to {
                    return Err(FieldError::new("to", "expected a state other than `from`"));
                }
                if let Payload::ControlTransfer(ControlTransfer {
                    condition: Some(c), ..
                }) = self
                {
                    check_text("condition", c)?;
                }
            }
            Payload::InventoryChange(p) => p.check()?,
            Payload::PhysicalInventory(p) => p.check()?,
            Payload::Measurement(p) => {
                check_text("mba", &p.mba)?;
                check_text("kmp", &p.kmp)?;
                check_text("batch", &p.batch)?;
                check_grams("element_grams", p.element_grams)?;
                check_rsd("rsd_random", p.rsd_random)?;
                check_rsd("rsd_systematic", p.rsd_systematic)?;
            }
            Payload::FacilityRegister(p) => {
                check_text("name", &p.name)?;
                check_text("facility_type", &p.facility_type)?;
            }
            Payload::MbaRegister(p) => {
                check_text("name", &p.name)?;
                if p.kmps.len() > KMPS_PER_MBA_MAX {
                    return Err(FieldError::new(
                        "kmps",
                        format!(
                            "at most {KMPS_PER_MBA_MAX} key measurement points, found {}",
                            p.kmps.len()
                        ),
                    ));
                }
                for (i, k) in p.kmps.iter().enumerate() {
                    check_text(&format!("kmps[{i}].description"), &k.description)?;
                    if p.kmps[..i].iter().any(|earlier| earlier.kmp == k.kmp) {
                        return Err(FieldError::new(
                            format!("kmps[{i}].kmp"),
                            format!("KMP {} is declared twice", k.kmp),
                        ));
                    }
                }
            }
            Payload::InventoryTaking(_) => {}
            Payload::ReportFiled(p) => {
                let labelled = p
                    .header
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (format!("header[{i}]"), f))
                    .chain(p.lines.iter().enumerate().flat_map(|(i, l)| {
                        l.fields
                            .iter()
                            .enumerate()
                            .map(move |(j, f)| (format!("lines[{i}].fields[{j}]"), f))
                    }));
                for (at, f) in labelled {
                    check_text(&format!("{at}.label"), &f.label)?;
                    check_text(&format!("{at}.value"), &f.value)?;
                }
                for (i, l) in p.lines.iter().enumerate() {
                    match (p.report_type.lines_are_events(), &l.event) {
                        (true, None) => {
                            return Err(FieldError::new(
                                format!("lines[{i}].event"),
                                format!(
                                    "expected the event that records the line (report type {}), found none",
                                    p.report_type.code()
                                ),
                            ))
                        }
                        (false, Some(e)) => {
                            return Err(FieldError::new(
                                format!("lines[{i}].event"),
                                format!("expected no event: the lines of a material balance report (type M) are computed from the ledger, found {e}"),
                            ))
                        }
                        _ => {}
                    }
                    if l.crc.is_empty()
                        || l.crc.len() > 20
                        || !l.crc.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(FieldError::new(
                            format!("lines[{i}].crc"),
                            format!(
                                "expected a decimal number of 1 to 20 digits, found {:?}",
                                l.crc
                            ),
                        ));
                    }
                }
            }
            Payload::EscrowCommit(p) => check_text("scope", &p.scope)?,
            Payload::EscrowReveal(p) => {
                if !["entries", "range", "sample", "response"].contains(&p.mode.as_str()) {
                    return Err(FieldError::new(
                        "mode",
                        format!("entries, range, sample or response, found {:?}", p.mode),
                    ));
                }
                if matches!(p.mode.as_str(), "sample" | "response") != p.answers.is_some() {
                    return Err(FieldError::new(
                        "answers",
                        "the challenge a sample or a response answers (and only those)",
                    ));
                }
            }
            Payload::EscrowChallenge(p) => {
                let (sample, key) = match p.request.as_str() {
                    "sample" => (true, false),
                    "key" => (false, true),
                    other => {
                        return Err(FieldError::new(
                            "request",
                            format!("sample or key, found {other:?}"),
                        ))
                    }
                };
                if sample != (p.n.is_some() && p.seed_checkpoint.is_some()) {
                    return Err(FieldError::new(
                        "n",
                        "n and seed_checkpoint for a sample (and only for one)",
                    ));
                }
                if key != p.key.is_some() {
                    return Err(FieldError::new(
                        "key",
                        "a key for a key challenge (and only for one)",
                    ));
                }
            }
            Payload::EscrowTotal(_) => {}
            Payload::InspectionObserve(p) => {
                if !["site", "item", "stock"].contains(&p.entry.as_str()) {
                    return Err(FieldError::new(
                        "entry",
                        format!("site, item or stock, found {:?}", p.entry),
                    ));
                }
                for (field, text) in [
                    ("category", &p.category),
                    ("region", &p.region),
                    ("id", &p.id),
                    ("description", &p.description),
                ] {
                    check_text(field, text)?;
                }
            }
            Payload::ReviewReport(p) => {
                if !(1970..=2100).contains(&p.cycle) {
                    return Err(FieldError::new(
                        "cycle",
                        format!(
                            "a review conference year from 1970 to 2100, found {}",
                            p.cycle
                        ),
                    ));
                }
            }
            Payload::RegistryRow(p) => {
                check_text("table", &p.table)?;
                for (column, value) in &p.row {
                    match value {
                        Value::Null | Value::Number(_) => {}
                        Value::String(text) if text.len() <= TEXT_FIELD_BYTES_MAX => {}
                        Value::String(text) => {
                            return Err(FieldError::new(
                                format!("row.{column}"),
                                format!(
                                    "text of {} bytes exceeds the limit of {TEXT_FIELD_BYTES_MAX}",
                                    text.len()
                                ),
                            ))
                        }
                        _ => {
                            return Err(FieldError::new(
                                format!("row.{column}"),
                                "expected text, a number or null (one cell)",
                            ))
                        }
                    }
                }
            }
            Payload::ItemDeployAbroad(p) => check_text("arrangement", &p.arrangement)?,
            Payload::ItemAssign(p) => {
                check_text("unit", &p.unit)?;
                if let Some(d) = &p.delivery_system {
                    check_text("delivery_system", d)?;
                }
            }
            Payload::ItemExercise(p) => {
                check_text("exercise", &p.exercise)?;
                if p.participants.len() > 64 {
                    return Err(FieldError::new(
                        "participants",
                        format!("at most 64 states, found {}", p.participants.len()),
                    ));
                }
            }
            Payload::PolicySet(p) => {
                let mut kinds = std::collections::BTreeSet::new();
                for (i, rule) in p.rules.iter().enumerate() {
                    if EventKind::parse(&rule.kind).is_none() {
                        return Err(FieldError::new(
                            format!("rules[{i}].kind"),
                            format!("unknown event kind {:?}", rule.kind),
                        ));
                    }
                    if !kinds.insert(rule.kind.as_str()) {
                        return Err(FieldError::new(
                            format!("rules[{i}].kind"),
                            format!("{:?} has a rule already", rule.kind),
                        ));
                    }
                    for (j, req) in rule.require.iter().enumerate() {
                        if req.count == 0 || req.count as usize > APPROVALS_PER_EVENT_MAX + 1 {
                            return Err(FieldError::new(
                                format!("rules[{i}].require[{j}].count"),
                                format!(
                                    "expected 1 to {} signers, found {}",
                                    APPROVALS_PER_EVENT_MAX + 1,
                                    req.count
                                ),
                            ));
                        }
                    }
                }
            }
            Payload::ActorRotateKey(_)
            | Payload::ItemArrive(_)
            | Payload::ItemDismantle(_)
            | Payload::ItemRetire(_) => {}
        }
        Ok(())
    }
}

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
use crate::ids::{ActorId, EventId, ItemId, Party, Role, SiteId, StateCode};
use crate::limits::{APPROVALS_PER_EVENT_MAX, TEXT_FIELD_BYTES_MAX};
use crate::time::UtcTime;
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

/// An inventory change of nuclear material in a material balance area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryChange {
    /// The material balance area.
    pub mba: String,
    /// The batch.
    pub batch: String,
    /// The inventory change code (e.g. `RD` receipt, `SD` shipment, `LD` measured discard).
    pub code: String,
    /// The element.
    pub element: Element,
    /// Element weight, grams.
    pub element_grams: f64,
    /// Fissile isotope weight (U-235 or U-233), grams, where it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isotope_grams: Option<f64>,
    /// The other MBA of a shipment or receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterpart_mba: Option<String>,
}

/// One line of a physical inventory taking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhysicalInventory {
    /// The material balance area.
    pub mba: String,
    /// The batch.
    pub batch: String,
    /// The element.
    pub element: Element,
    /// Element weight, grams.
    pub element_grams: f64,
    /// Fissile isotope weight, grams, where it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isotope_grams: Option<f64>,
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
    RegistryRow(RegistryRow) = "registry.row", [Secretariat];
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
            Payload::InventoryChange(p) => {
                check_text("mba", &p.mba)?;
                check_text("batch", &p.batch)?;
                check_text("code", &p.code)?;
                check_grams("element_grams", p.element_grams)?;
                if let Some(g) = p.isotope_grams {
                    check_grams("isotope_grams", g)?;
                }
            }
            Payload::PhysicalInventory(p) => {
                check_text("mba", &p.mba)?;
                check_text("batch", &p.batch)?;
                check_grams("element_grams", p.element_grams)?;
                if let Some(g) = p.isotope_grams {
                    check_grams("isotope_grams", g)?;
                }
            }
            Payload::Measurement(p) => {
                check_text("mba", &p.mba)?;
                check_text("kmp", &p.kmp)?;
                check_text("batch", &p.batch)?;
                check_grams("element_grams", p.element_grams)?;
                check_rsd("rsd_random", p.rsd_random)?;
                check_rsd("rsd_systematic", p.rsd_systematic)?;
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

//! The declaration: entries of three kinds (items, sites, material stocks),
//! their sort key, their JSON form and their canonical bytes.
//!
//! # JSON
//!
//! ```json
//! {
//!   "scheme": "custodian/escrow/v1",
//!   "measures": ["deployed_warheads"],
//!   "entries": [
//!     {"entry": "item", "category": "warhead", "region": "north", "id": "w-0001",
//!      "type": "icbm-warhead", "site": "base-3", "status": "deployed",
//!      "measures": {"deployed_warheads": 1}},
//!     {"entry": "site", "category": "enrichment", "region": "north", "id": "yongbyon-1",
//!      "kind": "enrichment", "location": "39.79 N 125.75 E"},
//!     {"entry": "stock", "category": "heu", "region": "north", "id": "stock-1",
//!      "quantity": 12000, "unit": "g"}
//!   ]
//! }
//! ```
//!
//! `scheme` is optional; `measures` lists the committed measures (a Pedersen
//! total each); an entry's `measures` gives its values, 0 where absent; each
//! entry may carry its own `salt` (64 hex digits), otherwise one is drawn when
//! the declaration is committed. Unknown fields are refused everywhere.
//!
//! # Order
//!
//! Entries are committed in strictly increasing order of their
//! [`SortKey`] (category, region, id), compared byte by byte, so that every
//! category and every (category, region) is one contiguous run of leaves
//! (Philippe, Glaser and Felten 2019 reveal a declaration region by region;
//! the sorted order is what lets a reveal prove that a region is complete).
//! The input may be in any order; two entries with the same key are an error.
//!
//! # Canonical bytes
//!
//! ```text
//! entry_bytes = lp("custodian/escrow/v1/entry")
//!               u8 kind                       0x01 item, 0x02 site, 0x03 stock
//!               lp(category) lp(region) lp(id)
//!   item:       lp(type) lp(site) u8 status   status: 0x01 deployed, 0x02 stored,
//!                                             0x03 awaiting-dismantlement,
//!                                             0x04 dismantled, 0x05 in-transit
//!   site:       lp(kind) lp(location)
//!   stock:      u64 quantity  u8 unit         unit: 0x01 g, 0x02 kg
//!               u32 M                         number of committed measures
//!               M × ( lp(measure) u64 value C[32] )
//! ```
//!
//! `lp(x)` is a 4-byte big-endian length and `x`; integers are big-endian; the
//! measures come in the commitment's order (sorted by name) and `C` is the
//! entry's Pedersen commitment to the value (see [`crate::pedersen`]).

use crate::encoding::{excerpt, hex32, put_lp, SCHEME, TAG_ENTRY};
use crate::error::{from_json, EscrowError};
use crate::text::{Label, MeasureName, Text};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// The most entries a declaration may hold (a limit against runaway input;
/// the Merkle tree itself allows 2^62).
pub const ENTRIES_MAX: u64 = 100_000_000;
/// The most measures a declaration may commit to.
pub const MEASURES_MAX: usize = 16;

/// The key entries are sorted by: (category, region, id), compared byte by
/// byte in that order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SortKey {
    /// The category, e.g. `warhead`, `enrichment`, `heu`.
    pub category: Label,
    /// The region, e.g. `north`.
    pub region: Label,
    /// The entry's id, unique within (category, region).
    pub id: Label,
}

impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {}, {})", self.category, self.region, self.id)
    }
}

/// The status of an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    /// Deployed.
    Deployed,
    /// In storage (stockpiled).
    Stored,
    /// Retired, awaiting dismantlement.
    AwaitingDismantlement,
    /// Dismantled.
    Dismantled,
    /// Being moved between sites.
    InTransit,
}

impl ItemStatus {
    fn code(self) -> u8 {
        match self {
            ItemStatus::Deployed => 0x01,
            ItemStatus::Stored => 0x02,
            ItemStatus::AwaitingDismantlement => 0x03,
            ItemStatus::Dismantled => 0x04,
            ItemStatus::InTransit => 0x05,
        }
    }
}

/// The unit of a stock's quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MassUnit {
    /// Grams.
    #[serde(rename = "g")]
    Grams,
    /// Kilograms.
    #[serde(rename = "kg")]
    Kilograms,
}

impl MassUnit {
    fn code(self) -> u8 {
        match self {
            MassUnit::Grams => 0x01,
            MassUnit::Kilograms => 0x02,
        }
    }
}

/// What an entry declares, beyond its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryBody {
    /// A discrete item (a warhead, a bomb, a sealed container).
    Item {
        /// The item's type.
        item_type: Label,
        /// The site that holds it.
        site: Label,
        /// Its status.
        status: ItemStatus,
    },
    /// A site or facility.
    Site {
        /// The site's kind, e.g. `enrichment`, `storage`, `base`.
        kind: Label,
        /// Where it is.
        location: Text,
    },
    /// A material stock; its category is the material category (e.g. `heu`, `pu`).
    Stock {
        /// The quantity, in `unit`.
        quantity: u64,
        /// The unit of `quantity`.
        unit: MassUnit,
    },
}

/// One entry of a declaration: its key, what it declares, and its values of
/// the committed measures (absent means 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawEntry", into = "RawEntry")]
pub struct Entry {
    key: SortKey,
    body: EntryBody,
    measures: BTreeMap<MeasureName, u64>,
}

impl Entry {
    /// Makes an entry.
    pub fn new(key: SortKey, body: EntryBody, measures: BTreeMap<MeasureName, u64>) -> Entry {
        Entry {
            key,
            body,
            measures,
        }
    }

    /// The sort key.
    pub fn key(&self) -> &SortKey {
        &self.key
    }

    /// What the entry declares.
    pub fn body(&self) -> &EntryBody {
        &self.body
    }

    /// The measure values given (absent measures are 0).
    pub fn measures(&self) -> &BTreeMap<MeasureName, u64> {
        &self.measures
    }

    /// The value of a measure (0 if absent).
    pub fn value(&self, measure: &MeasureName) -> u64 {
        self.measures.get(measure).copied().unwrap_or(0)
    }

    /// Appends the canonical bytes (module docs) given the commitment's
    /// measures, in order, and the entry's Pedersen commitment to each.
    pub(crate) fn encode_into(
        &self,
        out: &mut Vec<u8>,
        measures: &[MeasureName],
        commitments: &[[u8; 32]],
    ) {
        debug_assert_eq!(measures.len(), commitments.len(), "bad math in encode_into");
        put_lp(out, TAG_ENTRY);
        let kind = match self.body {
            EntryBody::Item { .. } => 0x01,
            EntryBody::Site { .. } => 0x02,
            EntryBody::Stock { .. } => 0x03,
        };
        out.push(kind);
        put_lp(out, self.key.category.as_str().as_bytes());
        put_lp(out, self.key.region.as_str().as_bytes());
        put_lp(out, self.key.id.as_str().as_bytes());
        match &self.body {
            EntryBody::Item {
                item_type,
                site,
                status,
            } => {
                put_lp(out, item_type.as_str().as_bytes());
                put_lp(out, site.as_str().as_bytes());
                out.push(status.code());
            }
            EntryBody::Site { kind, location } => {
                put_lp(out, kind.as_str().as_bytes());
                put_lp(out, location.as_str().as_bytes());
            }
            EntryBody::Stock { quantity, unit } => {
                out.extend_from_slice(&quantity.to_be_bytes());
                out.push(unit.code());
            }
        }
        // At most MEASURES_MAX measures.
        out.extend_from_slice(&(measures.len() as u32).to_be_bytes());
        for (name, c) in measures.iter().zip(commitments) {
            put_lp(out, name.as_str().as_bytes());
            out.extend_from_slice(&self.value(name).to_be_bytes());
            out.extend_from_slice(c);
        }
    }

    /// The canonical bytes (module docs), given the commitment's measures in
    /// order and the entry's Pedersen commitment (compressed) to each.
    pub fn canonical_bytes(
        &self,
        measures: &[MeasureName],
        commitments: &[[u8; 32]],
    ) -> Result<Vec<u8>, EscrowError> {
        if measures.len() != commitments.len() {
            return Err(EscrowError::WrongCount {
                what: "Pedersen commitments (one per measure)".to_owned(),
                expected: measures.len() as u64,
                found: commitments.len() as u64,
            });
        }
        let mut out = Vec::with_capacity(256);
        self.encode_into(&mut out, measures, commitments);
        Ok(out)
    }

    /// The first measure this entry gives a value for that is not in
    /// `measures` (which is sorted).
    pub(crate) fn unknown_measure<'a>(
        &'a self,
        measures: &[MeasureName],
    ) -> Option<&'a MeasureName> {
        self.measures
            .keys()
            .find(|m| measures.binary_search(m).is_err())
    }
}

/// The JSON form of an entry (module docs).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "lowercase")]
enum RawEntry {
    Item(RawItem),
    Site(RawSite),
    Stock(RawStock),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    category: Label,
    region: Label,
    id: Label,
    #[serde(rename = "type")]
    item_type: Label,
    site: Label,
    status: ItemStatus,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    measures: BTreeMap<MeasureName, u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    category: Label,
    region: Label,
    id: Label,
    kind: Label,
    location: Text,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    measures: BTreeMap<MeasureName, u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStock {
    category: Label,
    region: Label,
    id: Label,
    quantity: u64,
    unit: MassUnit,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    measures: BTreeMap<MeasureName, u64>,
}

impl From<RawEntry> for Entry {
    fn from(raw: RawEntry) -> Entry {
        match raw {
            RawEntry::Item(r) => Entry {
                key: SortKey {
                    category: r.category,
                    region: r.region,
                    id: r.id,
                },
                body: EntryBody::Item {
                    item_type: r.item_type,
                    site: r.site,
                    status: r.status,
                },
                measures: r.measures,
            },
            RawEntry::Site(r) => Entry {
                key: SortKey {
                    category: r.category,
                    region: r.region,
                    id: r.id,
                },
                body: EntryBody::Site {
                    kind: r.kind,
                    location: r.location,
                },
                measures: r.measures,
            },
            RawEntry::Stock(r) => Entry {
                key: SortKey {
                    category: r.category,
                    region: r.region,
                    id: r.id,
                },
                body: EntryBody::Stock {
                    quantity: r.quantity,
                    unit: r.unit,
                },
                measures: r.measures,
            },
        }
    }
}

impl From<Entry> for RawEntry {
    fn from(e: Entry) -> RawEntry {
        let SortKey {
            category,
            region,
            id,
        } = e.key;
        match e.body {
            EntryBody::Item {
                item_type,
                site,
                status,
            } => RawEntry::Item(RawItem {
                category,
                region,
                id,
                item_type,
                site,
                status,
                measures: e.measures,
            }),
            EntryBody::Site { kind, location } => RawEntry::Site(RawSite {
                category,
                region,
                id,
                kind,
                location,
                measures: e.measures,
            }),
            EntryBody::Stock { quantity, unit } => RawEntry::Stock(RawStock {
                category,
                region,
                id,
                quantity,
                unit,
                measures: e.measures,
            }),
        }
    }
}

/// A 32-byte random salt that hides one entry. Its `Debug` form does not show
/// it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Salt(pub [u8; 32]);

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Salt(..)")
    }
}

impl Serialize for Salt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        hex32::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Salt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Salt, D::Error> {
        hex32::deserialize(d).map(Salt)
    }
}

/// An entry as it appears in a declaration file: the entry and, optionally,
/// its salt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredEntry {
    /// The entry.
    #[serde(flatten)]
    pub entry: Entry,
    /// Its salt, if given; one is drawn at commitment otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<Salt>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeclaration {
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    measures: Vec<String>,
    entries: Vec<serde_json::Value>,
}

/// Parses one entry of a declaration's `entries`, naming the field path
/// (`entries[3].status`) on failure: the `entry` tag and the `salt` are taken
/// out first, and the rest is read as that kind's fields, strictly.
fn parse_declared_entry(value: serde_json::Value, i: usize) -> Result<DeclaredEntry, EscrowError> {
    let at = |field: &str| {
        if field.is_empty() || field == "." {
            format!("entries[{i}]")
        } else {
            format!("entries[{i}].{field}")
        }
    };
    let serde_json::Value::Object(mut map) = value else {
        return Err(EscrowError::Json {
            at: at(""),
            message: "expected an object".to_owned(),
        });
    };
    let salt = match map.remove("salt") {
        None => None,
        Some(v) => Some(Salt::deserialize(v).map_err(|e| EscrowError::Json {
            at: at("salt"),
            message: e.to_string(),
        })?),
    };
    let kind = match map.remove("entry") {
        Some(serde_json::Value::String(k)) => k,
        _ => {
            return Err(EscrowError::Json {
                at: at("entry"),
                message: "expected \"item\", \"site\" or \"stock\"".to_owned(),
            })
        }
    };
    fn fields<T: serde::de::DeserializeOwned>(
        map: serde_json::Map<String, serde_json::Value>,
        at: &dyn Fn(&str) -> String,
    ) -> Result<T, EscrowError> {
        serde_path_to_error::deserialize(serde_json::Value::Object(map)).map_err(|e| {
            let path = e.path().to_string();
            EscrowError::Json {
                at: at(&path),
                message: e.into_inner().to_string(),
            }
        })
    }
    let raw = match kind.as_str() {
        "item" => RawEntry::Item(fields(map, &at)?),
        "site" => RawEntry::Site(fields(map, &at)?),
        "stock" => RawEntry::Stock(fields(map, &at)?),
        other => {
            return Err(EscrowError::Json {
                at: at("entry"),
                message: format!(
                    "expected \"item\", \"site\" or \"stock\", found {:?}",
                    excerpt(other)
                ),
            })
        }
    };
    Ok(DeclaredEntry {
        entry: Entry::from(raw),
        salt,
    })
}

#[derive(Serialize)]
struct DeclarationOut<'a> {
    scheme: &'static str,
    measures: &'a [MeasureName],
    entries: Vec<DeclaredEntry>,
}

/// A validated declaration: its measures (sorted, distinct) and its entries
/// sorted strictly by key, each with an optional salt; no two entries share a
/// key or an explicit salt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    measures: Vec<MeasureName>,
    entries: Vec<Entry>,
    salts: Vec<Option<Salt>>,
}

impl Declaration {
    /// Validates entries given in any order: sorts them by key, and refuses a
    /// duplicate key, a reused salt, a measure not in `measures`, or too many
    /// entries or measures. Errors name the input index of the entry.
    pub fn new(
        measures: Vec<MeasureName>,
        entries: Vec<DeclaredEntry>,
    ) -> Result<Declaration, EscrowError> {
        if measures.len() > MEASURES_MAX {
            return Err(EscrowError::TooMany {
                at: "measures".to_owned(),
                limit: MEASURES_MAX as u64,
                found: measures.len() as u64,
                what: "measures",
            });
        }
        let mut sorted_measures = measures.clone();
        sorted_measures.sort();
        for (i, pair) in sorted_measures.windows(2).enumerate() {
            if pair[0] == pair[1] {
                let at = measures
                    .iter()
                    .rposition(|m| *m == pair[1])
                    .unwrap_or(i + 1);
                return Err(EscrowError::Invalid {
                    at: format!("measures[{at}]"),
                    expected: "each measure named once".to_owned(),
                    found: pair[1].to_string(),
                });
            }
        }
        if entries.len() as u64 > ENTRIES_MAX {
            return Err(EscrowError::TooMany {
                at: "entries".to_owned(),
                limit: ENTRIES_MAX,
                found: entries.len() as u64,
                what: "entries",
            });
        }
        for (i, e) in entries.iter().enumerate() {
            if let Some(m) = e.entry.unknown_measure(&sorted_measures) {
                return Err(EscrowError::UnknownMeasure {
                    at: format!("entries[{i}].measures"),
                    measure: m.to_string(),
                    declared: sorted_measures.iter().map(|m| m.to_string()).collect(),
                });
            }
        }
        let mut salts_seen: HashMap<[u8; 32], usize> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if let Some(salt) = e.salt {
                if let Some(&first) = salts_seen.get(&salt.0) {
                    return Err(EscrowError::SaltReused { entry: i, first });
                }
                salts_seen.insert(salt.0, i);
            }
        }
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|&a, &b| {
            entries[a]
                .entry
                .key
                .cmp(&entries[b].entry.key)
                .then(a.cmp(&b))
        });
        for pair in order.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if entries[a].entry.key == entries[b].entry.key {
                return Err(EscrowError::DuplicateKey {
                    entry: a.max(b),
                    first: a.min(b),
                    field: "id",
                    key: entries[b].entry.key.to_string(),
                });
            }
        }
        let mut slots: Vec<Option<DeclaredEntry>> = entries.into_iter().map(Some).collect();
        let mut sorted = Vec::with_capacity(slots.len());
        let mut salts = Vec::with_capacity(slots.len());
        for i in order {
            // Each index appears once in `order`.
            let d = slots[i].take().expect("each index once");
            sorted.push(d.entry);
            salts.push(d.salt);
        }
        Ok(Declaration {
            measures: sorted_measures,
            entries: sorted,
            salts,
        })
    }

    /// Parses and validates the JSON form (module docs). Errors name the field
    /// path, e.g. `entries[3].status`.
    pub fn from_json(text: &str) -> Result<Declaration, EscrowError> {
        let raw: RawDeclaration = from_json(text)?;
        if let Some(scheme) = &raw.scheme {
            if scheme != SCHEME {
                return Err(EscrowError::Invalid {
                    at: "scheme".to_owned(),
                    expected: format!("{SCHEME:?}"),
                    found: excerpt(scheme),
                });
            }
        }
        let mut measures = Vec::with_capacity(raw.measures.len());
        for (i, m) in raw.measures.iter().enumerate() {
            measures.push(MeasureName::parse(m).map_err(|e| EscrowError::Invalid {
                at: format!("measures[{i}]"),
                expected: e.expected.to_owned(),
                found: e.found,
            })?);
        }
        let mut entries = Vec::with_capacity(raw.entries.len());
        for (i, value) in raw.entries.into_iter().enumerate() {
            entries.push(parse_declared_entry(value, i)?);
        }
        Declaration::new(measures, entries)
    }

    /// The JSON form with every entry in key order and its salt when known
    /// (the plaintext of the secret file once every salt is fixed).
    pub fn to_json(&self) -> String {
        let out = DeclarationOut {
            scheme: SCHEME,
            measures: &self.measures,
            entries: self
                .entries
                .iter()
                .zip(&self.salts)
                .map(|(e, s)| DeclaredEntry {
                    entry: e.clone(),
                    salt: *s,
                })
                .collect(),
        };
        // Serializing strings, integers and maps cannot fail.
        serde_json::to_string_pretty(&out).expect("a declaration serializes")
    }

    /// The committed measures, sorted by name.
    pub fn measures(&self) -> &[MeasureName] {
        &self.measures
    }

    /// The entries, sorted strictly by key.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The salts given, one per entry (`None` where a salt is yet to be drawn).
    pub fn salts(&self) -> &[Option<Salt>] {
        &self.salts
    }

    pub(crate) fn into_parts(self) -> (Vec<MeasureName>, Vec<Entry>, Vec<Option<Salt>>) {
        (self.measures, self.entries, self.salts)
    }
}

//! Identifiers and small codes. Each is parsed once at the edge and valid forever
//! after (STYLE §3, "Parse, don't validate").

use crate::limits::ID_BYTES_MAX;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Why an identifier or code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, found {found:?}")]
pub struct IdError {
    /// What a valid value looks like.
    pub expected: &'static str,
    /// The text that was given (at most 80 characters of it).
    pub found: String,
}

fn id_error(expected: &'static str, found: &str) -> IdError {
    IdError {
        expected,
        found: found.chars().take(80).collect(),
    }
}

/// Parses `[a-z0-9][a-z0-9._:-]{0,63}`: the shape of actor, event, site and item ids.
fn parse_slug(text: &str, expected: &'static str) -> Result<String, IdError> {
    let ok = !text.is_empty()
        && text.len() <= ID_BYTES_MAX
        && text.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || (i > 0 && matches!(b, b'.' | b'_' | b':' | b'-'))
        });
    if ok {
        Ok(text.to_owned())
    } else {
        Err(id_error(expected, text))
    }
}

/// A validated text identifier: a newtype over `String` whose only
/// constructor is `parse`, run by `$parse: fn(&str) -> Result<String, IdError>`;
/// displayed and serialized as the text itself.
macro_rules! checked_text {
    ($(#[$doc:meta])* $name:ident, $parse:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses the identifier; the only way to make one.
            pub fn parse(text: &str) -> Result<Self, $crate::ids::IdError> {
                let parse: fn(&str) -> Result<String, $crate::ids::IdError> = $parse;
                parse(text).map(Self)
            }
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use checked_text;

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $expected:literal) => {
        checked_text!($(#[$doc])* $name, |text| parse_slug(text, $expected));
    };
}

slug_id!(
    /// An actor: a person or system acting for a state or a body, holding one key.
    ActorId,
    "an actor id: 1 to 64 of a-z 0-9 . _ : - (starting with a letter or digit)"
);
slug_id!(
    /// An event's id, unique in the log.
    EventId,
    "an event id: 1 to 64 of a-z 0-9 . _ : - (starting with a letter or digit)"
);
slug_id!(
    /// A site or facility.
    SiteId,
    "a site id: 1 to 64 of a-z 0-9 . _ : - (starting with a letter or digit)"
);
slug_id!(
    /// A state's committed declaration (an escrow commitment).
    DeclarationId,
    "a declaration id: 1 to 64 of a-z 0-9 . _ : - (starting with a letter or digit)"
);
slug_id!(
    /// A discrete item: a warhead, a bomb, a sealed container.
    ItemId,
    "an item id: 1 to 64 of a-z 0-9 . _ : - (starting with a letter or digit)"
);

/// A state, by ISO 3166-1 alpha-3 code (three uppercase ASCII letters), including
/// codes of historical states (e.g. `SUN` for the USSR, ISO 3166-3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateCode([u8; 3]);

impl StateCode {
    /// Parses exactly three uppercase ASCII letters.
    pub fn parse(text: &str) -> Result<StateCode, IdError> {
        let bytes = text.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(StateCode([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(id_error(
                "an ISO 3166-1 alpha-3 state code (three uppercase letters, e.g. USA)",
                text,
            ))
        }
    }
    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII uppercase letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateCode({})", self.as_str())
    }
}
impl Serialize for StateCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
impl<'de> Deserialize<'de> for StateCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        StateCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Whom an actor acts for: a state, or an international body (an inspectorate, a
/// treaty secretariat). Written `state:USA` or `body:iaea`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Party {
    /// A state.
    State(StateCode),
    /// An international body, by a short lowercase code (`iaea`, `npt-secretariat`).
    Body(String),
}

impl Party {
    /// Parses `state:ISO3` or `body:code`.
    pub fn parse(text: &str) -> Result<Party, IdError> {
        const EXPECTED: &str = "a party: state:ISO3 (e.g. state:USA) or body:code (e.g. body:iaea)";
        if let Some(code) = text.strip_prefix("state:") {
            StateCode::parse(code)
                .map(Party::State)
                .map_err(|_| id_error(EXPECTED, text))
        } else if let Some(code) = text.strip_prefix("body:") {
            parse_slug(code, EXPECTED)
                .map(Party::Body)
                .map_err(|_| id_error(EXPECTED, text))
        } else {
            Err(id_error(EXPECTED, text))
        }
    }
    /// The state, if this party is one.
    pub fn state(&self) -> Option<StateCode> {
        match self {
            Party::State(code) => Some(*code),
            Party::Body(_) => None,
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Party::State(code) => write!(f, "state:{code}"),
            Party::Body(code) => write!(f, "body:{code}"),
        }
    }
}
impl Serialize for Party {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for Party {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Party::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What an actor may do. The ledger checks the role of every submission's actor
/// against the kinds of its events ([`crate::EventKind::permits`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Registers actors, rotates and revokes keys. Writes nothing else.
    Administrator,
    /// A state's authority (a ministry, a national accounting authority): items,
    /// sites, custody, control and declarations of its own state.
    StateAuthority,
    /// A facility operator: material accounts of its state's facilities.
    Operator,
    /// An inspector of an inspectorate: inspections, measurements, verifications.
    Inspector,
    /// A treaty secretariat: registry data and review-cycle records.
    Secretariat,
    /// Reads only; may appear as an approver.
    Observer,
}

impl Role {
    /// Every role, for help texts and matrix tests.
    pub const ALL: [Role; 6] = [
        Role::Administrator,
        Role::StateAuthority,
        Role::Operator,
        Role::Inspector,
        Role::Secretariat,
        Role::Observer,
    ];

    /// The role's name as written in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::StateAuthority => "state_authority",
            Role::Operator => "operator",
            Role::Inspector => "inspector",
            Role::Secretariat => "secretariat",
            Role::Observer => "observer",
        }
    }

    /// Parses a role name.
    pub fn parse(text: &str) -> Result<Role, IdError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                id_error(
                    "a role: administrator, state_authority, operator, inspector, secretariat or observer",
                    text,
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A position in the log: the zero-based index of a leaf.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LeafIndex(pub u64);

/// A number of leaves: the size of a tree. Never mixed with an index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TreeSize(pub u64);

impl fmt::Display for LeafIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl fmt::Display for TreeSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_or_say_what_was_expected() {
        assert!(ActorId::parse("usa-doe.officer-1").is_ok());
        assert!(ActorId::parse("").is_err());
        assert!(ActorId::parse("-x").is_err());
        assert!(ActorId::parse("Upper").is_err());
        assert!(ActorId::parse(&"a".repeat(65)).is_err());
        let err = StateCode::parse("usa").unwrap_err();
        assert!(err.to_string().contains("ISO 3166-1 alpha-3"), "{err}");
        assert_eq!(
            Party::parse("state:DEU").unwrap().state(),
            StateCode::parse("DEU").ok()
        );
        assert_eq!(Party::parse("body:iaea").unwrap().to_string(), "body:iaea");
        assert!(Party::parse("DEU").is_err());
        assert_eq!(Role::parse("inspector").unwrap(), Role::Inspector);
        assert!(Role::parse("root").is_err());
    }
}

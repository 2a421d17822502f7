//! Validated text fields of a declaration: [`Label`] (ids, categories,
//! regions, types, kinds), [`Text`] (free text such as a location) and
//! [`MeasureName`]. Each is parsed once and valid forever after.
//!
//! Keys are compared byte by byte (the order of `str`), so two spellings that
//! look alike are two keys; leading and trailing spaces are refused so that
//! `"W1"` and `"W1 "` cannot both appear. No Unicode normalisation is applied:
//! a declaring state that uses non-ASCII labels must spell them consistently.

use crate::encoding::excerpt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The longest [`Label`], in bytes.
pub const LABEL_BYTES_MAX: usize = 64;
/// The longest [`Text`], in bytes.
pub const TEXT_BYTES_MAX: usize = 256;
/// The longest [`MeasureName`], in bytes.
pub const MEASURE_NAME_BYTES_MAX: usize = 64;

/// Why a text field was refused: what was expected and what was found (at
/// most 80 characters of it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, found {found:?}")]
pub struct TextError {
    /// What a valid value looks like.
    pub expected: &'static str,
    /// The text given.
    pub found: String,
}

fn check_text(text: &str, max: usize, expected: &'static str) -> Result<(), TextError> {
    let ok = !text.is_empty()
        && text.len() <= max
        && !text.chars().any(char::is_control)
        && text.trim() == text;
    if ok {
        Ok(())
    } else {
        Err(TextError {
            expected,
            found: excerpt(text),
        })
    }
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses the text; the only way to make one.
            pub fn parse(text: &str) -> Result<Self, TextError> {
                let check: fn(&str) -> Result<(), TextError> = $check;
                check(text).map(|()| Self(text.to_owned()))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_type!(
    /// An id, a category, a region, an item type or a site kind: 1 to 64 bytes
    /// of UTF-8, no control characters, no leading or trailing white space.
    Label,
    |t| check_text(
        t,
        LABEL_BYTES_MAX,
        "1 to 64 bytes of text without control characters or leading/trailing spaces"
    )
);

text_type!(
    /// Free text such as a site's location: 1 to 256 bytes of UTF-8, no
    /// control characters, no leading or trailing white space.
    Text,
    |t| check_text(
        t,
        TEXT_BYTES_MAX,
        "1 to 256 bytes of text without control characters or leading/trailing spaces"
    )
);

text_type!(
    /// The name of a committed measure such as `deployed_warheads` or
    /// `grams_heu`: `[a-z][a-z0-9_]{0,63}`. It names a Pedersen total and
    /// enters Merlin transcripts, so it is kept to plain ASCII.
    MeasureName,
    |t| {
        let ok = !t.is_empty()
            && t.len() <= MEASURE_NAME_BYTES_MAX
            && t.bytes().enumerate().all(|(i, b)| {
                b.is_ascii_lowercase() || (i > 0 && (b.is_ascii_digit() || b == b'_'))
            });
        if ok {
            Ok(())
        } else {
            Err(TextError {
                expected: "a measure name [a-z][a-z0-9_]{0,63}",
                found: excerpt(t),
            })
        }
    }
);

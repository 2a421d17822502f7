//! RFC 8785 JSON Canonicalization Scheme (JCS): the one encoding of every JSON
//! value that Custodian hashes or signs, so that any other implementation can
//! recompute the exact bytes.
//!
//! Rules, from RFC 8785 §3.2:
//! - no whitespace between tokens (§3.2.1);
//! - `true`, `false`, `null` as literals (§3.2.2.1);
//! - strings as ECMAScript `JSON.stringify` writes them: `"` and `\` escaped,
//!   U+0008/0009/000A/000C/000D as `\b \t \n \f \r`, other controls below U+0020 as
//!   `\u00xx` with lowercase hex, everything else as literal UTF-8 (§3.2.2.2);
//! - numbers as ECMAScript `Number.prototype.toString` writes IEEE-754 doubles
//!   (§3.2.2.3), which is what `ryu-js` implements;
//! - object members sorted by the UTF-16 code units of their names (§3.2.3).
//!
//! Input must be I-JSON (RFC 7493): no duplicate member names (checked by
//! [`parse_strict`]) and integers within ±(2^53 − 1) so that a double holds them
//! exactly (checked by [`to_canonical_bytes`]).

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use std::fmt;

/// Largest integer magnitude a double holds exactly (RFC 7493 §2.2).
pub const SAFE_INTEGER_MAX: u64 = (1 << 53) - 1;

/// Why a value has no canonical encoding, or bytes are not strict I-JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// An integer beyond ±(2^53 − 1) would lose precision in other implementations.
    #[error("number {number} at {path} cannot be held exactly by an IEEE-754 double (I-JSON, RFC 7493 §2.2)")]
    UnsafeInteger {
        /// The number as written.
        number: String,
        /// JSON path of the value, e.g. `$.events[0].payload.count`.
        path: String,
    },
    /// The same member name appears twice in one object.
    #[error("duplicate member name {name:?} in one object")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// The text is not JSON.
    #[error("{0}")]
    Syntax(String),
    /// A value could not be converted to JSON.
    #[error("cannot encode value as JSON: {0}")]
    Encode(String),
}

/// The canonical (RFC 8785) bytes of `value`.
pub fn to_canonical_bytes(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    let mut path = String::from("$");
    write_value(&mut out, value, &mut path)?;
    Ok(out)
}

/// The canonical bytes of any serializable value, written directly by
/// [`crate::jcs`] (no intermediate `Value`).
pub fn canonicalize<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    crate::jcs::to_vec(value)
}

/// Parses JSON text strictly: rejects duplicate member names (which `serde_json`
/// would silently resolve to the last one) and trailing data. Two parsers must
/// never disagree about what was signed (STYLE §6).
pub fn parse_strict(text: &str) -> Result<Value, CanonicalError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictValue
        .deserialize(&mut de)
        .map_err(|e| CanonicalError::Syntax(e.to_string()))?;
    de.end()
        .map_err(|e| CanonicalError::Syntax(e.to_string()))?;
    Ok(value)
}

fn write_value(out: &mut Vec<u8>, value: &Value, path: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n, path)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                write_value(out, item, path)?;
                path.truncate(len);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // RFC 8785 §3.2.3: sort by UTF-16 code units, not by UTF-8 bytes; the
            // two orders differ for characters above U+FFFF against U+E000..U+FFFF.
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, name);
                out.push(b':');
                let len = path.len();
                path.push('.');
                path.push_str(name);
                write_value(out, item, path)?;
                path.truncate(len);
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_number(out: &mut Vec<u8>, n: &Number, path: &str) -> Result<(), CanonicalError> {
    if let Some(u) = n.as_u64() {
        write_es_number_u64(out, u, path)
    } else if let Some(i) = n.as_i64() {
        write_es_number_i64(out, i, path)
    } else {
        // serde_json never holds a non-finite double.
        let f = n.as_f64().unwrap_or(0.0);
        let mut buffer = ryu_js::Buffer::new();
        out.extend_from_slice(buffer.format_finite(f).as_bytes());
        Ok(())
    }
}

// RFC 8785 §3.2.2.3: every number is an IEEE-754 double, written as ECMAScript
// writes it. Integers beyond 2^53 are accepted only when their digits are exactly
// that text of the nearest double (9007199254740993 is refused, since other
// implementations would silently read 9007199254740992).
pub(crate) fn write_es_number_u64(
    out: &mut Vec<u8>,
    u: u64,
    path: &str,
) -> Result<(), CanonicalError> {
    if u <= SAFE_INTEGER_MAX {
        write_decimal(out, u);
        return Ok(());
    }
    let mut buffer = ryu_js::Buffer::new();
    let text = buffer.format_finite(u as f64);
    if text != u.to_string() {
        return Err(CanonicalError::UnsafeInteger {
            number: u.to_string(),
            path: path.to_string(),
        });
    }
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

pub(crate) fn write_es_number_i64(
    out: &mut Vec<u8>,
    i: i64,
    path: &str,
) -> Result<(), CanonicalError> {
    if i >= 0 {
        return write_es_number_u64(out, i as u64, path);
    }
    if i.unsigned_abs() <= SAFE_INTEGER_MAX {
        out.push(b'-');
        write_decimal(out, i.unsigned_abs());
        return Ok(());
    }
    let mut buffer = ryu_js::Buffer::new();
    let text = buffer.format_finite(i as f64);
    if text != i.to_string() {
        return Err(CanonicalError::UnsafeInteger {
            number: i.to_string(),
            path: path.to_string(),
        });
    }
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

fn write_decimal(out: &mut Vec<u8>, mut u: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

pub(crate) fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut start = 0;
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            0x08 => Some(b"\\b"),
            0x09 => Some(b"\\t"),
            0x0a => Some(b"\\n"),
            0x0c => Some(b"\\f"),
            0x0d => Some(b"\\r"),
            0x00..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A `Value` deserializer that refuses duplicate member names.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.contains_key(&name) {
                return Err(de::Error::custom(format!("duplicate member name {name:?}")));
            }
            let value = map.next_value_seed(StrictValue)?;
            members.insert(name, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jcs(text: &str) -> String {
        String::from_utf8(to_canonical_bytes(&parse_strict(text).unwrap()).unwrap()).unwrap()
    }

    /// RFC 8785 §3.2.2 "Sample Canonicalization" (input and output as printed there).
    #[test]
    fn rfc8785_section_3_2_2_sample() {
        let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
        let want = r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
        assert_eq!(jcs(input), want);
    }

    /// RFC 8785 §3.2.3 "Sorting of Object Properties": UTF-16 code-unit order.
    #[test]
    fn rfc8785_section_3_2_3_sorting() {
        let input = r#"{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
        let value = parse_strict(input).unwrap();
        let bytes = to_canonical_bytes(&value).unwrap();
        let names: Vec<String> = {
            // Re-parse with preserve order unavailable: read names from the text.
            let text = String::from_utf8(bytes).unwrap();
            text.trim_matches(|c| c == '{' || c == '}')
                .split(',')
                .map(|m| m.split(':').next().unwrap().to_string())
                .collect()
        };
        let want = [
            r#""\r""#,
            r#""1""#,
            "\"\u{80}\"",
            "\"\u{f6}\"",
            "\"\u{20ac}\"",
            "\"\u{1f600}\"",
            "\"\u{fb33}\"",
        ];
        assert_eq!(names, want);
    }

    /// RFC 8785 Appendix B: ES6 number serialization samples (IEEE-754 hex → text).
    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for &(bits, want) in cases {
            let f = f64::from_bits(bits);
            let got = to_canonical_bytes(&json!(f)).unwrap();
            assert_eq!(String::from_utf8(got).unwrap(), want, "bits {bits:016x}");
        }
    }

    #[test]
    fn duplicate_names_are_refused() {
        let err = parse_strict(r#"{"a":1,"b":{"c":1,"c":2}}"#).unwrap_err();
        assert!(
            err.to_string().contains("duplicate member name \"c\""),
            "{err}"
        );
    }

    #[test]
    fn trailing_data_is_refused() {
        assert!(parse_strict(r#"{"a":1} x"#).is_err());
    }

    #[test]
    fn unsafe_integers_are_refused_with_their_path() {
        let err = to_canonical_bytes(&json!({"a": [1, 9007199254740993u64]})).unwrap_err();
        assert_eq!(
            err,
            CanonicalError::UnsafeInteger {
                number: "9007199254740993".into(),
                path: "$.a[1]".into()
            }
        );
        // 2^53 is exactly a double, and is written as ECMAScript writes it.
        assert_eq!(
            to_canonical_bytes(&json!(9007199254740992u64)).unwrap(),
            b"9007199254740992"
        );
        assert!(to_canonical_bytes(&json!(u64::MAX)).is_err());
        assert_eq!(
            to_canonical_bytes(&json!(265996602523802700u64)).unwrap(),
            b"265996602523802700"
        );
        assert!(to_canonical_bytes(&json!(-9007199254740991i64)).is_ok());
    }

    #[test]
    fn control_characters_use_lowercase_escapes() {
        let got = to_canonical_bytes(&json!("\u{1}\u{1f}\u{7f}\u{2028}")).unwrap();
        assert_eq!(got, "\"\\u0001\\u001f\u{7f}\u{2028}\"".as_bytes());
    }

    proptest::proptest! {
        /// Canonical bytes are a fixed point: parsing them and canonicalizing again
        /// gives the same bytes.
        #[test]
        fn canonical_bytes_are_a_fixed_point(
            names in proptest::collection::vec("\\PC{0,6}", 0..6),
            ints in proptest::collection::vec(-9007199254740991i64..=9007199254740991, 0..6),
            floats in proptest::collection::vec(proptest::num::f64::NORMAL, 0..6),
        ) {
            let mut map = Map::new();
            for (i, name) in names.iter().enumerate() {
                map.insert(name.clone(), json!({"i": ints.get(i), "f": floats.get(i)}));
            }
            let value = Value::Object(map);
            let once = to_canonical_bytes(&value).unwrap();
            let twice = to_canonical_bytes(&parse_strict(std::str::from_utf8(&once).unwrap()).unwrap()).unwrap();
            proptest::prop_assert_eq!(once, twice);
        }
    }
}

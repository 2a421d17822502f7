//! A serde `Serializer` that writes RFC 8785 canonical JSON directly from typed
//! values, without building a `serde_json::Value` first: the hot path of every
//! append and audit. [`crate::canonical::to_canonical_bytes`] (over `Value`) is the
//! reference implementation; property tests check that both give the same bytes.
//!
//! Struct fields and map entries are written in the UTF-16 code-unit order of
//! their names (RFC 8785 §3.2.3), whatever order the type declares them in.

use crate::canonical::{write_es_number_i64, write_es_number_u64, write_string, CanonicalError};
use serde::ser::{self, Serialize};
use std::borrow::Cow;

/// The canonical bytes of `value`.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    value.serialize(&mut Writer { out: &mut out })?;
    Ok(out)
}

/// Appends the canonical bytes of `value` to `out`.
pub fn write<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    value.serialize(&mut Writer { out })
}

impl ser::Error for CanonicalError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        CanonicalError::Encode(msg.to_string())
    }
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// Object members, written straight to the output as they arrive; each member's
/// range (`"name":value`) is recorded so that, if names did not arrive in
/// canonical order, the ranges are re-sorted in place at the end. Types that
/// emit their fields in sorted order (the event envelope, submissions) never
/// pay for sorting.
struct Members<'a> {
    out: &'a mut Vec<u8>,
    /// Where the first member starts (just after `{`).
    start: usize,
    members: Vec<(Cow<'static, str>, usize, usize)>,
    sorted: bool,
    pending_key: Option<String>,
    /// For struct variants: the `{"Variant":` prefix to close with `}`.
    wrap: bool,
}

fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.as_bytes().cmp(b.as_bytes())
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

impl Members<'_> {
    fn finish(mut self) -> Result<(), CanonicalError> {
        if !self.sorted {
            self.members.sort_by(|a, b| utf16_cmp(&a.0, &b.0));
            if let Some(pair) = self.members.windows(2).find(|p| p[0].0 == p[1].0) {
                return Err(CanonicalError::DuplicateName {
                    name: pair[0].0.to_string(),
                });
            }
            let region = self.out.split_off(self.start);
            for (i, (_, from, to)) in self.members.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.out
                    .extend_from_slice(&region[from - self.start..to - self.start]);
            }
        }
        self.out.push(b'}');
        if self.wrap {
            self.out.push(b'}');
        }
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(
        &mut self,
        name: Cow<'static, str>,
        value: &T,
    ) -> Result<(), CanonicalError> {
        if let Some((last, _, _)) = self.members.last() {
            match utf16_cmp(last, &name) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => {
                    return Err(CanonicalError::DuplicateName {
                        name: name.into_owned(),
                    })
                }
                std::cmp::Ordering::Greater => self.sorted = false,
            }
            self.out.push(b',');
        }
        let from = self.out.len();
        write_string(self.out, &name);
        self.out.push(b':');
        value.serialize(&mut Writer { out: self.out })?;
        let to = self.out.len();
        self.members.push((name, from, to));
        Ok(())
    }
}

/// Array elements are written in order, straight to the output.
struct Elements<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    wrap: bool,
}

impl Elements<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(&mut Writer { out: self.out })
    }
    fn finish(self) {
        self.out.push(b']');
        if self.wrap {
            self.out.push(b'}');
        }
    }
}

fn unsupported(what: &str) -> CanonicalError {
    CanonicalError::Encode(format!("{what} cannot be written as canonical JSON"))
}

impl<'a, 'b> ser::Serializer for &'b mut Writer<'a> {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = Elements<'b>;
    type SerializeTuple = Elements<'b>;
    type SerializeTupleStruct = Elements<'b>;
    type SerializeTupleVariant = Elements<'b>;
    type SerializeMap = Members<'b>;
    type SerializeStruct = Members<'b>;
    type SerializeStructVariant = Members<'b>;

    fn serialize_bool(self, v: bool) -> Result<(), CanonicalError> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), CanonicalError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), CanonicalError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), CanonicalError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), CanonicalError> {
        write_es_number_i64(self.out, v, "$")
    }
    fn serialize_u8(self, v: u8) -> Result<(), CanonicalError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), CanonicalError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), CanonicalError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), CanonicalError> {
        write_es_number_u64(self.out, v, "$")
    }
    fn serialize_f32(self, v: f32) -> Result<(), CanonicalError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), CanonicalError> {
        if !v.is_finite() {
            return Err(CanonicalError::Encode(format!("number {v} is not finite")));
        }
        let mut buffer = ryu_js::Buffer::new();
        self.out
            .extend_from_slice(buffer.format_finite(v).as_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), CanonicalError> {
        write_string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), CanonicalError> {
        write_string(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), CanonicalError> {
        Err(unsupported("raw bytes"))
    }
    fn serialize_none(self) -> Result<(), CanonicalError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CanonicalError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), CanonicalError> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CanonicalError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), CanonicalError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.out.push(b'{');
        write_string(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut Writer { out: self.out })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Elements<'b>, CanonicalError> {
        self.out.push(b'[');
        Ok(Elements {
            out: self.out,
            first: true,
            wrap: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Elements<'b>, CanonicalError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Elements<'b>, CanonicalError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Elements<'b>, CanonicalError> {
        self.out.push(b'{');
        write_string(self.out, variant);
        self.out.extend_from_slice(b":[");
        Ok(Elements {
            out: self.out,
            first: true,
            wrap: true,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Members<'b>, CanonicalError> {
        self.out.push(b'{');
        let start = self.out.len();
        Ok(Members {
            out: self.out,
            start,
            members: Vec::with_capacity(len.unwrap_or(8)),
            sorted: true,
            pending_key: None,
            wrap: false,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Members<'b>, CanonicalError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Members<'b>, CanonicalError> {
        self.out.push(b'{');
        write_string(self.out, variant);
        self.out.push(b':');
        let mut m = self.serialize_map(Some(len))?;
        m.wrap = true;
        Ok(m)
    }
}

macro_rules! elements {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Elements<'_> {
            type Ok = ();
            type Error = CanonicalError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
                self.element(value)
            }
            fn end(self) -> Result<(), CanonicalError> {
                self.finish();
                Ok(())
            }
        }
    };
}
elements!(SerializeSeq, serialize_element);
elements!(SerializeTuple, serialize_element);
elements!(SerializeTupleStruct, serialize_field);
elements!(SerializeTupleVariant, serialize_field);

impl ser::SerializeMap for Members<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CanonicalError> {
        self.pending_key = Some(key.serialize(KeyName)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        let name = self
            .pending_key
            .take()
            .ok_or_else(|| CanonicalError::Encode("map value without a key".into()))?;
        self.value(Cow::Owned(name), value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

macro_rules! struct_members {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Members<'_> {
            type Ok = ();
            type Error = CanonicalError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), CanonicalError> {
                self.value(Cow::Borrowed(key), value)
            }
            fn end(self) -> Result<(), CanonicalError> {
                self.finish()
            }
        }
    )*};
}
struct_members!(SerializeStruct, SerializeStructVariant);

/// Map keys must be strings (JSON object member names).
struct KeyName;

/// Implements the serializer methods of scalar types, which cannot be JSON member
/// names, as refusals.
macro_rules! not_a_key {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, _: $t) -> Result<String, CanonicalError> {
            Err(unsupported("a non-string map key"))
        }
    )*};
}

impl ser::Serializer for KeyName {
    type Ok = String;
    type Error = CanonicalError;
    type SerializeSeq = ser::Impossible<String, CanonicalError>;
    type SerializeTuple = ser::Impossible<String, CanonicalError>;
    type SerializeTupleStruct = ser::Impossible<String, CanonicalError>;
    type SerializeTupleVariant = ser::Impossible<String, CanonicalError>;
    type SerializeMap = ser::Impossible<String, CanonicalError>;
    type SerializeStruct = ser::Impossible<String, CanonicalError>;
    type SerializeStructVariant = ser::Impossible<String, CanonicalError>;

    not_a_key!(
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64
    );

    fn serialize_str(self, v: &str) -> Result<String, CanonicalError> {
        Ok(v.to_owned())
    }
    fn serialize_char(self, v: char) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, CanonicalError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, CanonicalError> {
        value.serialize(self)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_none(self) -> Result<String, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_unit(self) -> Result<String, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CanonicalError> {
        Err(unsupported("a non-string map key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{parse_strict, to_canonical_bytes};
    use proptest::prelude::*;
    use serde_json::Value;

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-9007199254740991i64..=9007199254740991).prop_map(Value::from),
            proptest::num::f64::NORMAL.prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::String),
            "[\\x00-\\x1f\"\\\\]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("\\PC{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The direct serializer and the reference `Value` writer agree on every value.
        #[test]
        fn agrees_with_the_reference_writer(value in arb_json()) {
            prop_assert_eq!(to_vec(&value).unwrap(), to_canonical_bytes(&value).unwrap());
        }
    }

    #[test]
    fn rfc8785_sample_through_the_serializer() {
        let v = parse_strict(r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#).unwrap();
        assert_eq!(
            String::from_utf8(to_vec(&v).unwrap()).unwrap(),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn struct_fields_are_sorted_whatever_the_declaration_order() {
        #[derive(serde::Serialize)]
        struct S {
            z: u8,
            a: f64,
            m: Option<&'static str>,
        }
        assert_eq!(
            to_vec(&S {
                z: 1,
                a: 1.0,
                m: None
            })
            .unwrap(),
            br#"{"a":1,"m":null,"z":1}"#
        );
        // Nested, partly sorted already.
        let v = serde_json::json!({"b": {"y": [1, {"d": 1, "c": 2}], "x": "é"}, "a": []});
        assert_eq!(
            to_vec(&v).unwrap(),
            r#"{"a":[],"b":{"x":"é","y":[1,{"c":2,"d":1}]}}"#.as_bytes()
        );
        // A repeated name is refused, whether it arrives in order or not.
        #[derive(serde::Serialize)]
        struct Dup {
            a: u8,
            #[serde(rename = "a")]
            b: u8,
        }
        assert!(matches!(
            to_vec(&Dup { a: 1, b: 2 }),
            Err(CanonicalError::DuplicateName { .. })
        ));
    }
}

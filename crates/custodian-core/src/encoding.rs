//! Hex and base64 helpers shared by every crate, so that every byte format uses
//! the same alphabet: lowercase hex, and standard base64 with padding (RFC 4648 §4).

use base64::Engine as _;

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

/// Error from [`unhex`]: the position and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// The text has an odd number of digits.
    #[error("expected an even number of hex digits, found {len}")]
    OddLength {
        /// Number of characters found.
        len: usize,
    },
    /// A character is not a hex digit.
    #[error("expected a hex digit at position {position}, found {found:?}")]
    BadDigit {
        /// Zero-based character position.
        position: usize,
        /// The offending character.
        found: char,
    },
}

/// Parses hex (either case) into bytes.
pub fn unhex(text: &str) -> Result<Vec<u8>, HexError> {
    let bytes = text.as_bytes();
    if bytes.len() % 2 != 0 {
        return Err(HexError::OddLength { len: text.len() });
    }
    let digit = |i: usize| -> Result<u8, HexError> {
        let c = bytes[i];
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(HexError::BadDigit {
                position: i,
                found: text[i..].chars().next().unwrap_or('?'),
            }),
        }
    };
    (0..bytes.len() / 2)
        .map(|i| Ok(digit(2 * i)? << 4 | digit(2 * i + 1)?))
        .collect()
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Parses standard base64 with padding; rejects any other alphabet or
/// non-canonical trailing bits, so that one value has one encoding.
pub fn unbase64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(unhex("00ABff").unwrap(), vec![0x00, 0xab, 0xff]);
        assert_eq!(unhex("abc"), Err(HexError::OddLength { len: 3 }));
        assert_eq!(
            unhex("zz"),
            Err(HexError::BadDigit {
                position: 0,
                found: 'z'
            })
        );
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(base64(b"ab"), "YWI=");
        assert!(unbase64("YWI").is_err(), "padding is required");
        assert!(
            unbase64("YWJ=").is_err(),
            "non-zero trailing bits are rejected"
        );
    }
}

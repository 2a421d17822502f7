//! C2SP `signed-note` (<https://c2sp.org/signed-note>): text signed by one or more
//! keys, parsed as strictly as golang/mod `sumdb/note` `Open`, whose package
//! documentation is the original specification.
//!
//! ```text
//! <text, ending in a newline>
//! <blank line>
//! — <key name> <base64(4-byte key ID || signature)>
//! …
//! ```
//!
//! Rules ("Format"): the whole note is valid UTF-8 without ASCII control
//! characters other than newline; the text is separated from the signature lines
//! by the *last* blank line; each signature line is em dash (U+2014), space, key
//! name, space, base64 (RFC 4648 §4) of the key ID and the signature, newline.
//! Rules ("Signatures"): a signature from an unknown key is ignored; one from a
//! known key (name *and* key ID match) must verify, or the whole note is
//! rejected; at least one must verify.
//!
//! Stricter than Go: base64 must be canonical (Go accepts non-zero padding bits,
//! so in Go a bit flip there leaves a note valid; here no single bit flip does),
//! notes over [`NOTE_BYTES_MAX`] are refused (Go's `tlog.ParseTree` has the same
//! limit), key names on signature lines follow [`check_key_name`] (at most
//! [`crate::keys::KEY_NAME_BYTES_MAX`] bytes, no control characters), and every
//! signature line from a known key is verified, not only the first.

use crate::keys::{check_key_name, KeyError, SigningKey, VerifierKey};
use custodian_core::encoding;
use std::fmt;

/// Largest note accepted or produced, in bytes: golang/mod `tlog.ParseTree`'s
/// limit on tree notes (`len(text) > 1e6`).
pub const NOTE_BYTES_MAX: usize = 1_000_000;

/// Most signature lines accepted in one note: golang/mod `note.Open` stops at 100
/// ("Avoid spending forever parsing a note with many signatures"). C2SP requires
/// accepting at least 16.
pub const SIGNATURES_PER_NOTE_MAX: usize = 100;

/// The start of every signature line: em dash (U+2014, bytes E2 80 94) and space.
pub const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";

/// Why a note was refused, naming the line (1-based, counted over the whole note)
/// where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note exceeds [`NOTE_BYTES_MAX`].
    #[error("note is {len} bytes; expected at most {max}")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not UTF-8.
    #[error("note line {line}: expected UTF-8, found an invalid byte sequence")]
    InvalidUtf8 {
        /// The line with the first invalid sequence.
        line: usize,
    },
    /// An ASCII control character other than newline (carriage return included).
    #[error("note line {line}: expected no control characters other than newline, found U+{:04X}", u32::from(*.found))]
    ControlCharacter {
        /// The line where it was found.
        line: usize,
        /// The character.
        found: char,
    },
    /// No blank line separates the text from the signatures.
    #[error("note: expected a blank line between the text and the signatures, found none")]
    MissingSeparator,
    /// Nothing follows the last blank line.
    #[error("note: expected at least one signature line after the last blank line, found none")]
    NoSignatures,
    /// The last signature line does not end in a newline (often a truncated note).
    #[error("note line {line}: expected the last signature line to end in a newline")]
    MissingFinalNewline {
        /// The last line.
        line: usize,
    },
    /// A line after the last blank line is not a well-formed signature line.
    #[error("note line {line}: expected {expected}, found {found:?}")]
    MalformedSignatureLine {
        /// The line.
        line: usize,
        /// What a signature line needs there.
        expected: &'static str,
        /// The line (at most 120 characters of it).
        found: String,
    },
    /// More than [`SIGNATURES_PER_NOTE_MAX`] signature lines.
    #[error("note: expected at most {max} signature lines, found more")]
    TooManySignatures {
        /// The limit.
        max: usize,
    },
    /// Several known keys share a signature's name and key ID, so the signature
    /// cannot be attributed (golang/mod's "ambiguous key").
    #[error(
        "note line {line}: signature by {name}+{key_id} matches {count} known keys; expected one"
    )]
    AmbiguousKey {
        /// The line of the signature.
        line: usize,
        /// The key name.
        name: String,
        /// The key ID (hex).
        key_id: String,
        /// How many known keys match.
        count: usize,
    },
    /// A signature by a known key does not verify: the note is rejected whole
    /// (signed-note, "Signatures").
    #[error("note line {line}: signature by known key {name}+{key_id} does not verify")]
    InvalidSignature {
        /// The line of the signature.
        line: usize,
        /// The key name.
        name: String,
        /// The key ID (hex).
        key_id: String,
        /// Why the signature failed (boxed to keep the error small).
        #[source]
        cause: Box<KeyError>,
    },
    /// No signature is by a known key.
    #[error("note: expected a signature by a known key, found signatures by {} only", .signers.join(", "))]
    Unverified {
        /// `name+keyid` of each signature found.
        signers: Vec<String>,
    },
    /// The text to sign does not end in a newline.
    #[error("note text: expected a final newline")]
    TextWithoutFinalNewline,
    /// [`sign_note`] was given no keys.
    #[error("sign_note: expected at least one signing key, found none")]
    NoSigners,
    /// [`sign_note`] was given the same key (name and key ID) twice.
    #[error("sign_note: key {name}+{key_id} given twice; expected each key once")]
    DuplicateSigner {
        /// The key name.
        name: String,
        /// The key ID (hex).
        key_id: String,
    },
}

/// One signature line of a note, verified or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    key_id: [u8; 4],
    signature: Vec<u8>,
}

impl NoteSignature {
    /// The key name on the line.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID (the first four decoded bytes).
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The signature bytes after the key ID (64 for Ed25519; other algorithms
    /// differ, so any length of at least one byte parses).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The line as written: `— <name> <base64(key ID || signature)>\n`.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_LINE_PREFIX}{} {}\n",
            self.name,
            encoding::base64(&raw)
        )
    }

    fn signer(&self) -> String {
        format!("{}+{}", self.name, encoding::hex(&self.key_id))
    }
}

/// A parsed note whose signatures have **not** been verified: its text must not be
/// trusted (signed-note, introduction). Use [`open_note`] to get a [`VerifiedNote`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
    /// Number of lines of the text; signature `i` is on line `text_lines + 2 + i`.
    text_lines: usize,
}

fn line_of(text: &str, byte_offset: usize) -> usize {
    1 + text.as_bytes()[..byte_offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Checks the signed-note character rule over `text`, numbering lines from 1.
fn check_characters(text: &str) -> Result<(), NoteError> {
    match text.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
        Some((offset, found)) => Err(NoteError::ControlCharacter {
            line: line_of(text, offset),
            found,
        }),
        None => Ok(()),
    }
}

fn malformed(line: usize, expected: &'static str, found: &str) -> NoteError {
    NoteError::MalformedSignatureLine {
        line,
        expected,
        found: found.chars().take(120).collect(),
    }
}

fn parse_signature_line(line: usize, text: &str) -> Result<NoteSignature, NoteError> {
    let rest = text.strip_prefix(SIGNATURE_LINE_PREFIX).ok_or_else(|| {
        malformed(
            line,
            "a signature line starting with an em dash (U+2014) and a space",
            text,
        )
    })?;
    let (name, b64) = rest.split_once(' ').ok_or_else(|| {
        malformed(
            line,
            "a key name and a signature separated by a space",
            text,
        )
    })?;
    check_key_name(name).map_err(|_| {
        malformed(
            line,
            "a key name: non-empty, without whitespace or '+'",
            text,
        )
    })?;
    let raw = encoding::unbase64(b64)
        .map_err(|_| malformed(line, "the signature as standard padded base64", text))?;
    if raw.len() < 5 {
        return Err(malformed(
            line,
            "a signature of at least 5 bytes (a 4-byte key ID and the signature)",
            text,
        ));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: [raw[0], raw[1], raw[2], raw[3]],
        signature: raw[4..].to_vec(),
    })
}

impl Note {
    /// Parses a signed note without verifying it (golang/mod `note.Open` up to the
    /// point where it consults the verifiers).
    pub fn parse(bytes: &[u8]) -> Result<Note, NoteError> {
        if bytes.len() > NOTE_BYTES_MAX {
            return Err(NoteError::TooLarge {
                len: bytes.len(),
                max: NOTE_BYTES_MAX,
            });
        }
        let all = std::str::from_utf8(bytes).map_err(|e| NoteError::InvalidUtf8 {
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
        })?;
        check_characters(all)?;
        // The text ends at the last blank line (signed-note, "Format").
        let split = all.rfind("\n\n").ok_or(NoteError::MissingSeparator)?;
        let (text, block) = (&all[..split + 1], &all[split + 2..]);
        let text_lines = text.matches('\n').count();
        let Some(block) = block.strip_suffix('\n') else {
            return Err(if block.is_empty() {
                NoteError::NoSignatures
            } else {
                NoteError::MissingFinalNewline {
                    line: line_of(all, all.len()),
                }
            });
        };
        let mut signatures = Vec::new();
        for (i, line) in block.split('\n').enumerate() {
            if i == SIGNATURES_PER_NOTE_MAX {
                return Err(NoteError::TooManySignatures {
                    max: SIGNATURES_PER_NOTE_MAX,
                });
            }
            signatures.push(parse_signature_line(text_lines + 2 + i, line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
            text_lines,
        })
    }

    /// The text, including its final newline but not the blank line.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every signature line, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// The note as bytes: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
        }
        out
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// A note at least one known key has signed, as returned by [`open_note`]. The only
/// way to make one is to verify a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    note: Note,
    verified_by: Vec<VerifierKey>,
}

impl VerifiedNote {
    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        self.note.text()
    }

    /// The whole parsed note, with every signature line.
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// The known keys whose signatures verified, in the order of their first
    /// signature line; each once.
    pub fn verified_by(&self) -> &[VerifierKey] {
        &self.verified_by
    }

    /// Whether `key` signed the note.
    pub fn is_verified_by(&self, key: &VerifierKey) -> bool {
        self.verified_by.contains(key)
    }

    /// Signatures by keys that were not known (kept, not verified; signed-note,
    /// "Signatures": "Verifiers MUST ignore signatures from unknown keys").
    pub fn unverified(&self) -> impl Iterator<Item = &NoteSignature> {
        self.note.signatures.iter().filter(|s| {
            !self
                .verified_by
                .iter()
                .any(|k| k.name() == s.name && k.key_id() == s.key_id)
        })
    }
}

/// Signs `text` with each key, giving `text + "\n" + "— <name> <base64(key ID ||
/// signature)>\n"` per key (golang/mod `note.Sign`). The text must end in a
/// newline and contain no control character other than newline, so that
/// [`open_note`] gives back exactly `text`.
pub fn sign_note(text: &str, keys: &[&SigningKey]) -> Result<String, NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::TextWithoutFinalNewline);
    }
    check_characters(text)?;
    if keys.is_empty() {
        return Err(NoteError::NoSigners);
    }
    if keys.len() > SIGNATURES_PER_NOTE_MAX {
        return Err(NoteError::TooManySignatures {
            max: SIGNATURES_PER_NOTE_MAX,
        });
    }
    let mut out = String::with_capacity(text.len() + 1 + keys.len() * 128);
    out.push_str(text);
    out.push('\n');
    for (i, key) in keys.iter().enumerate() {
        if keys[..i]
            .iter()
            .any(|k| k.name() == key.name() && k.key_id() == key.key_id())
        {
            return Err(NoteError::DuplicateSigner {
                name: key.name().to_owned(),
                key_id: encoding::hex(&key.key_id()),
            });
        }
        let signature = NoteSignature {
            name: key.name().to_owned(),
            key_id: key.key_id(),
            signature: key.sign(text.as_bytes()).to_vec(),
        };
        out.push_str(&signature.to_line());
    }
    if out.len() > NOTE_BYTES_MAX {
        return Err(NoteError::TooLarge {
            len: out.len(),
            max: NOTE_BYTES_MAX,
        });
    }
    // Pair assertion (STYLE §5): what we write, we parse back to the same text.
    debug_assert_eq!(
        Note::parse(out.as_bytes()).map(|n| n.text),
        Ok(text.to_owned())
    );
    Ok(out)
}

/// Parses `bytes` as a signed note and verifies it against the `known` keys
/// (golang/mod `note.Open`): signatures by unknown keys are kept unverified; a
/// signature by a known key that fails is an error; at least one must verify.
pub fn open_note(bytes: &[u8], known: &[VerifierKey]) -> Result<VerifiedNote, NoteError> {
    let note = Note::parse(bytes)?;
    let mut verified_by: Vec<VerifierKey> = Vec::new();
    for (i, signature) in note.signatures.iter().enumerate() {
        let line = note.text_lines + 2 + i;
        let mut matching = known
            .iter()
            .filter(|k| k.name() == signature.name && k.key_id() == signature.key_id);
        let Some(key) = matching.next() else {
            continue;
        };
        let others = matching.count();
        if others > 0 {
            return Err(NoteError::AmbiguousKey {
                line,
                name: signature.name.clone(),
                key_id: encoding::hex(&signature.key_id),
                count: others + 1,
            });
        }
        key.verify(note.text.as_bytes(), &signature.signature)
            .map_err(|cause| NoteError::InvalidSignature {
                line,
                name: signature.name.clone(),
                key_id: encoding::hex(&signature.key_id),
                cause: Box::new(cause),
            })?;
        if !verified_by.contains(key) {
            verified_by.push(key.clone());
        }
    }
    if verified_by.is_empty() {
        return Err(NoteError::Unverified {
            signers: note.signatures.iter().map(NoteSignature::signer).collect(),
        });
    }
    Ok(VerifiedNote { note, verified_by })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, byte: u8) -> SigningKey {
        SigningKey::from_seed(name, [byte; 32]).unwrap()
    }

    #[test]
    fn sign_then_open() {
        let (a, b) = (key("a.example/log", 1), key("b.example/witness", 2));
        let note = sign_note("hello\n\nworld\n", &[&a, &b]).unwrap();
        let opened = open_note(note.as_bytes(), &[b.verifier()]).unwrap();
        assert_eq!(opened.text(), "hello\n\nworld\n");
        assert_eq!(opened.verified_by(), &[b.verifier()]);
        assert_eq!(opened.unverified().count(), 1);
        assert_eq!(opened.note().to_text(), note);
    }

    #[test]
    fn refusals_name_the_line() {
        let a = key("a", 1);
        let note = sign_note("x\ny\n", &[&a]).unwrap();
        let bad = note.replace("— a", "— a b");
        let err = open_note(bad.as_bytes(), &[a.verifier()]).unwrap_err();
        assert!(err.to_string().starts_with("note line 4:"), "{err}");
        let err = open_note(note.as_bytes(), &[key("a", 2).verifier()]).unwrap_err();
        assert!(matches!(err, NoteError::Unverified { .. }), "{err}");
        assert_eq!(
            sign_note("x", &[&a]),
            Err(NoteError::TextWithoutFinalNewline)
        );
        assert_eq!(sign_note("x\n", &[]), Err(NoteError::NoSigners));
        assert!(matches!(
            sign_note("x\r\n", &[&a]),
            Err(NoteError::ControlCharacter {
                line: 1,
                found: '\r'
            })
        ));
    }
}

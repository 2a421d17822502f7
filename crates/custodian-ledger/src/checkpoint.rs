//! C2SP `tlog-checkpoint` (<https://c2sp.org/tlog-checkpoint>): a log's tree head
//! as the text of a signed note ([`crate::note`]).
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! [<extension line>…]
//! ```
//!
//! The body has one encoding (STYLE §6): [`Checkpoint::body`] writes it and
//! [`Checkpoint::parse_body`] accepts exactly what `body` would write, re-formatting
//! the parsed value and comparing, as golang/mod `tlog.ParseTree` does for the size.
//!
//! Stricter than the specification, deliberately:
//! - the origin must be a valid signed-note key name (the specification's SHOULD:
//!   no Unicode spaces, no `+`), because we also require it to equal the name of
//!   the key that signs the checkpoint ("Signatures": "SHOULD match");
//! - the body is at most [`CHECKPOINT_BODY_BYTES_MAX`] bytes.

use crate::hash::Hash;
use crate::keys::{check_key_name, SigningKey, VerifierKey};
use crate::note::{open_note, sign_note, NoteError};
use custodian_core::TreeSize;

/// Largest checkpoint body accepted or produced, in bytes. A checkpoint without
/// extensions is three short lines; this leaves room for a few extension lines
/// and keeps the signed note far below [`crate::note::NOTE_BYTES_MAX`].
pub const CHECKPOINT_BODY_BYTES_MAX: usize = 64 * 1024;

/// Why a checkpoint was refused. Parse errors name the line and what was expected,
/// e.g. `checkpoint line 2: expected the tree size as a decimal number without
/// leading zeros, found "08"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A line of the body is not what the specification requires there.
    #[error("checkpoint line {line}: expected {expected}, found {found:?}")]
    Line {
        /// The line, 1-based (1 = origin, 2 = size, 3 = root, 4… = extensions).
        line: usize,
        /// What the line must hold.
        expected: &'static str,
        /// The line (at most 80 characters of it).
        found: String,
    },
    /// The body as a whole is malformed (too short, no final newline, too large).
    #[error("checkpoint: expected {expected}, found {found}")]
    Body {
        /// What was expected.
        expected: &'static str,
        /// What was found, described.
        found: String,
    },
    /// The origin line differs from the name of the verifying key.
    #[error("checkpoint origin {origin:?} does not match the key name {key_name:?}; expected them equal")]
    OriginMismatch {
        /// The checkpoint's origin.
        origin: String,
        /// The key's name.
        key_name: String,
    },
    /// The signed note around the checkpoint is malformed or not signed by the key.
    #[error("checkpoint note: {0}")]
    Note(#[from] NoteError),
}

/// A log's tree head: origin, size and RFC 9162 root hash, with optional
/// extension lines. Valid by construction: the body it writes parses back to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: TreeSize,
    root: Hash,
    extensions: Vec<String>,
}

fn line_error(line: usize, expected: &'static str, found: &str) -> CheckpointError {
    CheckpointError::Line {
        line,
        expected,
        found: found.chars().take(80).collect(),
    }
}

const ORIGIN_EXPECTED: &str =
    "the origin: a non-empty key name without whitespace, '+' or control characters";
const EXTENSION_EXPECTED: &str = "a non-empty extension line without control characters";

fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    check_key_name(origin).map_err(|_| line_error(1, ORIGIN_EXPECTED, origin))
}

fn check_extension(line: usize, extension: &str) -> Result<(), CheckpointError> {
    if extension.is_empty() || extension.chars().any(char::is_control) {
        return Err(line_error(line, EXTENSION_EXPECTED, extension));
    }
    Ok(())
}

/// Parses the tree size: ASCII digits, no sign, no leading zero unless the size is
/// `0`, at most `u64::MAX` (tlog-checkpoint, "Note text", item 2).
fn parse_size(text: &str) -> Option<TreeSize> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return None;
    }
    text.parse::<u64>().ok().map(TreeSize)
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: TreeSize, root: Hash) -> Result<Checkpoint, CheckpointError> {
        Self::with_extensions(origin, size, root, Vec::new())
    }

    /// A checkpoint with extension lines (tlog-checkpoint, "Note text", item 4:
    /// non-empty, and NOT RECOMMENDED because monitors cannot audit them).
    pub fn with_extensions(
        origin: &str,
        size: TreeSize,
        root: Hash,
        extensions: Vec<String>,
    ) -> Result<Checkpoint, CheckpointError> {
        check_origin(origin)?;
        for (i, extension) in extensions.iter().enumerate() {
            // A newline inside an extension would add a line; refuse it as a
            // control character.
            check_extension(4 + i, extension)?;
        }
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        };
        let len = checkpoint.body().len();
        if len > CHECKPOINT_BODY_BYTES_MAX {
            return Err(CheckpointError::Body {
                expected: "a body of at most 65536 bytes",
                found: format!("{len} bytes"),
            });
        }
        Ok(checkpoint)
    }

    /// The log's origin (line 1).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The number of leaves (line 2).
    pub fn size(&self) -> TreeSize {
        self.size
    }

    /// The RFC 9162 §2.1.1 root hash of the tree of that size (line 3).
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The extension lines (lines 4…), usually none.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text: `origin\n<decimal size>\n<base64 root>\n`, then each
    /// extension line and a newline (tlog-checkpoint, "Note text").
    pub fn body(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size.0,
            self.root.to_base64()
        );
        for extension in &self.extensions {
            out.push_str(extension);
            out.push('\n');
        }
        out
    }

    /// Parses a checkpoint body strictly: exactly what [`Checkpoint::body`] writes.
    /// Refuses carriage returns and other control characters, a missing final
    /// newline, empty lines, a size with a sign or leading zeros or above
    /// `u64::MAX`, and a root that is not 32 bytes of canonical padded base64.
    pub fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        if text.len() > CHECKPOINT_BODY_BYTES_MAX {
            return Err(CheckpointError::Body {
                expected: "a body of at most 65536 bytes",
                found: format!("{} bytes", text.len()),
            });
        }
        let Some(lines) = text.strip_suffix('\n') else {
            return Err(CheckpointError::Body {
                expected: "a body ending in a newline",
                found: "none at the end".to_owned(),
            });
        };
        let lines: Vec<&str> = lines.split('\n').collect();
        if lines.len() < 3 {
            return Err(CheckpointError::Body {
                expected: "at least 3 lines (origin, tree size, root hash)",
                found: format!("{} line(s)", lines.len()),
            });
        }
        check_origin(lines[0])?;
        let size = parse_size(lines[1]).ok_or_else(|| {
            line_error(
                2,
                "the tree size as a decimal number without leading zeros, at most 18446744073709551615",
                lines[1],
            )
        })?;
        let root = Hash::from_base64(lines[2]).map_err(|_| {
            line_error(
                3,
                "the root hash as 32 bytes of standard padded base64 (44 characters)",
                lines[2],
            )
        })?;
        let mut extensions = Vec::with_capacity(lines.len() - 3);
        for (i, extension) in lines[3..].iter().enumerate() {
            check_extension(4 + i, extension)?;
            extensions.push((*extension).to_owned());
        }
        let checkpoint = Checkpoint::with_extensions(lines[0], size, root, extensions)?;
        // One value, one encoding: what we accept is exactly what we would write.
        if checkpoint.body() != text {
            return Err(CheckpointError::Body {
                expected: "the canonical encoding of the checkpoint",
                found: "a different encoding of the same values".to_owned(),
            });
        }
        Ok(checkpoint)
    }
}

/// Signs `checkpoint` with `key`, giving the signed note text (golang/mod
/// `note.Sign` over [`Checkpoint::body`]). [`verify_checkpoint`] accepts it only if
/// the checkpoint's origin equals the key name; use that name as the origin.
pub fn sign_checkpoint(checkpoint: &Checkpoint, key: &SigningKey) -> String {
    let note = sign_note(&checkpoint.body(), &[key]);
    // A checkpoint's body ends in a newline, holds no control characters and is at
    // most 64 KiB; one signature line by a valid key name adds at most about 1 KiB;
    // so sign_note cannot refuse it.
    note.expect("a checkpoint body is always a signable note text")
}

/// Verifies a signed checkpoint: the note must carry a valid signature by `key`
/// (other keys' signatures, such as witness cosignatures, are ignored), its text
/// must be a canonical checkpoint body, and the origin must equal the key name
/// (tlog-checkpoint, "Signatures": SHOULD match; Custodian requires it). The text
/// is not interpreted before the signature verifies (signed-note: "The text MUST be
/// ignored unless the note is signed by a trusted key").
pub fn verify_checkpoint(note: &[u8], key: &VerifierKey) -> Result<Checkpoint, CheckpointError> {
    let opened = open_note(note, std::slice::from_ref(key))?;
    let checkpoint = Checkpoint::parse_body(opened.text())?;
    if checkpoint.origin() != key.name() {
        return Err(CheckpointError::OriginMismatch {
            origin: checkpoint.origin.clone(),
            key_name: key.name().to_owned(),
        });
    }
    Ok(checkpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_canonical_decimal() {
        assert_eq!(parse_size("0"), Some(TreeSize(0)));
        assert_eq!(parse_size("18446744073709551615"), Some(TreeSize(u64::MAX)));
        for bad in [
            "",
            "08",
            "00",
            "+8",
            "-1",
            " 8",
            "8 ",
            "18446744073709551616",
            "1e3",
            "٣",
        ] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parse_errors_name_the_line() {
        let root = Hash([7; 32]).to_base64();
        let err = Checkpoint::parse_body(&format!("o\n08\n{root}\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "checkpoint line 2: expected the tree size as a decimal number without leading \
             zeros, at most 18446744073709551615, found \"08\""
        );
        let err = Checkpoint::parse_body(&format!("o\n8\n{root}\n\n")).unwrap_err();
        assert!(err.to_string().starts_with("checkpoint line 4:"), "{err}");
        let err = Checkpoint::parse_body(&format!("o\n8\n{root}")).unwrap_err();
        assert!(err.to_string().contains("ending in a newline"), "{err}");
        let err = Checkpoint::parse_body(&format!("o\r\n8\n{root}\n")).unwrap_err();
        assert!(err.to_string().starts_with("checkpoint line 1:"), "{err}");
    }

    #[test]
    fn extensions_round_trip() {
        let c = Checkpoint::with_extensions("o", TreeSize(3), Hash([1; 32]), vec!["x y".into()])
            .unwrap();
        assert_eq!(Checkpoint::parse_body(&c.body()).unwrap(), c);
        assert!(
            Checkpoint::with_extensions("o", TreeSize(3), Hash([1; 32]), vec!["a\nb".into()])
                .is_err()
        );
    }
}

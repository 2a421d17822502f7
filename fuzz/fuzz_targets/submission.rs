//! Parses arbitrary bytes as a log leaf and as a submission input line: must
//! never panic; whatever parses must re-encode to bytes that parse to the same
//! submission.
#![no_main]

use custodian_core::canonical::parse_strict;
use custodian_core::SignedSubmission;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(signed) = SignedSubmission::from_leaf_bytes(data) {
        let again = signed.leaf_bytes().expect("a parsed leaf re-encodes");
        assert_eq!(again, data, "a leaf that parses is canonical");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(value) = parse_strict(text) {
            if let Ok((submission, _)) = SignedSubmission::parse_json(value) {
                let bytes = submission.signing_bytes().expect("a parsed submission encodes");
                let reparsed = parse_strict(std::str::from_utf8(&bytes[custodian_core::submission::SUBMISSION_CONTEXT.len()..]).unwrap())
                    .expect("canonical bytes parse");
                let (again, _) = SignedSubmission::parse_json(reparsed).expect("canonical bytes are a submission");
                assert_eq!(again, submission);
            }
        }
    }
});

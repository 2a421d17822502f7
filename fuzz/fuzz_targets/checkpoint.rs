//! Parses arbitrary bytes as a checkpoint body and as a signed checkpoint note:
//! must never panic, and a body that parses must format back to the same bytes.
#![no_main]

use custodian_ledger::checkpoint::{verify_checkpoint, Checkpoint};
use custodian_ledger::keys::SigningKey;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed("custodian.fuzz/log", [7; 32]).expect("valid name"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(cp) = Checkpoint::parse_body(text) {
        assert_eq!(cp.body(), text, "a body that parses is canonical");
    }
    let _ = verify_checkpoint(data, &key().verifier());
});

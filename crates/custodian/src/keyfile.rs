//! Key files: a signing key is one line in golang/mod `sumdb/note` signer form,
//! `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`, written with mode
//! 0600 and never overwritten; a verifier key is `<name>+<hex key id>+<base64>`.

use crate::cli::Cli;
use crate::output;
use crate::CmdResult;
use anyhow::Context;
use custodian_core::ActorId;
use custodian_ledger::keys::{SigningKey, VerifierKey};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Reads a signing key file.
pub fn read_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the signing key file", path.display()))?;
    SigningKey::parse(text.trim_end_matches('\n')).with_context(|| {
        format!(
            "{}: not a signing key file (expected one line PRIVATE+KEY+<name>+<id>+<data>)",
            path.display()
        )
    })
}

/// Parses a verifier key given inline or as a file path.
pub fn read_verifier_key(text_or_path: &str) -> anyhow::Result<VerifierKey> {
    let text = if Path::new(text_or_path).is_file() {
        std::fs::read_to_string(text_or_path)
            .with_context(|| format!("{text_or_path}: cannot read the verifier key file"))?
    } else {
        text_or_path.to_string()
    };
    VerifierKey::parse(text.trim())
        .with_context(|| format!("{text_or_path:?}: not a verifier key (expected <name>+<8 hex id>+<base64>, or a file holding one)"))
}

/// Writes a new file with mode 0600; refuses to overwrite.
pub fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| {
        format!(
            "{}: cannot create the key file (it is never overwritten)",
            path.display()
        )
    })?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(())
}

/// `custodian key generate NAME`.
pub fn generate(cli: &Cli, name: &str, out: Option<&Path>) -> CmdResult {
    if ActorId::parse(name).is_err() {
        bail!("{name:?}: expected an actor id (1 to 64 of a-z 0-9 . _ : -)");
    }
    let path = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("{name}.key")));
    let vkey_path = path.with_extension("vkey");
    if vkey_path.exists() {
        bail!(
            "{}: already exists; refusing to overwrite it",
            vkey_path.display()
        );
    }
    let key = SigningKey::generate(name)?;
    write_secret(&path, &key.to_text())?;
    let vkey = key.verifier().to_text();
    std::fs::write(&vkey_path, format!("{vkey}\n"))
        .with_context(|| format!("{}: cannot write the verifier key", vkey_path.display()))?;
    if cli.json {
        output::json(&serde_json::json!({
            "name": name,
            "key_file": path.display().to_string(),
            "verifier_key_file": vkey_path.display().to_string(),
            "verifier_key": vkey,
        }));
    } else {
        println!("wrote signing key {} (keep it secret)", path.display());
        println!("wrote verifier key {}: {vkey}", vkey_path.display());
    }
    Ok(())
}

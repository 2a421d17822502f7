//! `custodian export tiles DIR`: the log as static C2SP tlog-tiles
//! (`custodian_store::tiles`), for any web server, object store or CDN to serve.
//! docs/DEPLOYMENT.md says how to serve them; docs/FORMATS.md §17 gives the bytes.

use crate::cli::{Cli, ExportCommand};
use crate::{output, CmdResult, Failure};
use anyhow::anyhow;
use custodian_ledger::keys::VerifierKey;
use custodian_store::any::AnyStore;
use custodian_store::tiles::{
    verify_tiles, write_tiles, DirSource, TileClient, TilesError, TilesReport,
};
use custodian_store::Store;
use serde_json::{json, Value};
use std::path::Path;

/// Runs an `export` subcommand.
pub fn run(cli: &Cli, cmd: &ExportCommand) -> CmdResult {
    match cmd {
        ExportCommand::Tiles { dir, verify } => tiles(cli, dir, *verify),
    }
}

/// A fork, a rollback, a changed file or a failed check exits with 3; the rest
/// (I/O, a damaged store) with 1.
fn failure(dir: &Path, e: TilesError) -> Failure {
    let verification = e.is_verification_failure();
    let error = anyhow!("export tiles {}: {e}", dir.display());
    if verification {
        Failure::verification(error)
    } else {
        Failure::from(error)
    }
}

fn tiles(cli: &Cli, dir: &Path, verify: bool) -> CmdResult {
    let store = AnyStore::open(&cli.db_target())?;
    let verifier = VerifierKey::parse(&store.meta()?.verifier_key)?;
    let export = write_tiles(&store, dir).map_err(|e| failure(dir, e))?;
    // Pair the assertion (STYLE §5): read what was written back as a client
    // does, with the verifier key only, and recompute the root from the tiles.
    let client = TileClient::open(DirSource::new(dir), &verifier).map_err(|e| failure(dir, e))?;
    client.check_root().map_err(|e| failure(dir, e))?;
    if client.size() != export.size {
        return Err(Failure::verification(anyhow!(
            "export tiles {}: the checkpoint read back has {} leaves, not the {} exported (another export running?)",
            dir.display(),
            client.size().0,
            export.size.0
        )));
    }
    let report = if verify {
        Some(
            verify_tiles(DirSource::new(dir), &verifier, &mut |_, _| {})
                .map_err(|e| failure(dir, e))?,
        )
    } else {
        None
    };
    if cli.json {
        output::json(&json!({
            "dir": dir.display().to_string(),
            "tree_size": export.size.0,
            "root": export.root.to_hex(),
            "previous_size": export.previous_size.map(|s| s.0),
            "tiles_written": export.tiles_written,
            "bundles_written": export.bundles_written,
            "files_unchanged": export.files_unchanged,
            "large_bundles": export.large_bundles,
            "partials_removed": export.partials_removed,
            "checkpoint_written": export.checkpoint_written,
            "verified": report.as_ref().map_or(Value::Null, report_json),
        }));
        return Ok(());
    }
    let since = match export.previous_size {
        Some(old) if old == export.size => " (already published; nothing new)".to_owned(),
        Some(old) => format!(" (was {})", old.0),
        None => String::new(),
    };
    println!(
        "{}: {} leaves{since}, root {}",
        dir.display(),
        export.size.0,
        export.root
    );
    println!(
        "written: {} tiles, {} entry bundles{}; {} files already current; {} superseded partials removed",
        export.tiles_written,
        export.bundles_written,
        if export.checkpoint_written {
            ", the checkpoint"
        } else {
            ""
        },
        export.files_unchanged,
        export.partials_removed
    );
    if export.large_bundles > 0 {
        println!(
            "note: {} entry bundles hold a leaf over 65535 bytes, which the tlog-tiles bundle format cannot carry; they are at custodian/entries/ with 4-byte lengths (docs/FORMATS.md §17)",
            export.large_bundles
        );
    }
    println!("read back: the root recomputed from the tiles equals the checkpoint's");
    if let Some(r) = report {
        println!(
            "verified as a client: {} tiles, {} entry bundles ({} large), {} entries, {} inclusion proofs",
            r.tiles, r.bundles, r.large_bundles, r.entries, r.inclusion_proofs
        );
    }
    Ok(())
}

fn report_json(r: &TilesReport) -> Value {
    json!({
        "tree_size": r.size.0,
        "root": r.root.to_hex(),
        "tiles": r.tiles,
        "bundles": r.bundles,
        "large_bundles": r.large_bundles,
        "entries": r.entries,
        "inclusion_proofs": r.inclusion_proofs,
    })
}

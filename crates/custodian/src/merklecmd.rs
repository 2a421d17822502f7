//! `custodian merkle root|inclusion|consistency FILE`: the log's Merkle code on a
//! file of hex-encoded leaf data (one leaf per line, an empty line is an empty
//! leaf), printing `{"tree_size":N,"root":HEX,"proof":[HEX,...]}` so that other
//! implementations can be checked against it.

use crate::cli::{Cli, MerkleCommand};
use crate::CmdResult;
use anyhow::{anyhow, Context};
use custodian_core::encoding::unhex;
use custodian_core::{LeafIndex, TreeSize};
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::proof::{prove_consistency, prove_inclusion, tree_hash};
use custodian_ledger::tree::Frontier;
use custodian_ledger::Hash;
use std::path::Path;

fn stored_hashes(path: &Path) -> anyhow::Result<(u64, Vec<Hash>)> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "{}: cannot read (expected UTF-8 text of hex lines)",
            path.display()
        )
    })?;
    let mut frontier = Frontier::new();
    let mut hashes = Vec::new();
    let body = text.strip_suffix('\n').unwrap_or(&text);
    if !body.is_empty() || text.ends_with('\n') {
        for (i, line) in body.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let data = unhex(line.trim()).map_err(|e| {
                anyhow!("{}:{}: expected hex leaf data: {e}", path.display(), i + 1)
            })?;
            frontier.push_into(leaf_hash(&data), &mut hashes);
        }
    }
    Ok((frontier.size().0, hashes))
}

/// Runs a `merkle` subcommand.
pub fn run(_cli: &Cli, cmd: &MerkleCommand) -> CmdResult {
    let (file, index, old) = match cmd {
        MerkleCommand::Root { file } => (file, None, None),
        MerkleCommand::Inclusion { file, index } => (file, Some(*index), None),
        MerkleCommand::Consistency { file, old } => (file, None, Some(*old)),
    };
    let (size, hashes) = stored_hashes(file)?;
    let size = TreeSize(size);
    let root = tree_hash(size, &hashes).map_err(|e| anyhow!("{e}"))?;
    let proof = match (index, old) {
        (Some(i), _) => {
            if i >= size.0 {
                bail!("--index {i}: the file has {} leaves", size.0);
            }
            Some(prove_inclusion(LeafIndex(i), size, &hashes).map_err(|e| anyhow!("{e}"))?)
        }
        (_, Some(m)) => {
            if m > size.0 {
                bail!("--old {m}: the file has {} leaves", size.0);
            }
            Some(prove_consistency(TreeSize(m), size, &hashes).map_err(|e| anyhow!("{e}"))?)
        }
        _ => None,
    };
    // Written by hand so the members keep the documented order:
    // {"tree_size":N,"root":HEX,"proof":[HEX,...]}.
    let mut text = format!("{{\"tree_size\":{},\"root\":\"{}\"", size.0, root.to_hex());
    if let Some(p) = proof {
        let hashes: Vec<String> = p.iter().map(|h| format!("\"{}\"", h.to_hex())).collect();
        text.push_str(&format!(",\"proof\":[{}]", hashes.join(",")));
    }
    text.push('}');
    println!("{text}");
    Ok(())
}

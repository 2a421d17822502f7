//! Static C2SP tlog-tiles (`custodian_store::tiles`): paths and widths against the
//! specification's worked example (merkle-vectors.md §8), tile bytes against
//! hashes computed independently of the store, partial tiles becoming full
//! across exports, entry bundles, refusals (fork, rollback, a changed full tile),
//! and a client that fails on any flipped byte of any file.
//!
//! The logs live on the store the suite runs on (`CUSTODIAN_TEST_STORE`,
//! `custodian_store::testing`): the export reads only the `Store` trait.

mod common;

use common::{key, populate, world_at, TempDir};
use custodian_core::{LeafIndex, SignedSubmission, TreeSize};
use custodian_ledger::checkpoint::{sign_checkpoint, Checkpoint};
use custodian_ledger::hash::{empty_root, leaf_hash, node_hash};
use custodian_ledger::keys::{SigningKey, VerifierKey};
use custodian_ledger::tree::Frontier;
use custodian_ledger::Hash;
use custodian_store::any::AnyStore;
use custodian_store::testing::TestTarget;
use custodian_store::tiles::{
    bundles_for_size, decode_bundle, encode_bundle, tiles_for_size, verify_tiles, write_tiles,
    Bundle, BundleForm, DirSource, Tile, TileClient, TileExport, TilePath, TilesError, TilesReport,
    ENTRY_BYTES_MAX,
};
use custodian_store::{AppendBatch, Meta, Store};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ORIGIN: &str = "custodian.test/tiles";

/// A store filled with raw leaves through [`Store::commit`], its hashes computed
/// by the ledger's frontier and its checkpoints signed by the log key: logs of any
/// size in a second, without the append path's signatures.
struct Synthetic {
    // Dropped before `_target`, whose schema (under PostgreSQL) goes with it.
    store: AnyStore,
    _target: TestTarget,
    key: SigningKey,
    leaves: Vec<Vec<u8>>,
    frontier: Frontier,
}

impl Synthetic {
    fn create(path: &Path) -> Synthetic {
        let key = key(ORIGIN);
        let target = TestTarget::new("tiles", path);
        let store = AnyStore::create(
            target.target(),
            &Meta {
                origin: ORIGIN.into(),
                verifier_key: key.verifier().to_text(),
            },
        )
        .expect("create store");
        Synthetic {
            store,
            _target: target,
            key,
            leaves: Vec::new(),
            frontier: Frontier::new(),
        }
    }

    fn append(&mut self, leaves: impl IntoIterator<Item = Vec<u8>>) {
        let mut batch = AppendBatch {
            size_before: self.frontier.size().0,
            ..AppendBatch::default()
        };
        for data in leaves {
            self.frontier.push_into(leaf_hash(&data), &mut batch.hashes);
            batch.leaves.push(data.clone());
            self.leaves.push(data);
        }
        let checkpoint =
            Checkpoint::new(ORIGIN, self.frontier.size(), self.frontier.root()).expect("body");
        batch.checkpoint = sign_checkpoint(&checkpoint, &self.key);
        self.store.commit(batch).expect("commit");
    }

    /// Appends leaves [`leaf`]`(from)` .. `leaf(to − 1)`.
    fn grow_to(&mut self, to: u64) {
        let from = self.leaves.len() as u64;
        self.append((from..to).map(leaf));
    }

    fn verifier(&self) -> VerifierKey {
        self.key.verifier()
    }
}

/// Leaf `i`: short, of varying length (including empty).
fn leaf(i: u64) -> Vec<u8> {
    let mut data = format!("{i:x}").into_bytes();
    data.truncate((i % 5) as usize);
    data
}

/// `MTH(D)` by the recursive definition of RFC 9162 §2.1.1, with nothing shared
/// with the store's stored-hash layout.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.insert(
                    rel.to_string_lossy().replace('\\', "/"),
                    std::fs::read(&path).expect("read file"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

fn paths(tiles: impl Iterator<Item = Tile>) -> Vec<String> {
    tiles.map(|t| t.path()).collect()
}

fn verify(dir: &Path, verifier: &VerifierKey) -> Result<TilesReport, TilesError> {
    verify_tiles(DirSource::new(dir), verifier, &mut |_, _| {})
}

/// Verifies `dir` and checks that it holds exactly `leaves`.
fn verify_leaves(dir: &Path, verifier: &VerifierKey, leaves: &[Vec<u8>]) -> TilesReport {
    let mut seen = Vec::new();
    let report = verify_tiles(DirSource::new(dir), verifier, &mut |index, data| {
        assert_eq!(index.0, seen.len() as u64);
        seen.push(data.to_vec());
    })
    .expect("the exported tiles verify");
    assert_eq!(seen, leaves, "the bundles hold the log's leaves");
    assert_eq!(report.size.0, leaves.len() as u64);
    assert_eq!(report.inclusion_proofs, leaves.len() as u64);
    report
}

#[test]
fn tile_index_is_written_in_groups_of_three_digits() {
    // merkle-vectors.md §8 and tlog-tiles: "index 1234067 will be encoded as
    // x001/x234/067".
    let tile = Tile::new(0, 1_234_067, 256).unwrap();
    assert_eq!(tile.path(), "tile/0/x001/x234/067");
    assert_eq!(
        Tile::new(4, 1_234_067, 1).unwrap().path(),
        "tile/4/x001/x234/067.p/1"
    );
    let cases = [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1_000_000, "x001/x000/000"),
        (u64::MAX, "x018/x446/x744/x073/x709/x551/615"),
    ];
    for (index, text) in cases {
        let bundle = Bundle::new(index, 256).unwrap();
        assert_eq!(
            bundle.path(BundleForm::Standard),
            format!("tile/entries/{text}")
        );
        assert_eq!(
            bundle.path(BundleForm::Large),
            format!("custodian/entries/{text}")
        );
        assert_eq!(
            Bundle::new(index, 3).unwrap().path(BundleForm::Standard),
            format!("tile/entries/{text}.p/3")
        );
    }
    assert_eq!(Tile::new(64, 0, 1), None);
    assert_eq!(Tile::new(0, 0, 0), None);
    assert_eq!(Tile::new(0, 0, 257), None);
    assert_eq!(Bundle::new(0, 0), None);
}

#[test]
fn paths_parse_back_strictly() {
    let good = [
        "checkpoint",
        "tile/0/000",
        "tile/0/000.p/1",
        "tile/0/x001/x234/067",
        "tile/63/999.p/255",
        "tile/entries/x001/000.p/17",
        "custodian/entries/273",
        "tile/2/000.p/1",
    ];
    for path in good {
        let parsed = TilePath::parse(path).unwrap_or_else(|| panic!("{path} parses"));
        assert_eq!(parsed.path(), path);
    }
    assert_eq!(
        TilePath::parse("tile/1/001.p/17"),
        Some(TilePath::Hashes(Tile::new(1, 1, 17).unwrap()))
    );
    assert_eq!(
        TilePath::parse("custodian/entries/000.p/9"),
        Some(TilePath::Entries(
            Bundle::new(0, 9).unwrap(),
            BundleForm::Large
        ))
    );
    let bad = [
        "",
        "/checkpoint",
        "checkpoint/",
        "tile/00/000",
        "tile/+1/000",
        "tile/64/000",
        "tile/0/00",
        "tile/0/0000",
        "tile/0/x000/001",
        "tile/0/001/002",
        "tile/0/x001",
        "tile/0/x1/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/01",
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/0/000/",
        "tile/data/000",
        "tile/8/0/000",
        "tile/entries/000.p/300",
        "custodian/entries/1.p/1",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
    ];
    for path in bad {
        assert_eq!(TilePath::parse(path), None, "{path:?} must not parse");
    }
}

#[test]
fn tiles_and_widths_for_the_reference_sizes() {
    assert_eq!(tiles_for_size(TreeSize(0)).count(), 0);
    assert_eq!(bundles_for_size(TreeSize(0)).count(), 0);
    assert_eq!(paths(tiles_for_size(TreeSize(1))), ["tile/0/000.p/1"]);
    assert_eq!(paths(tiles_for_size(TreeSize(255))), ["tile/0/000.p/255"]);
    // "a tree of size 256 will be represented by a full level 0 tile and a
    // partial level 1 tile of width 1".
    assert_eq!(
        paths(tiles_for_size(TreeSize(256))),
        ["tile/0/000", "tile/1/000.p/1"]
    );
    assert_eq!(
        paths(tiles_for_size(TreeSize(257))),
        ["tile/0/000", "tile/0/001.p/1", "tile/1/000.p/1"]
    );
    let bundles: Vec<String> = bundles_for_size(TreeSize(257))
        .map(|b| b.path(BundleForm::Standard))
        .collect();
    assert_eq!(bundles, ["tile/entries/000", "tile/entries/001.p/1"]);

    // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one
    // partial level 0 tile of width 112, one full level 1 tile, one partial level
    // 1 tile of width 17, and one partial level 2 tile of width 1".
    let tiles: Vec<Tile> = tiles_for_size(TreeSize(70_000)).collect();
    let by_level = |level: u8, full: bool| {
        tiles
            .iter()
            .filter(|t| t.level() == level && t.is_full() == full)
            .map(|t| (t.index(), t.width()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by_level(0, true),
        (0..273).map(|i| (i, 256)).collect::<Vec<_>>()
    );
    assert_eq!(by_level(0, false), [(273, 112)]);
    assert_eq!(by_level(1, true), [(0, 256)]);
    assert_eq!(by_level(1, false), [(1, 17)]);
    assert_eq!(by_level(2, false), [(0, 1)]);
    assert_eq!(by_level(2, true), []);
    assert_eq!(tiles.len(), 273 + 1 + 1 + 1 + 1);
    assert_eq!(tiles[273].path(), "tile/0/273.p/112");
    assert_eq!(tiles[275].path(), "tile/1/001.p/17");
    assert_eq!(tiles[276].path(), "tile/2/000.p/1");
    assert_eq!(bundles_for_size(TreeSize(70_000)).count(), 274);

    // The largest tree a log may hold, 2^62 leaves: 2^14 hashes at level 6 make
    // 64 full tiles, under the partial level-7 tile of width 64.
    let max = TreeSize(1 << 62);
    assert_eq!(Tile::in_tree(7, 0, max), Tile::new(7, 0, 64));
    assert_eq!(Tile::in_tree(6, 63, max), Tile::new(6, 63, 256));
    assert_eq!(Tile::in_tree(6, 64, max), None);
    assert_eq!(Tile::in_tree(8, 0, max), None);

    // The partial tile of level l has floor(s / 256^l) mod 256 hashes, for every
    // size; full tiles come first.
    for size in (0..2000u64).chain([65_535, 65_536, 65_537, 16_777_216, 16_777_217]) {
        for level in 0..6u8 {
            let hashes = size >> (8 * u32::from(level));
            let at_level: Vec<Tile> = tiles_for_size(TreeSize(size))
                .filter(|t| t.level() == level)
                .collect();
            let full = at_level.iter().filter(|t| t.is_full()).count() as u64;
            assert_eq!(full, hashes / 256, "size {size} level {level}");
            let partial: Vec<u16> = at_level
                .iter()
                .filter(|t| !t.is_full())
                .map(Tile::width)
                .collect();
            let expected: Vec<u16> = Some((hashes % 256) as u16)
                .filter(|&w| w > 0)
                .into_iter()
                .collect();
            assert_eq!(partial, expected, "size {size} level {level}");
        }
    }
}

#[test]
fn tiles_hold_the_ledger_hashes_byte_for_byte() {
    let dir = TempDir::new("tiles-bytes");
    let mut log = Synthetic::create(&dir.path("log.db"));
    log.grow_to(600);
    let out = dir.path("tiles");
    let export = write_tiles(&log.store, &out).expect("export");
    assert_eq!(export.size, TreeSize(600));
    assert_eq!(export.root, log.frontier.root());
    assert_eq!((export.tiles_written, export.bundles_written), (4, 3));

    let leaf_hashes: Vec<Hash> = log.leaves.iter().map(|l| leaf_hash(l)).collect();
    let level1: Vec<Hash> = leaf_hashes.chunks_exact(256).map(mth).collect();
    let concat = |hashes: &[Hash]| hashes.iter().flat_map(|h| h.0).collect::<Vec<u8>>();
    let written = files(&out);
    let expected = BTreeMap::from([
        (
            "checkpoint".to_owned(),
            log.store
                .latest_checkpoint()
                .unwrap()
                .unwrap()
                .note
                .into_bytes(),
        ),
        ("tile/0/000".to_owned(), concat(&leaf_hashes[..256])),
        ("tile/0/001".to_owned(), concat(&leaf_hashes[256..512])),
        ("tile/0/002.p/88".to_owned(), concat(&leaf_hashes[512..])),
        ("tile/1/000.p/2".to_owned(), concat(&level1)),
        (
            "tile/entries/000".to_owned(),
            encode_bundle(&log.leaves[..256], BundleForm::Standard).unwrap(),
        ),
        (
            "tile/entries/001".to_owned(),
            encode_bundle(&log.leaves[256..512], BundleForm::Standard).unwrap(),
        ),
        (
            "tile/entries/002.p/88".to_owned(),
            encode_bundle(&log.leaves[512..], BundleForm::Standard).unwrap(),
        ),
    ]);
    assert_eq!(written, expected);
    // A bundle is each leaf behind its big-endian uint16 length.
    let bundle = &written["tile/entries/002.p/88"];
    let first = &log.leaves[512];
    assert_eq!(bundle[..2], (first.len() as u16).to_be_bytes());
    assert_eq!(bundle[2..2 + first.len()], first[..]);
    verify_leaves(&out, &log.verifier(), &log.leaves);
}

#[test]
fn the_reference_tree_of_70000_leaves() {
    let dir = TempDir::new("tiles-70000");
    let mut log = Synthetic::create(&dir.path("log.db"));
    log.grow_to(70_000);
    let out = dir.path("tiles");
    let export = write_tiles(&log.store, &out).expect("export");
    assert_eq!(export.tiles_written, 277);
    assert_eq!(export.bundles_written, 274);
    let written = files(&out);
    let mut expected: Vec<String> = paths(tiles_for_size(TreeSize(70_000)));
    expected.extend(bundles_for_size(TreeSize(70_000)).map(|b| b.path(BundleForm::Standard)));
    expected.push("checkpoint".into());
    expected.sort();
    assert_eq!(written.keys().cloned().collect::<Vec<_>>(), expected);
    for path in [
        "tile/0/272",
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
        "tile/entries/273.p/112",
    ] {
        assert!(written.contains_key(path), "{path}");
    }
    // Levels 1 and 2 byte for byte: each hash the root of 256 (or 65 536) leaves.
    let leaf_hashes: Vec<Hash> = log.leaves.iter().map(|l| leaf_hash(l)).collect();
    let level1: Vec<u8> = leaf_hashes
        .chunks_exact(256)
        .flat_map(|c| mth(c).0)
        .collect();
    assert_eq!(written["tile/1/000"], level1[..256 * 32]);
    assert_eq!(written["tile/1/001.p/17"], level1[256 * 32..]);
    assert_eq!(written["tile/2/000.p/1"], mth(&leaf_hashes[..65_536]).0);
    let report = verify_leaves(&out, &log.verifier(), &log.leaves);
    assert_eq!((report.tiles, report.bundles), (277, 274));
}

#[test]
fn partial_tiles_become_full_across_exports() {
    let dir = TempDir::new("tiles-grow");
    let mut log = Synthetic::create(&dir.path("log.db"));
    let out = dir.path("tiles");
    let verifier = log.verifier();

    log.grow_to(100);
    let first = write_tiles(&log.store, &out).unwrap();
    assert_eq!(first.previous_size, None);
    assert_eq!(
        files(&out).keys().cloned().collect::<Vec<_>>(),
        ["checkpoint", "tile/0/000.p/100", "tile/entries/000.p/100"]
    );
    verify_leaves(&out, &verifier, &log.leaves);

    // 256: the tile and the bundle become full, their partials go.
    log.grow_to(256);
    let full = write_tiles(&log.store, &out).unwrap();
    assert_eq!(full.previous_size, Some(TreeSize(100)));
    assert_eq!((full.tiles_written, full.bundles_written), (2, 1));
    assert_eq!(full.partials_removed, 2);
    assert!(full.checkpoint_written);
    assert_eq!(
        files(&out).keys().cloned().collect::<Vec<_>>(),
        [
            "checkpoint",
            "tile/0/000",
            "tile/1/000.p/1",
            "tile/entries/000"
        ]
    );
    assert!(!out.join("tile/0/000.p").exists());
    let tile0 = std::fs::read(out.join("tile/0/000")).unwrap();
    verify_leaves(&out, &verifier, &log.leaves);

    // 300 then 310: new partials; the full tile is not touched; the narrower
    // partial stays for clients holding the checkpoint of 300.
    log.grow_to(300);
    let e300 = write_tiles(&log.store, &out).unwrap();
    assert_eq!((e300.tiles_written, e300.bundles_written), (1, 1));
    log.grow_to(310);
    let e310 = write_tiles(&log.store, &out).unwrap();
    assert_eq!((e310.tiles_written, e310.bundles_written), (1, 1));
    assert_eq!(e310.partials_removed, 0);
    let now = files(&out);
    for path in [
        "tile/0/001.p/44",
        "tile/0/001.p/54",
        "tile/entries/001.p/44",
        "tile/entries/001.p/54",
    ] {
        assert!(now.contains_key(path), "{path}");
    }
    assert_eq!(now["tile/0/000"], tile0, "a full tile never changes");
    verify_leaves(&out, &verifier, &log.leaves);

    // Again with nothing new: nothing written, nothing removed.
    let again = write_tiles(&log.store, &out).unwrap();
    assert_eq!(
        again,
        TileExport {
            size: TreeSize(310),
            root: log.frontier.root(),
            previous_size: Some(TreeSize(310)),
            tiles_written: 0,
            bundles_written: 0,
            files_unchanged: 0,
            large_bundles: 0,
            partials_removed: 0,
            checkpoint_written: false,
        }
    );
    assert_eq!(files(&out), now);

    // The incremental directory holds what one export at 310 writes, plus the
    // narrower partials kept for older checkpoints.
    let fresh = dir.path("fresh");
    write_tiles(&log.store, &fresh).unwrap();
    let fresh = files(&fresh);
    for (path, bytes) in &fresh {
        assert_eq!(now.get(path), Some(bytes), "{path}");
    }
    let extra: Vec<&String> = now.keys().filter(|p| !fresh.contains_key(*p)).collect();
    assert_eq!(extra, ["tile/0/001.p/44", "tile/entries/001.p/44"]);

    // 512: tile 1 becomes full; its partials (44 and 54) go.
    log.grow_to(512);
    let e512 = write_tiles(&log.store, &out).unwrap();
    assert_eq!(e512.partials_removed, 4);
    assert_eq!(
        files(&out).keys().cloned().collect::<Vec<_>>(),
        [
            "checkpoint",
            "tile/0/000",
            "tile/0/001",
            "tile/1/000.p/1",
            "tile/1/000.p/2",
            "tile/entries/000",
            "tile/entries/001"
        ]
    );
    verify_leaves(&out, &verifier, &log.leaves);
}

#[test]
fn a_missing_file_is_written_again_by_the_next_export() {
    let dir = TempDir::new("tiles-repair");
    let mut log = Synthetic::create(&dir.path("log.db"));
    log.grow_to(300);
    let out = dir.path("tiles");
    write_tiles(&log.store, &out).unwrap();
    let before = files(&out);
    std::fs::remove_file(out.join("tile/0/000")).unwrap();
    std::fs::remove_file(out.join("tile/entries/001.p/44")).unwrap();
    assert!(matches!(
        verify(&out, &log.verifier()),
        Err(TilesError::Missing { .. })
    ));
    let repair = write_tiles(&log.store, &out).unwrap();
    assert_eq!((repair.tiles_written, repair.bundles_written), (1, 1));
    assert_eq!(files(&out), before);
}

#[test]
fn a_published_tile_is_never_rewritten_differently() {
    let dir = TempDir::new("tiles-immutable");
    let mut log = Synthetic::create(&dir.path("log.db"));
    log.grow_to(100);
    let out = dir.path("tiles");
    write_tiles(&log.store, &out).unwrap();
    // A full tile 0 that this log never wrote (left by another log, or damaged)
    // is found when the log grows into it.
    let planted = vec![7u8; 256 * 32];
    std::fs::create_dir_all(out.join("tile/0")).unwrap();
    std::fs::write(out.join("tile/0/000"), &planted).unwrap();
    let before = files(&out);
    log.grow_to(300);
    let err = write_tiles(&log.store, &out).unwrap_err();
    assert!(
        matches!(&err, TilesError::Immutable { path } if path.ends_with("tile/0/000")),
        "{err}"
    );
    assert!(err.is_verification_failure());
    assert_eq!(
        files(&out),
        before,
        "nothing replaced, the checkpoint stays at 100"
    );
    let published = TileClient::open(DirSource::new(&out), &log.verifier()).unwrap();
    assert_eq!(published.size(), TreeSize(100));

    // The same for a partial tile: a path names its bytes forever.
    let out2 = dir.path("tiles2");
    write_tiles(&log.store, &out2).unwrap();
    std::fs::write(out2.join("tile/0/001.p/44"), vec![0u8; 44 * 32]).unwrap();
    std::fs::remove_file(out2.join("checkpoint")).unwrap();
    let err = write_tiles(&log.store, &out2).unwrap_err();
    assert!(matches!(err, TilesError::Immutable { .. }), "{err}");
}

#[test]
fn a_directory_holding_another_history_is_refused() {
    let dir = TempDir::new("tiles-fork");
    let mut a = Synthetic::create(&dir.path("a.db"));
    a.grow_to(300);
    let out = dir.path("tiles");
    write_tiles(&a.store, &out).unwrap();
    let published = files(&out);

    // B: the same key and origin, another leaf 5.
    let mut b = Synthetic::create(&dir.path("b.db"));
    b.append((0..300).map(|i| if i == 5 { b"forged".to_vec() } else { leaf(i) }));
    let err = write_tiles(&b.store, &out).unwrap_err();
    assert!(matches!(err, TilesError::Fork { size: 300, .. }), "{err}");
    assert!(err.is_verification_failure());
    b.grow_to(500);
    let err = write_tiles(&b.store, &out).unwrap_err();
    assert!(matches!(err, TilesError::Fork { size: 300, .. }), "{err}");

    // C: a prefix of A, as an older copy of the database would be.
    let mut c = Synthetic::create(&dir.path("c.db"));
    c.grow_to(200);
    let err = write_tiles(&c.store, &out).unwrap_err();
    assert!(
        matches!(
            err,
            TilesError::Rollback {
                published: 300,
                size: 200,
                ..
            }
        ),
        "{err}"
    );

    // D: another log's key.
    let other = SigningKey::from_seed(ORIGIN, [9; 32]).unwrap();
    let foreign = sign_checkpoint(
        &Checkpoint::new(ORIGIN, TreeSize(1), leaf_hash(b"x")).unwrap(),
        &other,
    );
    let out_d = dir.path("tiles-d");
    std::fs::create_dir_all(&out_d).unwrap();
    std::fs::write(out_d.join("checkpoint"), &foreign).unwrap();
    let err = write_tiles(&a.store, &out_d).unwrap_err();
    assert!(matches!(err, TilesError::Checkpoint { .. }), "{err}");
    assert_eq!(files(&out_d).len(), 1, "nothing written");

    assert_eq!(files(&out), published, "the refusals wrote nothing");

    // An empty log has nothing to publish.
    let empty = Synthetic::create(&dir.path("empty.db"));
    let err = write_tiles(&empty.store, &dir.path("tiles-e")).unwrap_err();
    assert!(matches!(err, TilesError::NoCheckpoint), "{err}");
}

#[test]
fn entry_bundles_round_trip_and_refuse_malformed_bytes() {
    let entries = vec![b"".to_vec(), b"a".to_vec(), vec![0xAB; 300]];
    for form in [BundleForm::Standard, BundleForm::Large] {
        let data = encode_bundle(&entries, form).unwrap();
        assert_eq!(decode_bundle(&data, form, 3, "b").unwrap(), entries);
    }
    let standard = encode_bundle(&entries, BundleForm::Standard).unwrap();
    assert_eq!(standard[..5], [0, 0, 0, 1, b'a']);
    let large = encode_bundle(&entries, BundleForm::Large).unwrap();
    assert_eq!(large[..9], [0, 0, 0, 0, 0, 0, 0, 1, b'a']);

    // The largest entry a uint16 prefix holds, and one byte more.
    let fits = vec![vec![1u8; ENTRY_BYTES_MAX]];
    let data = encode_bundle(&fits, BundleForm::Standard).unwrap();
    assert_eq!(data[..2], [0xFF, 0xFF]);
    let over = vec![b"x".to_vec(), vec![1u8; ENTRY_BYTES_MAX + 1]];
    let err = encode_bundle(&over, BundleForm::Standard).unwrap_err();
    assert!(
        matches!(
            err,
            TilesError::EntryTooLarge {
                position: 1,
                len: 65_536
            }
        ),
        "{err}"
    );
    let data = encode_bundle(&over, BundleForm::Large).unwrap();
    assert_eq!(
        decode_bundle(&data, BundleForm::Large, 2, "b").unwrap(),
        over
    );

    let reason =
        |data: &[u8], width: u16| match decode_bundle(data, BundleForm::Standard, width, "b") {
            Err(TilesError::Bundle { reason, .. }) => reason,
            other => panic!("expected a bundle error, got {other:?}"),
        };
    assert!(reason(&standard, 2).contains("follow the 2 entries"));
    assert!(reason(&standard, 4).contains("ends after 3 entries"));
    assert!(reason(&standard[..standard.len() - 1], 3).contains("only 299 follow"));
    assert!(reason(&[0], 1).contains("too few for a 2-byte length prefix"));
    assert!(reason(&[], 1).contains("ends after 0 entries"));
    let huge = [0xFF, 0xFF, 0xFF, 0xFF];
    assert!(matches!(
        decode_bundle(&huge, BundleForm::Large, 1, "b"),
        Err(TilesError::Bundle { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn bundles_round_trip(entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..=256)) {
        let width = entries.len() as u16;
        for form in [BundleForm::Standard, BundleForm::Large] {
            let data = encode_bundle(&entries, form).unwrap();
            prop_assert_eq!(&decode_bundle(&data, form, width, "b").unwrap(), &entries);
        }
    }
}

#[test]
fn entries_over_65535_bytes_go_to_large_bundles_untruncated() {
    let dir = TempDir::new("tiles-large");
    let mut log = Synthetic::create(&dir.path("log.db"));
    log.grow_to(3);
    log.append([vec![b'L'; 70_000]]);
    log.grow_to(10);
    let out = dir.path("tiles");
    let export = write_tiles(&log.store, &out).unwrap();
    assert_eq!(export.large_bundles, 1);
    assert_eq!(
        files(&out).keys().cloned().collect::<Vec<_>>(),
        [
            "checkpoint",
            "custodian/entries/000.p/10",
            "tile/0/000.p/10"
        ]
    );
    let report = verify_leaves(&out, &log.verifier(), &log.leaves);
    assert_eq!((report.bundles, report.large_bundles), (1, 1));

    // A bundle is in the large form only while it holds a large entry: the next
    // bundle is standard again, and the full bundle 0 replaces its partials.
    log.grow_to(300);
    let export = write_tiles(&log.store, &out).unwrap();
    assert_eq!(export.large_bundles, 1);
    assert_eq!(export.partials_removed, 2);
    let names: Vec<String> = files(&out).keys().cloned().collect();
    assert_eq!(
        names,
        [
            "checkpoint",
            "custodian/entries/000",
            "tile/0/000",
            "tile/0/001.p/44",
            "tile/1/000.p/1",
            "tile/entries/001.p/44"
        ]
    );
    verify_leaves(&out, &log.verifier(), &log.leaves);

    // The large form is refused where the standard one would do.
    let leaves = &log.leaves[256..];
    std::fs::remove_file(out.join("tile/entries/001.p/44")).unwrap();
    let large = encode_bundle(leaves, BundleForm::Large).unwrap();
    std::fs::create_dir_all(out.join("custodian/entries/001.p")).unwrap();
    std::fs::write(out.join("custodian/entries/001.p/44"), large).unwrap();
    let err = verify(&out, &log.verifier()).unwrap_err();
    assert!(
        matches!(&err, TilesError::Bundle { reason, .. } if reason.contains("large form is not allowed")),
        "{err}"
    );
}

#[test]
fn a_real_log_exports_its_signed_submissions() {
    let dir = TempDir::new("tiles-real");
    let target = TestTarget::new("tilesreal", &dir.path("log.db"));
    let mut world = world_at(target.target());
    populate(&mut world, 6);
    let store = world.log.store();
    let out = dir.path("tiles");
    write_tiles(store, &out).unwrap();
    let size = store.tree_size().unwrap();
    let leaves: Vec<Vec<u8>> = store
        .read_leaves(0, size.0)
        .unwrap()
        .into_iter()
        .map(|l| l.data)
        .collect();
    let report = verify_leaves(&out, world.log.verifier(), &leaves);
    assert_eq!(report.size, size);
    for data in &leaves {
        SignedSubmission::from_leaf_bytes(data).expect("a bundle entry is a signed submission");
    }
    // The client's proofs are the store's proofs.
    let client = TileClient::open(DirSource::new(&out), world.log.verifier()).unwrap();
    for i in 0..size.0 {
        assert_eq!(
            client.prove_inclusion(LeafIndex(i)).unwrap(),
            world.log.prove_inclusion(LeafIndex(i), size).unwrap(),
            "leaf {i}"
        );
    }
    for old in 1..=size.0 {
        assert_eq!(
            custodian_ledger::proof::prove_consistency(TreeSize(old), size, &client).unwrap(),
            world.log.prove_consistency(TreeSize(old), size).unwrap(),
            "{old} -> {}",
            size.0
        );
    }
}

/// Runs the client over `dir` and requires a failure, naming `what` otherwise.
fn must_fail(dir: &Path, verifier: &VerifierKey, what: &str) {
    if let Ok(report) = verify(dir, verifier) {
        panic!("{what}: the client accepted it: {report:?}");
    }
}

#[test]
fn the_client_fails_on_any_flipped_byte_of_any_file() {
    let dir = TempDir::new("tiles-flip");
    let mut log = Synthetic::create(&dir.path("log.db"));
    // A full level-0 tile, a partial one, and a level-1 tile.
    log.grow_to(258);
    let out = dir.path("tiles");
    write_tiles(&log.store, &out).unwrap();
    let verifier = log.verifier();
    verify_leaves(&out, &verifier, &log.leaves);
    let all = files(&out);
    assert_eq!(all.len(), 6);
    let mut flips = 0;
    for (rel, bytes) in &all {
        let path: PathBuf = out.join(rel);
        for at in 0..bytes.len() {
            // The lowest bit: the subtlest change to a text byte (base64 digits
            // stay digits, a size digit stays a digit).
            let mut changed = bytes.clone();
            changed[at] ^= 0x01;
            std::fs::write(&path, &changed).unwrap();
            must_fail(&out, &verifier, &format!("{rel}: byte {at} flipped"));
            flips += 1;
        }
        let mut longer = bytes.clone();
        longer.push(0);
        std::fs::write(&path, &longer).unwrap();
        must_fail(&out, &verifier, &format!("{rel}: a byte appended"));
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        must_fail(&out, &verifier, &format!("{rel}: the last byte cut"));
        std::fs::remove_file(&path).unwrap();
        must_fail(&out, &verifier, &format!("{rel}: removed"));
        std::fs::write(&path, bytes).unwrap();
    }
    assert!(flips > 8192);
    verify_leaves(&out, &verifier, &log.leaves);

    // Two tiles swapped, two entries swapped: still refused.
    let swap = |a: &str, b: &str| {
        std::fs::write(out.join(a), &all[b]).unwrap();
        std::fs::write(out.join(b), &all[a]).unwrap();
    };
    swap("tile/0/001.p/2", "tile/1/000.p/1");
    must_fail(&out, &verifier, "hash tiles swapped");
    swap("tile/0/001.p/2", "tile/1/000.p/1");
    let mut reordered = log.leaves[256..].to_vec();
    reordered.swap(0, 1);
    std::fs::write(
        out.join("tile/entries/001.p/2"),
        encode_bundle(&reordered, BundleForm::Standard).unwrap(),
    )
    .unwrap();
    must_fail(&out, &verifier, "entries reordered");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any sequence of appends and exports leaves a directory that verifies,
    /// holds every leaf, and agrees byte for byte with a single fresh export.
    #[test]
    fn exports_after_any_appends_agree_with_a_fresh_export(steps in prop::collection::vec(1u64..300, 1..5)) {
        let dir = TempDir::new("tiles-prop");
        let mut log = Synthetic::create(&dir.path("log.db"));
        let out = dir.path("tiles");
        for step in &steps {
            let to = log.leaves.len() as u64 + step;
            log.grow_to(to);
            write_tiles(&log.store, &out).unwrap();
            verify_leaves(&out, &log.verifier(), &log.leaves);
        }
        let fresh = dir.path("fresh");
        write_tiles(&log.store, &fresh).unwrap();
        let now = files(&out);
        for (path, bytes) in files(&fresh) {
            prop_assert_eq!(now.get(&path), Some(&bytes), "{}", path);
        }
        // What else is there: only partials of the edge tile and bundle, narrower
        // than the current ones.
        let size = log.leaves.len() as u64;
        for path in now.keys() {
            match TilePath::parse(path) {
                Some(TilePath::Hashes(t)) => {
                    let current = Tile::in_tree(t.level(), t.index(), TreeSize(size)).unwrap();
                    prop_assert!(t.width() <= current.width(), "{}", path);
                }
                Some(TilePath::Entries(b, _)) => {
                    let current = Tile::in_tree(0, b.index(), TreeSize(size)).unwrap();
                    prop_assert!(b.width() <= current.width(), "{}", path);
                }
                Some(TilePath::Checkpoint) => {}
                None => prop_assert!(false, "unexpected file {}", path),
            }
        }
    }
}

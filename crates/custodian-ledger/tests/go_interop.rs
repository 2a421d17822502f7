//! Third-party verification: the Go program in `interop/go` (golang.org/x/mod
//! `sumdb/note` and `sumdb/tlog` and nothing else) checks what this crate writes,
//! and this crate checks what Go writes.
//!
//! Needs `go` and Debian's golang-golang-x-mod-dev (`/usr/share/gocode`). Without
//! them each test prints "skipped: …" and passes, unless `CI=true`, where it fails.

use custodian_core::encoding::{base64, hex, unbase64};
use custodian_core::TreeSize;
use custodian_ledger::checkpoint::{sign_checkpoint, verify_checkpoint, Checkpoint};
use custodian_ledger::hash::leaf_hash;
use custodian_ledger::keys::{SigningKey, VerifierKey};
use custodian_ledger::Hash;
use serde_json::{json, Value};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const GOCODE: &str = "/usr/share/gocode";
const X_MOD: &str = "/usr/share/gocode/src/golang.org/x/mod";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("go-interop")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds the Go tool once per test binary; `None` if Go is missing outside CI.
fn go_tool() -> Option<PathBuf> {
    static TOOL: OnceLock<Option<PathBuf>> = OnceLock::new();
    TOOL.get_or_init(build_go_tool).clone()
}

fn build_go_tool() -> Option<PathBuf> {
    let go_runs = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing = if !go_runs {
        Some("go not found")
    } else if !Path::new(X_MOD).is_dir() {
        Some("golang.org/x/mod not found under /usr/share/gocode (Debian golang-golang-x-mod-dev)")
    } else {
        None
    };
    if let Some(why) = missing {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "Go interop tests cannot run: {why}. CI=true requires them: install \
                 golang-go and golang-golang-x-mod-dev"
            );
        }
        println!("skipped: {why}");
        return None;
    }
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go-interop");
    std::fs::create_dir_all(&out_dir).unwrap();
    let binary = out_dir.join(format!("custodian-interop-{}", std::process::id()));
    let gopath = format!("{}:{GOCODE}", workspace().join("interop/go").display());
    let output = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg("custodian-interop")
        .current_dir(&out_dir)
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        .env("GOFLAGS", "")
        .env("GOCACHE", out_dir.join("go-build-cache"))
        .output()
        .expect("run go build");
    assert!(
        output.status.success(),
        "go build custodian-interop failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(binary)
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run<I, S>(tool: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(tool)
        .args(args)
        .output()
        .expect("run the Go tool");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn run_json<I, S>(tool: &Path, args: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let r = run(tool, args);
    assert!(r.ok, "Go tool failed: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn vector(path: &str) -> Value {
    let text = std::fs::read_to_string(workspace().join("tests/vectors").join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn checkpoint_json(c: &Checkpoint) -> Value {
    json!({"origin": c.origin(), "size": c.size().0, "root_hex": c.root().to_hex()})
}

/// Asks Go to verify `note` with `vkey` as a checkpoint.
fn go_checkpoint(tool: &Path, dir: &Path, vkey: &VerifierKey, note: &[u8]) -> Run {
    let vkey_file = write(dir, "vkey", vkey.to_text());
    let note_file = write(dir, "note", note);
    run(
        tool,
        [
            OsStr::new("checkpoint"),
            vkey_file.as_os_str(),
            note_file.as_os_str(),
        ],
    )
}

#[test]
fn go_verifies_the_vectors_and_signs_them_byte_for_byte() {
    let Some(tool) = go_tool() else { return };
    let dir = scratch("vectors");

    let c2sp = vector("signed-note/c2sp-example.json");
    let vkey = write(&dir, "c2sp.vkey", c2sp["vkey"].as_str().unwrap());
    let note = write(&dir, "c2sp.note", c2sp["note"].as_str().unwrap());
    let out = run_json(&tool, ["note".as_ref(), vkey.as_os_str(), note.as_os_str()]);
    assert_eq!(out["text"], c2sp["text"]);
    assert_eq!(out["signatures"][0]["verified"], true);

    for file in ["custodian-size-8.json", "custodian-size-0.json"] {
        let v = vector(&format!("checkpoint/{file}"));
        let key = SigningKey::from_seed(
            v["name"].as_str().unwrap(),
            custodian_core::encoding::unhex(v["key_seed_hex"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap(),
        )
        .unwrap();
        let note = v["note"].as_str().unwrap();
        let r = go_checkpoint(&tool, &dir, &key.verifier(), note.as_bytes());
        assert!(r.ok, "{file}: {}", r.stderr);
        let out: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            out,
            json!({"origin": v["origin"], "size": v["size"], "root_hex": v["root_hex"]}),
            "{file}"
        );
        // Go signs the same checkpoint with the same key: the same bytes.
        let skey = write(&dir, "skey", key.to_text());
        let r = run(
            &tool,
            [
                "sign-checkpoint".as_ref(),
                skey.as_os_str(),
                v["origin"].as_str().unwrap().as_ref(),
                v["size"].to_string().as_ref(),
                v["root_hex"].as_str().unwrap().as_ref(),
            ],
        );
        assert!(r.ok, "{}", r.stderr);
        assert_eq!(r.stdout, note, "{file}");
    }
}

fn sample_checkpoints(origin: &str) -> Vec<Checkpoint> {
    [0u64, 1, 7, 8, 1 << 40, i64::MAX as u64]
        .iter()
        .map(|&size| {
            let root = leaf_hash(&size.to_be_bytes());
            Checkpoint::new(origin, TreeSize(size), root).unwrap()
        })
        .collect()
}

#[test]
fn go_verifies_checkpoints_rust_signs_with_a_fresh_key() {
    let Some(tool) = go_tool() else { return };
    let dir = scratch("rust-signs");
    let key = SigningKey::generate("custodian.example/interop").unwrap();
    let impostor = SigningKey::generate("custodian.example/interop").unwrap();
    for c in sample_checkpoints(key.name()) {
        let note = sign_checkpoint(&c, &key);
        let r = go_checkpoint(&tool, &dir, &key.verifier(), note.as_bytes());
        assert!(r.ok, "{note}: {}", r.stderr);
        let out: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(out, checkpoint_json(&c));
        // The same name with another key: Go finds no verifiable signature.
        let r = go_checkpoint(&tool, &dir, &impostor.verifier(), note.as_bytes());
        assert!(!r.ok);
        assert!(
            r.stderr.contains("no verifiable signatures"),
            "{}",
            r.stderr
        );
    }
    // Go's tlog counts in int64: a size above i64::MAX, valid for us, is refused by
    // Go. Custodian never comes near it, but a third party would reject it.
    let huge = Checkpoint::new(key.name(), TreeSize(u64::MAX), Hash([1; 32])).unwrap();
    let note = sign_checkpoint(&huge, &key);
    assert!(verify_checkpoint(note.as_bytes(), &key.verifier()).is_ok());
    let r = go_checkpoint(&tool, &dir, &key.verifier(), note.as_bytes());
    assert!(!r.ok);
    assert!(r.stderr.contains("checkpoint line 2"), "{}", r.stderr);
}

#[test]
fn rust_verifies_checkpoints_go_signs() {
    let Some(tool) = go_tool() else { return };
    let dir = scratch("go-signs");

    // A key Rust generated, used by Go.
    let key = SigningKey::generate("custodian.example/interop").unwrap();
    let skey = write(&dir, "rust.skey", key.to_text());
    // A key Go generated, parsed by Rust.
    let generated = run_json(&tool, ["generate-key", "custodian.example/go-generated"]);
    let go_skey_text = generated["skey"].as_str().unwrap();
    let go_vkey = VerifierKey::parse(generated["vkey"].as_str().unwrap()).unwrap();
    let go_key = SigningKey::parse(go_skey_text).unwrap();
    assert_eq!(go_key.verifier(), go_vkey);
    assert_eq!(go_key.to_text(), go_skey_text);
    let go_skey = write(&dir, "go.skey", go_skey_text);

    for (skey_file, verifier) in [(&skey, key.verifier()), (&go_skey, go_vkey)] {
        for c in sample_checkpoints(verifier.name()) {
            let r = run(
                &tool,
                [
                    "sign-checkpoint".as_ref(),
                    skey_file.as_os_str(),
                    c.origin().as_ref(),
                    c.size().0.to_string().as_ref(),
                    c.root().to_hex().as_ref(),
                ],
            );
            assert!(r.ok, "{}", r.stderr);
            assert_eq!(
                verify_checkpoint(r.stdout.as_bytes(), &verifier),
                Ok(c.clone())
            );
            // Ed25519 is deterministic: Rust signing with the same key gives the
            // same bytes.
            if verifier == key.verifier() {
                assert_eq!(sign_checkpoint(&c, &key), r.stdout);
            }
        }
    }
}

/// The 6-bit value of a base64 (RFC 4648 §4) character.
fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// The index, in the note, of the base64 character that carries padding bits: the
/// last one before `=` in the signature line.
fn padding_char_index(note: &str) -> usize {
    note.rfind('=')
        .expect("a 68-byte signature has one '=' of padding")
        - 1
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#[test]
fn go_refuses_tampered_checkpoints_except_base64_padding_bits() {
    let Some(tool) = go_tool() else { return };
    let dir = scratch("tamper");
    let mut accepted_by_go = Vec::new();
    for file in ["custodian-size-8.json", "custodian-size-0.json"] {
        let v = vector(&format!("checkpoint/{file}"));
        let key = VerifierKey::parse(v["vkey"].as_str().unwrap()).unwrap();
        let note = v["note"].as_str().unwrap().as_bytes().to_vec();
        let padding = padding_char_index(v["note"].as_str().unwrap());
        // One bit of every byte, and every bit of the padding character.
        let flips = (0..note.len())
            .map(|i| (i, i % 8))
            .chain((0..8).map(|bit| (padding, bit)));
        for (i, bit) in flips {
            let mut bad = note.clone();
            bad[i] ^= 1 << bit;
            assert!(
                verify_checkpoint(&bad, &key).is_err(),
                "{file}: Rust accepted byte {i} bit {bit}"
            );
            if go_checkpoint(&tool, &dir, &key, &bad).ok {
                // Only a flip that keeps the character's 4 data bits may pass Go.
                assert_eq!(i, padding, "{file}: Go accepted byte {i} bit {bit}");
                let before = base64_value(note[i]).map(|v| v >> 2);
                let after = base64_value(note[i] ^ 1 << bit).map(|v| v >> 2);
                assert_eq!(before, after, "{file}: bit {bit}");
                accepted_by_go.push((file, i, bit));
            }
        }
        // Go decodes base64 leniently (encoding/base64 without Strict): setting an
        // unused low bit of the last character before '=' leaves the decoded
        // signature unchanged, and Go accepts the note. Custodian decodes
        // canonically and refuses it.
        let value = base64_value(note[padding]).unwrap();
        assert_eq!(
            value & 3,
            0,
            "a canonical encoder leaves the padding bits zero"
        );
        let mut lenient = note.clone();
        lenient[padding] = BASE64_ALPHABET[usize::from(value | 1)];
        let r = go_checkpoint(&tool, &dir, &key, &lenient);
        assert!(r.ok, "{file}: Go refused padding bits: {}", r.stderr);
        assert!(verify_checkpoint(&lenient, &key).is_err());
        let line = std::str::from_utf8(&lenient).unwrap().trim_end();
        assert!(unbase64(line.rsplit(' ').next().unwrap()).is_err());
    }
    // In the size-0 note the padding character is '8' (value 60): flipping its
    // lowest ASCII bit gives '9' (value 61), same data bits, and Go accepts. In
    // the size-8 note it is 'w' (48), and no single ASCII bit flip keeps the data
    // bits. So a single bit flip can survive Go's verifier; none survives ours.
    assert!(
        !accepted_by_go.is_empty(),
        "expected the '8' -> '9' flip to pass Go"
    );
}

/// The standard 8 leaves (merkle-vectors.md §2) as a Go `merkle` input file.
fn leaves_file(dir: &Path, leaves: &[Vec<u8>]) -> PathBuf {
    let text: String = leaves.iter().map(|l| hex(l) + "\n").collect();
    write(dir, "leaves", text)
}

fn standard_leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| custodian_core::encoding::unhex(h).unwrap())
    .collect()
}

#[test]
fn go_merkle_matches_the_published_vectors() {
    // merkle-vectors.md §3 (roots), §4 (inclusion at size 8), §5 (consistency to 8).
    let Some(tool) = go_tool() else { return };
    let dir = scratch("merkle");
    let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let leaves = standard_leaves();
    for (size, root) in roots.iter().enumerate() {
        let file = leaves_file(&dir, &leaves[..size]);
        let out = run_json(&tool, ["merkle".as_ref(), file.as_os_str()]);
        assert_eq!(out, json!({"tree_size": size, "root": root}), "size {size}");
    }
    let file = leaves_file(&dir, &leaves);
    let out = run_json(&tool, ["merkle", "-index", "5", file.to_str().unwrap()]);
    assert_eq!(
        out["proof"],
        json!([
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
        ])
    );
    let out = run_json(&tool, ["merkle", "-old", "6", file.to_str().unwrap()]);
    assert_eq!(
        out["proof"],
        json!([
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
        ])
    );
    // The checkers accept the proofs and refuse a changed leaf or root.
    let proof = write(&dir, "proof.json", out.to_string());
    let consistency = |old_root: &str| {
        run(
            &tool,
            [
                "consistency",
                "-old",
                "6",
                "-new",
                "8",
                "-old-root",
                old_root,
                "-new-root",
                roots[8],
                "-proof",
                proof.to_str().unwrap(),
            ],
        )
    };
    assert!(consistency(roots[6]).ok);
    assert!(!consistency(roots[7]).ok);
    let inclusion_proof = run_json(&tool, ["merkle", "-index", "5", file.to_str().unwrap()]);
    let proof = write(&dir, "inclusion.json", inclusion_proof.to_string());
    let root_b64 = base64(&Hash::from_hex(roots[8]).unwrap().0);
    let inclusion = |leaf_hex: &str| {
        run(
            &tool,
            [
                "inclusion",
                "-leaf-hex",
                leaf_hex,
                "-index",
                "5",
                "-size",
                "8",
                "-root",
                &root_b64,
                "-proof",
                proof.to_str().unwrap(),
            ],
        )
    };
    assert!(inclusion("40414243").ok);
    assert!(!inclusion("40414244").ok);
}

// Command custodian-interop checks Custodian's signed checkpoints and Merkle
// proofs with code Custodian did not write: golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog, plus the Go standard library. Nothing else.
//
// Build (GOPATH mode, no modules):
//
//	GO111MODULE=off GOPATH="$PWD/interop/go:/usr/share/gocode" \
//	    go build -o custodian-interop custodian-interop
//
// Every command prints one JSON object on success and exits 0; on any failure it
// prints "custodian-interop: <command>: <error>" on stderr and exits 1 (2 for a
// usage error). See ../../README.md.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const usage = `usage:
  custodian-interop note VKEY_FILE NOTE_FILE
  custodian-interop checkpoint VKEY_FILE NOTE_FILE
  custodian-interop inclusion (-leaf-hex HEX | -leaf-hex-file FILE | -leaf-hash HASH) -index I -size N -root HASH -proof FILE
  custodian-interop consistency -old M -new N -old-root HASH -new-root HASH -proof FILE
  custodian-interop merkle [-index I | -old M] LEAVES_FILE
  custodian-interop sign-checkpoint SKEY_FILE ORIGIN SIZE ROOT_HEX
  custodian-interop generate-key NAME
  custodian-interop tiles [-entries-out FILE] VKEY_FILE DIR
  custodian-interop tiles-prove (-index I | -old M) VKEY_FILE DIR

HASH is 64 hex digits or 44 characters of base64. A proof FILE holds one hex
hash per line, or JSON {"proof":["hex",...]}. LEAVES_FILE holds the hex of one
leaf's data per line (an empty line is an empty leaf). DIR is a directory
written by "custodian export tiles" (c2sp.org/tlog-tiles).
`

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var out interface{}
	var err error
	switch cmd {
	case "note":
		out, err = cmdNote(args)
	case "checkpoint":
		out, err = cmdCheckpoint(args)
	case "inclusion":
		out, err = cmdInclusion(args)
	case "consistency":
		out, err = cmdConsistency(args)
	case "merkle":
		out, err = cmdMerkle(args)
	case "sign-checkpoint":
		var msg []byte
		msg, err = cmdSignCheckpoint(args)
		if err == nil {
			os.Stdout.Write(msg)
			return
		}
	case "generate-key":
		out, err = cmdGenerateKey(args)
	case "tiles":
		out, err = cmdTiles(args)
	case "tiles-prove":
		out, err = cmdTilesProve(args)
	default:
		err = usageError{"unknown command " + strconv.Quote(cmd)}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "custodian-interop: %s: %v\n", cmd, err)
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "custodian-interop: %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

// readKey reads a key file: the key text, surrounding whitespace ignored.
func readKey(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// openNote verifies a note with note.Open against one verifier key.
func openNote(vkeyFile, noteFile string) (*note.Note, error) {
	vkey, err := readKey(vkeyFile)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("note.NewVerifier: %v", err)
	}
	msg, err := os.ReadFile(noteFile)
	if err != nil {
		return nil, err
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return nil, fmt.Errorf("note.Open: %v", err)
	}
	return n, nil
}

type sigJSON struct {
	Name     string `json:"name"`
	KeyID    string `json:"key_id"`
	Base64   string `json:"base64"`
	Verified bool   `json:"verified"`
}

func cmdNote(args []string) (interface{}, error) {
	if len(args) != 2 {
		return nil, usageError{"note takes VKEY_FILE NOTE_FILE"}
	}
	n, err := openNote(args[0], args[1])
	if err != nil {
		return nil, err
	}
	var sigs []sigJSON
	for _, s := range n.Sigs {
		sigs = append(sigs, sigJSON{s.Name, fmt.Sprintf("%08x", s.Hash), s.Base64, true})
	}
	for _, s := range n.UnverifiedSigs {
		sigs = append(sigs, sigJSON{s.Name, fmt.Sprintf("%08x", s.Hash), s.Base64, false})
	}
	return map[string]interface{}{"text": n.Text, "signatures": sigs}, nil
}

type checkpointJSON struct {
	Origin  string `json:"origin"`
	Size    int64  `json:"size"`
	RootHex string `json:"root_hex"`
}

// parseCheckpoint parses a c2sp.org/tlog-checkpoint body. tlog.ParseTree wants
// "go.sum database tree" as the first line, so the three lines are parsed here,
// the same way ParseTree parses its lines 2 and 3: the size must re-format to the
// same text (no sign, no leading zeros), the root must be 32 bytes of base64.
func parseCheckpoint(text string) (checkpointJSON, error) {
	var c checkpointJSON
	if !strings.HasSuffix(text, "\n") {
		return c, errors.New("checkpoint body does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return c, fmt.Errorf("checkpoint has %d lines; want at least 3", len(lines))
	}
	if lines[0] == "" {
		return c, errors.New("checkpoint line 1: empty origin")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || lines[1] != strconv.FormatInt(n, 10) {
		return c, fmt.Errorf("checkpoint line 2: malformed tree size %q", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return c, fmt.Errorf("checkpoint line 3: malformed root hash %q", lines[2])
	}
	for i, ext := range lines[3:] {
		if ext == "" {
			return c, fmt.Errorf("checkpoint line %d: empty extension line", 4+i)
		}
	}
	return checkpointJSON{lines[0], n, hex.EncodeToString(h)}, nil
}

func cmdCheckpoint(args []string) (interface{}, error) {
	if len(args) != 2 {
		return nil, usageError{"checkpoint takes VKEY_FILE NOTE_FILE"}
	}
	n, err := openNote(args[0], args[1])
	if err != nil {
		return nil, err
	}
	return parseCheckpoint(n.Text)
}

// parseHash accepts 64 hex digits or standard base64 of 32 bytes.
func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	s = strings.TrimSpace(s)
	var b []byte
	var err error
	if len(s) == 64 {
		b, err = hex.DecodeString(s)
	} else {
		b, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("malformed hash %q: want 64 hex digits or 44 characters of base64", s)
	}
	copy(h[:], b)
	return h, nil
}

// readProof reads hashes: JSON {"proof":[...]} or one hash per line.
func readProof(path string) ([]tlog.Hash, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var items []string
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		var obj struct {
			Proof []string `json:"proof"`
		}
		// Other fields (such as the "tree_size" and "root" printed by merkle) are
		// ignored, so merkle's output can be used as a proof file.
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			return nil, fmt.Errorf("proof file %s: %v", path, err)
		}
		items = obj.Proof
	} else {
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				items = append(items, line)
			}
		}
	}
	proof := []tlog.Hash{}
	for i, item := range items {
		h, err := parseHash(item)
		if err != nil {
			return nil, fmt.Errorf("proof file %s, hash %d: %v", path, i+1, err)
		}
		proof = append(proof, h)
	}
	return proof, nil
}

func cmdInclusion(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("inclusion", flag.ContinueOnError)
	leafHex := fs.String("leaf-hex", "", "the leaf's data, hex; its hash is tlog.RecordHash(data)")
	leafHash := fs.String("leaf-hash", "", "the leaf hash SHA-256(0x00 || data)")
	leafHexFile := fs.String("leaf-hex-file", "", "a file holding the leaf's data as hex (for leaves too long for an argument)")
	index := fs.Int64("index", -1, "the leaf index (0-based)")
	size := fs.Int64("size", -1, "the tree size")
	root := fs.String("root", "", "the root hash of the tree of that size")
	proofFile := fs.String("proof", "", "the proof file")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return nil, usageError{"bad arguments to inclusion"}
	}
	var h tlog.Hash
	var err error
	hexSet, hashSet, fileSet := false, false, false
	fs.Visit(func(f *flag.Flag) {
		hexSet = hexSet || f.Name == "leaf-hex"
		hashSet = hashSet || f.Name == "leaf-hash"
		fileSet = fileSet || f.Name == "leaf-hex-file"
	})
	given := 0
	for _, set := range []bool{hexSet, hashSet, fileSet} {
		if set {
			given++
		}
	}
	switch {
	case given != 1:
		return nil, usageError{"give exactly one of -leaf-hex, -leaf-hex-file and -leaf-hash"}
	case fileSet:
		text, err := os.ReadFile(*leafHexFile)
		if err != nil {
			return nil, fmt.Errorf("-leaf-hex-file: %v", err)
		}
		data, err := hex.DecodeString(strings.TrimSpace(string(text)))
		if err != nil {
			return nil, fmt.Errorf("-leaf-hex-file: %v", err)
		}
		h = tlog.RecordHash(data)
	case hexSet:
		data, err := hex.DecodeString(*leafHex)
		if err != nil {
			return nil, fmt.Errorf("-leaf-hex: %v", err)
		}
		h = tlog.RecordHash(data)
	default:
		if h, err = parseHash(*leafHash); err != nil {
			return nil, fmt.Errorf("-leaf-hash: %v", err)
		}
	}
	th, err := parseHash(*root)
	if err != nil {
		return nil, fmt.Errorf("-root: %v", err)
	}
	proof, err := readProof(*proofFile)
	if err != nil {
		return nil, err
	}
	if err := tlog.CheckRecord(proof, *size, th, *index, h); err != nil {
		return nil, fmt.Errorf("tlog.CheckRecord: %v", err)
	}
	return map[string]interface{}{"ok": true, "leaf_hash": hex.EncodeToString(h[:])}, nil
}

func cmdConsistency(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("consistency", flag.ContinueOnError)
	oldSize := fs.Int64("old", -1, "the old tree size")
	newSize := fs.Int64("new", -1, "the new tree size")
	oldRoot := fs.String("old-root", "", "the old root hash")
	newRoot := fs.String("new-root", "", "the new root hash")
	proofFile := fs.String("proof", "", "the proof file")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return nil, usageError{"bad arguments to consistency"}
	}
	h, err := parseHash(*oldRoot)
	if err != nil {
		return nil, fmt.Errorf("-old-root: %v", err)
	}
	th, err := parseHash(*newRoot)
	if err != nil {
		return nil, fmt.Errorf("-new-root: %v", err)
	}
	proof, err := readProof(*proofFile)
	if err != nil {
		return nil, err
	}
	// tlog.CheckTree(p, t, th, n, h): the tree of size t with hash th contains
	// the tree of size n with hash h.
	if err := tlog.CheckTree(proof, *newSize, th, *oldSize, h); err != nil {
		return nil, fmt.Errorf("tlog.CheckTree: %v", err)
	}
	return map[string]interface{}{"ok": true}, nil
}

// memoryHashes is a tlog.HashReader over the hashes stored so far, indexed by
// tlog.StoredHashIndex.
type memoryHashes []tlog.Hash

func (m *memoryHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(*m)) {
			return nil, fmt.Errorf("hash index %d not stored (have %d)", x, len(*m))
		}
		out[i] = (*m)[x]
	}
	return out, nil
}

func readLeaves(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := string(data)
	if text == "" {
		return nil, nil
	}
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("%s: last line does not end in a newline", path)
	}
	var leaves [][]byte
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		b, err := hex.DecodeString(strings.TrimSuffix(line, "\r"))
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, i+1, err)
		}
		leaves = append(leaves, b)
	}
	return leaves, nil
}

func hexHashes(hs []tlog.Hash) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, hex.EncodeToString(h[:]))
	}
	return out
}

// merkleJSON is printed by merkle; "proof" appears (possibly empty) exactly when
// -index or -old was given.
type merkleJSON struct {
	TreeSize int64     `json:"tree_size"`
	Root     string    `json:"root"`
	Proof    *[]string `json:"proof,omitempty"`
}

func cmdMerkle(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("merkle", flag.ContinueOnError)
	index := fs.Int64("index", -1, "also print the inclusion proof of this leaf (tlog.ProveRecord)")
	old := fs.Int64("old", -1, "also print the consistency proof from this size (tlog.ProveTree)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return nil, usageError{"merkle takes [-index I | -old M] LEAVES_FILE"}
	}
	if *index >= 0 && *old >= 0 {
		return nil, usageError{"give at most one of -index and -old"}
	}
	leaves, err := readLeaves(fs.Arg(0))
	if err != nil {
		return nil, err
	}
	var stored memoryHashes
	for i, data := range leaves {
		hs, err := tlog.StoredHashes(int64(i), data, &stored)
		if err != nil {
			return nil, fmt.Errorf("tlog.StoredHashes(%d): %v", i, err)
		}
		stored = append(stored, hs...)
	}
	n := int64(len(leaves))
	out := merkleJSON{TreeSize: n}
	if n == 0 {
		// RFC 6962 §2.1: MTH({}) = SHA-256(). The golang/mod version in Debian
		// (v0.7.0) defines TreeHash(0) as all zeros instead (changed upstream
		// later), so the empty tree's root is computed here.
		sum := sha256.Sum256(nil)
		out.Root = hex.EncodeToString(sum[:])
	} else {
		root, err := tlog.TreeHash(n, &stored)
		if err != nil {
			return nil, fmt.Errorf("tlog.TreeHash: %v", err)
		}
		out.Root = hex.EncodeToString(root[:])
	}
	if *index >= 0 {
		p, err := tlog.ProveRecord(n, *index, &stored)
		if err != nil {
			return nil, fmt.Errorf("tlog.ProveRecord: %v", err)
		}
		proof := hexHashes(p)
		out.Proof = &proof
	}
	if *old >= 0 {
		p, err := tlog.ProveTree(n, *old, &stored)
		if err != nil {
			return nil, fmt.Errorf("tlog.ProveTree: %v", err)
		}
		proof := hexHashes(p)
		out.Proof = &proof
	}
	return out, nil
}

func cmdSignCheckpoint(args []string) ([]byte, error) {
	if len(args) != 4 {
		return nil, usageError{"sign-checkpoint takes SKEY_FILE ORIGIN SIZE ROOT_HEX"}
	}
	skey, err := readKey(args[0])
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("note.NewSigner: %v", err)
	}
	size, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil || size < 0 {
		return nil, fmt.Errorf("SIZE: malformed tree size %q", args[2])
	}
	root, err := parseHash(args[3])
	if err != nil {
		return nil, fmt.Errorf("ROOT_HEX: %v", err)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", args[1], size, base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		return nil, fmt.Errorf("note.Sign: %v", err)
	}
	return msg, nil
}

func cmdGenerateKey(args []string) (interface{}, error) {
	if len(args) != 1 {
		return nil, usageError{"generate-key takes NAME"}
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, args[0])
	if err != nil {
		return nil, fmt.Errorf("note.GenerateKey: %v", err)
	}
	return map[string]string{"skey": skey, "vkey": vkey}, nil
}

// Static tiles (c2sp.org/tlog-tiles), read with tlog.TileHashReader.
//
// golang.org/x/mod v0.7.0 predates tlog-tiles. Its tiles are the same bytes
// (tlog.ReadTileData), and its paths are the same apart from two names:
// Tile.Path writes the height ("tile/8/0/x001/067.p/5"), which tlog-tiles
// leaves out because it is always 8 ("tile/0/x001/067.p/5"), and names record
// data "data" ("tile/8/data/000") where tlog-tiles has entry bundles
// ("tile/entries/000"). c2spPath and goPath below are the whole mapping; the
// bundle layout (big-endian uint16 length before each entry) is not in x/mod
// v0.7.0 and is split by splitBundle. Custodian writes bundles holding an entry
// over 65535 bytes at "custodian/entries/..." with uint32 lengths instead.

const tileHeight = 8

// c2spPath is t's tlog-tiles path: Tile.Path without the height, and with
// "entries" for "data" (or "custodian/entries" for Custodian's large form).
func c2spPath(t tlog.Tile, large bool) (string, error) {
	p := t.Path()
	rest := strings.TrimPrefix(p, "tile/8/")
	if t.H != tileHeight || rest == p {
		return "", fmt.Errorf("tile %q: want height %d", p, tileHeight)
	}
	if t.L != -1 {
		if large {
			return "", fmt.Errorf("tile %q: only entry bundles have a large form", p)
		}
		return "tile/" + rest, nil
	}
	rest = strings.TrimPrefix(rest, "data/")
	if large {
		return "custodian/entries/" + rest, nil
	}
	return "tile/entries/" + rest, nil
}

// goPath is the x/mod path of a tlog-tiles path, for tlog.ParseTilePath, and
// whether it names a large-form bundle.
func goPath(rel string) (string, bool, error) {
	switch {
	case strings.HasPrefix(rel, "tile/entries/"):
		return "tile/8/data/" + strings.TrimPrefix(rel, "tile/entries/"), false, nil
	case strings.HasPrefix(rel, "custodian/entries/"):
		return "tile/8/data/" + strings.TrimPrefix(rel, "custodian/entries/"), true, nil
	case strings.HasPrefix(rel, "tile/"):
		return "tile/8/" + strings.TrimPrefix(rel, "tile/"), false, nil
	}
	return "", false, fmt.Errorf("%s: not a tlog-tiles path", rel)
}

// dirTiles is a tlog.TileReader over a directory of tlog-tiles.
type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return tileHeight }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p, err := c2spPath(t, false)
		if err != nil {
			return nil, err
		}
		if out[i], err = os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(p))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// openTiles verifies DIR/checkpoint and returns the tree and a hash reader over
// the tiles that checks every tile it loads against the tree's root.
func openTiles(vkeyFile, dir string) (tlog.Tree, checkpointJSON, tlog.HashReader, error) {
	n, err := openNote(vkeyFile, filepath.Join(dir, "checkpoint"))
	if err != nil {
		return tlog.Tree{}, checkpointJSON{}, nil, err
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return tlog.Tree{}, c, nil, err
	}
	root, err := parseHash(c.RootHex)
	if err != nil {
		return tlog.Tree{}, c, nil, err
	}
	tree := tlog.Tree{N: c.Size, Hash: root}
	return tree, c, tlog.TileHashReader(tree, dirTiles{dir}), nil
}

// splitBundle splits an entry bundle: each entry behind its big-endian length
// of prefix bytes (2, or 4 for the large form).
func splitBundle(data []byte, prefix int) ([][]byte, error) {
	var entries [][]byte
	for len(data) > 0 {
		if len(data) < prefix {
			return nil, fmt.Errorf("entry %d: %d bytes left for a %d-byte length", len(entries), len(data), prefix)
		}
		n := 0
		for _, b := range data[:prefix] {
			n = n<<8 | int(b)
		}
		data = data[prefix:]
		if n > len(data) {
			return nil, fmt.Errorf("entry %d: length %d, only %d bytes follow", len(entries), n, len(data))
		}
		entries = append(entries, data[:n])
		data = data[n:]
	}
	return entries, nil
}

type tilesJSON struct {
	Origin          string `json:"origin"`
	Size            int64  `json:"size"`
	RootHex         string `json:"root_hex"`
	Files           int    `json:"files"`
	HashTiles       int    `json:"hash_tiles"`
	EntryBundles    int    `json:"entry_bundles"`
	LargeBundles    int    `json:"large_entry_bundles"`
	Entries         int64  `json:"entries"`
	InclusionProofs int64  `json:"inclusion_proofs"`
}

// cmdTiles reads a tlog-tiles directory and checks it all, two ways:
//   - every file's path parses with tlog.ParseTilePath (after goPath) and
//     Tile.Path (after c2spPath) writes it back identically, and every tile and
//     bundle the tree needs is there;
//   - from the entries alone: Go rebuilds the tree from the bundles' entries
//     (tlog.StoredHashes), its tlog.TreeHash is the checkpoint's root, and
//     every hash tile file equals tlog.ReadTileData over Go's own hashes;
//   - as a tile client: tlog.TreeHash over tlog.TileHashReader is the root, and
//     every leaf's tlog.ProveRecord over the TileHashReader passes
//     tlog.CheckRecord against the root with the entry's tlog.RecordHash.
func cmdTiles(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("tiles", flag.ContinueOnError)
	entriesOut := fs.String("entries-out", "", "write the entries, hex, one per line, in log order")
	if err := fs.Parse(args); err != nil || fs.NArg() != 2 {
		return nil, usageError{"tiles takes [-entries-out FILE] VKEY_FILE DIR"}
	}
	dir := fs.Arg(1)
	tree, c, thr, err := openTiles(fs.Arg(0), dir)
	if err != nil {
		return nil, err
	}
	out := tilesJSON{Origin: c.Origin, Size: c.Size, RootHex: c.RootHex}

	type file struct {
		rel   string
		tile  tlog.Tile
		large bool
	}
	var files []file
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "checkpoint" {
			return nil
		}
		gp, large, err := goPath(rel)
		if err != nil {
			return err
		}
		t, err := tlog.ParseTilePath(gp)
		if err != nil {
			return fmt.Errorf("%s: tlog.ParseTilePath(%q): %v", rel, gp, err)
		}
		back, err := c2spPath(t, large)
		if err != nil {
			return err
		}
		if back != rel {
			return fmt.Errorf("%s: tlog.Tile.Path writes it as %q", rel, back)
		}
		files = append(files, file{rel, t, large})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Files = len(files)

	// The tiles a client of this tree fetches: full tiles, and the widest
	// partial tile of each level; level 0 with its entry bundle.
	present := map[tlog.Tile]bool{}
	for _, f := range files {
		present[f.tile] = true
	}
	for _, t := range tlog.NewTiles(tileHeight, 0, tree.N) {
		if t.W != 1<<tileHeight && int64(t.W) != tree.N>>(uint(t.L*tileHeight))-t.N<<tileHeight {
			continue
		}
		p, _ := c2spPath(t, false)
		if !present[t] {
			return nil, fmt.Errorf("%s: missing; the tree of %d leaves needs it", p, tree.N)
		}
		if t.L == 0 && !present[tlog.Tile{H: t.H, L: -1, N: t.N, W: t.W}] {
			return nil, fmt.Errorf("the entry bundle of %s is missing", p)
		}
	}

	// The entries, from every bundle (narrower partials must agree).
	entries := make([][]byte, tree.N)
	for _, f := range files {
		if f.tile.L >= 0 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.rel)))
		if err != nil {
			return nil, err
		}
		prefix := 2
		if f.large {
			prefix = 4
			out.LargeBundles++
		}
		bundle, err := splitBundle(data, prefix)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.rel, err)
		}
		if len(bundle) != f.tile.W {
			return nil, fmt.Errorf("%s: %d entries; the path says %d", f.rel, len(bundle), f.tile.W)
		}
		for i, e := range bundle {
			index := f.tile.N<<tileHeight + int64(i)
			if index >= tree.N {
				return nil, fmt.Errorf("%s: entry %d is leaf %d, beyond the tree of %d", f.rel, i, index, tree.N)
			}
			if entries[index] != nil && !bytes.Equal(entries[index], e) {
				return nil, fmt.Errorf("%s: leaf %d differs from another bundle's", f.rel, index)
			}
			entries[index] = append([]byte{}, e...)
		}
		out.EntryBundles++
	}

	// Go's own tree from the entries: its root, and every tile from it.
	var stored memoryHashes
	for i, e := range entries {
		if e == nil {
			return nil, fmt.Errorf("leaf %d is in no entry bundle", i)
		}
		hs, err := tlog.StoredHashes(int64(i), e, &stored)
		if err != nil {
			return nil, fmt.Errorf("tlog.StoredHashes(%d): %v", i, err)
		}
		stored = append(stored, hs...)
	}
	if tree.N > 0 {
		th, err := tlog.TreeHash(tree.N, &stored)
		if err != nil {
			return nil, fmt.Errorf("tlog.TreeHash over the entries: %v", err)
		}
		if th != tree.Hash {
			return nil, fmt.Errorf("the entries' tlog.TreeHash is %s, the checkpoint's root %s", hex.EncodeToString(th[:]), hex.EncodeToString(tree.Hash[:]))
		}
	}
	for _, f := range files {
		if f.tile.L < 0 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.rel)))
		if err != nil {
			return nil, err
		}
		want, err := tlog.ReadTileData(f.tile, &stored)
		if err != nil {
			return nil, fmt.Errorf("%s: tlog.ReadTileData: %v", f.rel, err)
		}
		if !bytes.Equal(data, want) {
			return nil, fmt.Errorf("%s: differs from tlog.ReadTileData over the tree Go built from the entries", f.rel)
		}
		out.HashTiles++
	}

	// As a tile client.
	if tree.N > 0 {
		th, err := tlog.TreeHash(tree.N, thr)
		if err != nil {
			return nil, fmt.Errorf("tlog.TreeHash over tlog.TileHashReader: %v", err)
		}
		if th != tree.Hash {
			return nil, fmt.Errorf("tlog.TreeHash over tlog.TileHashReader is %s, the checkpoint's root %s", hex.EncodeToString(th[:]), hex.EncodeToString(tree.Hash[:]))
		}
	}
	for i, e := range entries {
		p, err := tlog.ProveRecord(tree.N, int64(i), thr)
		if err != nil {
			return nil, fmt.Errorf("leaf %d: tlog.ProveRecord over tlog.TileHashReader: %v", i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, int64(i), tlog.RecordHash(e)); err != nil {
			return nil, fmt.Errorf("leaf %d: tlog.CheckRecord: %v", i, err)
		}
		out.Entries++
		out.InclusionProofs++
	}
	if *entriesOut != "" {
		var buf bytes.Buffer
		for _, e := range entries {
			buf.WriteString(hex.EncodeToString(e))
			buf.WriteByte('\n')
		}
		if err := os.WriteFile(*entriesOut, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cmdTilesProve prints, like merkle, the tree size, the root and a proof, both
// computed by tlog over a tlog.TileHashReader on DIR: tlog.ProveRecord for
// -index, tlog.ProveTree for -old.
func cmdTilesProve(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("tiles-prove", flag.ContinueOnError)
	index := fs.Int64("index", -1, "the inclusion proof of this leaf (tlog.ProveRecord)")
	old := fs.Int64("old", -1, "the consistency proof from this size (tlog.ProveTree)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 2 || (*index >= 0) == (*old >= 0) {
		return nil, usageError{"tiles-prove takes (-index I | -old M) VKEY_FILE DIR"}
	}
	tree, _, thr, err := openTiles(fs.Arg(0), fs.Arg(1))
	if err != nil {
		return nil, err
	}
	var p []tlog.Hash
	if *index >= 0 {
		p, err = tlog.ProveRecord(tree.N, *index, thr)
		if err != nil {
			return nil, fmt.Errorf("tlog.ProveRecord: %v", err)
		}
	} else {
		p, err = tlog.ProveTree(tree.N, *old, thr)
		if err != nil {
			return nil, fmt.Errorf("tlog.ProveTree: %v", err)
		}
	}
	proof := hexHashes(p)
	return merkleJSON{TreeSize: tree.N, Root: hex.EncodeToString(tree.Hash[:]), Proof: &proof}, nil
}

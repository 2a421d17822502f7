#!/usr/bin/env bash
# Interoperability check: an independent implementation (Go's golang.org/x/mod
# sumdb/note and sumdb/tlog, from Debian's golang-golang-x-mod-dev) verifies the
# checkpoints, inclusion proofs and consistency proofs of a real Custodian log,
# recomputes its Merkle root from `custodian log entries`, signs a checkpoint
# that Custodian must accept, and reads the log's static tlog-tiles
# (`custodian export tiles`) as a tile client. Prints "N passed, 0 failed" and
# exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/golang.org/x/mod/sumdb ]; then
  echo "interop: go or golang.org/x/mod is missing (apt-get install golang-go golang-golang-x-mod-dev)" >&2
  exit 1
fi
GO111MODULE=off GOPATH="$root/interop/go:/usr/share/gocode" GOCACHE="$work/gocache" \
  go build -o "$work/go-verify" custodian-interop
(cd "$root" && cargo build --quiet -p custodian)
custodian="$root/target/debug/custodian"
gov="$work/go-verify"

passed=0
failed=0
check() { # description, command...
  local what="$1"; shift
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $what"; echo "$out" | sed 's/^/    /'
  fi
}
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d'"$1"')'; }
same_json() { python3 -c 'import json,sys; a,b=json.loads(sys.argv[1]),json.loads(sys.argv[2]); sys.exit(0 if a==b else print(a, "\n", b) or 1)' "$1" "$2"; }

cd "$work"
"$custodian" demo > demo.txt
db=(--db custodian-demo.db)
"$custodian" "${db[@]}" log key > log.vkey
"$custodian" "${db[@]}" log head > head.txt
size="$("$custodian" "${db[@]}" --json log head | json '["tree_size"]')"
ours_root="$("$custodian" "${db[@]}" --json log consistency "$size" "$size" | json '["new_root"]')"

# 1. Go verifies our latest checkpoint and reads the same size and root.
check "Go verifies the checkpoint" "$gov" checkpoint log.vkey head.txt
go_cp="$("$gov" checkpoint log.vkey head.txt)"
check "Go reads the same size" test "$(echo "$go_cp" | json '["size"]')" = "$size"
check "Go reads the same root" test "$(echo "$go_cp" | json '["root_hex"]')" = "$ours_root"

# 2. Every stored checkpoint verifies in Go.
for m in $(seq 1 "$size"); do
  if "$custodian" "${db[@]}" log head --size "$m" > "cp-$m.txt" 2>/dev/null; then
    check "Go verifies the checkpoint at size $m" "$gov" checkpoint log.vkey "cp-$m.txt"
  fi
done

# 3. Every leaf's inclusion proof verifies with tlog.CheckRecord.
for i in $(seq 0 $((size - 1))); do
  "$custodian" "${db[@]}" --json log prove "$i" > "inc-$i.json"
  json '["leaf"]' < "inc-$i.json" > "leaf-$i.hex"
  check "Go verifies inclusion of leaf $i" "$gov" inclusion -leaf-hex-file "leaf-$i.hex" -index "$i" -size "$size" -root "$ours_root" -proof "inc-$i.json"
done

# 4. Every old size's consistency proof verifies with tlog.CheckTree.
for m in $(seq 1 "$size"); do
  "$custodian" "${db[@]}" --json log consistency "$m" "$size" > "cons-$m.json"
  old_root="$(json '["old_root"]' < "cons-$m.json")"
  check "Go verifies consistency $m -> $size" "$gov" consistency -old "$m" -new "$size" -old-root "$old_root" -new-root "$ours_root" -proof "cons-$m.json"
done

# 5. Go rebuilds the tree from `log entries` and gets our root.
"$custodian" "${db[@]}" log entries > entries.hex
check "Go's root from log entries equals ours" test "$("$gov" merkle entries.hex | json '["root"]')" = "$ours_root"

# 6. `custodian merkle` and Go agree on roots and proofs for sizes 1..40.
python3 - <<'PY'
import os
for n in range(1, 41):
    with open(f"leaves-{n}.hex", "w") as f:
        for i in range(n):
            f.write(os.urandom(i % 7).hex() + "\n")
PY
for n in $(seq 1 40); do
  check "merkle root, size $n" same_json "$("$custodian" merkle root "leaves-$n.hex")" "$("$gov" merkle "leaves-$n.hex")"
  for i in 0 $(( n / 2 )) $(( n - 1 )); do
    check "merkle inclusion, size $n index $i" same_json "$("$custodian" merkle inclusion "leaves-$n.hex" --index "$i")" "$("$gov" merkle -index "$i" "leaves-$n.hex")"
  done
  for m in 1 $(( (n + 1) / 2 )) $(( n - 1 )); do
    [ "$m" -ge 1 ] || continue
    check "merkle consistency, $m -> $n" same_json "$("$custodian" merkle consistency "leaves-$n.hex" --old "$m")" "$("$gov" merkle -old "$m" "leaves-$n.hex")"
  done
done

# 7. Custodian accepts a checkpoint that Go signs with the log's key file.
"$gov" sign-checkpoint custodian-demo.db.logkey "$(head -n 1 head.txt)" "$size" "$ours_root" > go-head.txt
check "Custodian verifies a Go-signed checkpoint" "$custodian" log verify-inclusion --vkey log.vkey --checkpoint go-head.txt --proof "inc-0.json"
check "Go's and our signatures are identical (Ed25519 is deterministic)" cmp go-head.txt head.txt

# 8. A tampered checkpoint fails in Go too.
sed '2s/.*/999/' head.txt > bad-head.txt
check "Go refuses a tampered checkpoint" bash -c "! '$gov' checkpoint log.vkey bad-head.txt"

# 9. Static C2SP tlog-tiles (`custodian export tiles`), read by Go. Inside
# `custodian-interop tiles`: every path round-trips through tlog.ParseTilePath
# and Tile.Path; Go rebuilds the tree from the bundles' entries and gets the
# checkpoint's root, and every tile file equals tlog.ReadTileData over Go's own
# tree; tlog.TreeHash over tlog.TileHashReader is the root and every leaf's
# tlog.ProveRecord over it passes tlog.CheckRecord. Then Go's proofs computed
# from the tiles equal ours.
proof_of() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"tree_size":d.get("tree_size",d.get("new_size")),"root":d.get("root",d.get("new_root")),"proof":d["proof"]}))'; }
tiles_round() { # db dir what [leaves...]: export, then Go reads it all
  local db="$1" dir="$2" what="$3"; shift 3
  local size root go_out
  "$custodian" --db "$db" log key > "$dir.vkey"
  size="$("$custodian" --db "$db" --json log head | json '["tree_size"]')"
  root="$("$custodian" --db "$db" --json log consistency "$size" "$size" | json '["new_root"]')"
  check "$what: custodian export tiles --verify at size $size" "$custodian" --db "$db" export tiles "$dir" --verify
  check "$what: Go reads the tiles at size $size" "$gov" tiles -entries-out "$dir.entries" "$dir.vkey" "$dir"
  go_out="$("$gov" tiles "$dir.vkey" "$dir" 2>&1 || true)"
  check "$what: Go's root from the tiles is ours" test "$(echo "$go_out" | json '["root_hex"]')" = "$root"
  check "$what: Go proved every leaf from the tiles" test "$(echo "$go_out" | json '["inclusion_proofs"]')" = "$size"
  "$custodian" --db "$db" log entries > "$dir.ours"
  check "$what: Go's entries from the bundles equal log entries" cmp "$dir.entries" "$dir.ours"
  for i in "$@"; do
    [ "$i" -lt "$size" ] || continue
    check "$what: Go's inclusion proof of leaf $i from the tiles equals ours" same_json \
      "$("$gov" tiles-prove -index "$i" "$dir.vkey" "$dir")" "$("$custodian" --db "$db" --json log prove "$i" | proof_of)"
    [ "$i" -ge 1 ] || continue
    check "$what: Go's consistency proof $i -> $size from the tiles equals ours" same_json \
      "$("$gov" tiles-prove -old "$i" "$dir.vkey" "$dir")" "$("$custodian" --db "$db" --json log consistency "$i" "$size" | proof_of)"
  done
}
# The demo log: three leaves over 65535 bytes, so its one bundle is in
# Custodian's large form; the covert-relocation log: standard bundles.
tiles_round custodian-demo.db demo-tiles "demo log" $(seq 0 $((size - 1)))
check "demo log: the bundle is in the large form" test -f demo-tiles/custodian/entries/000.p/"$size"
small=custodian-demo-covert-relocation.db
tiles_round "$small" small-tiles "covert-relocation log" $(seq 0 10)
check "covert-relocation log: the bundle is standard" test -f small-tiles/tile/entries/000.p/6
again="$("$custodian" --db "$small" --json export tiles small-tiles)"
check "a second export writes nothing" test "$(echo "$again" | json '["tiles_written"]+d["bundles_written"]+int(d["checkpoint_written"])')" = 0

# A log grown across exports: partial tiles become full, new partials appear.
"$custodian" --db grow.db init --empty-registry --origin interop.test/tiles > /dev/null
"$custodian" key generate xaa-officer > /dev/null
"$custodian" --db grow.db actor add xaa-officer --role state_authority --party state:XAA --public-key xaa-officer.vkey --key admin.key > /dev/null
grow_to() { # seq_from seq_to: one signed site.register submission per leaf
  for i in $(seq "$1" "$2"); do
    printf '{"time":"2026-01-01T00:00:00Z","kind":"site.register","payload":{"site":"depot-%d","name":"Depot %d","state":"XAA","site_type":"storage"}}\n' "$i" "$i" > ev.jsonl
    "$custodian" log sign ev.jsonl --key xaa-officer.key --seq "$i" --origin interop.test/tiles
  done > subs.jsonl
  "$custodian" --db grow.db log append subs.jsonl > /dev/null
}
grow_to 1 100
tiles_round grow.db grow-tiles "grown log" 0 101
check "grown log at 102: one partial tile" test "$(cd grow-tiles && find tile -type f | sort | tr '\n' ' ')" = "tile/0/000.p/102 tile/entries/000.p/102 "
grow_to 101 254
tiles_round grow.db grow-tiles "grown log" 0 1 101 128 255
check "grown log at 256: full tile 0, its partials gone, level 1 begins" test "$(cd grow-tiles && find tile -type f | sort | tr '\n' ' ')" = "tile/0/000 tile/1/000.p/1 tile/entries/000 "
grow_to 255 300
tiles_round grow.db grow-tiles "grown log" 0 255 256 257 301
check "grown log at 302: the full tile kept, new partials" test "$(cd grow-tiles && find tile -type f | sort | tr '\n' ' ')" = "tile/0/000 tile/0/001.p/46 tile/1/000.p/1 tile/entries/000 tile/entries/001.p/46 "

# Tampered tiles: Go and `export tiles --verify` refuse them.
cp -r grow-tiles bad-tiles
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[100]^=1; open(p,"wb").write(b)' bad-tiles/tile/0/000
check "Go refuses a tile with a flipped bit" bash -c "! '$gov' tiles grow-tiles.vkey bad-tiles"
check "custodian export tiles --verify refuses it (exit 3)" bash -c "'$custodian' --db grow.db export tiles bad-tiles --verify; test \$? -eq 3"
rm -rf bad-tiles; cp -r grow-tiles bad-tiles
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-1]^=1; open(p,"wb").write(b)' bad-tiles/tile/entries/001.p/46
check "Go refuses an entry bundle with a flipped bit" bash -c "! '$gov' tiles grow-tiles.vkey bad-tiles"
check "custodian export tiles --verify refuses it (exit 3)" bash -c "'$custodian' --db grow.db export tiles bad-tiles --verify; test \$? -eq 3"
check "custodian export tiles refuses another log's directory (exit 3)" bash -c "'$custodian' --db '$small' export tiles grow-tiles; test \$? -eq 3"

echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

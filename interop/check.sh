#!/usr/bin/env bash
# Interoperability check: an independent implementation (Go's golang.org/x/mod
# sumdb/note and sumdb/tlog, from Debian's golang-golang-x-mod-dev) verifies the
# checkpoints, inclusion proofs and consistency proofs of a real Custodian log,
# recomputes its Merkle root from `custodian log entries`, and signs a checkpoint
# that Custodian must accept. Prints "N passed, 0 failed" and exits non-zero on
# any failure.
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

echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

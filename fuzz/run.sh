#!/usr/bin/env bash
# Runs each fuzz target for N seconds (default 30) with cargo-fuzz on the stable
# toolchain (RUSTC_BOOTSTRAP lets stable rustc take the sanitizer flags).
# Seeds come from the vector files, so the fuzzer starts from valid inputs.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"
export RUSTC_BOOTSTRAP=1
mkdir -p corpus/submission corpus/checkpoint
# Seed corpora: valid checkpoints from the vectors; a valid leaf from the demo.
for f in ../tests/vectors/checkpoint/*.json; do
  python3 - "$f" corpus/checkpoint <<'PY'
import json, sys, hashlib, os
doc = json.load(open(sys.argv[1]))
for k, v in doc.items():
    if isinstance(v, str) and v.count("\n") >= 3:
        open(os.path.join(sys.argv[2], hashlib.sha256(v.encode()).hexdigest()[:16]), "w").write(v)
PY
done
cp seeds/submission/* corpus/submission/
for target in submission checkpoint; do
  echo "fuzzing $target for ${seconds}s"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tail -n 12
done

#!/usr/bin/env bash
# Benchmarks charnn against its PyTorch peer (scripts/peer_pytorch.py) in one run on this
# machine, same model and data protocol, and prints both JSON lines and their ratios.
# Usage: scripts/bench.sh [CORPUS] [extra bench options, e.g. --hidden 256 --steps 100]
# CORPUS defaults to corpora/shakespeare.txt (make corpora). PYTHON (default: venv/bin/python,
# which `make peer` creates, else python3) must have torch for the peer; without it only charnn
# is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-corpora/shakespeare.txt}
shift || true
opts=("$@")
[ ${#opts[@]} -eq 0 ] && opts=(--hidden 256 --steps 100 --sample 2000)
bin=.build/release/charnn
[ -x "$bin" ] || { echo "error: build first (make build)" >&2; exit 1; }
[ -f "$corpus" ] || { echo "error: corpus $corpus not found (make corpora builds corpora/shakespeare.txt)" >&2; exit 1; }
py=${PYTHON:-}
if [ -z "$py" ]; then
  if [ -x venv/bin/python ]; then py=venv/bin/python; else py=python3; fi
fi
peer=scripts/peer_pytorch.py
for cell in lstm gru; do
  ours=$("$bin" bench "$corpus" --cell "$cell" "${opts[@]}" | tail -n 1)
  echo "charnn : $ours"
  if [ -f "$peer" ] && "$py" -c "import torch" 2>/dev/null; then
    theirs=$("$py" "$peer" "$corpus" --cell "$cell" "${opts[@]}" | tail -n 1)
    echo "pytorch: $theirs"
    python3 - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in ("train_chars_per_s", "sample_chars_per_s"):
    print(f"  {a['cell']} {k}: charnn/pytorch = {a[k] / b[k]:.2f}x")
for k in ("val_loss_nats", "val_stream_loss_nats", "peak_rss_mb"):
    if k in a and k in b: print(f"  {a['cell']} {k}: charnn {a[k]} vs pytorch {b[k]}")
PY
  else
    echo "(peer skipped: no torch for $py; make peer creates venv/ with it)"
  fi
done

#!/usr/bin/env python3
"""Compares two `charnn train` runs' metrics (the MPI equivalence tests: scripts/mpi-train-test.sh and
scripts/mpi-two-hosts-equivalence.sh): the last training loss and validation loss of run A against run B.
Prints one line; exits 0 when both runs reached step STEPS (default 100) and both relative differences
are at most 1e-4. Usage: mpi-compare-runs.py A/metrics.jsonl B/metrics.jsonl [STEPS]"""
import json
import sys


def last(path):
    lines = [json.loads(l) for l in open(path)]
    train = [l for l in lines if l["type"] == "train"][-1]
    val = [l for l in lines if l["type"] == "eval"][-1]
    return train["step"], train["train_loss"], val["val_loss"]


steps = int(sys.argv[3]) if len(sys.argv) > 3 else 100
(sa, ta, va), (sb, tb, vb) = last(sys.argv[1]), last(sys.argv[2])
rt, rv = abs(ta - tb) / abs(tb), abs(va - vb) / abs(vb)
print(f"step {sa}/{sb}: train {ta:.6f} vs {tb:.6f} (rel {rt:.1e}), val {va:.6f} vs {vb:.6f} (rel {rv:.1e})")
sys.exit(0 if sa == sb == steps and rt <= 1e-4 and rv <= 1e-4 else 1)

#!/usr/bin/env python3
"""charnn's PyTorch peer: the same character-level model, data protocol and measurements as
`charnn bench`, so the two can be run one after the other on one machine and their ratio quoted.

Needs a Python with torch (`make peer` creates venv/ with it). Not part of the test suite.

Usage: venv/bin/python scripts/peer_pytorch.py CORPUS [--cell lstm|gru|rnn] [--hidden H] [--layers L]
           [--batch B] [--seq S] [--steps N | --seconds T] [--lr LR] [--dropout P] [--threads N]
           [--sample N] [--temperature T] [--seed N] [--window W] [--no-eval]

The protocol, shared with `charnn bench` (README, "Benchmarks"):
- vocabulary: the sorted set of the file's Unicode scalars (charnn's graphemes are the same on
  ASCII text such as Shakespeare);
- split: the first 90% of the characters train, the last 10% validate;
- training: B parallel streams over the training part, truncated BPTT of S steps, the hidden
  state carried from one window to the next, Adam, global gradient-norm clip 5;
- val_loss_nats: the validation part in B streams with the state carried, every target scored;
- val_stream_loss_nats: the validation part as one stream from a zero state (`charnn eval`);
- val_window_loss_nats: nanoGPT's protocol, non-overlapping windows of W characters each from a
  zero state, every position scored (`charnn eval --window W`);
- sample_chars_per_s: batch-1 sampling at --temperature from a newline;
- peak_rss_mb: the process's peak resident memory (ru_maxrss).

The last line printed is one JSON object with these keys (and the settings).
"""
import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("corpus")
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--seq", type=int, default=50)
    p.add_argument("--steps", type=int, default=200, help="training steps (ignored with --seconds)")
    p.add_argument("--seconds", type=float, default=0.0, help="train for this long instead of --steps")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--sample", type=int, default=2000, help="characters sampled at batch 1")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--window", type=int, default=256, help="window of the nanoGPT protocol")
    p.add_argument("--no-eval", action="store_true")
    a = p.parse_args(argv)
    for name in ("hidden", "layers", "batch", "seq", "threads", "window"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be >= 1")
    if not (a.lr > 0 and math.isfinite(a.lr)) or not (0 <= a.dropout < 1) or a.sample < 0 or a.seconds < 0:
        p.error("--lr must be > 0, --dropout in [0, 1), --sample and --seconds >= 0")
    return a


class CharModel(nn.Module):
    """Embedding (E = H) → L recurrent layers → dropout → linear decoder: charnn's model."""

    def __init__(self, cell, vocab, hidden, layers, dropout):
        super().__init__()
        recurrent = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.encoder = nn.Embedding(vocab, hidden)
        self.rnn = recurrent(hidden, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, tokens, state):  # tokens: (T, B) → logits (T, B, V)
        outputs, state = self.rnn(self.encoder(tokens), state)
        return self.decoder(self.dropout(outputs)), state


def as_streams(ids, batch):
    """Inputs and targets as (L, B): stream b reads ids[b·L ..< (b+1)·L] and predicts the next id."""
    length = (len(ids) - 1) // batch
    inputs = ids[: length * batch].view(batch, length).t().contiguous()
    targets = ids[1 : length * batch + 1].view(batch, length).t().contiguous()
    return inputs, targets, length


def detached(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def train(model, ids, a):
    """Truncated BPTT over B streams; returns (steps, seconds)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)
    inputs, targets, length = as_streams(ids, a.batch)
    if length < a.seq:
        sys.exit(f"error: {a.corpus}: the training part is too small for --batch {a.batch} × --seq {a.seq}")
    model.train()
    state, position, steps = None, 0, 0
    start = time.perf_counter()
    while (time.perf_counter() - start < a.seconds) if a.seconds else steps < a.steps:
        if position + a.seq > length:  # a new epoch starts every stream from a zero state
            state, position = None, 0
        x, y = inputs[position : position + a.seq], targets[position : position + a.seq]
        position += a.seq
        logits, state = model(x, detached(state))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        steps += 1
    return steps, time.perf_counter() - start


@torch.no_grad()
def loss_in_streams(model, ids, batch, seq):
    inputs, targets, length = as_streams(ids, batch)
    state, total, count = None, 0.0, 0
    for p in range(0, length, seq):
        logits, state = model(inputs[p : p + seq], state)
        y = targets[p : p + seq]
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    return total / max(count, 1)


@torch.no_grad()
def loss_one_stream(model, ids):
    logits, _ = model(ids[:-1].view(-1, 1), None)
    return F.cross_entropy(logits.view(-1, logits.shape[-1]), ids[1:]).item()


@torch.no_grad()
def loss_in_windows(model, ids, window):
    """nanoGPT's protocol: x = ids[i : i+W], y = ids[i+1 : i+W+1] for i = 0, W, 2W, …, each window
    from a zero state; a last partial window scores what is left."""
    total, count = 0.0, 0
    full = (len(ids) - 1) // window
    if full:
        x = ids[: full * window].view(full, window).t()
        y = ids[1 : full * window + 1].view(full, window).t()
        logits, _ = model(x, None)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    rest = len(ids) - 1 - full * window
    if rest:
        tail = ids[full * window :]
        logits, _ = model(tail[:-1].view(-1, 1), None)
        total += F.cross_entropy(logits.view(-1, logits.shape[-1]), tail[1:], reduction="sum").item()
        count += rest
    return total / max(count, 1)


@torch.no_grad()
def sample(model, vocab, index, a):
    """Batch-1 sampling from a newline; returns (text, seconds)."""
    model.eval()
    generator = torch.Generator().manual_seed(a.seed)
    token = torch.tensor([[index.get("\n", 0)]])
    state, text = None, []
    start = time.perf_counter()
    for _ in range(a.sample):
        logits, state = model(token, state)
        probabilities = torch.softmax(logits[-1, 0] / a.temperature, dim=-1)
        token = torch.multinomial(probabilities, 1, generator=generator).view(1, 1)
        text.append(vocab[token.item()])
    return "".join(text), time.perf_counter() - start


def main(argv):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    try:
        with open(a.corpus, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        sys.exit(f"error: {a.corpus}: {e}")
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    split = int(len(ids) * 0.9)
    model = CharModel(a.cell, len(vocab), a.hidden, a.layers, a.dropout)

    steps, seconds = train(model, ids[:split], a)
    model.eval()
    nan = float("nan")
    val, stream, windowed = (nan, nan, nan) if a.no_eval else (
        loss_in_streams(model, ids[split:], a.batch, a.seq), loss_one_stream(model, ids[split:]),
        loss_in_windows(model, ids[split:], a.window))
    generated, sample_seconds = sample(model, vocab, index, a)
    print(generated[:300])
    rounded = lambda x: None if math.isnan(x) else round(x, 4)
    print(json.dumps({
        "peer": "pytorch-" + torch.__version__, "cell": a.cell, "hidden": a.hidden, "layers": a.layers,
        "batch": a.batch, "seq": a.seq, "dropout": a.dropout, "threads": a.threads,
        "params": sum(p.numel() for p in model.parameters()), "steps": steps, "seconds": round(seconds, 3),
        "train_chars_per_s": round(steps * a.batch * a.seq / seconds, 1),
        "sample_chars_per_s": round(a.sample / sample_seconds, 1) if a.sample else None,
        "val_loss_nats": rounded(val), "val_bpc": rounded(val / math.log(2)), "val_ppl": rounded(math.exp(val)),
        "val_stream_loss_nats": rounded(stream), "window": a.window, "val_window_loss_nats": rounded(windowed),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main(sys.argv[1:])

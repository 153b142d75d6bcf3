#!/usr/bin/env python3
"""Check that a charnn checkpoint loads into PyTorch and gives the same outputs.

    python scripts/pytorch_parity.py CKPT TEXTFILE [--logits LOGITS.safetensors]

CKPT is a charnn checkpoint directory (config.json, vocab.json,
model.safetensors). The weights are loaded *unchanged* with
load_state_dict(strict=True) into nn.Embedding -> nn.LSTM / nn.GRU / nn.RNN
-> nn.Linear named like PyTorch's word_language_model (encoder, rnn,
decoder); the peephole cell is a few lines of PyTorch with the same names.

TEXTFILE is scored as one stream from a zero state: the mean cross-entropy
(nats) of its N-1 next-character predictions. Prints JSON
{"loss_nats", "chars", "max_abs_logit_diff" (with --logits)}.

--logits takes the file written by
    charnn eval CKPT TEXTFILE --dump-logits FILE --dump-count N
(tensors "logits" [N, V] and "tokens" [N]) and compares PyTorch's logits for
those N positions with charnn's. Exit status 1 if the tokens differ or the
max absolute difference exceeds --tolerance (1e-4); 2 on a usage or input error.

Tokenization supports the common case: unit "scalar" or "grapheme" on text
whose units are single code points (and unit "byte"); NFC is applied when
vocab.json says so. Needs torch, safetensors, numpy; no charnn code.
"""

import argparse
import json
import math
import os
import sys
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file

CELLS = ("lstm", "gru", "rnn", "peephole")


class ParityError(Exception):
    """A problem with the inputs (printed, exit status 2)."""


# ----------------------------------------------------------------------------
# Model


class PeepholeLSTM(nn.Module):
    """Multi-layer LSTM with diagonal peepholes (Gers & Schmidhuber 2000).

    Parameters per layer k, named as nn.LSTM names them plus the peepholes:
    weight_ih_l{k} [4H, I], weight_hh_l{k} [4H, H], bias_ih_l{k} [4H],
    bias_hh_l{k} [4H] (gates i, f, g, o), weight_peephole_{i,f,o}_l{k} [H].
    """

    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        H = hidden_size
        for k in range(num_layers):
            I = input_size if k == 0 else H
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(torch.empty(4 * H, I)))
            self.register_parameter(f"weight_hh_l{k}", nn.Parameter(torch.empty(4 * H, H)))
            self.register_parameter(f"bias_ih_l{k}", nn.Parameter(torch.empty(4 * H)))
            self.register_parameter(f"bias_hh_l{k}", nn.Parameter(torch.empty(4 * H)))
            for g in "ifo":
                self.register_parameter(f"weight_peephole_{g}_l{k}", nn.Parameter(torch.empty(H)))

    def forward(self, x, state):
        # x: [T, B, I] (seq-first, like nn.LSTM); state: (h, c), each [L, B, H]
        h0, c0 = state
        hs, cs = [], []
        for k in range(self.num_layers):
            w_ih = getattr(self, f"weight_ih_l{k}")
            w_hh = getattr(self, f"weight_hh_l{k}")
            b_ih = getattr(self, f"bias_ih_l{k}")
            b_hh = getattr(self, f"bias_hh_l{k}")
            p_i = getattr(self, f"weight_peephole_i_l{k}")
            p_f = getattr(self, f"weight_peephole_f_l{k}")
            p_o = getattr(self, f"weight_peephole_o_l{k}")
            xw = F.linear(x, w_ih, b_ih)  # all time steps at once: [T, B, 4H]
            h, c = h0[k], c0[k]
            out = []
            for t in range(x.shape[0]):
                a_i, a_f, a_g, a_o = (xw[t] + F.linear(h, w_hh, b_hh)).chunk(4, dim=-1)
                i = torch.sigmoid(a_i + p_i * c)
                f = torch.sigmoid(a_f + p_f * c)
                g = torch.tanh(a_g)
                c = f * c + i * g
                o = torch.sigmoid(a_o + p_o * c)
                h = o * torch.tanh(c)
                out.append(h)
            x = torch.stack(out)
            hs.append(h)
            cs.append(c)
        return x, (torch.stack(hs), torch.stack(cs))


class CharModel(nn.Module):
    """Embedding -> recurrent stack -> Linear, named like word_language_model."""

    def __init__(self, cell, vocab_size, embedding, hidden, layers, dropout):
        super().__init__()
        self.cell = cell
        self.layers = layers
        self.hidden = hidden
        self.encoder = nn.Embedding(vocab_size, embedding)
        drop = dropout if layers > 1 else 0.0  # between layers; eval() turns it off anyway
        if cell == "lstm":
            self.rnn = nn.LSTM(embedding, hidden, layers, dropout=drop)
        elif cell == "gru":
            self.rnn = nn.GRU(embedding, hidden, layers, dropout=drop)
        elif cell == "rnn":
            self.rnn = nn.RNN(embedding, hidden, layers, nonlinearity="tanh", dropout=drop)
        elif cell == "peephole":
            self.rnn = PeepholeLSTM(embedding, hidden, layers)
        else:
            raise ParityError(f"config.json: unknown cell '{cell}' (expected one of {', '.join(CELLS)})")
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden, vocab_size)

    def zero_state(self, batch):
        z = torch.zeros(self.layers, batch, self.hidden, dtype=self.decoder.weight.dtype)
        return (z, z.clone()) if self.cell in ("lstm", "peephole") else z

    def forward(self, ids, state):
        # ids: [T, B] int64 -> logits [T, B, V]
        out, state = self.rnn(self.drop(self.encoder(ids)), state)
        return self.decoder(self.drop(out)), state


# ----------------------------------------------------------------------------
# Checkpoint


def read_json(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ParityError(f"{path}: no such file")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ParityError(f"{path}: not valid JSON ({e})")


def resolve_checkpoint(path):
    """A checkpoint directory, or a run directory: its best/ else latest/ (as `charnn eval` picks)."""
    if not os.path.isdir(path):
        raise ParityError(f"{path}: not a directory (a checkpoint or run directory)")
    if os.path.isfile(os.path.join(path, "config.json")):
        return path
    for name in ("best", "best.old", "latest", "latest.old"):
        p = os.path.join(path, name)
        if os.path.isfile(os.path.join(p, "config.json")):
            return p
    raise ParityError(f"{path}: holds no config.json, nor a best/ or latest/ checkpoint")


def load_checkpoint(ckpt, dtype):
    config = read_json(os.path.join(ckpt, "config.json"))
    vocab = read_json(os.path.join(ckpt, "vocab.json"))
    for key in ("cell", "layers", "hidden", "embedding", "vocab_size"):
        if key not in config:
            raise ParityError(f"config.json: missing key '{key}'")
    if config.get("format_version", 1) != 1:
        raise ParityError(f"config.json: format_version {config['format_version']} (this script reads 1)")
    tokens = vocab.get("tokens")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise ParityError("vocab.json: 'tokens' must be a list of strings")
    if len(tokens) != config["vocab_size"]:
        raise ParityError(f"vocab.json holds {len(tokens)} tokens, config.json says vocab_size {config['vocab_size']}")

    model = CharModel(config["cell"], config["vocab_size"], config["embedding"], config["hidden"],
                      config["layers"], float(config.get("dropout", 0.0)))
    path = os.path.join(ckpt, "model.safetensors")
    if not os.path.isfile(path):
        raise ParityError(f"{path}: no such file")
    tensors = load_file(path)
    # strict=True: every name and shape must be exactly PyTorch's, nothing missing or extra.
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        raise ParityError(f"{path} does not load into the PyTorch model (strict):\n{e}")
    model.to(dtype).eval()
    return config, vocab, model


# ----------------------------------------------------------------------------
# Tokenization (the common case)

# Code points that may join their neighbour into a multi-code-point grapheme.
def _may_extend(ch):
    cp = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me")
            or cp == 0x200D                      # zero-width joiner
            or 0xFE00 <= cp <= 0xFE0F            # variation selectors
            or 0xE0100 <= cp <= 0xE01EF
            or 0x1F3FB <= cp <= 0x1F3FF          # emoji skin tones
            or 0x1F1E6 <= cp <= 0x1F1FF          # regional indicators
            or 0x1100 <= cp <= 0x11FF            # Hangul jamo
            or 0xE0020 <= cp <= 0xE007F)         # tags


def tokenize(path, vocab):
    unit = vocab.get("unit", "grapheme")
    norm = vocab.get("normalization", "none")
    if unit not in ("grapheme", "scalar", "byte"):
        raise ParityError(f"vocab.json: unknown unit '{unit}'")
    if norm not in ("NFC", "none"):
        raise ParityError(f"vocab.json: unknown normalization '{norm}'")
    try:
        with open(path, "rb") as f:
            data = f.read()
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ParityError(f"{path}: no such file")
    except UnicodeDecodeError as e:
        raise ParityError(f"{path}: not valid UTF-8 at byte {e.start}")
    if norm == "NFC":
        text = unicodedata.normalize("NFC", text)
    index = {t: i for i, t in enumerate(vocab["tokens"])}

    if unit == "byte":
        return [index_of(index, chr(b), path, f"byte 0x{b:02X}") for b in text.encode("utf-8")]

    if unit == "grapheme":
        for n, ch in enumerate(text):
            if _may_extend(ch) or (ch == "\r" and text[n + 1:n + 2] == "\n"):
                raise ParityError(
                    f"{path}: character {n} (U+{ord(ch):04X}) may be part of a multi-code-point grapheme; "
                    "this check supports only text whose graphemes are single code points")
    return [index_of(index, ch, path, f"character U+{ord(ch):04X} {ch!r}") for ch in text]


def index_of(index, token, path, what):
    i = index.get(token)
    if i is None:
        raise ParityError(f"{path}: {what} is not in the model's vocabulary")
    return i


# ----------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ckpt", help="charnn checkpoint directory (or run directory: its best/, else latest/)")
    ap.add_argument("text", help="text file to score")
    ap.add_argument("--logits", help="safetensors file from `charnn eval --dump-logits`")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="max abs logit difference allowed (1e-4)")
    ap.add_argument("--double", action="store_true", help="run PyTorch in float64 (default float32)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    args = ap.parse_args()
    torch.set_num_threads(max(1, args.threads))
    dtype = torch.float64 if args.double else torch.float32

    try:
        ckpt = resolve_checkpoint(args.ckpt)
        if ckpt != args.ckpt:
            print(f"using {ckpt}", file=sys.stderr)
        config, vocab, model = load_checkpoint(ckpt, dtype)
        ids = tokenize(args.text, vocab)
        if len(ids) < 2:
            raise ParityError(f"{args.text} holds {len(ids)} unit(s): nothing to score (need at least 2)")
        dumped = None
        if args.logits:
            if not os.path.isfile(args.logits):
                raise ParityError(f"{args.logits}: no such file")
            dumped = load_file(args.logits)
            for key in ("logits", "tokens"):
                if key not in dumped:
                    raise ParityError(f"{args.logits}: no tensor '{key}'")
    except ParityError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    x = torch.tensor(ids, dtype=torch.long).unsqueeze(1)  # [N, 1]
    with torch.no_grad():
        logits, _ = model(x, model.zero_state(1))
        logits = logits[:, 0, :]  # [N, V]; row t predicts token t+1
        loss = F.cross_entropy(logits[:-1].double(), x[1:, 0], reduction="mean").item()

    result = {"loss_nats": loss, "chars": len(ids) - 1}
    ok = True
    if dumped is not None:
        ref, ref_tokens = dumped["logits"], dumped["tokens"]
        n = ref_tokens.shape[0]
        problems = []
        if ref.dim() != 2 or ref.shape[0] != n or ref.shape[1] != config["vocab_size"]:
            problems.append(f"logits have shape {list(ref.shape)}, expected [{n}, {config['vocab_size']}]")
        elif n > len(ids):
            problems.append(f"{n} dumped positions but the text has only {len(ids)} units")
        else:
            mine = torch.tensor(ids[:n], dtype=torch.float32)
            bad = (ref_tokens.float() != mine).nonzero()
            if bad.numel() > 0:
                p = bad[0].item()
                problems.append(f"tokens differ at {bad.numel()} of {n} positions "
                                f"(first at {p}: charnn {int(ref_tokens[p])}, here {ids[p]})")
            diff = (logits[:n].double() - ref.double()).abs()
            worst = diff.max().item()
            result["max_abs_logit_diff"] = worst
            result["positions_compared"] = n
            if not math.isfinite(worst) or worst > args.tolerance:
                over = (~(diff.amax(dim=1) <= args.tolerance)).nonzero()  # NaN counts as over
                pos, col = divmod(int(diff.nan_to_num(math.inf).argmax()), ref.shape[1])
                problems.append(f"max abs logit difference {worst:.3g} > {args.tolerance:g} "
                                f"(largest at position {pos}, token {col}; "
                                f"first position over: {int(over[0]) if over.numel() else pos})")
        if problems:
            ok = False
            result["problems"] = problems
    print(json.dumps(result))
    if not ok:
        for p in problems:
            print(f"parity FAILED: {p}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

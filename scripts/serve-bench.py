#!/usr/bin/env python3
"""How fast charnn serve generates, in one run on this machine (docs/serving.md):

    scripts/serve-bench.py BIN_DIR CHECKPOINT [--seconds 20] [--clients 1,4,16,32] [--precisions f32,int8]

For each weight precision it starts BIN_DIR/charnn-serve on 127.0.0.1 (port 0), runs each number of
concurrent streaming clients for --seconds (every client asks for 400 characters at a time, on one
keep-alive connection, as the openai package's connection pool does), and
reports the aggregate characters per second, the time to first character (p50, p99), and the CPU
time per character of the server and of the clients (this script, on the same machine). In the same
run, BIN_DIR/charnn sample --count 16 (one batch of 16 streams, no server) and --count 1 give the
rates the server is measured against (process start and checkpoint load left out). Prints a Markdown table.

Machines drift (a shared VM's speed moves by ±30% in phases of seconds), so one ratio of the table
moves with them. For the headline ratio the script then alternates, --rounds times per precision,
`sample --count 16 --length 3000` and 4 s of the 16-client load, and prints the median ratio and
the range.
"""
import argparse
import http.client
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time


def start(bin_dir, checkpoint, precision, threads):
    extra = ["--threads", str(threads)] if threads else []
    p = subprocess.Popen([os.path.join(bin_dir, "charnn-serve"), checkpoint, "--port", "0", "--precision", precision,
                          *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    port = int(re.search(r"127\.0\.0\.1:(\d+)/", line).group(1))
    return p, port


def one(port, model, seed, tokens, connection=None):
    """One streamed completion: (seconds to its first character, characters). On `connection`
    (kept open for the next request, as the openai package's pool does), else on a new one."""
    body = json.dumps({"model": model, "prompt": "ROMEO:", "max_tokens": tokens, "seed": seed, "stream": True})
    t0 = time.perf_counter()
    c = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    first, chars, buf = None, 0, b""
    while True:
        chunk = r.read1(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            payload = event[6:]
            if payload == b"[DONE]":
                continue
            for ch in json.loads(payload)["choices"]:
                if ch["text"]:
                    if first is None:
                        first = time.perf_counter() - t0
                    chars += len(ch["text"])
    if connection is None:
        c.close()
    return first, chars


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load(port, model, clients, seconds, tokens=400):
    ttfc, total = [], [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(i):
        seed = i
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while time.perf_counter() < stop:
            first, chars = one(port, model, seed, tokens, connection)
            seed += clients
            with lock:
                ttfc.append(first)
                total[0] += chars
        connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    q = statistics.quantiles(ttfc, n=100) if len(ttfc) >= 2 else [ttfc[0]] * 99
    return total[0] / elapsed, q[49], q[98], len(ttfc)


def sample_rate(bin_dir, checkpoint, count, length, precision, threads):
    """Characters per second of `charnn sample --count COUNT`, without the process start and the
    checkpoint load: the difference of a LENGTH run and a LENGTH/8 run, timed from outside."""
    extra = ["--threads", str(threads)] if threads else []

    def timed(n):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([os.path.join(bin_dir, "charnn"), "sample", checkpoint, "--count", str(count), "--length",
                        str(n), "--seed", "1", "--precision", precision, *extra], check=True, capture_output=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.perf_counter() - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)

    short = length // 8
    (wall, cpu), (wall0, cpu0) = timed(length), timed(short)
    chars = count * (length - short)
    return chars / (wall - wall0), (cpu - cpu0) / chars


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin_dir")
    ap.add_argument("checkpoint")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", default="1,4,16,32")
    ap.add_argument("--precisions", default="f32,int8")
    ap.add_argument("--threads", type=int, default=0, help="threads of the server's step (0: its default)")
    ap.add_argument("--rounds", type=int, default=7, help="alternations of sample and 16 clients (0: none)")
    a = ap.parse_args()
    model = os.path.basename(os.path.normpath(a.checkpoint))
    rows, alternations = [], []
    for precision in a.precisions.split(","):
        s16, s16cpu = sample_rate(a.bin_dir, a.checkpoint, 16, 4000, precision, a.threads)
        s1, _ = sample_rate(a.bin_dir, a.checkpoint, 1, 20000, precision, a.threads)
        p, port = start(a.bin_dir, a.checkpoint, precision, a.threads)
        try:
            one(port, model, 0, 50)  # warm-up
            for n in [int(x) for x in a.clients.split(",")]:
                server0, client0 = cpu_seconds(p.pid), own_cpu()
                rate, p50, p99, count = load(port, model, n, a.seconds)
                chars = rate * a.seconds
                server_cpu = (cpu_seconds(p.pid) - server0) / chars
                client_cpu = (own_cpu() - client0) / chars
                rows.append((precision, n, rate, p50, p99, count, s16, s1, server_cpu, client_cpu, s16cpu))
                print(f"{precision} {n:>2} clients: {rate:,.0f} chars/s, first character p50 {p50 * 1000:.1f} ms, "
                      f"p99 {p99 * 1000:.1f} ms ({count} completions), CPU per character: server "
                      f"{server_cpu * 1e6:.0f} µs, clients {client_cpu * 1e6:.0f} µs; sample --count 16: {s16:,.0f} "
                      f"chars/s ({s16cpu * 1e6:.0f} µs CPU per character), --count 1: {s1:,.0f} chars/s", flush=True)
            ratios = []
            for _ in range(a.rounds):
                s16r, _ = sample_rate(a.bin_dir, a.checkpoint, 16, 3000, precision, a.threads)
                rate, *_ = load(port, model, 16, 4)
                ratios.append(rate / s16r)
            if ratios:
                alternations.append((precision, ratios))
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                print(f"warning: charnn-serve ({precision}) did not exit within 60 s of SIGTERM; killed", flush=True)
    print()
    print("| weights | clients | chars/s (all streams) | first char p50 | p99 | ÷ `sample --count 16` "
          "| CPU µs/char: server | clients |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for precision, n, rate, p50, p99, count, s16, s1, server_cpu, client_cpu, s16cpu in rows:
        print(f"| {precision} | {n} | {rate:,.0f} | {p50 * 1000:.1f} ms | {p99 * 1000:.1f} ms | {rate / s16:.2f} "
              f"| {server_cpu * 1e6:.0f} | {client_cpu * 1e6:.0f} |")
    for precision in a.precisions.split(","):
        r = [row for row in rows if row[0] == precision][0]
        print(f"\n{precision}: charnn sample --count 16: {r[6]:,.0f} chars/s ({r[10] * 1e6:.0f} µs CPU per "
              f"character); --count 1: {r[7]:,.0f} chars/s (×{r[6] / r[7]:.2f})")

    for precision, ratios in alternations:
        print(f"\n{precision}, 16 clients against sample --count 16, {len(ratios)} alternations: median "
              f"{statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f}; "
              f"{', '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    sys.exit(main())

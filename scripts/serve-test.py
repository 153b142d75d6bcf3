#!/usr/bin/env python3
"""charnn serve against real clients, on 127.0.0.1 only: the official `openai` package, curl -N,
raw sockets for the faults (a client that leaves mid-stream, 1,000 idle connections, a slow
sender, bodies cut short, 400 seeded bad requests, SIGTERM under load), and a bounded load of concurrent streaming clients whose texts must
equal the same seed's single-request text, with the server's resident memory flat after warm-up.

    scripts/serve-test.py SERVE_BINARY CHECKPOINT [--load-seconds 60] [--clients 32]

Exits 1 at the first failed check (the message says which); prints one line per check.
"""
import argparse
import json
import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import http.client

import openai

MODEL = None


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Server:
    """A charnn-serve process on a free port of 127.0.0.1."""

    def __init__(self, binary, checkpoint, *extra):
        self.proc = subprocess.Popen(
            [binary, checkpoint, "--port", "0", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "http://" not in line:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            fail(f"server did not start: {line!r} {err!r}")
        self.port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        self.base = f"http://127.0.0.1:{self.port}"

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                fail("server did not exit within 30 s of SIGTERM")


def post(port, path, body, timeout=120):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, r


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def stream_text(port, body, timeout=300):
    """A streamed completion read to its end: (text, finish_reason, saw_done)."""
    body = dict(body, stream=True)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError(f"status {r.status}: {r.read()[:300]!r}")
    text, finish, done = "", None, False
    buf = b""
    while True:
        chunk = r.read1(65536) if hasattr(r, "read1") else r.read(1)
        if not chunk:
            break
        buf += chunk
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            line = event.decode()
            if not line.startswith("data: "):
                raise RuntimeError(f"not an SSE data line: {line!r}")
            payload = line[6:]
            if payload == "[DONE]":
                done = True
                continue
            o = json.loads(payload)
            for ch in o["choices"]:
                text += ch["text"]
                if ch.get("finish_reason"):
                    finish = ch["finish_reason"]
    c.close()
    return text, finish, done


def test_openai_client(port):
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0)
    models = client.models.list()
    check([m.id for m in models.data] == [MODEL], f"models.list: {models}")
    c = client.completions.create(model=MODEL, prompt="ROMEO:", max_tokens=60, seed=7, temperature=0.8)
    check(c.object == "text_completion" and len(c.choices) == 1, f"completion: {c}")
    check(len(c.choices[0].text) == 60 and c.choices[0].finish_reason == "length", f"choice: {c.choices[0]}")
    check(c.usage.completion_tokens == 60 and c.usage.prompt_tokens == 6, f"usage: {c.usage}")
    print("ok  openai: models.list, completions.create", flush=True)

    streamed = "".join(
        ch.choices[0].text for ch in client.completions.create(
            model=MODEL, prompt="ROMEO:", max_tokens=60, seed=7, temperature=0.8, stream=True) if ch.choices)
    check(streamed == c.choices[0].text, f"streamed {streamed!r} != {c.choices[0].text!r}")
    print("ok  openai: a streamed completion equals the same seed's plain one", flush=True)

    lp = client.completions.create(model=MODEL, prompt="ROMEO:", max_tokens=10, temperature=0, logprobs=5)
    l = lp.choices[0].logprobs
    check(len(l.tokens) == 10 and len(l.token_logprobs) == 10 and len(l.top_logprobs[0]) == 5, f"logprobs: {l}")
    check(all(t == max(top, key=top.get) for t, top in zip(l.tokens, l.top_logprobs)), "greedy picks the top")
    print("ok  openai: logprobs", flush=True)

    try:
        client.completions.create(model="no-such-model", prompt="A", max_tokens=1)
        fail("an unknown model was accepted")
    except openai.NotFoundError as e:
        check(e.status_code == 404 and "no-such-model" in str(e), f"{e}")
    try:
        client.completions.create(model=MODEL, prompt="A", max_tokens=1, temperature=-1)
        fail("temperature -1 was accepted")
    except openai.BadRequestError as e:
        check(e.status_code == 400 and "temperature" in str(e), f"{e}")
    print("ok  openai: NotFoundError, BadRequestError", flush=True)


def test_curl(port):
    out = subprocess.run(
        ["curl", "-sN", "--max-time", "60", f"http://127.0.0.1:{port}/v1/completions",
         "-H", "Content-Type: application/json",
         "-d", json.dumps({"model": MODEL, "prompt": "JULIET:", "max_tokens": 25, "stream": True, "seed": 1})],
        capture_output=True, text=True, check=True).stdout
    events = [e for e in out.split("\n\n") if e]
    check(all(e.startswith("data: ") for e in events), f"curl: {out[:300]!r}")
    check(events[-1] == "data: [DONE]", f"curl: last event {events[-1]!r}")
    text = "".join(c["text"] for e in events[:-1] for c in json.loads(e[6:])["choices"])
    check(len(text) == 25, f"curl: {text!r}")
    print("ok  curl -N: 25 characters as events, then [DONE]", flush=True)


def active_streams(port):
    return json.loads(get(port, "/health")[1])["active_streams"]


def wait_idle(port, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if active_streams(port) == 0:
            return True
        time.sleep(0.02)
    return False


def test_disconnects(port):
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", port))
        body = json.dumps({"model": MODEL, "prompt": "A", "max_tokens": 4000, "stream": True}).encode()
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        s.settimeout(30)
        # A few events in (each carries up to 20 ms of characters: a release server writes the
        # 4,000 within half a second), the stream is still running.
        got = b""
        while got.count(b"data: ") < 3:
            more = s.recv(4096)
            check(more, f"the server closed a streaming connection early: {got[:300]!r}")
            got += more
        check(active_streams(port) >= 1, "a streaming client holds a stream")
        s.close()
        t0 = time.time()
        check(wait_idle(port, 2), "a client that left mid-stream still holds its stream after 2 s")
    print(f"ok  faults: 5 clients leaving mid-stream freed their streams (last in {time.time() - t0:.3f} s)",
          flush=True)


def test_idle_connections_and_slow_sender(port, reference):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
    # A slow sender: half a request, then nothing.
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pro")
    texts = []
    threads = [threading.Thread(target=lambda: texts.append(stream_text(port, reference[0])[0])) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(texts == [reference[1]] * 4, "generation beside 1,000 idle connections gives the seed's text")
    print("ok  faults: 4 streams generate correctly beside 1,000 idle connections and a slow sender", flush=True)
    # The idle timeout (2 s in this test) closes them, the slow sender included.
    time.sleep(4)
    closed = 0
    for s in idle + [slow]:
        s.settimeout(2)
        try:
            if s.recv(1) == b"":
                closed += 1
        except (ConnectionResetError, socket.timeout, OSError):
            closed += 1 if not isinstance(sys.exc_info()[1], socket.timeout) else 0
        s.close()
    check(closed == 1001, f"the idle timeout closed {closed} of 1,001 idle or stalled connections")
    print("ok  faults: the idle timeout closed all 1,000 idle connections and the slow sender", flush=True)
    # A body cut short by the client: a client error in /metrics, never a 500.
    def score_400s():
        m = re.search(r'charnn_requests_total\{endpoint="/v1/score",status="400"\} (\d+)', get(port, "/metrics")[1].decode())
        return int(m.group(1)) if m else 0
    before = score_400s()
    cut = socket.create_connection(("127.0.0.1", port))
    cut.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"text\": ")
    cut.close()
    time.sleep(0.5)
    check(score_400s() == before + 1, "a body the client cut short is counted as a 400")
    check('status="500"' not in get(port, "/metrics")[1].decode(), "no request is counted as a 500 (bodies cut short)")
    print("ok  faults: bodies cut short by a client or by the idle timeout count as 400s, not 500s", flush=True)


def test_bad_requests(port, count=400, seed=1):
    """Seeded random bad requests, one at a time: wrong fields and values, mangled and cut JSON,
    deep nesting, bad UTF-8, other methods and paths, lying or negative Content-Length, chunked
    bodies. The server must stay up, answer each complete request with a 2xx, a 4xx carrying
    OpenAI's error object or a 503, and count no request as a 500."""
    rng = random.Random(seed)
    values = [None, True, 0, -1, 2**31, 2**63, 2**64, 1e308, -1e308, 1.5, -0.0, "", "x" * 5000, "\u0000", "é😀",
              [], {}, [1], ["a", "b"], [[1]], {"a": 1}, [""] * 50, ["ROMEO:"] * 20, 0.5, 3, 100, 10**6]
    fields = ["model", "prompt", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop", "n", "stream",
              "logprobs", "echo", "stream_options", "text", "layer", "suffix", "best_of", "user"]
    paths = ["/v1/completions", "/v1/score", "/v1/trace", "/v1/models", "/health", "/metrics", "/", "/v1//completions",
             "/%00", "/v1/chat/completions"]

    def body():
        d = {"model": MODEL, "prompt": "ROMEO:", "max_tokens": 20, "text": "ROMEO: hi"}
        for _ in range(rng.randint(0, 4)):
            d[rng.choice(fields)] = rng.choice(values)
        if rng.random() < 0.2:
            d.pop("model")
        raw = json.dumps(d).encode()
        r = rng.random()
        if r < 0.15:
            b = bytearray(raw)
            for _ in range(rng.randint(1, 5)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            return bytes(b)
        if r < 0.22:
            return raw[:rng.randrange(len(raw) + 1)]
        if r < 0.25:
            return b'{"model": "' + MODEL.encode() + b'", "prompt": "\xff\xfe\xc3"}'
        if r < 0.28:
            return b"[" * rng.randint(1, 100000)
        if r < 0.30:
            return json.dumps({"model": MODEL, "prompt": "a", "max_tokens": 5, "stop": ["a"] * 5000}).encode()
        if r < 0.32:
            return b'{"prompt": "\\ud800", "prompt": 1e999}'
        return raw

    def send(raw, timeout):
        c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        c.sendall(raw)
        out = b""
        try:
            while len(out) < 4 << 20:
                chunk = c.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        c.close()
        return out

    t0, statuses = time.time(), {}
    for i in range(count):
        path = rng.choice(paths) if rng.random() < 0.3 else rng.choice(paths[:3])
        method = rng.choice(["POST"] * 8 + ["GET", "PUT", "DELETE", "OPTIONS"])
        b = body()
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        r, honest = rng.random(), True
        if r < 0.05:
            head += f"Content-Length: {len(b) + rng.randint(1, 10)}\r\n"  # more than it sends
            honest = False
        elif r < 0.08:
            head += "Transfer-Encoding: chunked\r\n"
            b = f"{len(b):x}\r\n".encode() + b + b"\r\n0\r\n\r\n"
        elif r < 0.10:
            head += "Content-Length: -5\r\n"  # refused by the HTTP parser itself, with a bare 400
        else:
            head += f"Content-Length: {len(b)}\r\n"
        raw = head.encode() + b"\r\n" + b
        out = send(raw, 30 if honest else 0.5)
        line = out.split(b"\r\n", 1)[0].decode("latin-1")
        status = int(line.split(" ")[1]) if line.startswith("HTTP/1.1 ") else None
        statuses[status] = statuses.get(status, 0) + 1
        if honest:
            check(status is not None, f"bad request {i} got no answer: {raw[:300]!r}")
            check(200 <= status < 300 or 400 <= status < 500 or status == 503,
                  f"bad request {i} got {status}: {raw[:300]!r} -> {out[:300]!r}")
            if 400 <= status < 500 and b"Content-Length: -5" not in raw:
                check(b'"error"' in out, f"bad request {i}: a {status} without OpenAI's error object: {out[:300]!r}")
        if i % 50 == 49:
            check(get(port, "/health")[0] == 200, f"the server is not healthy after bad request {i}")
    check('status="500"' not in get(port, "/metrics")[1].decode(), "a bad request was counted as a 500")
    print(f"ok  faults: {count} seeded bad requests in {time.time() - t0:.0f} s "
          f"({', '.join(f'{n}x {s}' for s, n in sorted(statuses.items(), key=lambda x: str(x[0])))}), "
          "the server up throughout, no 500", flush=True)


def test_load(server, references, clients, seconds):
    port = server.port
    errors, done, mismatches = [], [0], []
    lock = threading.Lock()
    stop_at = time.time() + seconds

    def client(i):
        k = i
        while time.time() < stop_at:
            body, expected = references[k % len(references)]
            k += clients
            try:
                text, finish, saw_done = stream_text(port, body)
            except Exception as e:  # noqa: BLE001 - every failure is counted
                with lock:
                    errors.append(repr(e))
                continue
            with lock:
                done[0] += 1
                if text != expected or finish != "length" or not saw_done:
                    mismatches.append((body["seed"], text[:40], expected[:40]))

    rss = []
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.time()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        rss.append((time.time() - t0, server.rss_kib()))
        time.sleep(1)
    for t in threads:
        t.join()
    check(not errors, f"load: {len(errors)} errors, e.g. {errors[:3]}")
    check(not mismatches, f"load: {len(mismatches)} texts differ from their seed's, e.g. {mismatches[:2]}")
    warm = [r for t, r in rss if t >= seconds * 0.25]
    # The largest rise above the lowest point so far: memory the allocator hands back (after the
    # bad requests' large bodies, say) is no growth; a leak rises.
    growth = max((r - min(warm[:i + 1]) for i, r in enumerate(warm)), default=0) / 1024
    check(growth < 32, f"load: resident memory grew {growth:.1f} MiB after warm-up ({rss})")
    print(f"ok  load: {clients} streaming clients for {seconds} s, {done[0]} completions, 0 errors, every text "
          f"equal to its seed's alone; RSS {min(warm) / 1024:.0f}-{max(warm) / 1024:.0f} MiB after warm-up",
          flush=True)


def test_sigterm_under_load(binary, checkpoint, reference):
    s = Server(binary, checkpoint, "--grace", "20")
    results = []

    def run():
        try:
            results.append(stream_text(s.port, dict(reference[0], max_tokens=400)))
        except Exception as e:  # noqa: BLE001
            results.append(e)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    end = time.time() + 10
    while active_streams(s.port) < 6 and time.time() < end:
        time.sleep(0.01)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    try:
        status, data, r = post(s.port, "/v1/completions", {"model": MODEL, "prompt": "A", "max_tokens": 5}, timeout=5)
        check(status == 503 and r.getheader("Retry-After"), f"a request while draining got {status}")
        refused = "503"
    except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
        refused = "connection refused"
    for t in threads:
        t.join()
    code = s.proc.wait(timeout=30)
    check(code == 0, f"exit status {code} after SIGTERM")
    check(all(isinstance(r, tuple) and r[2] and r[1] == "length" and len(r[0]) == 400 for r in results),
          f"in-flight streams did not all finish: {[r if not isinstance(r, tuple) else r[1:] for r in results]}")
    print(f"ok  SIGTERM under load: 6 streams finished their 400 characters, a new request got {refused}, exit 0",
          flush=True)


def main():
    global MODEL
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("checkpoint")
    ap.add_argument("--load-seconds", type=int, default=60)
    ap.add_argument("--clients", type=int, default=32)
    a = ap.parse_args()
    MODEL = os.path.basename(os.path.normpath(a.checkpoint))
    for b in ["best", "latest"]:
        if MODEL == b:
            MODEL = os.path.basename(os.path.dirname(os.path.normpath(a.checkpoint)))

    server = Server(a.binary, a.checkpoint, "--idle-timeout", "2", "--max-streams", "16", "--queue", "64")
    try:
        test_openai_client(server.port)
        test_curl(server.port)
        test_disconnects(server.port)
        # Reference texts: each seed's completion requested alone.
        references = []
        for seed in range(8):
            body = {"model": MODEL, "prompt": ["ROMEO:", "JULIET:", "KING HENRY:", ""][seed % 4],
                    "max_tokens": 150, "seed": seed, "temperature": 0.9}
            references.append((body, stream_text(server.port, body)[0]))
        test_idle_connections_and_slow_sender(server.port, references[1])
        test_bad_requests(server.port)
        test_load(server, references, a.clients, a.load_seconds)
    finally:
        server.stop()
    check(server.proc.returncode == 0, f"exit status {server.proc.returncode} after SIGTERM")
    test_sigterm_under_load(a.binary, a.checkpoint, references[2])
    print("serve-test: all checks passed", flush=True)


if __name__ == "__main__":
    main()

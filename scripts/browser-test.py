#!/usr/bin/env python3
"""The playground page in a real browser.

    python3 scripts/browser-test.py SERVE_BINARY CHECKPOINT OUTDIR

Starts SERVE_BINARY (charnn-serve) on CHECKPOINT on 127.0.0.1 with a free port, drives
Debian's headless Chromium through Selenium (chromium + chromium-driver), and checks that the
page lists the model, streams a completion for a typed prompt with a set seed and length
(the same text as the API gives for that seed), colours every character by its surprisal
with the top 5 on hover, draws the cell and moves its values character by character while
the text streams, pauses, steps back and forward (buttons, slider, keys) to the same values,
ranks the layer's units, switches layers, loads nothing from elsewhere and logs no error;
then, with a server started with --api-key, that the page asks for the key and works with
it. Saves OUTDIR/playground.png. Exits 1 with a message at the first thing missing.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("browser-test: selenium is not installed (pip install selenium)", file=sys.stderr)
    sys.exit(1)

PROMPT = "ROMEO:\nBut soft, what light"
SEED = 4242
LENGTH = 400
TEMPERATURE = "0.8"


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def start_server(binary, checkpoint, *extra):
    proc = subprocess.Popen(
        [binary, checkpoint, "--host", "127.0.0.1", "--port", "0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    lines = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if m:
            base = m.group(1)
            for _ in range(600):  # until the model is loaded
                try:
                    with urllib.request.urlopen(base + "/health", timeout=2) as r:
                        if json.load(r).get("status") == "ready":
                            return proc, base
                except Exception:
                    pass
                time.sleep(0.1)
            break
    proc.kill()
    raise Failure("charnn-serve did not start: " + "".join(lines)[-2000:])


def stop_server(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    check(chromium and driver, "chromium and chromedriver are needed (apt-get install chromium chromium-driver)")
    o = webdriver.ChromeOptions()
    o.binary_location = chromium
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1440,1000", "--force-device-scale-factor=1", "--hide-scrollbars",
              "--font-render-hinting=none"]:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=o)


def api_completion(base, key=None):
    body = json.dumps({"prompt": PROMPT, "max_tokens": LENGTH, "seed": SEED,
                       "temperature": float(TEMPERATURE)}).encode()
    req = urllib.request.Request(base + "/v1/completions", data=body, headers={"Content-Type": "application/json"})
    if key:
        req.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)["choices"][0]["text"]


def cell_values(d):
    """The diagram's step and the value each of its nodes shows, read from the DOM."""
    return d.execute_script("""
        const svg = document.getElementById('cell'), out = {};
        for (const g of svg.querySelectorAll('.node')) out[g.dataset.kind] = [g.dataset.value, g.dataset.mean,
            g.querySelector('.val').textContent, g.querySelector('rect').style.fill];
        return {step: svg.dataset.step, unit: svg.dataset.unit, cell: svg.dataset.cell, nodes: out,
                where: document.getElementById('where').textContent};
    """)


def set_field(d, element_id, value):
    e = d.find_element(By.ID, element_id)
    e.clear()
    e.send_keys(str(value))


def wait(d, seconds, cond, message):
    try:
        return WebDriverWait(d, seconds, poll_frequency=0.05).until(lambda _: cond())
    except TimeoutException:
        raise Failure(message)


def main_page(d, base, outdir):
    d.get(base + "/")
    wait(d, 20, lambda: d.execute_script("return document.getElementById('model').options.length") > 0,
         "the model picker stays empty (GET /v1/models)")
    model = d.execute_script("return document.getElementById('model').value")
    meta = d.find_element(By.ID, "meta").text
    cell = cell_values(d)["cell"]
    check(cell.upper() in meta, f"the model's description is missing: {meta!r}")
    check(not d.find_element(By.ID, "keybox").is_displayed(), "the API-key field shows on a server without a key")
    layers = d.execute_script("return document.getElementById('layer').options.length")
    kinds = {"lstm": "hcifgo", "peephole": "hcifgo", "gru": "hrzn", "rnn": "h"}[cell]
    for k in kinds:
        check(d.find_elements(By.CSS_SELECTOR, f'#cell .node[data-kind="{k}"]'), f"the {cell} diagram lacks {k}")

    # A prompt, a seed, a length; Generate.
    prompt = d.find_element(By.ID, "prompt")
    prompt.clear()
    prompt.send_keys(PROMPT)
    set_field(d, "seed", SEED)
    set_field(d, "length", LENGTH)
    d.execute_script(f"const t = document.getElementById('temperature'); t.value = '{TEMPERATURE}';"
                     "t.dispatchEvent(new Event('input'));")
    # Every character the diagram shows, as it shows it (step and node values, from the DOM).
    d.execute_script("""
        window.__shown = [];
        const svg = document.getElementById('cell');
        new MutationObserver(() => {
          const nodes = {};
          for (const g of svg.querySelectorAll('.node')) nodes[g.dataset.kind] = g.dataset.value;
          window.__shown.push([svg.dataset.step, JSON.stringify(nodes), performance.now()]);
        }).observe(svg, {attributes: true, attributeFilter: ['data-step', 'data-unit']});
    """)
    d.find_element(By.ID, "generate").click()

    # While it streams: the text grows.
    t0 = time.time()
    partial = 0
    while time.time() - t0 < 90:
        state = d.find_element(By.ID, "status").get_attribute("data-state")
        n = len(d.find_elements(By.CSS_SELECTOR, "#text span.gen"))
        if 0 < n < LENGTH:
            partial = max(partial, n)
        if state == "error":
            raise Failure("the page reports an error: " + d.find_element(By.ID, "status").text)
        if state == "done" and n >= LENGTH and d.execute_script("return !S.tracing && S.vals.length === S.units.length"):
            break
        time.sleep(0.02)
    else:
        raise Failure(f"the generation did not finish in 90 s ({partial} characters seen)")
    reads = d.execute_script("return S.reads")
    check(partial > 0 or reads > 1, f"the text came in one piece (read {reads} times): it did not stream")
    spans = d.find_elements(By.CSS_SELECTOR, "#text span.gen")
    check(len(spans) == LENGTH, f"{len(spans)} generated characters shown, {LENGTH} asked for")
    text = d.execute_script("return S.units.filter(u => !u.prompt).map(u => u.text).join('')")
    expected = api_completion(base)
    check(text == expected, f"the page's text differs from the API's for seed {SEED}:\n{text!r}\n{expected!r}")
    shown_prompt = d.execute_script("return S.units.filter(u => u.prompt).map(u => u.text).join('')")
    check(shown_prompt == PROMPT, f"the prompt shows as {shown_prompt!r}")

    # The cell moved character by character, on its own, its values changing from one to the next.
    wait(d, 60, lambda: d.find_element(By.ID, "play").text == "Play", "playback never reached the end")
    total = len(PROMPT) + LENGTH
    shown = [(int(st), v) for st, v, _ in d.execute_script("return window.__shown") if st != ""]
    steps = [st for i, (st, _) in enumerate(shown) if i == 0 or shown[i - 1][0] != st]
    check(len(steps) >= total - 1, f"the diagram showed {len(steps)} characters of {total}")
    check(steps[0] == 0 and steps[-1] == total - 1, f"the diagram went from {steps[0]} to {steps[-1]}")
    jumps = [(a, b) for a, b in zip(steps, steps[1:]) if b != a + 1]
    check(not jumps, f"the diagram skipped characters: {jumps[:10]}")
    values = {}
    for st, v in shown:
        values[st] = v
    same = sum(1 for a in range(total - 1) if values.get(a) == values.get(a + 1))
    check(same <= total // 20, f"the diagram's values stayed the same from one character to the next {same} times")

    # Surprisal colours and the top 5 on hover.
    colours = d.execute_script("""return [...document.querySelectorAll('#text span.gen')].map(s => s.style.background)""")
    check(all(colours), "a generated character has no surprisal colour")
    check(len(set(colours)) > 5, "the surprisal colours do not vary")
    target = spans[len(spans) // 3]
    ActionChains(d).move_to_element(target).perform()
    wait(d, 5, lambda: d.find_element(By.ID, "tip").is_displayed(), "hovering a character shows no tooltip")
    tip = d.find_element(By.ID, "tip").text
    check("surprisal" in tip and tip.count("%") >= 6, f"the tooltip lacks the surprisal and the top 5: {tip!r}")
    ActionChains(d).move_by_offset(0, 400).perform()

    # The ranking of the layer's units over the text.
    wait(d, 30, lambda: len(d.find_elements(By.CSS_SELECTOR, "#ranking .chip")) >= 5, "no unit ranking shown")
    strips = d.find_elements(By.CSS_SELECTOR, "#strips canvas")
    check(len(strips) == len(kinds), f"{len(strips)} unit strips for the {len(kinds)} signals of the cell")

    # Paused: nothing moves; stepping moves one character and back gives the same values.
    d.find_element(By.ID, "play").click()  # replay from the start
    time.sleep(0.8)
    d.find_element(By.ID, "play").click()  # pause
    check(d.find_element(By.ID, "play").text == "Play", "the pause button did not pause")
    a = cell_values(d)
    time.sleep(0.6)
    check(cell_values(d) == a, "the diagram moved while paused")
    start = int(a["step"])
    check(0 < start < LENGTH, f"replay did not start from the beginning (paused at {start})")
    d.find_element(By.ID, "fwd").click()
    b = cell_values(d)
    check(int(b["step"]) == start + 1, f"▶ went from {start} to {b['step']}")
    check(b["nodes"] != a["nodes"], "the values did not change from one character to the next")
    d.find_element(By.ID, "back").click()
    c = cell_values(d)
    check(int(c["step"]) == start and c["nodes"] == a["nodes"], "◀ did not come back to the same values")
    d.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    check(cell_values(d)["nodes"] == b["nodes"], "the → key did not step forward")
    slider = d.find_element(By.ID, "step")
    d.execute_script("arguments[0].value = 5; arguments[0].dispatchEvent(new Event('input'))", slider)
    check(cell_values(d)["step"] == "5", "the slider did not move the diagram")
    d.find_element(By.ID, "first").click()
    check(cell_values(d)["step"] == "0", "⏮ did not go to the first character")
    d.find_element(By.ID, "last").click()
    check(cell_values(d)["step"] == str(total - 1), f"⏭ went to {cell_values(d)['step']}, not {total - 1}")

    # Clicking a ranked unit follows it in the diagram.
    chip = d.find_elements(By.CSS_SELECTOR, "#ranking .chip")[0]
    unit = chip.get_attribute("data-unit")
    chip.click()
    check(cell_values(d)["unit"] == unit, f"clicking ranked unit {unit} did not select it")

    # Another layer: traced again, other values.
    if layers > 1:
        before = cell_values(d)
        original = d.execute_script("return document.getElementById('layer').value")
        other = "0" if original != "0" else "1"
        d.execute_script(f"const l = document.getElementById('layer'); l.value = '{other}';"
                         "l.dispatchEvent(new Event('change'))")
        wait(d, 30, lambda: d.execute_script("return !S.tracing && S.vals.length === S.units.length"),
             "the other layer was not traced")
        d.execute_script(f"setCursor({before['step']})")
        check(cell_values(d)["nodes"] != before["nodes"], "another layer shows the same values")
        d.execute_script(f"const l = document.getElementById('layer'); l.value = '{original}';"
                         "l.dispatchEvent(new Event('change'))")
        wait(d, 30, lambda: d.execute_script("return !S.tracing && S.vals.length === S.units.length"),
             "the layer was not traced again")

    # Nothing from elsewhere, nothing wrong in the console.
    urls = d.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    foreign = [u for u in urls if not u.startswith(base)]
    check(not foreign, f"the page loaded from elsewhere: {foreign}")
    errors = [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]
    check(not errors, f"the browser logged errors: {errors}")

    # The screenshot: paused on a character of the second line of speech, its tooltip shown.
    # (the most surprising generated character of the first 100, to show its alternatives)
    pick = d.execute_script(f"""
        let best = {len(PROMPT)};
        for (let t = {len(PROMPT)}; t < Math.min(S.units.length, {len(PROMPT) + 100}); t++)
          if (S.units[t].surprisal > S.units[best].surprisal) best = t;
        return best;""")
    d.execute_script(f"stepTo({pick})")
    d.execute_script("document.getElementById('text').scrollTop = 0")
    hover = d.find_elements(By.CSS_SELECTOR, "#text span")[pick]
    ActionChains(d).move_to_element(hover).perform()
    time.sleep(0.4)
    # The whole page in the window.
    chrome = d.execute_script("return window.outerHeight - window.innerHeight")
    height = d.execute_script("return document.documentElement.scrollHeight")
    d.set_window_size(1440, min(height + chrome, 1600))
    time.sleep(0.3)
    ActionChains(d).move_to_element(hover).perform()
    time.sleep(0.3)
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "playground.png")
    d.save_screenshot(path)
    check(os.path.getsize(path) > 10000, "the screenshot is empty")

    # Stop: the stream ends where it is and the server frees the slot. A release server writes 2,000
    # characters in a fraction of a second, so the page's connection is throttled (DevTools) to
    # 16 KB/s, about 200 characters a second with their logprobs, to click Stop halfway.
    set_field(d, "length", 2000)
    d.find_element(By.ID, "seed").clear()
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.emulateNetworkConditions",
                      {"offline": False, "latency": 0, "downloadThroughput": 16000, "uploadThroughput": -1})
    d.find_element(By.ID, "generate").click()
    wait(d, 30, lambda: len(d.find_elements(By.CSS_SELECTOR, "#text span.gen")) >= 20, "the second generation did not start")
    d.find_element(By.ID, "stop").click()
    wait(d, 10, lambda: d.find_element(By.ID, "status").get_attribute("data-state") == "done", "Stop did not stop")
    n = len(d.find_elements(By.CSS_SELECTOR, "#text span.gen"))
    check(n < 2000 and "Stopped" in d.find_element(By.ID, "status").text, f"Stop: {n} characters, status "
          + d.find_element(By.ID, "status").text)
    d.execute_cdp_cmd("Network.emulateNetworkConditions",
                      {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    def idle():
        with urllib.request.urlopen(base + "/health", timeout=5) as r:
            return json.load(r)["active_streams"] == 0
    wait(d, 10, idle, "the server still generates after Stop")
    return model, path


def key_page(d, base):
    d.get(base + "/")
    wait(d, 20, lambda: d.find_element(By.ID, "keybox").is_displayed(),
         "on a server with --api-key the page does not ask for the key")
    field = d.find_element(By.ID, "apikey")
    field.send_keys("wrong")
    d.find_element(By.ID, "keysave").click()
    wait(d, 20, lambda: d.find_element(By.ID, "keybox").is_displayed(), "a wrong key was not refused")
    field = d.find_element(By.ID, "apikey")
    field.clear()
    field.send_keys("open-sesame")
    d.find_element(By.ID, "keysave").click()
    wait(d, 20, lambda: d.execute_script("return document.getElementById('model').options.length") > 0,
         "the models are not listed after giving the key")
    check(d.execute_script("return localStorage.getItem('charnn-api-key')") == "open-sesame",
          "the key is not kept in localStorage")
    set_field(d, "length", 40)
    set_field(d, "seed", 1)
    d.find_element(By.ID, "generate").click()
    wait(d, 60, lambda: d.find_element(By.ID, "status").get_attribute("data-state") in ("done", "error"),
         "no generation with the key")
    check(d.find_element(By.ID, "status").get_attribute("data-state") == "done",
          "generating with the key failed: " + d.find_element(By.ID, "status").text)
    check(len(d.find_elements(By.CSS_SELECTOR, "#text span.gen")) == 40, "not 40 characters with the key")
    # A reload remembers the key.
    d.refresh()
    wait(d, 20, lambda: d.execute_script("return document.getElementById('model').options.length") > 0,
         "after a reload the stored key is not used")
    check(not d.find_element(By.ID, "keybox").is_displayed(), "after a reload the page asks for the key again")


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    binary, checkpoint, outdir = sys.argv[1:]
    server = keyed = d = None
    started = time.time()
    try:
        check(os.access(binary, os.X_OK), f"{binary} is not an executable")
        server, base = start_server(binary, checkpoint)
        d = browser()
        model, shot = main_page(d, base, outdir)
        stop_server(server)
        server = None
        keyed, kbase = start_server(binary, checkpoint, "--api-key", "open-sesame")
        key_page(d, kbase)
        print(f"browser-test: ok ({model}, {time.time() - started:.0f} s); screenshot {shot}")
    except (Failure, WebDriverException) as e:
        msg = str(e).strip() if isinstance(e, Failure) else f"{type(e).__name__}: {e.msg}"
        print(f"browser-test: FAILED: {msg}", file=sys.stderr)
        if d is not None:
            try:
                os.makedirs(outdir, exist_ok=True)
                d.save_screenshot(os.path.join(outdir, "playground-failed.png"))
                print(f"browser-test: the page at the failure: {os.path.join(outdir, 'playground-failed.png')}",
                      file=sys.stderr)
            except Exception:
                pass
        sys.exit(1)
    finally:
        if d is not None:
            d.quit()
        stop_server(server)
        stop_server(keyed)


if __name__ == "__main__":
    main()

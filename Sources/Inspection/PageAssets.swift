// The inspection page's style sheet and script, inline (the page must work offline from
// file://). The script reads the JSON in <script id="data">, lays the text out as one span per
// character twice (surprisal, selected unit), colours them, fills the ranking table, and
// shows a tooltip on hover.

enum PageAssets {
    static let css = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#f6f6f4}
        header{padding:10px 18px 4px;background:#fff;border-bottom:1px solid #ddd}
        h1{font-size:18px;margin:0 0 2px}h2{font-size:15px;margin:0 0 4px}
        .meta,.note{color:#555;margin:2px 0 6px}.note{font-size:12.5px}
        main{display:grid;grid-template-columns:1fr 1fr;gap:12px;padding:12px 18px}
        section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 12px;min-width:0}
        section.wide{grid-column:1/3}
        .text{font:13px/1.45 ui-monospace,"DejaVu Sans Mono",Menlo,monospace;white-space:pre-wrap;
          word-break:break-all;height:380px;overflow:auto;border:1px solid #eee;padding:6px}
        .text span{cursor:default}.text span.sel{outline:1px solid #000}
        .controls{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin-bottom:4px}
        .controls input{width:64px}
        .scale{height:12px;border:1px solid #ddd;margin:2px 0 0;position:relative}
        .ticks{display:flex;justify-content:space-between;font-size:11px;color:#666;margin-bottom:4px}
        table{border-collapse:collapse;width:100%;font-size:12.5px}
        td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
        th{font-weight:600;color:#444}td.p{white-space:nowrap}td.p small{display:block;color:#777;white-space:normal}
        button.unit{font:12px ui-monospace,monospace;border:1px solid #ccc;background:#f8f8f8;border-radius:4px;
          margin:1px;padding:1px 5px;cursor:pointer}
        button.unit:hover{background:#e8eefc}.weak{opacity:.45}
        .charts{display:flex;flex-wrap:wrap;gap:14px}figure{margin:0}figcaption{text-align:center;color:#444}
        svg.sat text{font-size:11px;fill:#444}
        .legend .key{margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;border-radius:5px;
          margin-right:4px;vertical-align:-1px}
        .tip{position:fixed;z-index:9;background:#222;color:#fff;font:12px/1.4 ui-monospace,monospace;
          padding:6px 8px;border-radius:4px;pointer-events:none;white-space:pre;max-width:420px}
        """

    static let script = #"""
        "use strict";
        const D = JSON.parse(document.getElementById("data").textContent);
        const R = D.report, N = R.tokens.length, H = R.model.hidden;
        const $ = id => document.getElementById(id);
        const shown = t => t === "\n" ? "↵\n" : t === "\t" ? "⇥\t" : t;
        const quoted = t => t === "\n" ? "↵" : t === "\t" ? "⇥" : t === " " ? "␣" : t;
        const kindInfo = Object.fromEntries(D.kinds.map(k => [k.name, k]));

        function layout(el) {
          const frag = document.createDocumentFragment();
          for (let t = 0; t < N; t++) {
            const s = document.createElement("span");
            s.textContent = shown(R.tokens[t]);
            s.dataset.t = t;
            frag.appendChild(s);
          }
          el.appendChild(frag);
          return el.children;
        }
        const sSpans = layout($("stext")), uSpans = layout($("utext"));

        // Colours. Surprisal: white → yellow → red over 0…SMAX nats. Units: blue (negative) /
        // red (positive) for tanh and cell values, white → green for gates in [0, 1].
        const SMAX = 6;
        const heat = x => `hsl(${(60 * (1 - x)).toFixed(0)},95%,${(100 - 48 * x).toFixed(1)}%)`;
        const diverging = x => x < 0 ? `hsl(212,80%,${(100 - 48 * Math.min(-x, 1)).toFixed(1)}%)`
                                     : `hsl(4,80%,${(100 - 48 * Math.min(x, 1)).toFixed(1)}%)`;
        const gate = x => `hsl(140,55%,${(100 - 55 * Math.max(0, Math.min(x, 1))).toFixed(1)}%)`;
        function scale(el, colour, labels) {
          const stops = [];
          for (let i = 0; i <= 20; i++) stops.push(colour(i / 20));
          el.style.background = `linear-gradient(to right,${stops.join(",")})`;
          let ticks = el.nextElementSibling;
          if (!ticks || !ticks.classList.contains("ticks")) {
            ticks = document.createElement("div");
            ticks.className = "ticks";
            el.after(ticks);
          }
          ticks.innerHTML = labels.map(l => `<span>${l}</span>`).join("");
        }
        for (let t = 0; t < N; t++) {
          const s = R.surprisal[t];
          sSpans[t].style.background = s == null ? "#e4e4e4" : heat(Math.min(s / SMAX, 1));
        }
        scale($("sscale"), heat, ["0 nats", "1.5", "3", "4.5", `≥ ${SMAX}`]);

        // Activations: one byte per value, unit-major, decoded on first use.
        const cache = {};
        function series(l, k, u) {
          const key = l + "/" + k;
          if (!cache[key]) {
            const e = D.activations[l][k], bin = atob(e.q), q = new Uint8Array(bin.length);
            for (let i = 0; i < bin.length; i++) q[i] = bin.charCodeAt(i);
            cache[key] = { q, lo: e.lo, hi: e.hi };
          }
          const c = cache[key], lo = c.lo[u], step = (c.hi[u] - lo) / 255, out = new Float32Array(N);
          for (let t = 0; t < N; t++) out[t] = lo + step * c.q[u * N + t];
          return out;
        }

        const sel = { layer: 0, kind: D.kinds[0].name, unit: 0, values: null, why: "" };
        const layerBox = $("layer"), kindBox = $("kind"), unitBox = $("unit");
        for (let l = 0; l < R.model.layers; l++) layerBox.add(new Option(String(l), String(l)));
        for (const k of D.kinds) kindBox.add(new Option(`${k.name} — ${k.label}`, k.name));
        function select(l, k, u, why) {
          sel.layer = l; sel.kind = k; sel.unit = Math.max(0, Math.min(H - 1, u | 0)); sel.why = why || "";
          layerBox.value = String(l); kindBox.value = k; unitBox.value = String(sel.unit);
          const v = series(l, k, sel.unit), range = kindInfo[k].range;
          sel.values = v;
          let lo = Infinity, hi = -Infinity, sum = 0;
          for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); sum += x; }
          let colour, labels;
          if (range === "unit") { colour = gate; labels = ["0", "0.25", "0.5", "0.75", "1"]; }
          else {
            const m = range === "symmetric" ? 1 : Math.max(Math.abs(lo), Math.abs(hi), 1e-6);
            colour = x => diverging(x / m);
            const f = x => (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(2));
            labels = [f(-m), f(-m / 2), "0", f(m / 2), f(m)];
            scale($("uscale"), x => diverging(2 * x - 1), labels);
          }
          if (range === "unit") scale($("uscale"), gate, labels);
          for (let t = 0; t < N; t++) uSpans[t].style.background = colour(v[t]);
          $("ustats").textContent = `layer ${l}, ${kindInfo[k].label}, unit ${sel.unit}: ` +
            `min ${lo.toFixed(3)}, mean ${(sum / N).toFixed(3)}, max ${hi.toFixed(3)}` +
            (sel.why ? ` — ${sel.why}` : "");
        }
        layerBox.onchange = () => select(+layerBox.value, sel.kind, sel.unit);
        kindBox.onchange = () => select(sel.layer, kindBox.value, sel.unit);
        unitBox.onchange = () => select(sel.layer, sel.kind, +unitBox.value);
        $("prev").onclick = () => select(sel.layer, sel.kind, (sel.unit + H - 1) % H);
        $("next").onclick = () => select(sel.layer, sel.kind, (sel.unit + 1) % H);

        // The ranking table: one row per property, its best units as buttons.
        const table = $("ranking");
        table.innerHTML = "<tr><th>property</th><th>chance |r|</th><th>best units (layer, signal[unit], r)</th></tr>";
        let first = null;
        for (const p of R.ranking) {
          const row = table.insertRow();
          const name = row.insertCell();
          name.className = "p";
          name.innerHTML = `<b></b><small></small>`;
          name.firstChild.textContent = p.property;
          name.lastChild.textContent = p.summary;
          row.insertCell().textContent = p.chance_level == null ? "–" : p.chance_level.toFixed(2);
          const cell = row.insertCell();
          if (!p.varies || !p.best.length) {
            cell.textContent = p.varies ? "text too short to rank" : "does not vary over this text";
            cell.className = "weak";
            continue;
          }
          for (const u of p.best) {
            const b = document.createElement("button");
            b.className = "unit" + (Math.abs(u.r) <= (p.chance_level || 0) ? " weak" : "");
            b.textContent = `L${u.layer} ${u.kind}[${u.unit}] ${u.r >= 0 ? "+" : "−"}${Math.abs(u.r).toFixed(2)}`;
            const why = `r = ${u.r.toFixed(3)} with ${p.property}`;
            b.onclick = () => { select(u.layer, u.kind, u.unit, why); $("utext").scrollTop = 0; };
            cell.appendChild(b);
            if (!first) first = [u.layer, u.kind, u.unit, why];
          }
        }
        // Start on the unit that tracks the first varying property best.
        if (first) select(...first); else select(0, D.kinds[0].name, 0);

        // Tooltips.
        const tip = $("tip");
        function place(e, text) {
          tip.textContent = text;
          tip.hidden = false;
          const w = tip.offsetWidth, h = tip.offsetHeight;
          tip.style.left = Math.min(e.clientX + 14, innerWidth - w - 4) + "px";
          tip.style.top = (e.clientY + 18 + h > innerHeight ? e.clientY - h - 10 : e.clientY + 18) + "px";
        }
        $("stext").onmousemove = e => {
          const t = e.target.dataset && e.target.dataset.t;
          if (t == null) { tip.hidden = true; return; }
          const i = +t, s = R.surprisal[i], pred = R.predictions[i];
          if (s == null) { place(e, `'${quoted(R.tokens[i])}': the first character (nothing predicts it)`); return; }
          const p = Math.exp(-s);
          const lines = pred.map(q => `${quoted(q.token).padEnd(2)} ${(100 * q.p).toFixed(1).padStart(5)}%` +
                                      (q.token === R.tokens[i] ? "  ←" : ""));
          place(e, `'${quoted(R.tokens[i])}' at ${i}: p = ${(100 * p).toFixed(2)}%, ${s.toFixed(2)} nats\n` +
                   `the model expected:\n` + lines.join("\n"));
        };
        $("utext").onmousemove = e => {
          const t = e.target.dataset && e.target.dataset.t;
          if (t == null || !sel.values) { tip.hidden = true; return; }
          place(e, `'${quoted(R.tokens[+t])}' at ${t}: ${sel.kind}[${sel.unit}] = ${sel.values[+t].toFixed(3)}`);
        };
        for (const id of ["stext", "utext"]) $(id).onmouseleave = () => { tip.hidden = true; };
        """#
}

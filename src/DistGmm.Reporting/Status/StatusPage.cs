using System.Globalization;

namespace DistGmm.Reporting.Status;

/// <summary>
/// The status page: static HTML whose inline script polls /api/status and redraws. All job data is inserted
/// with textContent / setAttribute, never as markup, so node names or messages cannot inject HTML.
/// </summary>
public static class StatusPage
{
    public static string Html(TimeSpan pollInterval) =>
        Template.Replace("__POLL_MS__", ((int)Math.Max(100, pollInterval.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private const string Template = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
        <title>DistGmm status</title>
        <style>
        :root { --ink:#1f2933; --muted:#616e7c; --line:#d9dee4; --bg:#f4f6f8; --accent:#2f6fed; }
        * { box-sizing:border-box; }
        body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif; color:var(--ink); background:var(--bg); }
        header { background:#14213d; color:#fff; padding:16px 28px; display:flex; align-items:baseline; gap:16px; flex-wrap:wrap; }
        header h1 { margin:0; font-size:20px; font-weight:600; }
        .badge { padding:2px 10px; border-radius:10px; background:#2b3f6b; font-size:12.5px; }
        .badge.done { background:#3c9a5f; } .badge.failed { background:#b3261e; }
        #conn { margin-left:auto; font-size:12px; color:#c5cee0; } #conn.lost { color:#ffb4ab; }
        main { max-width:1180px; margin:0 auto; padding:18px 22px 32px; display:grid; grid-template-columns:repeat(auto-fit,minmax(520px,1fr)); gap:16px; }
        section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 18px; min-width:0; }
        section h2 { margin:0 0 8px; font-size:15px; font-weight:600; }
        .cards { display:flex; gap:12px; flex-wrap:wrap; grid-column:1/-1; }
        .card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 16px; min-width:150px; }
        .card .v { font-size:22px; font-weight:600; } .card .k { color:var(--muted); font-size:12px; }
        table { border-collapse:collapse; width:100%; font-size:13px; }
        th, td { text-align:left; padding:4px 10px 4px 0; border-bottom:1px solid #eef1f4; }
        th { color:var(--muted); font-weight:500; }
        .st { display:inline-block; width:9px; height:9px; border-radius:50%; margin-right:6px; background:#9aa5b1; }
        .st.up, .st.done, .st.busy, .st.running { background:#3c9a5f; } .st.running, .st.busy { background:#2f6fed; }
        .st.lost, .st.failed { background:#e45756; } .st.reassigned, .st.unreachable, .st.downed { background:#f2a33a; }
        #shard-grid { display:flex; flex-wrap:wrap; gap:3px; margin:6px 0 8px; }
        #shard-grid span { width:14px; height:14px; border-radius:2px; background:#d9dee4; }
        #shard-grid span.running { background:#2f6fed; } #shard-grid span.done { background:#3c9a5f; }
        #shard-grid span.failed { background:#e45756; } #shard-grid span.reassigned { background:#f2a33a; }
        #lb-chart { width:100%; height:auto; display:block; }
        #lb-chart .grid { stroke:#e8ebef; } #lb-chart .axis { stroke:#8a96a3; } #lb-chart text { fill:#52606d; font-size:11px; }
        #lb-chart .line { fill:none; stroke:var(--accent); stroke-width:2; } #lb-chart .pt { fill:var(--accent); stroke:#fff; }
        #events li { padding:3px 0; border-bottom:1px solid #eef1f4; list-style:none; font-size:13px; }
        #events { margin:0; padding:0; max-height:320px; overflow:auto; }
        #events time { color:var(--muted); margin-right:8px; font-variant-numeric:tabular-nums; }
        #events li.warning { color:#9a5b00; } #events li.error { color:#b3261e; }
        .muted { color:var(--muted); font-size:12.5px; }
        </style>
        </head>
        <body>
        <header><h1 id="job">DistGmm</h1><span id="state" class="badge">connecting…</span><span id="conn">connecting…</span></header>
        <main>
          <div class="cards">
            <div class="card"><div class="v" id="iteration" data-iteration="0">–</div><div class="k">EM iteration</div></div>
            <div class="card"><div class="v" id="lower-bound">–</div><div class="k">lower bound</div></div>
            <div class="card"><div class="v" id="nodes-up">–</div><div class="k">nodes up</div></div>
            <div class="card"><div class="v" id="shards-done">–</div><div class="k">shards done</div></div>
          </div>
          <section><h2>Lower bound per iteration</h2>
            <svg id="lb-chart" viewBox="0 0 560 260" role="img" aria-label="Lower bound per iteration"></svg>
            <p class="muted" id="lb-note">No iteration completed yet.</p></section>
          <section><h2>Recent events</h2><ul id="events"></ul></section>
          <section><h2>Nodes</h2><table><thead><tr><th>node</th><th>address</th><th>state</th><th>shards</th><th>last membership event</th></tr></thead><tbody id="nodes"></tbody></table></section>
          <section><h2>Shards</h2><div id="shard-grid"></div><p class="muted" id="shard-summary"></p>
            <table><thead><tr><th>shard</th><th>state</th><th>node</th><th>records</th></tr></thead><tbody id="shards"></tbody></table></section>
        </main>
        <script>
        (function () {
          var NS = 'http://www.w3.org/2000/svg';
          function $(id) { return document.getElementById(id); }
          function text(id, v) { var e = $(id); if (e.textContent !== String(v)) e.textContent = v; }
          function el(tag, cls, txt) { var e = document.createElement(tag); if (cls) e.className = cls; if (txt !== undefined) e.textContent = txt; return e; }
          function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
          function time(iso) { if (!iso) return '–'; var d = new Date(iso); return isNaN(d) ? iso : d.toISOString().substring(11, 19); }
          function fmt(v) { if (v === null || v === undefined) return '–'; if (typeof v !== 'number') return String(v);
            var a = Math.abs(v); return a >= 1e5 || (a > 0 && a < 1e-3) ? v.toExponential(3) : v.toFixed(a >= 100 ? 2 : 4); }
          function cls(s) { return String(s || '').toLowerCase().replace(/[^a-z0-9-]/g, ''); }
          function svg(tag, attrs, parent, txt) { var e = document.createElementNS(NS, tag);
            for (var k in attrs) e.setAttribute(k, attrs[k]); if (txt !== undefined) e.textContent = txt; parent.appendChild(e); return e; }

          function chart(lb) {
            var c = $('lb-chart'); clear(c);
            var ys = lb.filter(function (v) { return typeof v === 'number' && isFinite(v); });
            if (ys.length === 0) return;
            var L = 70, R = 545, T = 12, B = 225, min = Math.min.apply(null, ys), max = Math.max.apply(null, ys);
            if (max === min) { max += 1; min -= 1; }
            var n = lb.length, x = function (i) { return n === 1 ? (L + R) / 2 : L + (R - L) * i / (n - 1); },
                y = function (v) { return B - (B - T) * (v - min) / (max - min); };
            // Round tick values: steps of 1, 2 or 5 x 10^k, about five of them.
            var raw = (max - min) / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), e = raw / mag;
            var step = (e >= 7.07 ? 10 : e >= 3.16 ? 5 : e >= 1.41 ? 2 : 1) * mag;
            min = Math.floor(min / step) * step; max = Math.ceil(max / step) * step;
            var dec = Math.max(0, -Math.floor(Math.log10(step)));
            for (var tv = min; tv <= max + step / 2; tv += step) { var yy = y(tv);
              svg('line', { x1: L, x2: R, y1: yy, y2: yy, 'class': 'grid' }, c);
              svg('text', { x: L - 6, y: yy + 4, 'text-anchor': 'end' }, c, tv.toFixed(dec)); }
            svg('line', { x1: L, x2: R, y1: B, y2: B, 'class': 'axis' }, c);
            var every = Math.max(1, Math.ceil(n / 10));
            for (var i = 0; i < n; i += every) svg('text', { x: x(i), y: B + 16, 'text-anchor': 'middle' }, c, String(i + 1));
            svg('text', { x: (L + R) / 2, y: 256, 'text-anchor': 'middle' }, c, 'iteration');
            var d = '';
            lb.forEach(function (v, i) { if (typeof v === 'number' && isFinite(v)) d += (d ? 'L' : 'M') + x(i).toFixed(1) + ',' + y(v).toFixed(1); });
            svg('path', { d: d, 'class': 'line' }, c);
            if (n <= 80) lb.forEach(function (v, i) { if (typeof v === 'number' && isFinite(v))
              svg('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3, 'class': 'pt' }, c); });
          }

          function render(s) {
            text('job', s.jobName); document.title = 'DistGmm status · ' + s.jobName;
            var st = $('state'); text('state', s.state); st.className = 'badge ' + cls(s.state);
            var it = $('iteration'); text('iteration', s.iteration + (s.maxIterations ? ' / ' + s.maxIterations : ''));
            it.setAttribute('data-iteration', String(s.iteration));
            var lb = s.lowerBound || [];
            text('lower-bound', lb.length ? fmt(lb[lb.length - 1]) : '–');
            text('lb-note', lb.length ? lb.length + ' iterations' + (lb.length > 1 ? ', last change ' + fmt(lb[lb.length - 1] - lb[lb.length - 2]) : '') : 'No iteration completed yet.');
            chart(lb);
            var nodes = s.nodes || [], up = nodes.filter(function (n) { return ['lost', 'failed', 'unreachable', 'downed'].indexOf(cls(n.state)) < 0; }).length;
            text('nodes-up', up + ' / ' + nodes.length);
            var nb = $('nodes'); clear(nb);
            nodes.forEach(function (n) { var tr = el('tr'); tr.appendChild(el('td', null, n.id)); tr.appendChild(el('td', null, n.address));
              var td = el('td'); td.appendChild(el('span', 'st ' + cls(n.state))); td.appendChild(document.createTextNode(n.state)); tr.appendChild(td);
              tr.appendChild(el('td', null, String(n.shardsAssigned))); tr.appendChild(el('td', null, n.lastEvent ? time(n.lastEvent) + (n.lastEventKind ? ' ' + n.lastEventKind : '') : '–')); nb.appendChild(tr); });
            var shards = s.shards || [], counts = {};
            shards.forEach(function (x) { var k = cls(x.state); counts[k] = (counts[k] || 0) + 1; });
            text('shards-done', (counts.done || 0) + ' / ' + shards.length);
            text('shard-summary', Object.keys(counts).sort().map(function (k) { return counts[k] + ' ' + k; }).join(' · '));
            var grid = $('shard-grid'); clear(grid);
            shards.forEach(function (x) { var sp = el('span', cls(x.state)); sp.title = x.id + ': ' + x.state + (x.node ? ' on ' + x.node : ''); grid.appendChild(sp); });
            var sb = $('shards'); clear(sb);
            shards.slice(0, 200).forEach(function (x) { var tr = el('tr'); tr.appendChild(el('td', null, x.id));
              var td = el('td'); td.appendChild(el('span', 'st ' + cls(x.state))); td.appendChild(document.createTextNode(x.state)); tr.appendChild(td);
              tr.appendChild(el('td', null, x.node || '–')); tr.appendChild(el('td', null, Number(x.records).toLocaleString('en-US'))); sb.appendChild(tr); });
            var ev = $('events'); clear(ev);
            (s.events || []).slice(-50).reverse().forEach(function (e) { var li = el('li', cls(e.level));
              li.appendChild(el('time', null, time(e.at))); li.appendChild(document.createTextNode(e.message)); ev.appendChild(li); });
          }

          var last = null;
          function poll() {
            fetch('api/status', { cache: 'no-store' })
              .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
              .then(function (body) {
                var c = $('conn'); c.className = ''; text('conn', 'live · updated ' + new Date().toISOString().substring(11, 19) + ' UTC');
                if (body !== last) { last = body; render(JSON.parse(body)); }
              })
              .catch(function () { var c = $('conn'); c.className = 'lost'; text('conn', 'connection lost, retrying…'); })
              .then(function () { setTimeout(poll, __POLL_MS__); });
          }
          poll();
        })();
        </script>
        </body>
        </html>
        """;
}

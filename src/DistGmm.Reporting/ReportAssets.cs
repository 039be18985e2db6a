namespace DistGmm.Reporting;

/// <summary>Inline stylesheet and script of report.html (no network: everything travels inside the file).</summary>
internal static class ReportAssets
{
    public const string Css = """
        :root { --ink:#1f2933; --muted:#616e7c; --line:#d9dee4; --bg:#f4f6f8; --card:#fff;
          --normal:#4c78a8; --anomaly:#e45756; --accent:#2f6fed; --ok:#3c9a5f; --warn:#f2a33a; }
        * { box-sizing:border-box; }
        body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif; color:var(--ink); background:var(--bg); }
        header { background:#14213d; color:#fff; padding:22px 32px 18px; }
        header h1 { margin:0 0 4px; font-size:22px; font-weight:600; }
        header .sub { color:#c5cee0; font-size:13px; }
        nav { background:#1d2d50; padding:0 32px; display:flex; flex-wrap:wrap; gap:2px; }
        nav a { color:#dfe6f3; text-decoration:none; padding:8px 10px; font-size:13px; }
        nav a:hover { background:#2b3f6b; }
        main { max-width:1180px; margin:0 auto; padding:20px 24px 40px; }
        section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:18px 20px; margin:0 0 18px; }
        section h2 { margin:0 0 4px; font-size:17px; font-weight:600; }
        .caption { color:var(--muted); font-size:12.5px; margin:0 0 10px; }
        .grid2 { display:grid; grid-template-columns:repeat(auto-fit,minmax(460px,1fr)); gap:18px; }
        .grid2 > div { min-width:0; }
        h3 { font-size:14px; margin:6px 0 6px; font-weight:600; }
        svg.chart { max-width:100%; height:auto; display:block; font-size:11px; }
        table { border-collapse:collapse; }
        table.facts td, table.facts th { padding:4px 14px 4px 0; text-align:left; border-bottom:1px solid #eef1f4; vertical-align:top; }
        table.facts th { color:var(--muted); font-weight:500; white-space:nowrap; }
        .cards { display:flex; flex-wrap:wrap; gap:12px; margin:4px 0 14px; }
        .card { border:1px solid var(--line); border-radius:6px; padding:10px 14px; min-width:120px; background:#fbfcfd; }
        .card .v { font-size:20px; font-weight:600; }
        .card .k { color:var(--muted); font-size:12px; }
        table.confusion { margin:6px 0; }
        table.confusion th, table.confusion td { padding:10px 14px; text-align:center; border:1px solid #fff; }
        table.confusion th { background:#eef1f4; font-weight:500; font-size:12.5px; }
        table.confusion td.cell { min-width:130px; font-size:16px; font-weight:600; }
        table.confusion td.cell small { display:block; font-weight:400; font-size:11.5px; opacity:.85; }
        table.events { width:100%; font-size:12.5px; }
        table.events td, table.events th { padding:3px 10px 3px 0; border-bottom:1px solid #eef1f4; text-align:left; }
        .absent { color:var(--muted); font-size:13px; }
        .grid { stroke:#e8ebef; stroke-width:1; }
        .axis { stroke:#8a96a3; stroke-width:1; }
        .tick { fill:#52606d; font-size:10.5px; }
        .axis-title { fill:#323f4b; font-size:12px; }
        .legend-box { fill:#fff; fill-opacity:.92; stroke:#d9dee4; }
        .legend-text { fill:#323f4b; font-size:11px; }
        .s-normal { fill:var(--normal); stroke:var(--normal); }
        .s-anomaly { fill:var(--anomaly); stroke:var(--anomaly); }
        .s-bic { fill:#4c78a8; stroke:#4c78a8; } .s-aic { fill:#f58518; stroke:#f58518; }
        .s-wall { fill:#14213d; stroke:#14213d; } .s-slowest { fill:#e45756; stroke:#e45756; } .s-fastest { fill:#54a24b; stroke:#54a24b; }
        .s-roc, .s-pr, .s-lb { fill:var(--accent); stroke:var(--accent); }
        .s-threshold { fill:#14213d; stroke:#14213d; }
        .points.s-normal .pt { fill-opacity:.45; stroke:none; }
        .points.s-anomaly .pt { fill-opacity:.8; stroke:#fff; stroke-width:.4; }
        .series .line { fill:none; stroke-width:2; }
        .series .pt { stroke:#fff; stroke-width:1; }
        .reference { stroke:#9aa5b1; stroke-dasharray:4 4; }
        .marker { stroke:#14213d; stroke-dasharray:5 3; } .marker-label { fill:#14213d; font-size:11px; }
        .bar.s-normal { fill-opacity:.75; } .bar.s-anomaly { fill-opacity:.6; }
        .threshold { stroke:#14213d; stroke-width:2; stroke-dasharray:6 3; } .threshold-label { fill:#14213d; font-size:11.5px; font-weight:600; }
        .complete-bg { fill:#eef1f4; } .complete-bar { fill:#52606d; } .present { fill:#3e4c59; } .gap { fill:#fff; }
        .col-label { fill:#323f4b; font-size:10px; } .caption-text { fill:#616e7c; font-size:11px; }
        .row-label { fill:#323f4b; font-size:11.5px; } .bar-value { fill:#323f4b; font-size:11px; }
        .bar-bg { fill:#f1f3f5; } .s-detected { fill:var(--anomaly); } .s-false-alarm { fill:#9aa5b1; }
        .span { rx:3; } .span-completed { fill:#6f9fd8; } .span-failed { fill:#e45756; } .span-reassigned { fill:#f2a33a; }
        .span-label { fill:#fff; font-size:10px; pointer-events:none; }
        .iteration-line { stroke:#9aa5b1; stroke-dasharray:2 3; } .iteration-label { fill:#616e7c; font-size:10px; }
        .event { stroke-width:2.2; } .event-worker-joined { fill:#3c9a5f; stroke:#fff; stroke-width:1; }
        .event-worker-lost, .event-shard-failed { stroke:#b3261e; fill:none; } .event-shard-reassigned { fill:#f2a33a; stroke:#fff; stroke-width:1; }
        .event-worker-recovered { fill:#3c9a5f; stroke:#1b5e20; stroke-width:1; } .event-worker-unreachable { fill:#fff; stroke:#b3261e; stroke-width:1.6; }
        .event-shards-recomputed { fill:#6f9fd8; stroke:#1f4e8c; stroke-width:1; } .event-fault-injected { fill:#8e44ad; stroke:#fff; stroke-width:1; }
        .event-waiting-for-workers, .event-job-resumed { fill:#fff; stroke:#616e7c; stroke-width:1.6; }
        .stage-line { stroke:#3e4c59; stroke-width:1.2; stroke-dasharray:6 3; fill:none; } .stage-label { fill:#3e4c59; font-size:10px; }
        .legend-inline { display:flex; flex-wrap:wrap; gap:16px; font-size:12px; color:#323f4b; margin:6px 0 0; }
        .legend-inline i { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
        #scatter3d { cursor:grab; touch-action:none; user-select:none; -webkit-user-select:none; outline:none; background:#fbfcfd; border:1px solid #eef1f4; border-radius:6px; }
        #scatter3d.dragging { cursor:grabbing; } #scatter3d:focus-visible { border-color:var(--accent); }
        #scatter3d .edge { stroke:#c3cad3; stroke-width:1; } #scatter3d .edge.main { stroke:#7b8794; }
        #scatter3d .pt.n { fill:var(--normal); fill-opacity:.45; } #scatter3d .pt.a { fill:var(--anomaly); fill-opacity:.85; }
        .controls { margin:8px 0 0; font-size:12px; color:var(--muted); } button { font:inherit; font-size:12px; padding:3px 10px; border:1px solid var(--line); background:#fff; border-radius:4px; cursor:pointer; }
        footer { color:var(--muted); font-size:12px; text-align:center; padding:0 0 24px; }
        """;

    /// <summary>Projects the 3-D scene (orthographic with mild perspective) and redraws it while dragging.</summary>
    public const string Scatter3dScript = """
        (function () {
          var svg = document.getElementById('scatter3d');
          var src = document.getElementById('scatter3d-data');
          if (!svg || !src) return;
          var data = JSON.parse(src.textContent);
          var NS = 'http://www.w3.org/2000/svg', W = 540, H = 460, S = 104;
          var yaw = -0.65, pitch = 0.42;
          var corners = [];
          for (var i = 0; i < 8; i++) corners.push([i & 1 ? 1 : -1, i & 2 ? 1 : -1, i & 4 ? 1 : -1]);
          var edges = [];
          for (var a = 0; a < 8; a++) for (var b = a + 1; b < 8; b++) {
            var d = a ^ b; if (d === 1 || d === 2 || d === 4) edges.push([a, b]);
          }
          function el(name, cls) { var e = document.createElementNS(NS, name); if (cls) e.setAttribute('class', cls); svg.appendChild(e); return e; }
          var edgeEls = edges.map(function (e) { return el('line', 'edge' + (e[0] === 0 ? ' main' : '')); });
          var labelEls = [], tickEls = [];
          data.axes.forEach(function (ax, k) {
            var t = el('text', 'axis-title'); t.textContent = ax.name; t.setAttribute('text-anchor', 'middle'); labelEls.push(t);
            ax.ticks.forEach(function (tk) { if (tk[0] <= -1) return; /* the shared origin is labelled once */ var e = el('text', 'tick'); e.textContent = tk[1]; e.setAttribute('text-anchor', 'middle'); tickEls.push([k, tk[0], e]); });
          });
          var origin = el('text', 'tick'); origin.textContent = '0'; origin.setAttribute('text-anchor', 'end');
          var ptGroup = el('g', 'points3d');
          var pts = data.points.map(function (p) {
            var c = document.createElementNS(NS, 'circle'); c.setAttribute('class', 'pt ' + (p[3] ? 'a' : 'n'));
            c.setAttribute('r', p[3] ? 3 : 2.4); ptGroup.appendChild(c); return { p: p, el: c, depth: 0 };
          });
          function project(x, y, z) {
            var cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
            var x1 = x * cy + z * sy, z1 = -x * sy + z * cy;
            var y2 = y * cp - z1 * sp, z2 = y * sp + z1 * cp;
            var f = 1 / (1 + 0.12 * z2);
            return [W / 2 + S * x1 * f, H / 2 - S * y2 * f, z2];
          }
          function at(axis, pos, other) { var v = [other, other, other]; v[axis] = pos; return v; }
          function draw() {
            var pc = corners.map(function (c) { return project(c[0], c[1], c[2]); });
            edges.forEach(function (e, i) {
              var l = edgeEls[i]; l.setAttribute('x1', pc[e[0]][0].toFixed(1)); l.setAttribute('y1', pc[e[0]][1].toFixed(1));
              l.setAttribute('x2', pc[e[1]][0].toFixed(1)); l.setAttribute('y2', pc[e[1]][1].toFixed(1));
            });
            labelEls.forEach(function (t, k) {
              var q = at(k, 1.42, -1); var s = project(q[0], q[1], q[2]);
              t.setAttribute('x', s[0].toFixed(1)); t.setAttribute('y', s[1].toFixed(1));
            });
            tickEls.forEach(function (tk) {
              var q = at(tk[0], tk[1], -1.1); var s = project(q[0], q[1], q[2]);
              tk[2].setAttribute('x', s[0].toFixed(1)); tk[2].setAttribute('y', (s[1] + 4).toFixed(1));
            });
            var o0 = project(-1, -1, -1); origin.setAttribute('x', (o0[0] - 6).toFixed(1)); origin.setAttribute('y', (o0[1] + 4).toFixed(1));
            pts.forEach(function (o) {
              var s = project(o.p[0], o.p[1], o.p[2]); o.depth = s[2];
              o.el.setAttribute('cx', s[0].toFixed(1)); o.el.setAttribute('cy', s[1].toFixed(1));
            });
            // Paint far points first so near ones stay on top.
            pts.slice().sort(function (a, b) { return b.depth - a.depth; }).forEach(function (o) { ptGroup.appendChild(o.el); });
            svg.setAttribute('data-yaw', yaw.toFixed(3)); svg.setAttribute('data-pitch', pitch.toFixed(3));
          }
          var drag = null;
          svg.addEventListener('pointerdown', function (e) { drag = [e.clientX, e.clientY]; svg.classList.add('dragging'); if (svg.setPointerCapture) svg.setPointerCapture(e.pointerId); });
          svg.addEventListener('pointermove', function (e) {
            if (!drag) return;
            yaw += (e.clientX - drag[0]) * 0.01;
            pitch = Math.max(-1.5, Math.min(1.5, pitch + (e.clientY - drag[1]) * 0.01));
            drag = [e.clientX, e.clientY]; draw();
          });
          function end() { drag = null; svg.classList.remove('dragging'); }
          svg.addEventListener('pointerup', end); svg.addEventListener('pointercancel', end);
          svg.addEventListener('keydown', function (e) {
            var k = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, -0.1], ArrowDown: [0, 0.1] }[e.key];
            if (!k) return; yaw += k[0]; pitch = Math.max(-1.5, Math.min(1.5, pitch + k[1])); draw(); e.preventDefault();
          });
          var reset = document.getElementById('scatter3d-reset');
          if (reset) reset.addEventListener('click', function () { yaw = -0.65; pitch = 0.42; draw(); });
          draw();
        })();
        """;
}

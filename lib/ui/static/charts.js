// Timelines and histograms on uPlot (served from the npm package). Each chart is keyed by its
// element; it is rebuilt only when its series change (an input appears), otherwise setData.
"use strict";
(function () {
  const charts = new Map();
  const HEIGHT = 160;

  function fmtMs(v) {
    if (v == null || !isFinite(v)) return "";
    if (Math.abs(v) < 1000) return Math.round(v) + " ms";
    return (v / 1000).toFixed(Math.abs(v) < 10000 ? 2 : 1) + " s";
  }
  function fmtRate(v) {
    if (v == null || !isFinite(v)) return "";
    if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + "M/s";
    if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(0) + "k/s";
    if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + "k/s";
    return Math.round(v) + "/s";
  }
  const fmt = { ms: fmtMs, rate: fmtRate };

  function width(el) {
    return Math.max(200, Math.floor(el.clientWidth || el.parentElement.clientWidth || 400));
  }

  function utc(ts) {
    return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");
  }

  function put(el, signature, makeOpts, data) {
    const known = charts.get(el);
    if (known && known.signature === signature) {
      known.plot.setData(data);
      return known.plot;
    }
    if (known) known.plot.destroy();
    const plot = new uPlot(makeOpts(), data, el);
    charts.set(el, { plot, signature });
    return plot;
  }

  /**
   * A timeline: x = batch time (ms), one line per series ({ label, color, dash?, values }).
   * `unit` is "ms" or "rate".
   */
  function timeline(el, unit, times, series) {
    const f = fmt[unit];
    const signature = unit + "|" + series.map((s) => s.label + s.color + (s.dash ? "d" : "")).join(",");
    const data = [times.map((t) => t / 1000), ...series.map((s) => s.values)];
    put(
      el,
      signature,
      () => ({
        width: width(el),
        height: HEIGHT,
        tzDate: utc,
        // The page's left column names the series; the cursor still shows values on hover.
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max > 0 ? max * 1.1 : 1, unit === "ms" ? 10 : 1)] } },
        axes: [
          { stroke: "#57606a", grid: { stroke: "#eaeef2" }, ticks: { stroke: "#d0d7de" } },
          { stroke: "#57606a", size: 64, grid: { stroke: "#eaeef2" }, ticks: { stroke: "#d0d7de" }, values: (u, splits) => splits.map(f) },
        ],
        series: [
          { label: "batch time", value: (u, v) => (v == null ? "" : new Date(v * 1000).toISOString().slice(11, 19) + "Z") },
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: s.dash ? 1.5 : 2,
            dash: s.dash ? [6, 4] : undefined,
            points: { show: !s.dash, size: 4 },
            value: (u, v) => f(v),
            spanGaps: true,
          })),
        ],
      }),
      data,
    );
  }

  /** A histogram of `values` in up to `bins` buckets: x = bucket centre, y = batches. */
  function histogram(el, unit, values, color) {
    const f = fmt[unit];
    const v = values.filter((x) => x != null && isFinite(x));
    let xs = [];
    let counts = [];
    if (v.length > 0) {
      const min = Math.min(...v);
      const max = Math.max(...v);
      const bins = Math.min(10, Math.max(1, new Set(v).size));
      const step = max > min ? (max - min) / bins : 1;
      counts = new Array(bins).fill(0);
      for (const x of v) counts[Math.min(bins - 1, Math.floor((x - min) / step))]++;
      xs = counts.map((_, i) => (max > min ? min + step * (i + 0.5) : min));
    }
    const plot = put(
      el,
      "hist|" + unit + "|" + color,
      () => ({
        width: width(el),
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: (u, lo, hi) => (lo === hi ? [lo - 1, hi + 1] : [lo - (hi - lo) / 18, hi + (hi - lo) / 18]) }, y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
        axes: [
          { stroke: "#57606a", grid: { show: false }, values: (u, splits) => splits.map(f), label: unit === "ms" ? "delay" : "records/s", labelSize: 16, labelFont: "11px system-ui" },
          { stroke: "#57606a", size: 44, grid: { stroke: "#eaeef2" }, label: "batches", labelSize: 16, labelFont: "11px system-ui", values: (u, splits) => splits.map((s) => (Number.isInteger(s) ? String(s) : "")) },
        ],
        series: [{}, { label: "batches", stroke: color, fill: color + "55", width: 1, paths: uPlot.paths.bars({ size: [0.92, 60] }), points: { show: false } }],
      }),
      // An empty bucket draws no bar (a zero would draw a flat line).
      [xs, counts.map((c) => (c === 0 ? null : c))],
    );
    return plot;
  }

  window.addEventListener("resize", () => {
    for (const [el, c] of charts) c.plot.setSize({ width: width(el), height: HEIGHT });
  });

  /** Points on the x axis of the chart in element `id` (tests read it; the canvas can't tell). */
  function points(id) {
    const c = charts.get(document.getElementById(id));
    return c ? c.plot.data[0].length : 0;
  }

  window.DstreamCharts = { timeline, histogram, points, fmtMs, fmtRate };
})();

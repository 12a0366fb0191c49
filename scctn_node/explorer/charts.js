// Small inline SVG charts (no library): a line over time and bars per time bucket.

const NS = "http://www.w3.org/2000/svg";
const W = 300, H = 120, PAD = 22;

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function frame(label) {
  const svg = el("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, preserveAspectRatio: "none" });
  svg.append(el("title", {}, label));
  return svg;
}

// points: [[x, y], ...] with x in [x0, x1]; draws a line and the y maximum as a label.
export function lineChart(label, points, x0, x1, unit, extra = null) {
  const svg = frame(label);
  const all = extra ? points.concat(extra) : points;
  const ymax = Math.max(1, ...all.map((p) => p[1]));
  const sx = (x) => PAD + ((x - x0) / Math.max(1, x1 - x0)) * (W - PAD - 4);
  const sy = (y) => H - PAD + 8 - (y / ymax) * (H - PAD - 6);
  const path = (pts) => pts.map((p, i) => `${i ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
  svg.append(el("line", { x1: PAD, y1: H - PAD + 8, x2: W - 2, y2: H - PAD + 8, stroke: "#c3cad6" }));
  if (points.length) svg.append(el("path", { class: "line", d: path(points) }));
  if (extra && extra.length) svg.append(el("path", { class: "line2", d: path(extra) }));
  svg.append(el("text", { x: 2, y: 10 }, `${Math.round(ymax)} ${unit}`));
  svg.append(el("text", { x: 2, y: H - 2 }, points.length ? "" : "no data yet"));
  return svg;
}

// values: one number per bucket, oldest first.
export function barChart(label, values, unit) {
  const svg = frame(label);
  const ymax = Math.max(1, ...values);
  const bw = (W - PAD - 4) / Math.max(1, values.length);
  values.forEach((v, i) => {
    const bh = (v / ymax) * (H - PAD - 6);
    svg.append(el("rect", { class: "bar", x: PAD + i * bw + 1, y: H - PAD + 8 - bh, width: Math.max(1, bw - 2), height: bh }));
  });
  svg.append(el("line", { x1: PAD, y1: H - PAD + 8, x2: W - 2, y2: H - PAD + 8, stroke: "#c3cad6" }));
  svg.append(el("text", { x: 2, y: 10 }, `${ymax} ${unit}`));
  return svg;
}

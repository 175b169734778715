// Inline SVG bar charts (no library): reads and hits per day, labelled in words and numbers.

const NS = "http://www.w3.org/2000/svg";

function node(tag, attrs, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

/** bars([{label, value}], {title, cls}) -> <svg> with a value above each bar. */
export function barChart(points, { title, cls = "bar-reads", height = 160 } = {}) {
  const width = 640;
  const pad = { top: 18, bottom: 22, left: 8, right: 8 };
  const max = Math.max(1, ...points.map((p) => p.value));
  const slot = (width - pad.left - pad.right) / Math.max(1, points.length);
  const bar = Math.max(2, slot * 0.7);
  const inner = height - pad.top - pad.bottom;
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title });
  svg.append(node("title", {}, title));
  svg.append(node("line", { x1: pad.left, x2: width - pad.right, y1: height - pad.bottom, y2: height - pad.bottom, stroke: "#2a323d" }));
  points.forEach((p, i) => {
    const h = (p.value / max) * inner;
    const x = pad.left + i * slot + (slot - bar) / 2;
    const y = height - pad.bottom - h;
    const r = node("rect", { x, y, width: bar, height: Math.max(h, p.value ? 1 : 0), class: cls, rx: 2 });
    r.append(node("title", {}, `${p.label}: ${p.value}`));
    svg.append(r);
    if (p.value) svg.append(node("text", { x: x + bar / 2, y: y - 4, "text-anchor": "middle" }, p.value));
    if (points.length <= 16 || i % Math.ceil(points.length / 12) === 0) {
      svg.append(node("text", { x: x + bar / 2, y: height - 6, "text-anchor": "middle" }, p.label));
    }
  });
  return svg;
}

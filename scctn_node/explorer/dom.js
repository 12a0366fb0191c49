// Building the page from data: elements and text nodes only. Data is never parsed as
// HTML (no innerHTML anywhere), so whatever the chain holds shows as text.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (sel, root = document) => root.querySelector(sel);

// A link inside the page: #/kind/value (the value is URI-encoded, the text is text).
export function link(kind, value, text = value) {
  return h("a", { href: `#/${kind}/${encodeURIComponent(String(value))}` }, String(text));
}

export function short(hex, n = 10) {
  const s = String(hex ?? "");
  return s.length > n * 2 ? `${s.slice(0, n)}…${s.slice(-4)}` : s;
}

export function amount(v) {
  if (typeof v === "string" && /^\d+$/.test(v)) v = BigInt(v); // uint256 values come as strings
  return typeof v === "bigint" || typeof v === "number" ? v.toLocaleString("en-US") : String(v ?? "–");
}

// An amount in base units shown in whole points: 250000 with 2 decimals -> "2,500.00".
export function units(v, decimals) {
  if (v === null || v === undefined) return "–";
  if (!decimals) return amount(v);
  const n = BigInt(v);
  const scale = 10n ** BigInt(decimals);
  const whole = (n / scale).toLocaleString("en-US");
  return `${whole}.${(n % scale).toString().padStart(decimals, "0")}`;
}

// A node showing whole points, with the exact base units as its tooltip.
export function points(v, decimals, symbol = "") {
  const text = `${units(v, decimals)}${symbol ? ` ${symbol}` : ""}`;
  return h("span", { title: `${amount(v)} base units` }, text);
}

export function ago(ms) {
  if (ms === null || ms === undefined) return "never";
  if (ms < 1000) return "just now";
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

export function timeText(ms) {
  return new Date(Number(ms)).toLocaleTimeString("en-GB", { hour12: false });
}

// A definition list from [label, value] pairs (values may be nodes).
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

// A table: headers and rows of cells (text or nodes); an empty list says so.
export function table(caption, headers, rows, empty = "none") {
  if (!rows.length) return h("p", { class: "empty" }, `${caption}: ${empty}`);
  return h("div", { class: "scroll" },
    h("table", {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))));
}

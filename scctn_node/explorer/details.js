// The detail views opened by a link or a search: a block, a transaction, an account (with
// its balance proofs verified here) and a point type. Not found and malformed answers are
// shown as messages.

import { ApiError, decimals, enc, get, getBody } from "./api.js";
import { amount, facts, fill, h, link, points, short, table, timeText, units } from "./dom.js";
import { lineChart } from "./charts.js";
import { verifyProof, toHex } from "./proof.js";
import { balanceOfHolding, decodeAccount } from "./codec.js";

const ADDRESS = /^scc1[0-9a-z]+(\/[A-Za-z0-9_.@-]+)?$/;

// An account in op fields and events: linked when it looks like one.
export function valueNode(v) {
  if (typeof v === "string" && ADDRESS.test(v)) return link("account", v);
  if (Array.isArray(v)) return v.map((x, i) => [i ? ", " : "", valueNode(x)]);
  if (v && typeof v === "object") return JSON.stringify(v, (k, x) => (typeof x === "bigint" ? x.toString() : x));
  return String(v);
}

function opList(ops) {
  return h("ol", { class: "ops" }, ops.map((op) => h("li", {},
    h("strong", {}, op.op), " ",
    Object.entries(op).filter(([k]) => k !== "op").map(([k, v], i) => [i ? "; " : "", `${k}: `, valueNode(v)]))));
}

function eventList(events) {
  if (!events || !events.length) return "none";
  return h("ul", { class: "ops" }, events.map((e) => h("li", {}, h("strong", {}, e.kind), " ", valueNode(e.fields))));
}

class NotFoundView extends Error {}

async function must(path) {
  const r = await get(path);
  if (r.ok) return r.body;
  if (r.status === 404) throw new NotFoundView(r.body.message || "not found");
  throw new ApiError(r.status, r.body);
}

let generation = 0;

// Each view fills a box of its own: a view still loading when the next one opens finishes
// into a detached box and says nothing.
export async function showDetail(kind, value, section, sayAlways) {
  const views = { block: blockView, tx: txView, account: accountView, asset: assetView };
  const view = views[kind];
  if (!view) { sayAlways("malformed", `Unknown kind of page: ${kind}`); return; }
  const mine = ++generation;
  const say = (...args) => { if (mine === generation) sayAlways(...args); };
  const el = h("div", { class: "detail" });
  section.hidden = false;
  fill(section, el);
  fill(el, h("p", {}, `Loading ${kind} ${value}…`));
  try {
    await view(value, el);
  } catch (err) {
    if (err instanceof NotFoundView) {
      fill(el, h("h2", {}, "Not found"), h("p", { "data-result": "not-found" }, err.message));
      say("not-found", `Not found: ${err.message}`);
    } else if (err instanceof ApiError && err.status === 400) {
      fill(el, h("h2", {}, "Malformed"), h("p", { "data-result": "malformed" }, err.message));
      say("malformed", `Malformed ${kind}: ${err.message}`);
    } else {
      fill(el, h("h2", {}, "Could not load"), h("p", { class: "offline" }, err.message));
      say("error", err.message);
    }
  }
}

async function blockView(height, el) {
  const b = await must(`/v1/blocks/${enc(height)}`);
  const hd = b.header;
  const rows = (b.txs || []).map((t, i) => {
    const r = (b.receipts || [])[i] || {};
    return [h("code", {}, link("tx", t.hash, short(t.hash, 12))), link("account", t.from), t.ops.map((o) => o.op).join(", "),
      r.code === "ok" ? h("span", { class: "ok" }, "ok") : h("span", { class: "bad" }, `failed: ${r.message || r.code}`)];
  });
  const votes = b.commit ? b.commit.votes.map((v) => `#${v.validator}`).join(", ") : "–";
  fill(el,
    h("h2", { id: "detail-title" }, `Block ${b.height}`),
    facts([
      ["Hash", h("code", {}, b.hash)],
      ["Time", `${new Date(hd.time_ms).toISOString()} (${timeText(hd.time_ms)} local)`],
      ["Proposer", h("code", {}, hd.proposer)],
      ["Transactions", String(b.num_txs)],
      ["Previous", b.height > 1 ? link("block", b.height - 1, `block ${b.height - 1}`) : "genesis"],
      ["Next", link("block", b.height + 1, `block ${b.height + 1}`)],
      ["State root (before this block)", h("code", {}, hd.state_root)],
      ["State root after", h("code", {}, b.state_root_after)],
      ["Commit certificate", b.commit ? `view ${b.commit.view}, ${b.commit.votes.length} votes from validators ${votes}` : "–"],
    ]),
    table(`Transactions in block ${b.height}`, ["Hash", "From", "Operations", "Result"], rows, "none (an empty block)"));
}

async function txView(hash, el) {
  const t = await must(`/v1/txs/${enc(hash)}`);
  const out = [h("h2", { id: "detail-title" }, "Transaction"), h("p", {}, h("code", { "data-tx-hash": t.hash }, t.hash))];
  const rows = [["Status", h("span", { "data-tx-status": t.status, class: t.status === "dropped" ? "bad" : "" }, t.status)]];
  if (t.status === "committed") {
    const r = t.receipt;
    rows.push(["Block", link("block", t.height, `block ${t.height}, position ${t.index}`)]);
    rows.push(["Result", r.code === "ok" ? h("span", { class: "ok" }, "ok") : h("span", { class: "bad" }, `failed (${r.code}): ${r.message}`)]);
    rows.push(["Gas used", String(r.gas_used)]);
  }
  if (t.status === "dropped") rows.push(["Reason", t.reason]);
  if (t.tx) {
    rows.push(["From", link("account", t.tx.from)], ["Nonce", String(t.tx.nonce)], ["Gas limit", String(t.tx.gas_limit)],
      ["Expires at height", String(t.tx.expiry_height)], ["Memo", t.tx.memo || "–"], ["Operations", opList(t.tx.ops)]);
  }
  if (t.receipt) rows.push(["Events", eventList(t.receipt.events)]);
  out.push(facts(rows));
  fill(el, out);
}

// Verify every balance proof of an account answer against the state root of the block it
// names; returns {symbol: {ok, why, proven}} and the root used.
export async function checkProofs(acct) {
  const block = await getBody(`/v1/blocks/${acct.height}?full=false`);
  const root = block.state_root_after;
  const out = {};
  const accountBytes = decodeAccount(acct.address);
  let rootWhy = null;
  if (root !== acct.state_root) rootWhy = `the account's state root is not block ${acct.height}'s state root`;
  for (const [name, p] of Object.entries(acct.proofs || {})) {
    if (!name.startsWith("balance:")) continue;
    const symbol = name.slice("balance:".length);
    try {
      if (rootWhy) throw new Error(rootWhy);
      const want = accountBytes === null ? null
        : "42" + toHex(Uint8Array.of(accountBytes.length)) + toHex(accountBytes) + toHex(new TextEncoder().encode(symbol));
      if (want !== p.key) throw new Error("the proven key is not this account's balance of this symbol");
      verifyProof(root, p.key, p.value, p.proof);
      const proven = p.value === null ? 0n : balanceOfHolding(hexBytes(p.value), acct.height);
      const shown = BigInt(acct.balances[symbol] ?? 0);
      if (proven !== shown) throw new Error(`the proof shows ${proven}, the node said ${shown}`);
      out[symbol] = { ok: true, proven };
    } catch (err) {
      out[symbol] = { ok: false, why: err.message };
    }
  }
  return { root, results: out };
}

function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

function download(name, obj) {
  const text = JSON.stringify(obj, (k, v) => (typeof v === "bigint" ? v.toString() : v), 2);
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function accountView(address, el) {
  const acct = await must(`/v1/accounts/${address.split("/").map(enc).join("/")}?prove=true`);
  const { root, results } = await checkProofs(acct);
  const dec = await decimals();
  const balanceRows = Object.entries(acct.balances).map(([sym, bal]) => {
    const res = results[sym] || { ok: false, why: "no proof in the answer" };
    const p = acct.proofs[`balance:${sym}`];
    const cell = res.ok
      ? h("span", { class: "proof-ok", "data-proof": "verified" }, `verified against block ${acct.height}'s state root`)
      : h("span", { class: "proof-bad", "data-proof": "failed" }, `NOT verified: ${res.why}`);
    const btn = h("button", {
      type: "button", "aria-label": `Download the Merkle proof of the ${sym} balance`,
      onclick: () => download(`proof-${sym}-${acct.height}.json`, {
        account: acct.address, symbol: sym, balance: bal, height: acct.height, state_root: root, ...p,
      }),
    }, "Download proof");
    return [link("asset", sym), points(bal, dec.get(sym), sym), cell, btn];
  });
  const parts = [
    h("h2", { id: "detail-title" }, "Account"),
    h("p", {}, h("code", {}, acct.address)),
    facts([
      acct.custodian ? ["Custodian", link("account", acct.custodian)] : ["Nonce", `${acct.nonce} (next ${acct.next_nonce})`],
      ["Tier", acct.tier || "–"],
      ["As of", link("block", acct.height, `block ${acct.height}`)],
      ["State root", h("code", {}, acct.state_root)],
    ]),
    table("Balances (each proven by a Merkle proof checked in this page)", ["Point type", "Balance", "Proof", ""], balanceRows, "no points"),
  ];
  fill(el, parts);
  const extra = h("div", {}, h("p", {}, "Loading rights cards, sub-accounts and transactions…"));
  el.append(extra);
  const [cards, subs, txs] = await Promise.all([
    get(`/v1/cards?holder=${enc(acct.address)}`).catch(() => null),
    acct.custodian ? null : get(`/v1/explorer/accounts/${enc(acct.address)}/subaccounts`).catch(() => null),
    get(`/v1/explorer/accounts/${acct.address.split("/").map(enc).join("/")}/txs?blocks=2000`).catch(() => null),
  ]);
  const more = [];
  if (cards && cards.ok) {
    more.push(table("Rights cards", ["Issuer", "Card", "Class", "Attributes", "Mining pending", "Issued at"], cards.body.cards.map((c) => [
      link("account", c.issuer, short(c.issuer, 10)), String(c.card_id), String(c.class),
      Object.entries(c.attributes || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "–",
      Object.entries(c.mining_pending || {}).map(([k, v]) => `${k}: ${amount(v)}`).join(", ") || "–",
      link("block", c.issued_height),
    ]), "none"));
  }
  if (subs && subs.ok) {
    more.push(table("Custody sub-accounts holding points", ["Sub-account"], subs.body.subaccounts.map((s) => [link("account", s)]), "none"));
  }
  if (txs && txs.ok) {
    const b = txs.body;
    more.push(table(`Recent transactions (blocks ${b.from_height}–${b.to_height})`, ["Hash", "Block", "From", "Operations", "Result"],
      b.txs.map((t) => [h("code", {}, link("tx", t.hash, short(t.hash, 12))), link("block", t.height), link("account", t.from),
        t.ops.join(", "), t.code === "ok" ? h("span", { class: "ok" }, "ok") : h("span", { class: "bad" }, `code ${t.code}`)]), "none"));
  }
  fill(extra, more);
}

async function assetView(symbol, el) {
  const a = await must(`/v1/assets/${enc(symbol)}`);
  const holders = await get(`/v1/explorer/holders/${enc(symbol)}`).catch(() => null);
  const li = a.liability;
  fill(el,
    h("h2", { id: "detail-title" }, `Point type ${a.symbol}`),
    facts([
      ["Name", a.name],
      ["Issuer", link("account", a.issuer)],
      ["Supply (outstanding)", points(a.supply, a.decimals, a.symbol)],
      ["Cap", points(a.cap, a.decimals, a.symbol)],
      ["Holders", holders && holders.ok ? amount(holders.body.holders) : "–"],
      ["Decimals", String(a.decimals)],
      ["Rules", Array.isArray(a.rules) ? a.rules.join(", ") || "–" : String(a.rules)],
      ["Expiry", a.expiry_blocks ? `${a.expiry_blocks} blocks after issue` : "never"],
      ["Frozen", a.frozen || "no"],
      ["Liability", ["issued ", points(li.issued, a.decimals), ", redeemed ", points(li.redeemed, a.decimals),
        ", expired ", points(li.expired, a.decimals), ", clawed back ", points(li.clawed_back, a.decimals),
        li.currency ? ` (value of the outstanding points: ${units(li.outstanding_value_micros, 6)} ${li.currency})` : ""]],
    ]),
    h("div", { id: "issuance" }, h("p", {}, "Loading issuance over time…")));
  await issuanceChart(symbol, el.querySelector("#issuance"));
}

async function issuanceChart(symbol, box) {
  const status = await getBody("/v1/status");
  const top = status.height;
  const n = Math.min(12, top);
  const heights = [];
  for (let i = 0; i < n; i++) heights.push(Math.max(1, Math.round(top - (top - 1) * (n - 1 - i) / Math.max(1, n - 1))));
  const got = await Promise.all([...new Set(heights)].map((x) => get(`/v1/assets/${enc(symbol)}/liability?height=${x}`).then((r) => [x, r]).catch(() => [x, null])));
  const issued = [], outstanding = [];
  for (const [x, r] of got) {
    if (!r || !r.ok) continue;
    const l = r.body.liability || r.body;
    issued.push([x, Number(l.issued)]);
    outstanding.push([x, Number(l.outstanding)]);
  }
  if (!issued.length) { fill(box, h("p", { class: "empty" }, "No issuance history available.")); return; }
  fill(box, h("figure", {}, lineChart(`Issued and outstanding ${symbol} by height`, issued, issued[0][0], top, symbol, outstanding),
    h("figcaption", {}, `Issuance over time: issued (solid) and outstanding (dashed) ${symbol} from block ${issued[0][0]} to ${top}`)));
}

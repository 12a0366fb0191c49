// The overview panels: point types, governance proposals, mall listings and auctions,
// and the Ethereum bridge (shown only when the node's /v1/bridge says it is configured).

import { decimals, get } from "./api.js";
import { $, amount, facts, fill, h, link, points, short, table } from "./dom.js";
import { valueNode } from "./details.js";

function offline(el, what, err) {
  fill(el, h("p", { class: "offline" }, `Could not load ${what}: ${err.message}`));
}

export async function assetsPanel() {
  const el = $("#assets-body");
  try {
    const r = await get("/v1/assets");
    if (!r.ok) throw new Error(r.body.message);
    const assets = r.body.assets;
    const counts = await get("/v1/explorer/holders").catch(() => null);
    const holders = counts && counts.ok ? counts.body.holders : null;
    fill(el, table("Point types", ["Symbol", "Name", "Issuer", "Supply", "Cap", "Holders", "Rules"], assets.map((a) => [
      link("asset", a.symbol), a.name, link("account", a.issuer, short(a.issuer, 10)), points(a.supply, a.decimals), points(a.cap, a.decimals),
      holders ? amount(holders[a.symbol] ?? 0) : "–",
      Array.isArray(a.rules) ? a.rules.join(", ") : String(a.rules ?? ""),
    ]), "none issued yet"));
  } catch (err) {
    offline(el, "point types", err);
  }
}

export async function governancePanel() {
  const el = $("#governance-body");
  try {
    const [props, members] = await Promise.all([get("/v1/proposals?limit=100"), get("/v1/members")]);
    if (!props.ok) throw new Error(props.body.message);
    const list = props.body.proposals.slice().reverse();
    const parts = [];
    if (members.ok) parts.push(h("p", {}, `${members.body.members ? members.body.members.length : 0} members.`));
    parts.push(table("Proposals (newest first)", ["#", "Title", "Status", "Votes", "Deadline", "Action"], list.map((p) => [
      String(p.id), p.title, p.status,
      h("details", {}, h("summary", {}, `yes ${p.yes} / no ${p.no} (needs ${p.needed} of ${p.members})`),
        h("p", {}, "Yes: ", p.yes_voters.length ? valueNode(p.yes_voters) : "none"),
        h("p", {}, "No: ", p.no_voters.length ? valueNode(p.no_voters) : "none")),
      `block ${p.deadline}`, h("code", {}, p.action.op || "?"),
    ]), "no proposals yet"));
    fill(el, parts);
  } catch (err) {
    offline(el, "governance", err);
  }
}

export async function mallPanel() {
  const el = $("#mall-body");
  try {
    const [listings, auctions, dec] = await Promise.all([get("/v1/mall/listings"), get("/v1/explorer/auctions"), decimals()]);
    const parts = [];
    if (listings.ok) {
      parts.push(table("Listings", ["Item", "Supplier", "Price", "Stock", "Sold"], listings.body.listings.map((l) => [
        `${l.title} (${l.listing_id})`, link("account", l.supplier, short(l.supplier, 10)),
        [points(l.price, dec.get(l.symbol)), " ", link("asset", l.symbol)], amount(l.stock), amount(l.sold),
      ]), "nothing listed"));
    }
    if (auctions.ok) {
      parts.push(table("Auctions", ["Item", "Status", "Highest bid", "Next bid", "Bids", "Ends at"], auctions.body.auctions.map((a) => [
        `${a.title} (${a.auction_id})`, a.status,
        a.highest_bidder ? [points(a.highest_bid, dec.get(a.symbol), a.symbol), " by ", link("account", a.highest_bidder, short(a.highest_bidder, 8))] : ["reserve ", points(a.reserve, dec.get(a.symbol), a.symbol)],
        points(a.next_min_bid, dec.get(a.symbol), a.symbol), String(a.bids), link("block", a.end),
      ]), "no open auctions"));
    }
    fill(el, parts.length ? parts : h("p", { class: "empty" }, "This node does not serve the mall."));
  } catch (err) {
    offline(el, "the mall", err);
  }
}

// Bridge (/v1/bridge, docs/api.md "The Ethereum bridge", docs/bridge.md): deposits from
// Ethereum with their attestations, withdrawals to Ethereum with their signatures, and
// the supply invariant: tokens locked in the vault (in chain units) >= wrapped SCCTN
// outstanding here. The invariant needs Ethereum's side, so only a node running the
// bridge watcher checks it; /health's `bridge` carries that watcher's last reading. The
// chain's own counters cannot stand in for it: the chain mints floor(deposit / scale), so
// minted x scale <= deposited holds by construction and would never show a theft.
const RECENT = 10;

function depositRow(d, dec, symbol) {
  const rec = d.record || (d.attestations.find((a) => a.deposit) || {}).deposit || {};
  const seen = new Set(d.attestations.map((a) => a.validator)).size;
  const minted = d.status === "minted";
  return [
    String(d.nonce),
    rec.recipient ? link("account", rec.recipient, short(rec.recipient, 10)) : "–",
    rec.amount !== undefined ? `${amount(rec.amount)} token units` : "–",
    h("span", { class: minted ? "ok" : "warn", "data-deposit": d.nonce, "data-status": d.status, "data-attestations": seen },
      minted ? ["minted ", points(rec.minted, dec, symbol), ` (${seen} attestations)`] : `pending: ${seen} of ${d.quorum} attestations`),
    rec.eth_tx ? h("code", { title: rec.eth_tx }, short(rec.eth_tx, 10)) : "–",
  ];
}

function withdrawalRow(o, dec, symbol) {
  const w = o.withdrawal || {};
  const pct = o.total_power ? Math.round((100 * o.signed_power) / o.total_power) : 0;
  return [
    String(o.id),
    w.owner ? link("account", w.owner, short(w.owner, 10)) : "–",
    w.recipient ? h("code", { title: w.recipient }, short(w.recipient, 8)) : "–",
    w.amount !== undefined ? points(w.amount, dec, symbol) : "–",
    h("span", { class: o.quorum ? "ok" : "warn" },
      `${o.signatures.length} signatures, ${pct}% of power${o.quorum ? ": quorum, ready to relay" : ""}${w.expired ? " (expired)" : ""}`),
  ];
}

async function validatorNamesByKey() {
  const r = await get("/v1/explorer/validators").catch(() => null);
  return new Map(r && r.ok ? r.body.validators.map((v) => [v.public_key, v.name]) : []);
}

function validatorNames(keys, names) {
  if (!keys || !keys.length) return "none named";
  return keys.map((k) => h("code", { title: k }, names.get(k) || short(k, 8))).flatMap((el, i) => (i ? [", ", el] : [el]));
}

// The chain's halt (a disagreement between attestations, or a mint that failed): minting
// stops until governance resumes it, so the page says why, where and who.
function haltNotice(halt, names) {
  const more = halt.more_nonces && halt.more_nonces.length ? `; further disagreements at deposits ${halt.more_nonces.join(", ")}` : "";
  return h("div", { class: "offline", "data-bridge-halted": halt.nonce },
    h("p", {}, h("strong", { class: "bad" }, "Minting HALTED"), ` at deposit ${halt.nonce}: ${halt.reason}${more}.`),
    h("p", {}, "Validators involved: ", validatorNames(halt.validators, names),
      ". Nothing more is minted until governance resumes the bridge (bridge.resume)."));
}

function statusNode(b) {
  if (b.halted) return h("span", { class: "bad" }, `HALTED at deposit ${b.halted.nonce}: ${b.halted.reason}`);
  if (b.paused) return h("span", { class: "warn" }, "paused");
  return h("span", { class: "ok" }, "running");
}

function invariantNode(w) {
  if (w.invariant_ok === true) {
    return h("span", { class: "ok", "data-invariant": "ok" }, "holds: the vault's tokens cover the wrapped SCCTN outstanding");
  }
  if (w.invariant_ok === false) {
    return h("span", { class: "bad", "data-invariant": "broken" }, "BROKEN: less is locked in the vault than is outstanding here");
  }
  return h("span", { class: "warn", "data-invariant": "unchecked" }, "not checked yet: this node's watcher has not read the vault (only a validator's watcher does)");
}

// What this node's watcher last read (present only when the node runs one).
function watcherFacts(w, dec, symbol) {
  return h("div", { "data-bridge-watcher": "on" },
    h("h3", {}, "Supply invariant, as this node's watcher reads Ethereum"),
    facts([
      ["Invariant (locked ≥ outstanding)", invariantNode(w)],
      ["Locked in the vault (Ethereum)", w.locked === null || w.locked === undefined ? "not read yet" : [points(w.locked, dec, symbol), " (the vault's token balance in chain units)"]],
      ["Outstanding here (wrapped SCCTN)", w.minted === null || w.minted === undefined ? "not read yet" : points(w.minted, dec, symbol)],
      ["Last scanned Ethereum block", w.last_scanned_block >= 0 ? amount(w.last_scanned_block) : "none yet"],
      ["Watcher", [w.address ? h("code", {}, w.address) : "", w.registered === false ? " (bridge key not registered yet)" : ""]],
      w.halted ? ["Watcher halted", h("span", { class: "bad" }, `${w.halted} (no attestations or signatures from this node until it restarts)`)] : null,
      ["Attestation conflicts", h("span", { class: w.conflicts ? "bad" : "" }, String(w.conflicts ?? 0))],
      ["Last error", w.last_error ? h("span", { class: "warn" }, w.last_error) : "none"],
    ]));
}

function noWatcher() {
  return h("div", { "data-bridge-watcher": "off" },
    h("h3", {}, "Supply invariant"),
    h("p", { "data-invariant": "not-watched" },
      "This node does not watch Ethereum, so it does not check the invariant (tokens locked in the vault, in chain units, ≥ wrapped SCCTN outstanding). "
      + "Each validator's bridge watcher checks it every round: see the bridge section of that validator's /health, or scctn_bridge_invariant_ok on its /metrics."));
}

export async function bridgePanel() {
  const section = $("#bridge");
  const nav = $("#bridge-nav");
  let info, health;
  try {
    [info, health] = await Promise.all([get("/v1/bridge"), get("/health").catch(() => null)]);
  } catch {
    return;
  }
  const configured = Boolean(info.ok && info.body && info.body.configured);
  section.hidden = !configured;
  nav.hidden = !configured;
  if (!configured) return;
  const b = info.body;
  const cfg = b.config || {};
  const symbol = cfg.symbol || "";
  const dec = cfg.wrapped_decimals;
  const minted = BigInt(b.minted ?? 0);
  const withdrawn = BigInt(b.withdrawn ?? 0);
  const watcher = health && health.body && health.body.bridge && health.body.bridge.enabled ? health.body.bridge : null;
  const parts = [
    b.halted ? haltNotice(b.halted, await validatorNamesByKey()) : null,
    facts([
      ["Status", statusNode(b)],
      ["Ethereum chain", String(cfg.eth_chain_id ?? "–")],
      ["Vault", cfg.vault ? h("code", {}, cfg.vault) : "not set yet"],
      ["Wrapped point type", cfg.symbol ? link("asset", cfg.symbol) : "–"],
      ["Deposits minted (this chain's record)", `${amount(BigInt(b.deposited ?? 0))} token units`],
      ["Minted here", points(minted, dec, symbol)],
      ["Burned for withdrawals", points(withdrawn, dec, symbol)],
      ["Outstanding here", points(minted - withdrawn, dec, symbol)],
      ["Validators", `${b.validators}, quorum ${b.quorum}`],
    ]),
    watcher ? watcherFacts(watcher, dec, symbol) : noWatcher(),
  ];
  const next = Number(b.next_deposit_nonce ?? 1);
  const nonces = [];
  for (let n = next + 2; n >= Math.max(1, next - RECENT); n--) nonces.push(n);
  const got = await Promise.all(nonces.map((n) => get(`/v1/bridge/deposits/${n}`).catch(() => null)));
  const deposits = got.filter((r) => r && r.ok).map((r) => r.body);
  parts.push(table("Deposits (Ethereum to here), newest first", ["Nonce", "Recipient", "Amount", "Attestations", "Ethereum tx"], deposits.map((d) => depositRow(d, dec, symbol)), "none yet"));
  const from = Math.max(1, Number(b.next_withdrawal_id ?? 1) - RECENT);
  const out = await get(`/v1/bridge/outbox?kind=withdrawal&from=${from}&limit=${RECENT}`).catch(() => null);
  const items = out && out.ok && Array.isArray(out.body) ? out.body.slice().reverse() : [];
  parts.push(table("Withdrawals (here to Ethereum), newest first", ["Id", "Owner", "Ethereum recipient", "Amount", "Signatures"], items.map((o) => withdrawalRow(o, dec, symbol)), "none yet"));
  fill($("#bridge-body"), parts);
}

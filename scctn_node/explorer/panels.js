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

// Bridge (/v1/bridge, docs/api.md "The Ethereum bridge"): deposits from Ethereum with
// their attestations, withdrawals to Ethereum with their signatures, and the
// locked-versus-minted invariant: minted x scale never exceeds what was deposited.
const RECENT = 10;

function depositRow(d) {
  const rec = d.record || (d.attestations.find((a) => a.deposit) || {}).deposit || {};
  const seen = new Set(d.attestations.map((a) => a.validator)).size;
  return [
    String(d.nonce),
    rec.recipient ? link("account", rec.recipient, short(rec.recipient, 10)) : "–",
    rec.amount !== undefined ? `${amount(rec.amount)} token units` : "–",
    h("span", { class: d.status === "minted" ? "ok" : "warn" }, d.status === "minted"
      ? `minted ${amount(rec.minted)} (${seen} attestations)` : `pending: ${seen} of ${d.quorum} attestations`),
    rec.eth_tx ? h("code", { title: rec.eth_tx }, short(rec.eth_tx, 10)) : "–",
  ];
}

function withdrawalRow(o) {
  const w = o.withdrawal || {};
  const pct = o.total_power ? Math.round((100 * o.signed_power) / o.total_power) : 0;
  return [
    String(o.id),
    w.owner ? link("account", w.owner, short(w.owner, 10)) : "–",
    w.recipient ? h("code", { title: w.recipient }, short(w.recipient, 8)) : "–",
    w.amount !== undefined ? amount(w.amount) : "–",
    h("span", { class: o.quorum ? "ok" : "warn" },
      `${o.signatures.length} signatures, ${pct}% of power${o.quorum ? ": quorum, ready to relay" : ""}${w.expired ? " (expired)" : ""}`),
  ];
}

export async function bridgePanel() {
  const section = $("#bridge");
  const nav = $("#bridge-nav");
  let info;
  try {
    info = await get("/v1/bridge");
  } catch {
    return;
  }
  const configured = Boolean(info.ok && info.body && info.body.configured);
  section.hidden = !configured;
  nav.hidden = !configured;
  if (!configured) return;
  const b = info.body;
  const cfg = b.config || {};
  const scale = BigInt(cfg.scale ?? 1);
  const minted = BigInt(b.minted ?? 0);
  const withdrawn = BigInt(b.withdrawn ?? 0);
  const deposited = BigInt(b.deposited ?? 0);
  const holds = minted * scale <= deposited;
  const parts = [
    facts([
      ["Status", b.halted ? h("span", { class: "bad" }, `HALTED: ${b.halted.reason}`) : b.paused ? h("span", { class: "warn" }, "paused") : h("span", { class: "ok" }, "running")],
      ["Ethereum chain", String(cfg.eth_chain_id ?? "–")],
      ["Vault", cfg.vault ? h("code", {}, cfg.vault) : "not set yet"],
      ["Wrapped point type", cfg.symbol ? link("asset", cfg.symbol) : "–"],
      ["Locked (deposited into the vault)", `${amount(deposited)} token units`],
      ["Minted here", `${amount(minted)} ${cfg.symbol || ""} (= ${amount(minted * scale)} token units)`],
      ["Burned for withdrawals", `${amount(withdrawn)} ${cfg.symbol || ""}; outstanding ${amount(minted - withdrawn)}`],
      ["Invariant", h("span", { class: holds ? "ok" : "bad", "data-invariant": holds ? "ok" : "broken" },
        holds ? "holds: minted never exceeds what was locked" : "BROKEN: more minted than locked")],
      ["Validators", `${b.validators}, quorum ${b.quorum}`],
    ]),
  ];
  const next = Number(b.next_deposit_nonce ?? 1);
  const nonces = [];
  for (let n = next + 2; n >= Math.max(1, next - RECENT); n--) nonces.push(n);
  const got = await Promise.all(nonces.map((n) => get(`/v1/bridge/deposits/${n}`).catch(() => null)));
  const deposits = got.filter((r) => r && r.ok).map((r) => r.body);
  parts.push(table("Deposits (Ethereum to here), newest first", ["Nonce", "Recipient", "Amount", "Attestations", "Ethereum tx"], deposits.map(depositRow), "none yet"));
  const from = Math.max(1, Number(b.next_withdrawal_id ?? 1) - RECENT);
  const out = await get(`/v1/bridge/outbox?kind=withdrawal&from=${from}&limit=${RECENT}`).catch(() => null);
  const items = out && out.ok && Array.isArray(out.body) ? out.body.slice().reverse() : [];
  parts.push(table("Withdrawals (here to Ethereum), newest first", ["Id", "Owner", "Ethereum recipient", "Amount", "Signatures"], items.map(withdrawalRow), "none yet"));
  fill($("#bridge-body"), parts);
}

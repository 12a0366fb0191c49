// The overview panels: point types, governance proposals, mall listings and auctions,
// and the Ethereum bridge (shown only when the node's /v1/bridge says it is configured).

import { enc, get } from "./api.js";
import { $, amount, facts, fill, h, link, short, table } from "./dom.js";
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
    const holders = await Promise.all(assets.map((a) => get(`/v1/explorer/holders/${enc(a.symbol)}`).catch(() => null)));
    fill(el, table("Point types", ["Symbol", "Name", "Issuer", "Supply", "Cap", "Holders", "Rules"], assets.map((a, i) => [
      link("asset", a.symbol), a.name, link("account", a.issuer, short(a.issuer, 10)), amount(a.supply), amount(a.cap),
      holders[i] && holders[i].ok ? amount(holders[i].body.holders) : "–",
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
    const [listings, auctions] = await Promise.all([get("/v1/mall/listings"), get("/v1/explorer/auctions")]);
    const parts = [];
    if (listings.ok) {
      parts.push(table("Listings", ["Item", "Supplier", "Price", "Stock", "Sold"], listings.body.listings.map((l) => [
        `${l.title} (${l.listing_id})`, link("account", l.supplier, short(l.supplier, 10)),
        [amount(l.price), " ", link("asset", l.symbol)], amount(l.stock), amount(l.sold),
      ]), "nothing listed"));
    }
    if (auctions.ok) {
      parts.push(table("Auctions", ["Item", "Status", "Highest bid", "Next bid", "Bids", "Ends at"], auctions.body.auctions.map((a) => [
        `${a.title} (${a.auction_id})`, a.status,
        a.highest_bidder ? [amount(a.highest_bid), " ", a.symbol, " by ", link("account", a.highest_bidder, short(a.highest_bidder, 8))] : `reserve ${amount(a.reserve)} ${a.symbol}`,
        amount(a.next_min_bid), String(a.bids), link("block", a.end),
      ]), "no open auctions"));
    }
    fill(el, parts.length ? parts : h("p", { class: "empty" }, "This node does not serve the mall."));
  } catch (err) {
    offline(el, "the mall", err);
  }
}

// Bridge: a generic view of whatever /v1/bridge reports, deposits and withdrawals with
// their attestation / signature progress.
function scalarFacts(obj) {
  return facts(Object.entries(obj).filter(([, v]) => v === null || typeof v !== "object").map(([k, v]) => [k.replaceAll("_", " "), valueNode(v ?? "–")]));
}

function progress(item) {
  const have = item.attestations ?? item.signatures ?? item.votes;
  const need = item.needed ?? item.threshold ?? item.quorum;
  const n = Array.isArray(have) ? have.length : have;
  if (n === undefined || n === null) return item.status ?? "–";
  const text = need ? `${n} of ${need}` : String(n);
  return item.status ? `${item.status}: ${text}` : text;
}

function itemRows(items) {
  return items.map((d) => [
    String(d.nonce ?? d.n ?? d.id ?? "–"),
    valueNode(d.to ?? d.recipient ?? d.account ?? "–"),
    amount(d.amount ?? "–"),
    progress(d),
    d.eth_tx ? h("code", {}, short(d.eth_tx, 10)) : (d.tx_hash ? link("tx", d.tx_hash, short(d.tx_hash, 10)) : "–"),
  ]);
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
  const configured = info.ok && info.body && info.body.configured !== false;
  section.hidden = !configured;
  nav.hidden = !configured;
  if (!configured) return;
  const b = info.body;
  const parts = [scalarFacts(b)];
  const locked = b.locked ?? b.locked_on_ethereum;
  const minted = b.minted ?? b.wrapped_supply ?? b.supply;
  if (locked !== undefined && minted !== undefined) {
    const ok = BigInt(locked) >= BigInt(minted);
    parts.push(h("p", { "data-invariant": ok ? "ok" : "broken", class: ok ? "ok" : "bad" },
      `Locked on Ethereum ${amount(locked)} ${ok ? "≥" : "<"} minted here ${amount(minted)}${ok ? "" : ": the invariant is broken"}`));
  }
  const count = Number(b.deposits ?? b.deposit_count ?? b.next_deposit ?? b.last_deposit ?? 0);
  const deposits = [];
  if (count > 0) {
    const ns = [];
    for (let n = count; n > Math.max(0, count - 10); n--) ns.push(n);
    const got = await Promise.all(ns.map((n) => get(`/v1/bridge/deposits/${n}`).catch(() => null)));
    for (const r of got) if (r && r.ok) deposits.push(r.body);
  }
  parts.push(table("Deposits (Ethereum to here), newest first", ["#", "To", "Amount", "Attestations", "Tx"], itemRows(deposits), "none seen"));
  const out = await get("/v1/bridge/outbox?kind=withdrawal").catch(() => null);
  const items = out && out.ok ? (out.body.items ?? out.body.withdrawals ?? out.body.outbox ?? []) : [];
  parts.push(table("Withdrawals (here to Ethereum)", ["#", "To", "Amount", "Signatures", "Tx"], itemRows(items), "none queued"));
  fill($("#bridge-body"), parts);
}

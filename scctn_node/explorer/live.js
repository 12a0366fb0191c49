// The live chain: the latest blocks and transactions, filled from REST once and then from
// the WebSocket (/v1/ws) as the node commits; reconnects with backoff, backfilling gaps.

import { get, getBody } from "./api.js";
import { $, fill, h, link, short, table, timeText } from "./dom.js";

const KEEP_BLOCKS = 15;
const KEEP_TXS = 25;

export class LiveChain {
  constructor(names, onBlock, onConn) {
    this.blocks = [];   // newest first: {height, hash, time_ms, proposer, num_txs}
    this.txs = [];      // newest first: {hash, height, index, code, message, events}
    this.names = names; // () -> Map of validator public key hex -> name
    this.onBlock = onBlock;
    this.onConn = onConn;
    this.retry = 500;
    this.fresh = new Set();
  }

  async start() {
    await this.backfill();
    this.connect();
  }

  async backfill() {
    let status;
    try {
      status = await getBody("/v1/status");
    } catch (err) {
      this.render(err);
      return;
    }
    const top = status.height;
    const have = new Set(this.blocks.map((b) => b.height));
    const heights = [];
    for (let x = top; x > Math.max(0, top - KEEP_BLOCKS); x--) if (!have.has(x)) heights.push(x);
    // older blocks with transactions, from this node's commit history, for the tx list
    const recent = await get("/v1/explorer/commits?seconds=3600").catch(() => null);
    if (recent && recent.ok) {
      let txs = 0;
      for (const c of recent.body.commits.slice().reverse()) {
        if (txs >= KEEP_TXS) break;
        if (c.txs > 0 && !have.has(c.height) && !heights.includes(c.height)) heights.push(c.height);
        txs += c.txs;
      }
    }
    const got = await Promise.all(heights.map((x) => get(`/v1/blocks/${x}`).catch(() => null)));
    for (const r of got) if (r && r.ok) this.addBlock(r.body, r.body.receipts || [], false);
    this.render();
  }

  addBlock(b, receipts, fresh) {
    if (this.blocks.some((x) => x.height === b.height)) return;
    this.blocks.push({
      height: b.height, hash: b.hash, time_ms: b.header.time_ms,
      proposer: b.header.proposer, num_txs: b.num_txs,
    });
    this.blocks.sort((a, c) => c.height - a.height);
    this.blocks.length = Math.min(this.blocks.length, KEEP_BLOCKS);
    receipts.forEach((r, i) => this.addReceipt(b.height, i, r, fresh));
    if (fresh) this.fresh.add(`b${b.height}`);
  }

  addReceipt(height, index, r, fresh) {
    if (this.txs.some((t) => t.hash === r.tx_hash)) return;
    this.txs.push({ hash: r.tx_hash, height, index, code: r.code, message: r.message, events: r.events || [] });
    this.txs.sort((a, c) => c.height - a.height || c.index - a.index);
    this.txs.length = Math.min(this.txs.length, KEEP_TXS);
    if (fresh) this.fresh.add(`t${r.tx_hash}`);
  }

  connect() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/ws`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      this.onConn("down", `live updates unavailable: ${err.message}`);
      return;
    }
    ws.onopen = () => {
      this.retry = 500;
      this.onConn("live", "Live: connected to the node");
      this.backfill();
    };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (m.type === "block") {
        this.addBlock(m.block, [], true);
        this.onBlock(m.block);
      } else if (m.type === "receipt") {
        this.addReceipt(m.height, m.index, m.receipt, true);
      }
      this.scheduleRender();
    };
    ws.onclose = () => {
      this.onConn("down", `Disconnected from the node; retrying in ${Math.round(this.retry / 1000)} s`);
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 10000);
    };
  }

  scheduleRender() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  render(err) {
    const blocksEl = $("#blocks");
    const txsEl = $("#txs");
    if (err && !this.blocks.length) {
      const text = `The node's API is unreachable (${err.message}). This page retries on its own.`;
      fill(blocksEl, h("p", { class: "offline" }, text));
      fill(txsEl);
      return;
    }
    const names = this.names();
    const brow = (b) => [
      link("block", b.height), h("time", { datetime: new Date(b.time_ms).toISOString() }, timeText(b.time_ms)),
      names.get(b.proposer) || short(b.proposer, 8), String(b.num_txs), h("code", {}, short(b.hash, 8)),
    ];
    fill(blocksEl, table("Latest blocks", ["Height", "Time", "Proposer", "Txs", "Hash"], this.blocks.map(brow), "no blocks yet"));
    const bt = blocksEl.querySelectorAll("tbody tr");
    this.blocks.forEach((b, i) => { bt[i].dataset.height = b.height; if (this.fresh.has(`b${b.height}`)) bt[i].classList.add("fresh"); });
    const trow = (t) => [
      h("code", {}, link("tx", t.hash, short(t.hash, 12))), link("block", t.height),
      t.code === "ok" ? h("span", { class: "ok" }, "ok") : h("span", { class: "bad" }, `failed: ${t.message || t.code}`),
      t.events.map((e) => e.kind).join(", ") || "–",
    ];
    fill(txsEl, table("Latest transactions", ["Hash", "Block", "Result", "Events"], this.txs.map(trow), "no transactions in the recent blocks"));
    const tt = txsEl.querySelectorAll("tbody tr");
    this.txs.forEach((t, i) => { tt[i].dataset.tx = t.hash; if (this.fresh.has(`t${t.hash}`)) tt[i].classList.add("fresh"); });
    this.fresh.clear();
  }
}

// Network health for operators: /health (ok or stalled, with reasons), /v1/status, and the
// explorer's validator and commit views, polled every two seconds.

import { get } from "./api.js";
import { $, ago, fill, facts, h, link } from "./dom.js";
import { barChart, lineChart } from "./charts.js";

const QUIET_MS = 10_000;   // linked but silent this long: shown as quiet
const WINDOW_S = 300;      // charts cover the last five minutes
const BUCKET_S = 10;

export function validatorState(v) {
  if (v.self) return "up";
  if (v.linked === false) return "down";
  if (v.last_heard_ms === null || v.last_heard_ms === undefined || v.last_heard_ms > QUIET_MS) return "quiet";
  return "up";
}

const STATE_TEXT = { up: "up", down: "down (no link)", quiet: "quiet (linked, not heard lately)" };

export class Health {
  constructor() {
    this.keyNames = new Map();
  }

  names() { return this.keyNames; }

  async poll() {
    let health, status, vals, commits;
    try {
      [health, status, vals, commits] = await Promise.all([
        get("/health"), get("/v1/status"), get("/v1/explorer/validators"),
        get(`/v1/explorer/commits?seconds=${WINDOW_S}`),
      ]);
    } catch (err) {
      fill($("#health-body"), h("p", { class: "offline", "data-health": "unreachable" },
        `The node's API is unreachable: ${err.message}. The page keeps trying every few seconds; `
        + "what it showed last is below, if anything."));
      return false;
    }
    if (vals.ok) for (const v of vals.body.validators) this.keyNames.set(v.public_key, v.name);
    this.render(health.body, status.ok ? status.body : null, vals.ok ? vals.body : null, commits.ok ? commits.body : null);
    return true;
  }

  render(health, status, vals, commits) {
    // "ok", "stalled" (no blocks: 503) or "degraded" (blocks, but something is wrong)
    const stalled = health.status === "stalled";
    const degraded = !stalled && health.status !== "ok";
    const reasons = health.reasons || [];
    const cons = (status && status.consensus) || {};
    const vs = (vals && vals.validators) || [];
    const others = vs.filter((v) => !v.self);
    const linked = others.filter((v) => v.linked).length;
    const badge = h("span", { class: `badge ${stalled ? "bad" : degraded ? "warn" : "ok"}`, id: "health-status", "data-status": health.status },
      stalled ? "STALLED" : degraded ? String(health.status) : "healthy");
    const body = [
      h("p", {}, "Network: ", badge, " ", stalled ? "— no block committed recently." : "— blocks are being committed."),
      reasons.length ? h("div", { class: stalled ? "offline" : "" },
        h("p", {}, stalled ? "Why /health says it is stalled:" : `Why /health says ${degraded ? health.status : "there is something to look at"}:`),
        h("ul", { id: "health-reasons" }, reasons.map((r) => h("li", {}, r)))) : null,
      facts([
        ["Height", link("block", health.height)],
        ["Last commit", ago(health.last_commit_age_ms)],
        ["View", vals && vals.view !== null && vals.view !== undefined ? String(vals.view) : String(cons.view ?? "–")],
        ["Primary", (vals && vals.primary) || cons.primary || "–"],
        ["View changes (seen by this node)", String((vals && vals.view_changes) ?? cons.view_changes ?? 0)],
        vals && vals.view_change_in_progress ? ["View change", h("span", { class: "bad" }, "in progress")] : null,
        ["Epoch", String((vals && vals.epoch) ?? cons.epoch ?? "–")],
        ["Peers linked", others.length ? `${linked} of ${others.length} other validators` : "none needed (one validator)"],
        ["Mempool", `${health.mempool_size} pending transactions`],
        status ? ["Chain", `${status.chain_id}, ${status.validators} validators`] : null,
      ]),
      this.validatorsTable(vs, vals),
      this.charts(commits),
    ];
    fill($("#health-body"), body);
  }

  validatorsTable(vs, vals) {
    if (!vs.length) return h("p", { class: "empty" }, "Validator details are not available from this node.");
    const rows = vs.map((v) => {
      const state = validatorState(v);
      const role = [v.self ? "this node" : "", vals && vals.primary === v.name ? "primary" : ""].filter(Boolean).join(", ");
      const tr = h("tr", { "data-validator": v.name, "data-state": state },
        h("th", { scope: "row" }, v.name),
        h("td", {}, h("span", { class: `dot ${state}` }, STATE_TEXT[state])),
        h("td", {}, v.self ? "–" : ago(v.last_heard_ms)),
        h("td", {}, v.last_vote_height ? link("block", v.last_vote_height) : "none recent"),
        h("td", {}, role || "–"),
        h("td", {}, h("code", { title: v.public_key }, `${v.public_key.slice(0, 12)}…`)));
      return tr;
    });
    return h("div", { class: "scroll" }, h("table", { id: "validators" },
      h("caption", {}, "Validators (as this node sees them)"),
      h("thead", {}, h("tr", {}, ["Validator", "State", "Last heard", "Last commit vote", "Role", "Key"].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows)));
  }

  charts(commits) {
    if (!commits) return h("p", { class: "empty" }, "Commit history is not available from this node.");
    const now = commits.now_ms;
    // the last five minutes, or less while this node's history is shorter (a minute at least)
    const first = commits.commits.length ? commits.commits[0].time_ms : now;
    const spanS = Math.min(WINDOW_S, Math.max(60, Math.ceil((now - first) / 1000 / BUCKET_S + 1) * BUCKET_S));
    const x0 = now - spanS * 1000;
    const span = spanS >= 120 ? `${Math.round(spanS / 60)} minutes` : `${spanS} s`;
    const lat = commits.commits.filter((c) => c.latency_ms !== null && c.time_ms >= x0).map((c) => [c.time_ms, c.latency_ms]);
    const buckets = new Array(spanS / BUCKET_S).fill(0);
    for (const c of commits.commits) {
      const i = Math.floor((c.time_ms - x0) / (BUCKET_S * 1000));
      if (i >= 0 && i < buckets.length) buckets[i] += c.txs;
    }
    const avg = lat.length ? Math.round(lat.reduce((s, p) => s + p[1], 0) / lat.length) : null;
    const total = buckets.reduce((a, b) => a + b, 0);
    return h("div", { class: "charts" },
      h("figure", {}, lineChart(`Commit latency per block, last ${span}`, lat, x0, now, "ms"),
        h("figcaption", {}, `Commit latency (proposal to commit) per block, last ${span}${avg === null ? "" : `: average ${avg} ms`}`)),
      h("figure", {}, barChart(`Transactions committed per 10 seconds, last ${span}`, buckets, "tx"),
        h("figcaption", {}, `Throughput: transactions per 10 s, last ${span} (${total} in all, ${(total / spanS).toFixed(2)} tx/s)`)));
  }
}

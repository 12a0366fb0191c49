// The explorer page: wires the live chain, network health, search, detail views and the
// overview panels together. Routes live in the URL fragment (#/block/5, #/tx/<hash>,
// #/account/<scc1...>, #/asset/<SYMBOL>) so every view can be linked and reloaded.

import { $, fill } from "./dom.js";
import { LiveChain } from "./live.js";
import { Health } from "./health.js";
import { classify } from "./search.js";
import { showDetail } from "./details.js";
import { assetsPanel, bridgePanel, governancePanel, mallPanel } from "./panels.js";

const health = new Health();
const message = $("#message");

function say(kind, text) {
  if (!text) { message.hidden = true; fill(message); delete message.dataset.kind; return; }
  message.dataset.kind = kind;
  fill(message, text);
  message.hidden = false;
}

function setConn(state, text) {
  const el = $("#conn");
  el.dataset.state = state;
  fill(el, text);
}

async function route() {
  const m = /^#\/(block|tx|account|asset)\/(.+)$/.exec(location.hash);
  const detail = $("#detail");
  if (!m) {
    if (location.hash === "" || location.hash === "#/") { detail.hidden = true; fill(detail); }
    return;
  }
  say(null);
  await showDetail(m[1], decodeURIComponent(m[2]), detail, say);
  detail.focus({ preventScroll: true });
  detail.scrollIntoView({ block: "start" });
}

function onSearch(ev) {
  ev.preventDefault();
  const q = $("#q").value;
  const c = classify(q);
  if (c.kind === "malformed") {
    say("malformed", c.message);
    return;
  }
  say(null);
  const target = `#/${c.kind}/${encodeURIComponent(c.value)}`;
  if (location.hash === target) route();
  else location.hash = target;
}

let panelsDue = 0;
function refreshPanels() {
  panelsDue = Date.now() + 15_000;
  assetsPanel();
  governancePanel();
  mallPanel();
  bridgePanel();
}

async function healthLoop() {
  const up = await health.poll();
  if (!up) setConn("down", "The node's API is unreachable; retrying");
  setTimeout(healthLoop, 2000);
}

function start() {
  $("#search").addEventListener("submit", onSearch);
  window.addEventListener("hashchange", route);
  const live = new LiveChain(() => health.names(), (block) => {
    if (block.num_txs > 0 && Date.now() > panelsDue - 10_000) refreshPanels();
  }, setConn);
  healthLoop();
  live.start();
  refreshPanels();
  setInterval(() => { if (Date.now() > panelsDue) refreshPanels(); }, 5000);
  route();
}

start();

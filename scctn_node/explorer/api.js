// The node's public REST API, from the page's own origin. Integers beyond 2^53 stay exact
// (BigInt) thanks to JSON.parse's source text access.

export class Unreachable extends Error {}

function reviver(key, value, context) {
  if (typeof value === "number" && !Number.isSafeInteger(value) && context && /^-?\d+$/.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}

// -> {ok, status, body}; body is the JSON answer (errors are {code, message}).
// Throws Unreachable when the node does not answer at all.
export async function get(path, { timeoutMs = 8000 } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let resp;
  try {
    resp = await fetch(path, { signal: ctl.signal, headers: { Accept: "application/json" } });
  } catch (err) {
    throw new Unreachable(`the node's API did not answer (${err.name === "AbortError" ? "timeout" : err.message})`);
  } finally {
    clearTimeout(timer);
  }
  const text = await resp.text();
  let body;
  try {
    body = text ? JSON.parse(text, reviver) : null;
  } catch {
    body = { code: "not_json", message: text.slice(0, 200) };
  }
  return { ok: resp.ok, status: resp.status, body };
}

// The body of a 200 answer, or null for a 404; throws for other errors.
export async function getOrNull(path) {
  const r = await get(path);
  if (r.ok) return r.body;
  if (r.status === 404) return null;
  throw new ApiError(r.status, r.body);
}

export async function getBody(path) {
  const r = await get(path);
  if (!r.ok) throw new ApiError(r.status, r.body);
  return r.body;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "http_error";
  }
}

export const enc = encodeURIComponent;

// Decimals per point type (for showing base units as whole points), refreshed each minute.
let decimalsCache = { at: 0, map: new Map() };
export async function decimals() {
  if (Date.now() - decimalsCache.at < 60_000) return decimalsCache.map;
  try {
    const body = await getBody("/v1/assets");
    decimalsCache = { at: Date.now(), map: new Map(body.assets.map((a) => [a.symbol, a.decimals])) };
  } catch {
    // keep what we had: amounts then show in base units
  }
  return decimalsCache.map;
}

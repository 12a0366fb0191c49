// What a search box entry means: a block height, a transaction hash, an account or a
// point symbol; anything else is malformed (said so, never a blank page).

const HEX64 = /^(0x)?[0-9a-fA-F]{64}$/;
const SYMBOL = /^[A-Za-z][A-Za-z0-9]{1,11}$/;

// -> {kind: "block"|"tx"|"account"|"asset", value} or {kind: "malformed", message}
export function classify(input) {
  const q = String(input).trim();
  if (!q) return { kind: "malformed", message: "Type a block height, a transaction hash, an address or a point symbol." };
  if (/^\d+$/.test(q)) {
    if (q.length > 15) return { kind: "malformed", message: `“${q}” is too large to be a block height.` };
    return { kind: "block", value: String(Number(q)) };
  }
  if (HEX64.test(q)) return { kind: "tx", value: q.replace(/^0x/, "").toLowerCase() };
  if (/^scc1/i.test(q)) return { kind: "account", value: q };
  if (/^(0x)?[0-9a-fA-F]+$/.test(q) && /\d/.test(q) && q.length > 12) {
    return { kind: "malformed", message: `“${q}” looks like hex but is ${q.replace(/^0x/, "").length} digits long; a transaction hash has 64.` };
  }
  if (SYMBOL.test(q)) return { kind: "asset", value: q.toUpperCase() };
  return {
    kind: "malformed",
    message: `“${q}” is not a block height, a transaction hash (64 hex digits), an address (scc1…) or a point symbol (2-12 letters and digits).`,
  };
}

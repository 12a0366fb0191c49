// The two decoders the proof check needs: bech32m addresses (BIP-350) to bytes, so the
// page rebuilds the proven state key itself, and the msgpack of a balance (an integer or
// a list of [expiry height, amount] lots), so it knows which balance the proof shows.

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32M_CONST = 0x2bc830a3;

function polymod(values) {
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i];
  }
  return chk >>> 0;
}

// "scc1..." -> Uint8Array of the 20 address bytes, or null when it is not one.
export function decodeAddress(text, hrp = "scc") {
  const s = text.toLowerCase();
  const sep = s.lastIndexOf("1");
  if (s !== text && text.toUpperCase() !== text) return null;
  if (sep < 1 || s.slice(0, sep) !== hrp || s.length - sep < 7) return null;
  const data = [];
  for (const c of s.slice(sep + 1)) {
    const v = CHARSET.indexOf(c);
    if (v < 0) return null;
    data.push(v);
  }
  const expand = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31));
  if (polymod(expand.concat(data)) !== BECH32M_CONST) return null;
  let acc = 0, bits = 0;
  const out = [];
  for (const v of data.slice(0, -6)) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff); }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1))) return null;
  return out.length === 20 ? Uint8Array.from(out) : null;
}

// Account text ("scc1..." or "scc1.../user") -> its bytes, or null.
export function decodeAccount(text) {
  const slash = text.indexOf("/");
  const addr = decodeAddress(slash < 0 ? text : text.slice(0, slash));
  if (addr === null) return null;
  if (slash < 0) return addr;
  const user = new TextEncoder().encode(text.slice(slash + 1));
  const out = new Uint8Array(20 + user.length);
  out.set(addr);
  out.set(user, 20);
  return out;
}

// A msgpack value made of non-negative integers and arrays only; BigInt for integers.
export function decodeMsgpackInts(bytes) {
  let at = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  function need(n) { if (at + n > bytes.length) throw new Error("truncated msgpack"); }
  function item() {
    need(1);
    const b = bytes[at++];
    if (b <= 0x7f) return BigInt(b);
    if (b >= 0x90 && b <= 0x9f) return array(b & 0x0f);
    switch (b) {
      case 0xcc: need(1); return BigInt(bytes[at++]);
      case 0xcd: need(2); at += 2; return BigInt(view.getUint16(at - 2));
      case 0xce: need(4); at += 4; return BigInt(view.getUint32(at - 4));
      case 0xcf: need(8); at += 8; return view.getBigUint64(at - 8);
      case 0xdc: need(2); at += 2; return array(view.getUint16(at - 2));
      case 0xdd: need(4); at += 4; return array(view.getUint32(at - 4));
      default: throw new Error(`unexpected msgpack byte 0x${b.toString(16)}`);
    }
  }
  function array(n) { const out = []; for (let i = 0; i < n; i++) out.push(item()); return out; }
  const value = item();
  if (at !== bytes.length) throw new Error("trailing bytes after msgpack value");
  return value;
}

// Spendable balance of a stored holding at `height` (lots expiring at or below it are gone).
export function balanceOfHolding(bytes, height) {
  const v = decodeMsgpackInts(bytes);
  if (typeof v === "bigint") return v;
  let total = 0n;
  for (const [expiry, amount] of v) if (expiry === 0n || expiry > BigInt(height)) total += amount;
  return total;
}

// The state-proof verifier of scctn_node/storage/proof.py, line for line, in JavaScript.
// A proof is the walk from the root along key_path(key) to the first slot that is not a
// node; siblings[i] is the other child's hash at depth i (root first). It shows inclusion
// (the leaf has this key path and value hash) or absence (an empty slot, or a leaf with a
// different key path that shares the first len(siblings) bits). Trusts nothing but the root.

import { sha256 } from "./sha256.js";

const enc = new TextEncoder();
const TAG = {
  leaf: enc.encode("scctn/smt-leaf/v1"),
  node: enc.encode("scctn/smt-node/v1"),
  key: enc.encode("scctn/smt-key/v1"),
  value: enc.encode("scctn/smt-value/v1"),
};
const DIGEST_SIZE = 32;
const MAX_DEPTH = 8 * DIGEST_SIZE;
const ZERO = new Uint8Array(DIGEST_SIZE);
const HEX32 = /^[0-9a-f]{64}$/;

export class InvalidProof extends Error {}

export function fromHex(text) {
  if (typeof text !== "string" || text.length % 2 || !/^[0-9a-f]*$/.test(text)) {
    throw new InvalidProof("malformed proof: not lowercase hex");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// digest(tag, data) = SHA-256(len(tag) as one byte || tag || data)
export function digest(tag, data) {
  return sha256(concat(Uint8Array.of(tag.length), tag, data));
}

const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const keyPath = (key) => digest(TAG.key, key);
const valueHash = (value) => digest(TAG.value, value);
const leafHash = (path, vhash) => digest(TAG.leaf, concat(path, vhash));
const nodeHash = (left, right) => digest(TAG.node, concat(left, right));
const bitAt = (path, depth) => (path[depth >> 3] >> (7 - (depth & 7))) & 1;

function commonPrefixBits(a, b) {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ^ b[i];
    if (x) return i * 8 + Math.clz32(x) - 24;
  }
  return MAX_DEPTH;
}

function hex32(value, what) {
  if (typeof value !== "string" || !HEX32.test(value)) {
    throw new InvalidProof(`${what}: expected 64 lowercase hex digits`);
  }
  return fromHex(value);
}

// The API's JSON proof {leaf: {key_path, value_hash} | null, siblings: [hex, ...]}.
export function parseProof(obj) {
  if (!obj || typeof obj !== "object" || !("leaf" in obj) || !Array.isArray(obj.siblings)) {
    throw new InvalidProof("proof: expected an object with fields leaf and siblings");
  }
  if (obj.siblings.length > MAX_DEPTH) throw new InvalidProof("malformed proof: too many siblings");
  const leaf = obj.leaf === null ? null : {
    keyPath: hex32(obj.leaf.key_path, "proof leaf key path"),
    valueHash: hex32(obj.leaf.value_hash, "proof leaf value hash"),
  };
  return { leaf, siblings: obj.siblings.map((s) => hex32(s, "proof sibling")) };
}

// Throws InvalidProof unless `proof` shows key -> value (value null: absent) under root.
// All byte arguments are lowercase hex strings, as the API gives them.
export function verifyProof(rootHex, keyHex, valueHex, proofJson) {
  const root = hex32(rootHex, "root");
  const key = fromHex(keyHex);
  const value = valueHex === null ? null : fromHex(valueHex);
  const { leaf, siblings } = parseProof(proofJson);
  const path = keyPath(key);
  if (value !== null) {
    if (leaf === null || !equal(leaf.keyPath, path)) {
      throw new InvalidProof("the proof does not end at a leaf for this key");
    }
    if (!equal(leaf.valueHash, valueHash(value))) {
      throw new InvalidProof("the proof's leaf holds a different value");
    }
  } else if (leaf !== null) {
    if (equal(leaf.keyPath, path)) throw new InvalidProof("the proof shows the key present, not absent");
    if (commonPrefixBits(leaf.keyPath, path) < siblings.length) {
      throw new InvalidProof("the proof's leaf is not on this key's path");
    }
  }
  let current = leaf === null ? ZERO : leafHash(leaf.keyPath, leaf.valueHash);
  for (let depth = siblings.length - 1; depth >= 0; depth--) {
    current = bitAt(path, depth) ? nodeHash(siblings[depth], current) : nodeHash(current, siblings[depth]);
  }
  if (!equal(current, root)) throw new InvalidProof("the proof does not lead to the given root");
}

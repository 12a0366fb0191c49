"""The page's JavaScript (scctn_node/explorer/*.js) against the Python it reimplements,
run in Chromium: SHA-256 against hashlib, the state-proof verifier against
`scctn_node.storage.proof.verify_proof` on real proofs from a real state tree and on
tampered ones, bech32m addresses and stored holdings against the ledger's own decoding."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from playwright.sync_api import Page, Route

from primitives import codec
from primitives.keys import PrivateKey, format_address
from scctn_node.storage.kv import MemoryStore
from scctn_node.storage.proof import InvalidProof, Proof, verify_proof
from scctn_node.storage.smt import StateTree
from tests.browser.browser import EXPLORER_DIR
from vm import ledger

ORIGIN = "http://explorer.test"


def serve_explorer_files(page: Page) -> None:
    """The explorer's files at ORIGIN, and a blank page to import them from."""

    def handle(route: Route) -> None:
        name = route.request.url.removeprefix(ORIGIN + "/")
        if name == "blank.html":
            route.fulfill(body="<!doctype html><title>js tests</title>", content_type="text/html")
            return
        path = EXPLORER_DIR / name
        if "/" in name or not path.is_file():
            route.fulfill(status=404, body="not found")
            return
        route.fulfill(body=path.read_bytes(), content_type="text/javascript")

    page.route(ORIGIN + "/**", handle)
    page.goto(ORIGIN + "/blank.html")


def run_js(page: Page, module: str, function_body: str, arg: Any) -> Any:
    """Call `async (m, arg) => {function_body}` with the module `m` imported in the page."""
    return page.evaluate(
        f"async (arg) => {{ const m = await import('/{module}'); return (async (m, arg) => {{ {function_body} }})(m, arg); }}",
        arg,
    )


def python_verdict(root: bytes, key: bytes, value: bytes | None, proof_json: dict[str, Any]) -> str:
    try:
        verify_proof(root, key, value, Proof.from_json(proof_json))
    except InvalidProof as exc:
        return exc.message
    return "ok"


def real_tree(n: int) -> tuple[StateTree, bytes, dict[bytes, bytes]]:
    store = MemoryStore()
    tree = StateTree(store)
    rng = random.Random(7)
    state = {b"key-%d" % i: rng.randbytes(rng.randrange(1, 40)) for i in range(n)}
    batch = store.batch()
    root = tree.apply(state, batch)
    store.write(batch)
    tree.committed()
    return tree, root, state


def tampered(case: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """Ways to lie about one proof: another value, a flipped sibling, another root, a
    present key claimed absent, a dropped sibling, a leaf swapped in."""
    out = []
    if case["value"] is not None:
        out.append({**case, "value": case["value"] + "00"})
        out.append({**case, "value": None})
    else:
        out.append({**case, "value": "01"})
    proof = case["proof"]
    if proof["siblings"]:
        sib = list(proof["siblings"])
        i = rng.randrange(len(sib))
        flipped = format(int(sib[i][:2], 16) ^ 0x01, "02x") + sib[i][2:]
        out.append({**case, "proof": {**proof, "siblings": [*sib[:i], flipped, *sib[i + 1 :]]}})
        out.append({**case, "proof": {**proof, "siblings": sib[:-1]}})
    root = case["root"]
    out.append({**case, "root": root[:-2] + format(int(root[-2:], 16) ^ 0x80, "02x")})
    if proof["leaf"] is not None:
        leaf = {**proof["leaf"], "value_hash": "00" * 32}
        out.append({**case, "proof": {**proof, "leaf": leaf}})
    return out


def test_js_proof_verifier_agrees_with_python_on_real_and_tampered_proofs(page: Page) -> None:
    serve_explorer_files(page)
    tree, root, state = real_tree(300)
    rng = random.Random(11)
    cases = []
    for key in [*rng.sample(sorted(state), 12), b"absent-1", b"absent-2", b"key-99999"]:
        value = state.get(key)
        cases.append(
            {
                "root": root.hex(),
                "key": key.hex(),
                "value": None if value is None else value.hex(),
                "proof": tree.prove(key).to_json(),
            }
        )
    bad = [t for c in cases for t in tampered(c, rng)]
    js = run_js(
        page,
        "proof.js",
        """return arg.map((c) => {
             try { m.verifyProof(c.root, c.key, c.value, c.proof); return "ok"; }
             catch (e) { return e instanceof m.InvalidProof ? e.message : "crash: " + e; }
           });""",
        cases + bad,
    )
    want = [
        python_verdict(
            bytes.fromhex(c["root"]),
            bytes.fromhex(c["key"]),
            None if c["value"] is None else bytes.fromhex(c["value"]),
            c["proof"],
        )
        for c in cases + bad
    ]
    assert want[: len(cases)] == ["ok"] * len(cases)  # real proofs: inclusion and absence
    assert all(w != "ok" for w in want[len(cases) :])  # every tampered one is refused
    assert js == want  # the page's verdict and reason are Python's, case by case


def test_js_sha256_matches_hashlib(page: Page) -> None:
    serve_explorer_files(page)
    rng = random.Random(3)
    inputs = [b"", b"abc", *(rng.randbytes(n) for n in (55, 56, 63, 64, 65, 119, 120, 1000))]
    got = run_js(
        page,
        "proof.js",
        "const s = await import('/sha256.js'); return arg.map((x) => m.toHex(s.sha256(m.fromHex(x))));",
        [x.hex() for x in inputs],
    )
    assert got == [hashlib.sha256(x).hexdigest() for x in inputs]


def test_js_decodes_addresses_and_holdings_like_the_node(page: Page) -> None:
    serve_explorer_files(page)
    addresses = [PrivateKey(bytes([i]) * 32).address() for i in range(1, 6)]
    texts = [format_address(a) for a in addresses]
    broken = [
        texts[0][:-1] + ("q" if texts[0][-1] != "q" else "p"),
        "scc1",
        "bc1qqqqqq",
        texts[1].upper(),
    ]
    got = run_js(
        page,
        "codec.js",
        "return arg.map((t) => { const b = m.decodeAddress(t); return b === null ? null : Array.from(b); });",
        texts + broken,
    )
    assert got[: len(texts)] == [list(a) for a in addresses]
    assert got[len(texts) : len(texts) + 3] == [None, None, None]
    assert got[-1] == list(addresses[1])  # all upper case is valid bech32m
    holdings: list[tuple[Any, int]] = [
        (5, 10),
        (2**64 - 1, 10),
        ([[0, 77]], 10),
        ([[5, 1], [20, 2], [300, 4]], 19),
        ([[5, 1], [20, 2], [300, 4]], 20),
        ([[5, 1], [20, 2], [300, 4]], 400),
    ]
    got = run_js(
        page,
        "codec.js",
        "return arg.map(([hex, h]) => m.balanceOfHolding(Uint8Array.from(hex.match(/../g).map((x) => parseInt(x, 16))), h).toString());",
        [[codec.encode(v).hex(), h] for v, h in holdings],
    )
    want = [
        str(ledger.holdings_view(None, [("X", codec.encode(v))], h).get("X", 0))
        for v, h in holdings
    ]
    assert got == want

"""The EIP-712 `Mail` example (tests/vectors/eip712_mail.json, from the EIP) through the
generic typed-data encoder of primitives/eth.py: encodeType, typeHash, hashStruct, the
domain separator, the digest and the example's signature."""

import json
from pathlib import Path
from typing import Any

from primitives import eth

VECTOR = json.loads((Path(__file__).parent / "eip712_mail.json").read_text())


def _types() -> dict[str, tuple[tuple[str, str], ...]]:
    return {
        name: tuple((f["name"], f["type"]) for f in fields)
        for name, fields in VECTOR["types"].items()
    }


def _addresses(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _addresses(v) for k, v in obj.items()}
    if isinstance(obj, str) and obj.startswith("0x") and len(obj) == 42:
        return eth.parse_eth_address(obj)
    return obj


def _hex(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def test_mail_encoding() -> None:
    types, want = _types(), VECTOR["expected"]
    assert eth.encode_type(types, "Mail").decode() == want["encodeType"]
    assert eth.type_hash(types, "Mail") == _hex(want["typeHash"])
    message = _addresses(VECTOR["message"])
    assert eth.hash_struct(types, "Mail", message) == _hex(want["hashStruct"])
    domain = eth.hash_struct(types, "EIP712Domain", _addresses(VECTOR["domain"]))
    assert domain == _hex(want["domainSeparator"])
    digest = eth.typed_digest(domain, eth.hash_struct(types, "Mail", message))
    assert digest == _hex(want["digest"])


def test_mail_signature() -> None:
    want = VECTOR["expected"]
    key = eth.keccak256(b"cow")
    digest = _hex(want["digest"])
    sig = eth.sign(key, digest)
    assert sig == _hex(want["r"]) + _hex(want["s"]) + bytes((want["v"],))
    assert eth.to_checksum(eth.recover(digest, sig)) == want["signer"]

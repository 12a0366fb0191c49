"""primitives/eth.py: every bridge digest against eth_account's generic EIP-712 encoder on
random inputs, signature recovery (and its refusals), key binding, EIP-55 addresses."""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from primitives import eth

DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def _reference(chain_id: int, vault: bytes, message: eth.Message) -> tuple[bytes, bytes]:
    """(domain separator, digest) as eth_account computes them."""
    types: dict[str, Any] = {"EIP712Domain": DOMAIN_FIELDS}
    for name, fields in message.TYPES.items():
        types[name] = [{"name": n, "type": t} for n, t in fields]
    data = {
        k: (
            eth.to_checksum(v)
            if isinstance(v, bytes)
            else [eth.to_checksum(x) if isinstance(x, bytes) else x for x in v]
            if isinstance(v, list)
            else v
        )
        for k, v in message.fields().items()
    }
    signable = encode_typed_data(
        full_message={
            "types": types,
            "primaryType": message.PRIMARY,
            "domain": {
                "name": "SCCTN Bridge",
                "version": "1",
                "chainId": chain_id,
                "verifyingContract": eth.to_checksum(vault),
            },
            "message": data,
        }
    )
    header, body = bytes(signable.header), bytes(signable.body)
    return header, eth.keccak256(b"\x19\x01" + header + body)


def _u256(rng: random.Random) -> int:
    return rng.choice([0, 1, 2**256 - 1, rng.getrandbits(rng.choice([8, 64, 128, 256]))])


def _addr(rng: random.Random) -> bytes:
    return rng.randbytes(20)


def _messages(rng: random.Random) -> list[eth.Message]:
    n = rng.randint(1, 12)
    members = tuple(sorted({_addr(rng) for _ in range(n)}))
    return [
        eth.Withdrawal(_u256(rng), _addr(rng), _u256(rng), _u256(rng)),
        eth.Valset(_u256(rng), members, tuple(rng.randint(1, 2**64) for _ in members)),
        eth.VaultChange(
            _u256(rng),
            _u256(rng),
            _u256(rng),
            _u256(rng),
            _u256(rng),
            _addr(rng),
            rng.random() < 0.5,
        ),
    ]


@pytest.mark.parametrize("seed", range(40))
def test_digests_match_eth_account(seed: int) -> None:
    rng = random.Random(seed)
    chain_id = rng.choice([1, 31337, rng.getrandbits(64)])
    vault = _addr(rng)
    for message in _messages(rng):
        separator, digest = _reference(chain_id, vault, message)
        assert eth.domain_separator(chain_id, vault) == separator
        assert eth.message_digest(chain_id, vault, message) == digest


def test_digest_names_chain_and_vault() -> None:
    w = eth.Withdrawal(1, b"\x11" * 20, 10**18, 2_000_000_000)
    base = eth.message_digest(1, b"\x22" * 20, w)
    assert eth.message_digest(2, b"\x22" * 20, w) != base
    assert eth.message_digest(1, b"\x23" * 20, w) != base


def test_sign_and_recover_match_eth_account() -> None:
    rng = random.Random(7)
    for _ in range(10):
        key = rng.randbytes(32)
        digest = rng.randbytes(32)
        sig = eth.sign(key, digest)
        acct = Account.from_key(key)
        ref = Account.unsafe_sign_hash(digest, key)
        assert sig == bytes(ref.signature)
        assert eth.recover(digest, sig) == bytes.fromhex(acct.address[2:])
        assert eth.address_of_private_key(key) == bytes.fromhex(acct.address[2:])


def test_recover_refuses_malformed_signatures() -> None:
    key, digest = b"\x01" * 32, b"\x02" * 32
    sig = eth.sign(key, digest)
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    high_s = r + (eth.SECP256K1_N - s).to_bytes(32, "big") + bytes(((v ^ 1),))
    bad = {
        "short": sig[:64],
        "long": sig + b"\x00",
        "v=0": sig[:64] + b"\x00",
        "v=29": sig[:64] + b"\x1d",
        "r=0": bytes(32) + sig[32:],
        "s=0": r + bytes(32) + sig[64:],
        "r=n": eth.SECP256K1_N.to_bytes(32, "big") + sig[32:],
        "high s": high_s,
    }
    for name, candidate in bad.items():
        with pytest.raises(eth.InvalidSignature):
            eth.recover(digest, candidate)
            pytest.fail(name)
    with pytest.raises(eth.InvalidSignature):
        eth.recover(digest[:31], sig)


def test_recover_of_another_digest_is_another_address() -> None:
    key = b"\x05" * 32
    sig = eth.sign(key, b"\x01" * 32)
    assert eth.recover(b"\x02" * 32, sig) != eth.address_of_private_key(key)


def test_key_binding_digest_layout() -> None:
    pk, addr = b"\x07" * 32, b"\x09" * 20
    want = eth.keccak256(b"SCCTN bridge key binding\x00" + b"net-1" + b"\x00" + pk + addr)
    assert eth.key_binding_digest("net-1", pk, addr) == want
    assert eth.key_binding_digest("net-2", pk, addr) != want
    with pytest.raises(eth.EthError):
        eth.key_binding_digest("net-1", pk[:31], addr)


def test_checksum_addresses() -> None:
    # EIP-55's own examples
    for text in (
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ):
        raw = eth.parse_eth_address(text)
        assert eth.to_checksum(raw) == text
        assert eth.parse_eth_address(text.lower()) == raw
        assert eth.parse_eth_address("0x" + text[2:].upper()) == raw
    typo = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"
    for bad in (typo, "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x1234", "0x" + "g" * 40):
        with pytest.raises(eth.InvalidEthAddress):
            eth.parse_eth_address(bad)


def test_valset_check() -> None:
    a, b = b"\x01" * 20, b"\x02" * 20
    eth.Valset(1, (a, b), (1, 1)).check()
    for bad in (
        eth.Valset(1, (), ()),
        eth.Valset(1, (b, a), (1, 1)),
        eth.Valset(1, (a, a), (1, 1)),
        eth.Valset(1, (bytes(20), a), (1, 1)),
        eth.Valset(1, (a, b), (1, 0)),
        eth.Valset(1, (a, b), (1,)),
    ):
        with pytest.raises(eth.InvalidTypedData):
            bad.check()

"""Bridge signing helpers and Ethereum V3 keystore files."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from scctn_node.bridge.ethkeys import (
    EthKeyError,
    EthSigner,
    key_binding_digest,
    load_v3,
    read_password,
    recover_address,
    write_v3,
)

SECRET = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")


def test_sign_digest_matches_eth_account_and_recovers() -> None:
    signer = EthSigner.from_secret(SECRET)
    assert signer.address == Account.from_key(SECRET).address
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Withdrawal": [
                {"name": "id", "type": "uint256"},
                {"name": "recipient", "type": "address"},
                {"name": "amount", "type": "uint256"},
                {"name": "expiry", "type": "uint256"},
            ],
        },
        "primaryType": "Withdrawal",
        "domain": {
            "name": "SCCTN Bridge",
            "version": "1",
            "chainId": 31337,
            "verifyingContract": "0x" + "12" * 20,
        },
        "message": {"id": 1, "recipient": "0x" + "34" * 20, "amount": 5, "expiry": 99},
    }
    signable = encode_typed_data(full_message=typed)
    from eth_account.messages import _hash_eip191_message

    digest = _hash_eip191_message(signable)
    ours = signer.sign_digest(digest)
    theirs = Account.sign_message(signable, SECRET).signature
    assert ours == bytes(theirs)
    assert recover_address(digest, ours) == signer.address
    assert ours[64] in (27, 28)


def test_recover_refuses_high_s_and_bad_v() -> None:
    signer = EthSigner.from_secret(SECRET)
    digest = b"\x07" * 32
    sig = signer.sign_digest(digest)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = int.from_bytes(sig[32:64], "big")
    flipped = sig[:32] + (n - s).to_bytes(32, "big") + bytes((55 - sig[64],))
    assert recover_address(digest, flipped) is None
    assert recover_address(digest, sig[:64] + b"\x01") is None
    assert recover_address(digest, sig[:64]) is None


def test_key_binding_digest_layout() -> None:
    from eth_hash.auto import keccak

    d = key_binding_digest("c1", b"\x01" * 32, b"\x02" * 20)
    assert d == keccak(b"SCCTN bridge key binding\x00c1\x00" + b"\x01" * 32 + b"\x02" * 20)
    with pytest.raises(ValueError):
        key_binding_digest("c1", b"\x01" * 31, b"\x02" * 20)


def test_v3_round_trip_and_wrong_password(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    made = write_v3(path, "pw", SECRET, n=2**4)
    assert made.address == Account.from_key(SECRET).address
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_v3(path, "pw") == made
    with pytest.raises(EthKeyError) as caught:
        load_v3(path, "nope")
    assert caught.value.code == "wrong_password"
    with pytest.raises(EthKeyError) as caught:
        write_v3(path, "pw", n=2**4)
    assert caught.value.code == "key_exists"
    (tmp_path / "junk.json").write_text("{")
    with pytest.raises(EthKeyError):
        load_v3(tmp_path / "junk.json", "pw")


def test_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "pw"
    f.write_text("secret\n")
    monkeypatch.setenv("SCCTN_ETH_PASSWORD", "from-env")
    assert read_password(f) == "secret"
    assert read_password(None) == "from-env"
    monkeypatch.delenv("SCCTN_ETH_PASSWORD")
    with pytest.raises(EthKeyError):
        read_password(None, prompt=False)

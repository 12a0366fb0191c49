"""The encrypted keystore: round trips, tamper detection, names, files on disk, hostile input."""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from primitives.keys import PrivateKey, address_of, format_address
from scctn_node.keystore import (
    InvalidKeyFile,
    InvalidKeyName,
    InvalidSeed,
    KeyExists,
    KeyInfo,
    KeyNotFound,
    Keystore,
    KeystoreError,
    PassphraseFileError,
    WrongPassphrase,
    passphrase_from_env_or_file,
)

PASS = "correct horse battery staple"
SEED = bytes(range(32))


@pytest.fixture
def ks(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "keys")


def key_doc(ks: Keystore, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((ks.directory / f"{name}.json").read_text())
    return doc


def write_doc(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc))
    return path


def flip_hex(text: str, index: int = 0) -> str:
    raw = bytearray(bytes.fromhex(text))
    raw[index] ^= 0x01
    return raw.hex()


# --- round trips -----------------------------------------------------------------


def test_create_then_load_gives_the_same_key(ks: Keystore) -> None:
    info = ks.create("alice", PASS, seed=SEED, fast=True)
    expected = PrivateKey(SEED)
    assert info == KeyInfo(
        "alice", "ed25519", expected.public.raw.hex(), format_address(expected.address())
    )
    loaded = ks.load("alice", PASS)
    assert loaded.seed == SEED
    assert loaded.public.raw == expected.public.raw


def test_create_without_seed_makes_a_fresh_random_key(ks: Keystore) -> None:
    a = ks.create("a", PASS, fast=True)
    b = ks.create("b", PASS, fast=True)
    assert a.public_key != b.public_key
    assert ks.load("a", PASS).public.raw.hex() == a.public_key


def test_file_layout_matches_the_documented_format(ks: Keystore) -> None:
    ks.create("alice", PASS, seed=SEED, fast=True)
    doc = key_doc(ks, "alice")
    assert list(doc) == [
        "version",
        "name",
        "type",
        "public_key",
        "address",
        "kdf",
        "cipher",
        "ciphertext",
    ]
    assert doc["version"] == 1 and doc["name"] == "alice" and doc["type"] == "ed25519"
    assert doc["kdf"]["name"] == "scrypt"
    assert (doc["kdf"]["n"], doc["kdf"]["r"], doc["kdf"]["p"]) == (2**12, 8, 1)
    assert len(bytes.fromhex(doc["kdf"]["salt"])) == 32
    assert doc["cipher"]["name"] == "chacha20-poly1305"
    assert len(bytes.fromhex(doc["cipher"]["nonce"])) == 12
    assert len(bytes.fromhex(doc["ciphertext"])) == 32 + 16
    assert SEED.hex() not in json.dumps(doc)


def test_default_kdf_cost_is_n_2_15(ks: Keystore) -> None:
    ks.create("slow", PASS, seed=SEED)
    kdf = key_doc(ks, "slow")["kdf"]
    assert (kdf["n"], kdf["r"], kdf["p"]) == (2**15, 8, 1)
    assert ks.load("slow", PASS).seed == SEED


def test_same_seed_twice_gives_different_salt_nonce_and_ciphertext(ks: Keystore) -> None:
    ks.create("one", PASS, seed=SEED, fast=True)
    ks.create("two", PASS, seed=SEED, fast=True)
    one, two = key_doc(ks, "one"), key_doc(ks, "two")
    assert one["kdf"]["salt"] != two["kdf"]["salt"]
    assert one["cipher"]["nonce"] != two["cipher"]["nonce"]
    assert one["ciphertext"] != two["ciphertext"]


def test_export_then_import_file_round_trip(ks: Keystore, tmp_path: Path) -> None:
    info = ks.create("alice", PASS, seed=SEED, fast=True)
    backup = tmp_path / "alice-backup.json"
    backup.write_text(ks.export("alice"))
    other = Keystore(tmp_path / "other")
    assert other.import_file(backup, PASS) == info
    assert other.load("alice", PASS).seed == SEED
    assert other.export("alice") == ks.export("alice")


def test_export_seed_then_import_seed_round_trip(ks: Keystore, tmp_path: Path) -> None:
    info = ks.create("alice", PASS, seed=SEED, fast=True)
    seed_hex = ks.export_seed("alice", PASS)
    assert seed_hex == SEED.hex()
    other = Keystore(tmp_path / "other")
    assert other.import_seed("alice", "  " + seed_hex.upper() + "\n", "new pass", fast=True) == info
    assert other.load("alice", "new pass").seed == SEED
    with pytest.raises(WrongPassphrase):
        other.load("alice", PASS)


def test_passphrase_is_unicode_normalised(ks: Keystore) -> None:
    composed = "caf\u00e9"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    ks.create("k", composed, seed=SEED, fast=True)
    assert ks.load("k", decomposed).seed == SEED


def seal_by_hand(seed: bytes, public: PrivateKey, name: str = "hand") -> dict[str, Any]:
    """A key file built from the description in docs/keys.md, not from the keystore's code."""
    kdf = {"name": "scrypt", "n": 2**12, "r": 8, "p": 1, "salt": "5a" * 16}
    header = {
        "version": 1,
        "name": name,
        "type": "ed25519",
        "public_key": public.public.raw.hex(),
        "address": format_address(public.address()),
        "kdf": kdf,
        "cipher": {"name": "chacha20-poly1305"},
    }
    aad = (
        b"scctn-keystore-v1\n" + json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    )
    key = Scrypt(salt=b"\x5a" * 16, length=32, n=2**12, r=8, p=1).derive(PASS.encode())
    nonce = b"\x07" * 12
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, seed, aad)
    return {
        **{k: v for k, v in header.items() if k != "cipher"},
        "cipher": {"name": "chacha20-poly1305", "nonce": nonce.hex()},
        "ciphertext": ciphertext.hex(),
    }


def test_a_file_written_from_the_documentation_imports(ks: Keystore, tmp_path: Path) -> None:
    key = PrivateKey(SEED)
    path = write_doc(tmp_path / "hand.json", seal_by_hand(SEED, key))
    assert ks.import_file(path, PASS).public_key == key.public.raw.hex()
    assert ks.load("hand", PASS).seed == SEED


def test_a_seed_that_does_not_match_its_public_key_is_refused(ks: Keystore, tmp_path: Path) -> None:
    path = write_doc(tmp_path / "hand.json", seal_by_hand(SEED, PrivateKey(b"\x09" * 32)))
    with pytest.raises(InvalidKeyFile, match="decrypts to"):
        ks.import_file(path, PASS)
    assert ks.list() == []


# --- wrong passphrase and tampering -------------------------------------------------


def test_wrong_passphrase(ks: Keystore) -> None:
    ks.create("alice", PASS, seed=SEED, fast=True)
    with pytest.raises(WrongPassphrase) as caught:
        ks.load("alice", PASS + "!")
    assert caught.value.code == "wrong_passphrase"
    assert "alice" in caught.value.message
    with pytest.raises(WrongPassphrase):
        ks.export_seed("alice", "")


def _tamper_ciphertext(doc: dict[str, Any]) -> None:
    doc["ciphertext"] = flip_hex(doc["ciphertext"], 5)


def _tamper_tag(doc: dict[str, Any]) -> None:
    doc["ciphertext"] = flip_hex(doc["ciphertext"], 47)


def _tamper_nonce(doc: dict[str, Any]) -> None:
    doc["cipher"]["nonce"] = flip_hex(doc["cipher"]["nonce"])


def _tamper_salt(doc: dict[str, Any]) -> None:
    doc["kdf"]["salt"] = flip_hex(doc["kdf"]["salt"])


def _tamper_public_key_and_address(doc: dict[str, Any]) -> None:
    # Consistent with each other, so only the AEAD's associated data can catch it.
    other = PrivateKey(b"\x09" * 32)
    doc["public_key"] = other.public.raw.hex()
    doc["address"] = format_address(other.address())


def _tamper_kdf_n(doc: dict[str, Any]) -> None:
    doc["kdf"]["n"] = 2**13


@pytest.mark.parametrize(
    "tamper",
    [
        _tamper_ciphertext,
        _tamper_tag,
        _tamper_nonce,
        _tamper_salt,
        _tamper_public_key_and_address,
        _tamper_kdf_n,
    ],
)
def test_tampering_that_parses_is_caught_by_the_aead(ks: Keystore, tamper: Any) -> None:
    ks.create("alice", PASS, seed=SEED, fast=True)
    doc = key_doc(ks, "alice")
    tamper(doc)
    write_doc(ks.directory / "alice.json", doc)
    with pytest.raises(WrongPassphrase):
        ks.load("alice", PASS)


def test_renamed_key_is_caught_by_the_aead(ks: Keystore, tmp_path: Path) -> None:
    # The name is associated data: a file renamed inside and imported elsewhere fails.
    ks.create("alice", PASS, seed=SEED, fast=True)
    doc = key_doc(ks, "alice")
    doc["name"] = "mallory"
    path = write_doc(tmp_path / "renamed.json", doc)
    other = Keystore(tmp_path / "other")
    with pytest.raises(WrongPassphrase):
        other.import_file(path, PASS)
    assert other.list() == []


def test_public_key_flip_alone_is_caught_before_decrypting(ks: Keystore) -> None:
    ks.create("alice", PASS, seed=SEED, fast=True)
    doc = key_doc(ks, "alice")
    doc["public_key"] = flip_hex(doc["public_key"])
    write_doc(ks.directory / "alice.json", doc)
    # The address no longer matches: even `show`, which has no passphrase, refuses it.
    with pytest.raises(InvalidKeyFile, match="address"):
        ks.show("alice")
    with pytest.raises(InvalidKeyFile):
        ks.load("alice", PASS)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("name", "mallory", "holds the key named"),
        ("address", format_address(address_of(b"\x01" * 32)), "address"),
        ("type", "rsa", "unsupported key type"),
        ("version", 2, "version"),
        ("version", True, "version"),
        ("ciphertext", "00" * 47, "ciphertext"),
        ("public_key", "AB" * 32, "lowercase hex"),
    ],
)
def test_header_edits_make_the_file_invalid(
    ks: Keystore, field: str, value: Any, reason: str
) -> None:
    ks.create("alice", PASS, seed=SEED, fast=True)
    doc = key_doc(ks, "alice")
    doc[field] = value
    write_doc(ks.directory / "alice.json", doc)
    with pytest.raises(InvalidKeyFile, match=reason) as caught:
        ks.load("alice", PASS)
    assert caught.value.code == "invalid_key_file"


@pytest.mark.parametrize(
    "kdf_edit",
    [
        {"n": 2**30},
        {"n": 3000},
        {"r": 0},
        {"p": 10**6},
        {"n": 2**20, "r": 8},
        {"n": 2**18, "r": 16},  # 512 MiB of memory though within the work limit
        {"salt": "00" * 8},
        {"name": "pbkdf2"},
        {"extra": 1},
    ],
)
def test_kdf_parameters_outside_the_limits_are_refused(ks: Keystore, kdf_edit: Any) -> None:
    ks.create("alice", PASS, seed=SEED, fast=True)
    doc = key_doc(ks, "alice")
    doc["kdf"].update(kdf_edit)
    write_doc(ks.directory / "alice.json", doc)
    with pytest.raises(InvalidKeyFile):
        ks.load("alice", PASS)


# --- names, duplicates, missing keys --------------------------------------------------


def test_duplicate_name_is_refused_and_the_first_key_kept(ks: Keystore) -> None:
    ks.create("alice", PASS, seed=SEED, fast=True)
    before = (ks.directory / "alice.json").read_bytes()
    with pytest.raises(KeyExists) as caught:
        ks.create("alice", PASS, fast=True)
    assert caught.value.code == "key_exists"
    with pytest.raises(KeyExists):
        ks.import_seed("alice", "11" * 32, PASS, fast=True)
    assert (ks.directory / "alice.json").read_bytes() == before


def test_import_file_refuses_an_existing_name(ks: Keystore, tmp_path: Path) -> None:
    ks.create("alice", PASS, seed=SEED, fast=True)
    backup = tmp_path / "backup.json"
    backup.write_text(ks.export("alice"))
    with pytest.raises(KeyExists):
        ks.import_file(backup, PASS)


@pytest.mark.parametrize(
    "name",
    ["../x", "", "a" * 65, "a/b", "..", ".", ".hidden", "x\n", "sp ace", "é", "a\x00b", 7],
)
def test_invalid_names_are_refused_everywhere(ks: Keystore, name: Any) -> None:
    with pytest.raises(InvalidKeyName) as caught:
        ks.create(name, PASS, fast=True)
    assert caught.value.code == "invalid_key_name"
    with pytest.raises(InvalidKeyName):
        ks.import_seed(name, SEED.hex(), PASS, fast=True)
    with pytest.raises(InvalidKeyName):
        ks.show(name)
    with pytest.raises(InvalidKeyName):
        ks.load(name, PASS)
    with pytest.raises(InvalidKeyName):
        ks.export(name)
    assert not ks.directory.exists()
    assert not (ks.directory.parent / "x.json").exists()


def test_longest_and_punctuated_names_are_accepted(ks: Keystore) -> None:
    for name in ["a" * 64, "validator-1.bridge_key", "A.B-C_9"]:
        ks.create(name, PASS, fast=True)
        assert ks.show(name).name == name


def test_missing_key(ks: Keystore) -> None:
    with pytest.raises(KeyNotFound) as caught:
        ks.show("nobody")
    assert caught.value.code == "key_not_found"
    ks.create("alice", PASS, fast=True)
    for call in (
        lambda: ks.load("nobody", PASS),
        lambda: ks.export("nobody"),
        lambda: ks.export_seed("nobody", PASS),
    ):
        with pytest.raises(KeyNotFound):
            call()


@pytest.mark.parametrize("seed", [b"short", bytes(33), bytearray(32)])
def test_bad_seed_bytes(ks: Keystore, seed: Any) -> None:
    with pytest.raises(InvalidSeed) as caught:
        ks.create("k", PASS, seed=seed, fast=True)
    assert caught.value.code == "invalid_seed"
    assert not (ks.directory / "k.json").exists()


@pytest.mark.parametrize("seed_hex", ["", "zz" * 32, "00" * 31, "00" * 33, "0x" + "00" * 32])
def test_bad_seed_hex(ks: Keystore, seed_hex: str) -> None:
    with pytest.raises(InvalidSeed):
        ks.import_seed("k", seed_hex, PASS, fast=True)


# --- listing ----------------------------------------------------------------------


def test_list_is_sorted_and_needs_no_passphrase(ks: Keystore) -> None:
    assert ks.list() == []
    infos = {name: ks.create(name, f"pass-{name}", fast=True) for name in ["carol", "alice", "bob"]}
    # Unrelated files are ignored; an unreadable key file is not silently hidden.
    (ks.directory / "notes.txt").write_text("hello")
    (ks.directory / "bad name.json").write_text("{}")
    assert ks.list() == [infos["alice"], infos["bob"], infos["carol"]]
    assert ks.show("bob") == infos["bob"]
    (ks.directory / "broken.json").write_text("{")
    with pytest.raises(InvalidKeyFile, match="broken"):
        ks.list()


# --- files on disk ------------------------------------------------------------------


def test_file_and_directory_permissions(tmp_path: Path) -> None:
    # A umask that would leave the owner without write access: modes must be set, not hoped.
    old = os.umask(0o277)
    try:
        ks = Keystore(tmp_path / "keys")
        ks.create("alice", PASS, fast=True)
        ks.import_seed("bob", SEED.hex(), PASS, fast=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(ks.directory.stat().st_mode) == 0o700
    for name in ("alice", "bob"):
        assert stat.S_IMODE((ks.directory / f"{name}.json").stat().st_mode) == 0o600
    assert sorted(os.listdir(ks.directory)) == ["alice.json", "bob.json"]


def test_writes_without_hard_links_still_refuse_to_overwrite(
    ks: Keystore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: Any, dst: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    info = ks.create("alice", PASS, seed=SEED, fast=True)
    assert ks.show("alice") == info
    with pytest.raises(KeyExists):
        ks.create("alice", PASS, fast=True)
    assert ks.load("alice", PASS).seed == SEED
    assert os.listdir(ks.directory) == ["alice.json"]


def test_a_failed_write_leaves_no_file(ks: Keystore, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        ks.create("alice", PASS, fast=True)
    monkeypatch.undo()
    assert os.listdir(ks.directory) == []
    ks.create("alice", PASS, fast=True)  # nothing half-written blocks the retry


# --- hostile input to import_file ---------------------------------------------------


@cache
def valid_export() -> str:
    with tempfile.TemporaryDirectory() as directory:
        ks = Keystore(Path(directory))
        ks.create("alice", PASS, seed=SEED, fast=True)
        return ks.export("alice")


def import_text(text: str | bytes) -> KeyInfo:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "in.json"
        path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        return Keystore(Path(directory) / "keys").import_file(path, PASS)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_given_to_import_file_is_a_keystore_error(value: Any) -> None:
    with pytest.raises(KeystoreError):
        import_text(json.dumps(value))


FIELD_PATHS = [
    *[(f,) for f in ("version", "name", "type", "public_key", "address", "kdf", "cipher")],
    ("ciphertext",),
    *[("kdf", f) for f in ("name", "n", "r", "p", "salt")],
    *[("cipher", f) for f in ("name", "nonce")],
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(FIELD_PATHS),
    st.sampled_from(["delete", "replace", "add"]),
    json_values,
)
def test_mutated_key_files_give_a_keystore_error_or_the_same_key(
    path: tuple[str, ...], action: str, value: Any
) -> None:
    doc = json.loads(valid_export())
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    if action == "delete":
        del parent[path[-1]]
    elif action == "replace":
        parent[path[-1]] = value
    else:
        parent["extra"] = value
    try:
        info = import_text(json.dumps(doc))
    except KeystoreError:
        return
    # Only a mutation that changed nothing may succeed.
    assert doc == json.loads(valid_export())
    assert info.public_key == PrivateKey(SEED).public.raw.hex()


def test_every_truncation_of_a_key_file_is_invalid() -> None:
    text = valid_export().rstrip()
    for end in range(len(text)):
        with pytest.raises(InvalidKeyFile):
            import_text(text[:end])


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe\x00garbage",
        b"[" * 60_000,  # deep nesting under the size limit: RecursionError inside json
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
        b'{"version": 1, "version": 1}',
        b'{"version": NaN}',
        b"1" * 5000,
        b" " * (65 * 1024) + b"{}",
    ],
)
def test_non_json_and_oversized_input_is_invalid(data: bytes) -> None:
    with pytest.raises(InvalidKeyFile):
        import_text(data)


def test_import_of_a_missing_file(ks: Keystore, tmp_path: Path) -> None:
    with pytest.raises(InvalidKeyFile, match="cannot read"):
        ks.import_file(tmp_path / "nope.json", PASS)


def test_import_file_with_the_wrong_passphrase_stores_nothing(ks: Keystore, tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text(valid_export())
    with pytest.raises(WrongPassphrase):
        ks.import_file(path, "not it")
    assert ks.list() == []


# --- passphrase sourcing ------------------------------------------------------------


def test_passphrase_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCCTN_PASSPHRASE", "from env\n")
    assert passphrase_from_env_or_file() == "from env\n"
    monkeypatch.delenv("SCCTN_PASSPHRASE")
    assert passphrase_from_env_or_file() is None
    monkeypatch.setenv("OTHER_VAR", "other")
    assert passphrase_from_env_or_file("OTHER_VAR") == "other"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"secret\n", "secret"),
        (b"secret\r\n", "secret"),
        (b"secret\n\n", "secret\n"),
        (b"secret", "secret"),
        (b" two words \n", " two words "),
        (b"", ""),
    ],
)
def test_passphrase_file_strips_one_trailing_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, expected: str
) -> None:
    monkeypatch.setenv("SCCTN_PASSPHRASE", "from env")
    path = tmp_path / "pass.txt"
    path.write_bytes(content)
    assert passphrase_from_env_or_file(file=path) == expected


def test_unreadable_passphrase_file(tmp_path: Path) -> None:
    with pytest.raises(PassphraseFileError) as caught:
        passphrase_from_env_or_file(file=tmp_path / "missing")
    assert caught.value.code == "passphrase_file_unreadable"
    bad = tmp_path / "latin1"
    bad.write_bytes(b"caf\xe9\n")
    with pytest.raises(PassphraseFileError, match="UTF-8"):
        passphrase_from_env_or_file(file=bad)


# --- secp256k1 (bridge keys) ---------------------------------------------------------

SECP_SECRET = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
# eth_account's documented example key and its address
SECP_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"


def test_secp256k1_key_round_trip_gives_the_ethereum_address(ks: Keystore) -> None:
    info = ks.create("bridge", PASS, seed=SECP_SECRET, fast=True, key_type="secp256k1")
    assert info.type == "secp256k1"
    assert info.address == SECP_ADDRESS
    assert len(bytes.fromhex(info.public_key)) == 33
    assert ks.load_secp256k1("bridge", PASS) == SECP_SECRET
    assert ks.show("bridge") == info
    from eth_account import Account

    assert Account.from_key(SECP_SECRET).address == info.address


def test_secp256k1_and_ed25519_loaders_refuse_the_other_type(ks: Keystore) -> None:
    from scctn_node.keystore import WrongKeyType

    ks.create("bridge", PASS, seed=SECP_SECRET, fast=True, key_type="secp256k1")
    ks.create("ed", PASS, seed=SEED, fast=True)
    with pytest.raises(WrongKeyType):
        ks.load("bridge", PASS)
    with pytest.raises(WrongKeyType):
        ks.load_secp256k1("ed", PASS)


@pytest.mark.parametrize(
    "secret",
    [bytes(32), bytes.fromhex("ff" * 32), b"\x01" * 31],
)
def test_secp256k1_invalid_secrets_are_refused(ks: Keystore, secret: bytes) -> None:
    with pytest.raises(InvalidSeed):
        ks.create("bad", PASS, seed=secret, fast=True, key_type="secp256k1")
    assert not (ks.directory / "bad.json").exists()


def test_secp256k1_import_seed_and_export_round_trip(ks: Keystore, tmp_path: Path) -> None:
    info = ks.import_seed("b", SECP_SECRET.hex(), PASS, fast=True, key_type="secp256k1")
    other = Keystore(tmp_path / "other")
    path = tmp_path / "b.json"
    path.write_text(ks.export("b"))
    assert other.import_file(path, PASS) == info
    assert other.load_secp256k1("b", PASS) == SECP_SECRET


def test_secp256k1_file_with_a_public_key_off_the_curve_is_invalid(
    ks: Keystore, tmp_path: Path
) -> None:
    ks.create("b", PASS, seed=SECP_SECRET, fast=True, key_type="secp256k1")
    doc = key_doc(ks, "b")
    doc["public_key"] = "05" + "00" * 32
    bad = write_doc(tmp_path / "x.json", doc)
    with pytest.raises(InvalidKeyFile):
        Keystore(tmp_path / "o").import_file(bad, PASS)

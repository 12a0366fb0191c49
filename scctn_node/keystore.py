"""The node's encrypted keystore: one passphrase-encrypted JSON file per key.

A key file holds the key's secret (for Ed25519, its 32-byte seed; for secp256k1, the
Ethereum bridge keys, its 32-byte secret scalar) sealed with
ChaCha20-Poly1305 under a key derived from a passphrase by scrypt. Everything else in
the file (version, name, key type, public key, address, KDF parameters, cipher name) is
the AEAD's associated data, so changing any of it makes the file fail to open. The file
format is documented in docs/keys.md.

Invariants:
- A key file on disk is complete or absent: it is written to a temporary file in the
  same directory, fsynced, then linked into place; a crash never leaves half a file.
- A key is never overwritten: writing a name that exists raises `KeyExists`.
- Key files are mode 0600 and the keystore directory, when this module creates it,
  mode 0700.
- Reading a file validates all of it before anything is used; malformed input of any
  kind raises a `KeystoreError` subclass, never another exception.
- `list` and `show` read only the public header; only `load`, `export_seed` and
  `import_file` derive a key and touch the secret.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coincurve
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from eth_hash.auto import keccak

from primitives.eth import to_checksum
from primitives.keys import SEED_SIZE, PrivateKey, address_of, format_address

FORMAT_VERSION = 1
PASSPHRASE_ENV_VAR = "SCCTN_PASSPHRASE"

KDF_NAME = "scrypt"
CIPHER_NAME = "chacha20-poly1305"
# Costs of new keys. FAST is for tests and throwaway localnet demo accounts only: it
# makes a passphrase guess about eight times cheaper for an attacker holding the file.
DEFAULT_SCRYPT_N = 2**15
FAST_SCRYPT_N = 2**12
SCRYPT_R = 8
SCRYPT_P = 1
SALT_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
DERIVED_KEY_SIZE = 32

# Bounds on parameters read from a file, so that a hostile or corrupt file cannot make
# scrypt allocate gigabytes or run for minutes. They leave 16x headroom over defaults.
MIN_SALT_SIZE = 16
MAX_SALT_SIZE = 64
MAX_SCRYPT_N = 2**20
MAX_SCRYPT_R = 32
MAX_SCRYPT_P = 16
MAX_SCRYPT_MEMORY = 2**28  # bytes: scrypt uses about 128 * n * r
MAX_SCRYPT_WORK = 2**22  # n * r * p; the default is 2**18
MAX_FILE_SIZE = 64 * 1024

KEY_FILE_SUFFIX = ".json"
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*")
_SEED_HEX_RE = re.compile(r"[0-9a-fA-F]{64}")
# Prefixed to the associated data so it can never be mistaken for another signed or
# encrypted structure of ours.
_AAD_TAG = b"scctn-keystore-v1\n"

_TOP_FIELDS = (
    "version",
    "name",
    "type",
    "public_key",
    "address",
    "kdf",
    "cipher",
    "ciphertext",
)
_KDF_FIELDS = ("name", "n", "r", "p", "salt")
_CIPHER_FIELDS = ("name", "nonce")


class KeystoreError(Exception):
    """Root of every keystore error. `code` is stable; `message` is one sentence."""

    code = "keystore_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KeyNotFound(KeystoreError):
    """No key of that name in the keystore."""

    code = "key_not_found"


class KeyExists(KeystoreError):
    """A key of that name already exists; keys are never overwritten."""

    code = "key_exists"


class WrongPassphrase(KeystoreError):
    """The AEAD did not open: a wrong passphrase, or an altered file (they look the same)."""

    code = "wrong_passphrase"


class InvalidKeyFile(KeystoreError):
    """A key file that is unreadable, malformed, inconsistent or of an unsupported version."""

    code = "invalid_key_file"


class InvalidKeyName(KeystoreError):
    """A key name outside `[A-Za-z0-9_.-]{1,64}` or starting with a dot."""

    code = "invalid_key_name"


class InvalidSeed(KeystoreError):
    """Seed material of the wrong length or form, given by the caller."""

    code = "invalid_seed"


class WrongKeyType(KeystoreError):
    """The key exists but is of another type than the caller needs."""

    code = "wrong_key_type"


class PassphraseFileError(KeystoreError):
    """A passphrase file that cannot be read or is not UTF-8."""

    code = "passphrase_file_unreadable"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """The public facts about a stored key: what `list` and `show` return."""

    name: str
    type: str
    public_key: str  # hex
    address: str


@dataclass(frozen=True, slots=True)
class _KeyType:
    """How one key type maps a secret to its public key and address.

    `public_of` and `address_of` raise ValueError on a secret or public key that is not
    a valid point or scalar of the type (only secp256k1 has such values).
    """

    secret_size: int
    public_key_size: int
    public_of: Callable[[bytes], bytes]
    address_of: Callable[[bytes], str]


def _ed25519_public(seed: bytes) -> bytes:
    return PrivateKey(seed).public.raw


def _ed25519_address(public_key: bytes) -> str:
    return format_address(address_of(public_key))


def _secp256k1_public(secret: bytes) -> bytes:
    # coincurve refuses 0 and scalars >= the group order with ValueError
    return bytes(coincurve.PrivateKey(secret).public_key.format(compressed=True))


def eth_address_of_public(public_key: bytes) -> str:
    """The EIP-55 checksummed Ethereum address of a secp256k1 public key (33 or 65 bytes)."""
    point = coincurve.PublicKey(public_key).format(compressed=False)
    return to_checksum(keccak(point[1:])[-20:])


_KEY_TYPES: dict[str, _KeyType] = {
    "ed25519": _KeyType(SEED_SIZE, 32, _ed25519_public, _ed25519_address),
    # bridge keys: the address is the Ethereum 0x address the vault knows the key by
    "secp256k1": _KeyType(32, 33, _secp256k1_public, eth_address_of_public),
}
KEY_TYPES = tuple(_KEY_TYPES)


@dataclass(frozen=True, slots=True)
class _Kdf:
    n: int
    r: int
    p: int
    salt: bytes


@dataclass(frozen=True, slots=True)
class _Record:
    """A key file, validated: every field present, well-formed and consistent."""

    name: str
    type: str
    public_key: bytes
    address: str
    kdf: _Kdf
    nonce: bytes
    ciphertext: bytes

    def info(self) -> KeyInfo:
        return KeyInfo(self.name, self.type, self.public_key.hex(), self.address)

    def to_json(self) -> str:
        doc = {
            "version": FORMAT_VERSION,
            "name": self.name,
            "type": self.type,
            "public_key": self.public_key.hex(),
            "address": self.address,
            "kdf": _kdf_json(self.kdf),
            "cipher": {"name": CIPHER_NAME, "nonce": self.nonce.hex()},
            "ciphertext": self.ciphertext.hex(),
        }
        return json.dumps(doc, indent=2) + "\n"


def _kdf_json(kdf: _Kdf) -> dict[str, Any]:
    return {"name": KDF_NAME, "n": kdf.n, "r": kdf.r, "p": kdf.p, "salt": kdf.salt.hex()}


def _associated_data(name: str, key_type: str, public_key: bytes, address: str, kdf: _Kdf) -> bytes:
    """The header bytes the AEAD authenticates: sorted compact JSON after a domain tag."""
    header = {
        "version": FORMAT_VERSION,
        "name": name,
        "type": key_type,
        "public_key": public_key.hex(),
        "address": address,
        "kdf": _kdf_json(kdf),
        "cipher": {"name": CIPHER_NAME},
    }
    return _AAD_TAG + json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")


def _passphrase_bytes(passphrase: str) -> bytes:
    # NFC so that the same passphrase typed on different systems gives the same bytes;
    # surrogatepass so that any str (e.g. from a non-UTF-8 environment) encodes.
    if not isinstance(passphrase, str):
        raise TypeError("a passphrase is a str")
    return unicodedata.normalize("NFC", passphrase).encode("utf-8", "surrogatepass")


def _derive_key(passphrase: str, kdf: _Kdf) -> bytes:
    scrypt = Scrypt(salt=kdf.salt, length=DERIVED_KEY_SIZE, n=kdf.n, r=kdf.r, p=kdf.p)
    return scrypt.derive(_passphrase_bytes(passphrase))


def _seal(name: str, key_type: str, secret: bytes, passphrase: str, *, fast: bool) -> _Record:
    spec = _KEY_TYPES[key_type]
    public_key = spec.public_of(secret)
    address = spec.address_of(public_key)
    n = FAST_SCRYPT_N if fast else DEFAULT_SCRYPT_N
    kdf = _Kdf(n, SCRYPT_R, SCRYPT_P, os.urandom(SALT_SIZE))
    nonce = os.urandom(NONCE_SIZE)
    aad = _associated_data(name, key_type, public_key, address, kdf)
    ciphertext = ChaCha20Poly1305(_derive_key(passphrase, kdf)).encrypt(nonce, secret, aad)
    return _Record(name, key_type, public_key, address, kdf, nonce, ciphertext)


def _open(record: _Record, passphrase: str) -> bytes:
    """The record's secret; WrongPassphrase if the AEAD does not open."""
    aad = _associated_data(record.name, record.type, record.public_key, record.address, record.kdf)
    cipher = ChaCha20Poly1305(_derive_key(passphrase, record.kdf))
    try:
        secret = cipher.decrypt(record.nonce, record.ciphertext, aad)
    except InvalidTag:
        raise WrongPassphrase(
            f"wrong passphrase for key {record.name!r}, or its key file was altered"
        ) from None
    try:
        public_key = _KEY_TYPES[record.type].public_of(secret)
    except ValueError:
        public_key = b""
    if public_key != record.public_key:
        # Only someone who knew the passphrase could have sealed this: a broken writer.
        raise InvalidKeyFile(f"key {record.name!r} decrypts to a key other than its public key")
    return secret


# --- parsing ---------------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise InvalidKeyFile(f"key file repeats the field {key!r}")
        doc[key] = value
    return doc


def _reject_constant(token: str) -> Any:
    raise InvalidKeyFile(f"key file holds the non-JSON number {token}")


def _fields(obj: Any, expected: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise InvalidKeyFile(f"{where} is not a JSON object")
    missing = [k for k in expected if k not in obj]
    if missing:
        raise InvalidKeyFile(f"{where} lacks the field {missing[0]!r}")
    extra = sorted(k for k in obj if k not in expected)
    if extra:
        raise InvalidKeyFile(f"{where} has the unknown field {extra[0]!r}")
    return obj


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidKeyFile(f"{what} is not a string")
    return value


def _int(value: Any, what: str, low: int, high: int) -> int:
    # `type is int`: JSON true must not pass for 1.
    if type(value) is not int or not low <= value <= high:
        raise InvalidKeyFile(f"{what} is not an integer from {low} to {high}")
    return value


def _hex(value: Any, what: str, low: int, high: int) -> bytes:
    """Lowercase hex of `low` to `high` bytes; the one spelling our writer produces."""
    if not isinstance(value, str) or not _HEX_RE.fullmatch(value):
        raise InvalidKeyFile(f"{what} is not lowercase hex")
    raw = bytes.fromhex(value)
    if not low <= len(raw) <= high:
        size = str(low) if low == high else f"{low} to {high}"
        raise InvalidKeyFile(f"{what} is {len(raw)} bytes, expected {size}")
    return raw


def _parse_kdf(obj: Any) -> _Kdf:
    doc = _fields(obj, _KDF_FIELDS, "kdf")
    if doc["name"] != KDF_NAME:
        raise InvalidKeyFile(f"unsupported KDF {doc['name']!r}, expected {KDF_NAME!r}")
    n = _int(doc["n"], "kdf.n", 2, MAX_SCRYPT_N)
    if n & (n - 1):
        raise InvalidKeyFile("kdf.n is not a power of two")
    r = _int(doc["r"], "kdf.r", 1, MAX_SCRYPT_R)
    p = _int(doc["p"], "kdf.p", 1, MAX_SCRYPT_P)
    if 128 * n * r > MAX_SCRYPT_MEMORY or n * r * p > MAX_SCRYPT_WORK:
        raise InvalidKeyFile("kdf parameters exceed the keystore's cost limits")
    salt = _hex(doc["salt"], "kdf.salt", MIN_SALT_SIZE, MAX_SALT_SIZE)
    return _Kdf(n, r, p, salt)


def _parse_nonce(obj: Any) -> bytes:
    doc = _fields(obj, _CIPHER_FIELDS, "cipher")
    if doc["name"] != CIPHER_NAME:
        raise InvalidKeyFile(f"unsupported cipher {doc['name']!r}, expected {CIPHER_NAME!r}")
    return _hex(doc["nonce"], "cipher.nonce", NONCE_SIZE, NONCE_SIZE)


def _load_json(data: bytes) -> Any:
    if len(data) > MAX_FILE_SIZE:
        raise InvalidKeyFile(f"key file is larger than {MAX_FILE_SIZE} bytes")
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidKeyFile(f"key file is not valid UTF-8 JSON ({type(exc).__name__})") from None


def _parse_record(data: bytes) -> _Record:
    """A validated record from a key file's bytes, or InvalidKeyFile saying what is wrong."""
    doc = _load_json(data)
    if not isinstance(doc, dict):
        raise InvalidKeyFile("key file is not a JSON object")
    version = doc.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise InvalidKeyFile(f"unsupported key file version {version!r}, expected {FORMAT_VERSION}")
    _fields(doc, _TOP_FIELDS, "key file")
    name = _str(doc["name"], "name")
    if not _valid_name(name):
        raise InvalidKeyFile(f"key file holds the invalid key name {name!r}")
    key_type = _str(doc["type"], "type")
    spec = _KEY_TYPES.get(key_type)
    if spec is None:
        raise InvalidKeyFile(f"unsupported key type {key_type!r}")
    size = spec.public_key_size
    public_key = _hex(doc["public_key"], "public_key", size, size)
    address = _str(doc["address"], "address")
    try:
        derived = spec.address_of(public_key)
    except ValueError:
        raise InvalidKeyFile(f"public key of {name!r} is not a valid {key_type} point") from None
    if address != derived:
        raise InvalidKeyFile(f"address of key {name!r} does not match its public key")
    kdf = _parse_kdf(doc["kdf"])
    nonce = _parse_nonce(doc["cipher"])
    size = spec.secret_size + TAG_SIZE
    ciphertext = _hex(doc["ciphertext"], "ciphertext", size, size)
    return _Record(name, key_type, public_key, address, kdf, nonce, ciphertext)


def _valid_name(name: object) -> bool:
    # Leading dots are refused too: no hidden files, no "." or "..", no clash with the
    # temporary files this module writes.
    return isinstance(name, str) and bool(_NAME_RE.fullmatch(name)) and not name.startswith(".")


def _check_name(name: object) -> str:
    if isinstance(name, str) and _valid_name(name):
        return name
    raise InvalidKeyName(
        f"invalid key name {name!r}: use 1 to 64 of A-Z a-z 0-9 _ . - , not starting with a dot"
    )


def _parse_seed_hex(seed_hex: str) -> bytes:
    text = seed_hex.strip() if isinstance(seed_hex, str) else ""
    if not _SEED_HEX_RE.fullmatch(text):
        raise InvalidSeed(f"a seed is {SEED_SIZE} bytes written as {2 * SEED_SIZE} hex digits")
    return bytes.fromhex(text)


def _check_type(key_type: str) -> _KeyType:
    spec = _KEY_TYPES.get(key_type)
    if spec is None:
        raise InvalidSeed(f"unknown key type {key_type!r}; known: {', '.join(_KEY_TYPES)}")
    return spec


# --- the keystore ----------------------------------------------------------------


class Keystore:
    """A directory of key files, `<name>.json`, one per key."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def create(
        self,
        name: str,
        passphrase: str,
        *,
        seed: bytes | None = None,
        fast: bool = False,
        key_type: str = "ed25519",
    ) -> KeyInfo:
        """Store a new key of `key_type` (random unless `seed` is given) under `name`.

        For secp256k1 the seed is the 32-byte secret scalar (1 to n-1).
        `fast=True` uses a cheap KDF (n=2**12): for tests and throwaway demo keys only.
        """
        spec = _check_type(key_type)
        path = self._path(name)
        if seed is None:
            seed = _random_secret(spec)
        elif type(seed) is not bytes or len(seed) != spec.secret_size:
            raise InvalidSeed(f"a {key_type} seed is {spec.secret_size} bytes")
        try:
            spec.public_of(seed)
        except ValueError:
            raise InvalidSeed(f"not a valid {key_type} secret (zero or above the order)") from None
        if path.exists():  # fail before paying for the KDF; _write re-checks atomically
            raise KeyExists(f"a key named {name!r} already exists")
        record = _seal(name, key_type, seed, passphrase, fast=fast)
        self._write(path, record)
        return record.info()

    def import_seed(
        self,
        name: str,
        seed_hex: str,
        passphrase: str,
        *,
        fast: bool = False,
        key_type: str = "ed25519",
    ) -> KeyInfo:
        """Store the key whose 32-byte seed (secret) is `seed_hex` (64 hex digits)."""
        self._path(name)
        return self.create(
            name, passphrase, seed=_parse_seed_hex(seed_hex), fast=fast, key_type=key_type
        )

    def import_file(self, path: str | os.PathLike[str], passphrase: str) -> KeyInfo:
        """Store an exported key file under the name it holds, after checking it opens."""
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_FILE_SIZE + 1)
        except OSError as exc:
            raise InvalidKeyFile(
                f"cannot read key file {os.fspath(path)!r}: {exc.strerror}"
            ) from None
        record = _parse_record(data)
        target = self._path(record.name)
        if target.exists():
            raise KeyExists(f"a key named {record.name!r} already exists")
        _open(record, passphrase)
        self._write(target, record)
        return record.info()

    def list(self) -> list[KeyInfo]:
        """Every key, sorted by name. Reads only public headers; needs no passphrase."""
        if not self.directory.is_dir():
            return []
        names = sorted(
            entry.name[: -len(KEY_FILE_SUFFIX)]
            for entry in os.scandir(self.directory)
            if entry.name.endswith(KEY_FILE_SUFFIX)
            and _valid_name(entry.name[: -len(KEY_FILE_SUFFIX)])
        )
        return [self.show(name) for name in names]

    def show(self, name: str) -> KeyInfo:
        return self._read(name).info()

    def load(self, name: str, passphrase: str) -> PrivateKey:
        """The Ed25519 key `name`; WrongKeyType for a key of another type."""
        record = self._read(name)
        if record.type != "ed25519":
            raise WrongKeyType(f"key {name!r} is a {record.type} key, not an Ed25519 key")
        return PrivateKey(_open(record, passphrase))

    def load_secp256k1(self, name: str, passphrase: str) -> bytes:
        """The 32-byte secret of the secp256k1 (bridge) key `name`."""
        record = self._read(name)
        if record.type != "secp256k1":
            raise WrongKeyType(f"key {name!r} is a {record.type} key, not a secp256k1 key")
        return _open(record, passphrase)

    def export(self, name: str) -> str:
        """The key's encrypted file as JSON text: safe to back up, useless without the passphrase."""
        return self._read(name).to_json()

    def export_seed(self, name: str, passphrase: str) -> str:
        """The key's secret seed in plain hex. Whoever sees it owns the key."""
        return _open(self._read(name), passphrase).hex()

    # --- files ---

    def _path(self, name: str) -> Path:
        return self.directory / (_check_name(name) + KEY_FILE_SUFFIX)

    def _read(self, name: str) -> _Record:
        path = self._path(name)
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_FILE_SIZE + 1)
        except FileNotFoundError:
            raise KeyNotFound(f"no key named {name!r} in {self.directory}") from None
        except OSError as exc:
            raise InvalidKeyFile(f"cannot read key file {str(path)!r}: {exc.strerror}") from None
        try:
            record = _parse_record(data)
        except InvalidKeyFile as exc:
            raise InvalidKeyFile(f"key file {path.name!r}: {exc.message}") from None
        if record.name != name:
            raise InvalidKeyFile(f"key file {path.name!r} holds the key named {record.name!r}")
        return record

    def _ensure_directory(self) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.directory, 0o700)  # the umask may have taken bits away

    def _write(self, path: Path, record: _Record) -> None:
        """Write `path` whole or not at all, and never over an existing file."""
        self._ensure_directory()
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o600)
                f.write(record.to_json().encode("ascii"))
                f.flush()
                os.fsync(f.fileno())
            _place(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        _fsync_directory(self.directory)


def _random_secret(spec: _KeyType) -> bytes:
    while True:  # a secp256k1 draw is outside [1, n-1] with probability ~2**-128
        secret = os.urandom(spec.secret_size)
        try:
            spec.public_of(secret)
        except ValueError:
            continue
        return secret


def _place(tmp: str, path: Path) -> None:
    """Move `tmp` to `path` atomically, refusing to replace an existing key."""
    try:
        # link(2) fails if `path` exists, so two writers cannot both win.
        os.link(tmp, path)
        return
    except FileExistsError:
        raise KeyExists(f"a key named {path.stem!r} already exists") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV):
            raise
    # A filesystem without hard links: check, then rename (a narrow race remains).
    if path.exists():
        raise KeyExists(f"a key named {path.stem!r} already exists")
    os.replace(tmp, path)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def passphrase_from_env_or_file(
    env_var: str = PASSPHRASE_ENV_VAR, file: str | os.PathLike[str] | None = None
) -> str | None:
    """The passphrase from `file` if one is named, else from `env_var`, else None.

    A named file wins over the environment: it was asked for on this command line.
    One trailing newline ("\\n" or "\\r\\n") is stripped from the file, as editors and
    `echo` add one; anything else in the file is part of the passphrase.
    """
    if file is None:
        return os.environ.get(env_var)
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        raise PassphraseFileError(
            f"cannot read passphrase file {os.fspath(file)!r}: {exc.strerror}"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PassphraseFileError(f"passphrase file {os.fspath(file)!r} is not UTF-8") from None
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text

"""`scctn keys`: the encrypted keystore from the command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from scctn_node.cli.common import emit, fail, handle_errors
from scctn_node.keystore import KEY_TYPES, KeyInfo, Keystore, passphrase_from_env_or_file


def default_home() -> Path:
    return Path(os.environ.get("SCCTN_HOME", str(Path.home() / ".scctn")))


def keystore_for(home: Path | None) -> Keystore:
    return Keystore((home or default_home()) / "keys")


def get_passphrase(home: Path | None, passphrase_file: str | None, *, confirm: bool = False) -> str:
    """--passphrase-file, then SCCTN_PASSPHRASE, then the home's configured file, then a prompt."""
    found = passphrase_from_env_or_file(file=passphrase_file) if passphrase_file else None
    if found is None:
        found = passphrase_from_env_or_file()
    if found is None and home is not None:
        try:
            from scctn_node.config import load_config

            cfg = load_config(home)
            if cfg.node.passphrase_file:
                found = passphrase_from_env_or_file(file=home / cfg.node.passphrase_file)
        except Exception:  # noqa: S110 - no usable config: fall through to the prompt
            pass
    if found is None:
        if not sys.stdin.isatty():
            fail("passphrase_required", "set SCCTN_PASSPHRASE or pass --passphrase-file", 2)
        found = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
    return found


def info_json(info: KeyInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "type": info.type,
        "public_key": info.public_key,
        "address": info.address,
    }


def info_text(d: dict[str, Any]) -> str:
    return f"{d['name']:<16} {d['address']}  ({d['type']}, public key {d['public_key']})"


home_opt = click.option(
    "--home",
    type=click.Path(path_type=Path),
    default=None,
    help="home directory (keys in HOME/keys; default $SCCTN_HOME or ~/.scctn)",
)
pass_opt = click.option("--passphrase-file", default=None, help="file holding the passphrase")
out_opt = click.option("--output", "-o", type=click.Choice(["json", "text"]), default="text")
type_opt = click.option(
    "--type",
    "key_type",
    type=click.Choice(list(KEY_TYPES)),
    default="ed25519",
    show_default=True,
    help="secp256k1: a validator's Ethereum bridge key",
)


@click.group("keys")
def keys_group() -> None:
    """Create, list, show, import and export encrypted keys."""


@keys_group.command("new")
@click.argument("name")
@type_opt
@home_opt
@pass_opt
@out_opt
@handle_errors
def keys_new(
    name: str, key_type: str, home: Path | None, passphrase_file: str | None, output: str
) -> None:
    """Generate a new key NAME (Ed25519, or secp256k1 with --type), encrypted with a passphrase."""
    passphrase = get_passphrase(home, passphrase_file, confirm=True)
    info = keystore_for(home).create(name, passphrase, key_type=key_type)
    emit(info_json(info), output, info_text)


@keys_group.command("list")
@home_opt
@out_opt
@handle_errors
def keys_list(home: Path | None, output: str) -> None:
    """List keys (no passphrase needed)."""
    items = [info_json(i) for i in keystore_for(home).list()]
    emit(items, output, lambda xs: "\n".join(info_text(x) for x in xs) or "(no keys)")


@keys_group.command("show")
@click.argument("name")
@home_opt
@out_opt
@handle_errors
def keys_show(name: str, home: Path | None, output: str) -> None:
    """Show the address and public key of NAME."""
    emit(info_json(keystore_for(home).show(name)), output, info_text)


@keys_group.command("import")
@click.argument("name", required=False)
@click.option("--seed-hex", default=None, help="import a raw 32-byte seed (hex)")
@click.option("--file", "key_file", default=None, help="import an exported key file")
@type_opt
@home_opt
@pass_opt
@out_opt
@handle_errors
def keys_import(
    name: str | None,
    seed_hex: str | None,
    key_type: str,
    key_file: str | None,
    home: Path | None,
    passphrase_file: str | None,
    output: str,
) -> None:
    """Import NAME from --seed-hex, or an exported key file (--file keeps its own name)."""
    if (seed_hex is None) == (key_file is None):
        fail("bad_arguments", "give exactly one of --seed-hex or --file", 2)
    passphrase = get_passphrase(home, passphrase_file)
    store = keystore_for(home)
    if seed_hex is not None:
        if not name:
            fail("bad_arguments", "importing a seed needs a NAME", 2)
        info = store.import_seed(name, seed_hex, passphrase, key_type=key_type)
    else:
        info = store.import_file(str(key_file), passphrase)
    emit(info_json(info), output, info_text)


@keys_group.command("export")
@click.argument("name")
@click.option("--seed", is_flag=True, help="print the plaintext seed (asks for the passphrase)")
@home_opt
@pass_opt
@handle_errors
def keys_export(name: str, seed: bool, home: Path | None, passphrase_file: str | None) -> None:
    """Print the encrypted key file of NAME (or, with --seed, the plaintext seed)."""
    store = keystore_for(home)
    if seed:
        click.echo(store.export_seed(name, get_passphrase(home, passphrase_file)))
    else:
        click.echo(store.export(name))


# `scctn keys add NAME --type secp256k1` reads as well as `keys new`
keys_group.add_command(keys_new, name="add")

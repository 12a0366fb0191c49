"""Assembling a genesis document step by step, as a consortium does it.

Members never share private keys: each sends the assembling member its validator public
key; the assembler adds validators, point types and balances to a draft, then everyone
checks the final document and compares its hash out of band.

Every step takes a document and returns a new one (documents are frozen), and checks the
result as a draft: everything a final genesis must satisfy except "at least one
validator", which only `finalize` (and loading a final genesis) insists on. A step that
would make the document invalid raises GenesisError naming the field, and nothing changes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from genesis.document import (
    GenesisAsset,
    GenesisBalance,
    GenesisBridge,
    GenesisDoc,
    GenesisError,
    GenesisMember,
    GenesisValidator,
    load_genesis,
    validate,
)


def new_draft(chain_id: str, genesis_time_ms: int) -> GenesisDoc:
    """An empty draft: a chain id and a time, no validators, assets or balances yet."""
    doc = GenesisDoc(chain_id=chain_id, genesis_time_ms=genesis_time_ms, validators=())
    validate(doc, draft=True)
    return doc


def add_validator(doc: GenesisDoc, name: str, public_key: bytes, power: int = 1) -> GenesisDoc:
    for v in doc.validators:
        if v.public_key == public_key:
            raise GenesisError(
                f"genesis.validators: public key {public_key.hex()} is already listed as {v.name!r}"
            )
        if v.name == name:
            raise GenesisError(f"genesis.validators: the name {name!r} is already listed")
    return _checked(
        replace(doc, validators=(*doc.validators, GenesisValidator(name, public_key, power)))
    )


def add_asset(doc: GenesisDoc, asset: GenesisAsset) -> GenesisDoc:
    if any(a.symbol == asset.symbol for a in doc.assets):
        raise GenesisError(f"genesis.assets: the symbol {asset.symbol} is already listed")
    return _checked(replace(doc, assets=(*doc.assets, asset)))


def add_balance(doc: GenesisDoc, balance: GenesisBalance) -> GenesisDoc:
    """One balance per (address, point type): a second grant to the same holder is refused
    rather than summed, so the file stays what a reader expects it to be."""
    if not any(a.symbol == balance.symbol for a in doc.assets):
        raise GenesisError(
            f"genesis.balances: unknown point type {balance.symbol!r} "
            "(add it first with `scctn genesis add-asset`)"
        )
    if any(b.address == balance.address and b.symbol == balance.symbol for b in doc.balances):
        raise GenesisError(f"genesis.balances: this address already holds {balance.symbol}")
    return _checked(replace(doc, balances=(*doc.balances, balance)))


def add_member(doc: GenesisDoc, member: GenesisMember) -> GenesisDoc:
    """A founding member of the alliance, with its roles."""
    if any(m.address == member.address for m in doc.members):
        raise GenesisError("genesis.members: this address is already a member")
    return _checked(replace(doc, members=(*doc.members, member)))


def set_bridge(doc: GenesisDoc, bridge: GenesisBridge | None) -> GenesisDoc:
    """Set (or, with None, remove) the Ethereum bridge section; its keys must belong to
    validators already listed."""
    return _checked(replace(doc, bridge=bridge))


def finalize(doc: GenesisDoc) -> GenesisDoc:
    """The document as a final genesis: raises unless it is valid as one."""
    validate(doc)
    return doc


def load_draft(path: Path) -> GenesisDoc:
    return load_genesis(path, draft=True)


def _checked(doc: GenesisDoc) -> GenesisDoc:
    validate(doc, draft=True)
    return doc

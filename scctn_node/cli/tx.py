"""`scctn tx`: build, sign and submit transactions; `--wait` waits for the receipt."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import click

from primitives.errors import DecodeError, InvalidAddress
from primitives.keys import format_address, parse_address
from scctn_node.cli.common import NodeClient, emit, fail, handle_errors, node_options, resolve_node
from scctn_node.cli.keys import get_passphrase, keystore_for
from scctn_node.keystore import KeyNotFound
from vm.executor import intrinsic_gas
from vm.ops.catalog import OP_CLASSES, decode_operation
from vm.ops.fields import Flags, ListOf, Pairs, field_default
from vm.ops.registry import CODE_BY_NAME, OP_NAMES, Operation
from vm.tx import Transaction


def resolve_address(text: str, home: Path | None) -> bytes:
    """An `scc1...` address, or the name of a key in the keystore."""
    if text.lower().startswith("scc1"):
        return parse_address(text)
    try:
        info = keystore_for(home).show(text)
    except KeyNotFound:
        raise InvalidAddress(f"{text!r} is neither an scc1 address nor a key name") from None
    return parse_address(info.address)


def resolve_account(text: str, home: Path | None) -> str:
    """An account as the API takes it: `scc1...` or `scc1.../user`, where the address part
    may also be a key name (`alice/u-42`)."""
    base, slash, user = text.partition("/")
    return format_address(resolve_address(base, home)) + (slash + user if slash else "")


def submit(
    ops: tuple[Operation, ...],
    *,
    sender: str,
    node: str | None,
    home: Path | None,
    passphrase_file: str | None,
    wait: bool,
    timeout: float,
    memo: str,
    expiry_blocks: int,
    gas_limit: int | None,
    output: str,
) -> None:
    client = NodeClient(resolve_node(node, home))
    key = keystore_for(home).load(sender, get_passphrase(home, passphrase_file))
    status = client.get("/v1/status")
    from primitives.keys import format_address

    account = client.get(f"/v1/accounts/{format_address(key.address())}")
    draft = Transaction(
        chain_id=status["chain_id"],
        sender=key.public.raw,
        nonce=account["next_nonce"],
        gas_limit=0,
        expiry_height=status["height"] + expiry_blocks,
        memo=memo,
        ops=ops,
    )
    tx = Transaction(
        draft.chain_id,
        draft.sender,
        draft.nonce,
        gas_limit or _needed_gas(client, draft),
        draft.expiry_height,
        memo,
        ops,
    )
    stx = tx.sign(key)
    result = client.post("/v1/txs", {"tx": stx.encode().hex()})
    if wait:
        result = wait_for(client, result["hash"], timeout)
        if result.get("status") == "committed" and result["receipt"]["code"] != "ok":
            r = result["receipt"]
            emit(result, output, _tx_text)
            fail(r["code"], f"transaction failed in block {result['height']}: {r['message']}")
    emit(result, output, _tx_text)


def _needed_gas(client: NodeClient, draft: Transaction) -> int:
    """Exactly the gas the transaction needs under the chain's current schedule."""
    gas = client.get("/v1/gas")
    schedule = {int(CODE_BY_NAME[n]): (b, i) for n, (b, i) in gas["schedule"].items()}
    return intrinsic_gas(draft, schedule, gas["tx_base_gas"])


def wait_for(client: NodeClient, tx_hash: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        info: dict[str, Any] = client.get(f"/v1/txs/{tx_hash}")
        if info["status"] in ("committed", "dropped"):
            if info["status"] == "dropped":
                fail("tx_dropped", f"transaction {tx_hash} was dropped: {info.get('reason')}")
            return info
        if time.monotonic() > deadline:
            fail(
                "timeout",
                f"transaction {tx_hash} not committed after {timeout:.0f} s (still {info['status']})",
            )
        time.sleep(0.1)


def _tx_text(d: dict[str, Any]) -> str:
    if d.get("status") == "committed":
        r = d["receipt"]
        line = f"{d['hash']} committed in block {d['height']}: {r['code']}"
        return line + (f" ({r['message']})" if r["message"] else "")
    return f"{d['hash']} {d['status']}"


def tx_options(func: Any) -> Any:
    for opt in reversed(
        [
            click.option("--from", "sender", required=True, help="name of the signing key"),
            click.option("--wait/--no-wait", default=False, help="wait for the committed receipt"),
            click.option("--timeout", default=30.0, show_default=True, help="seconds to wait"),
            click.option("--memo", default="", help="free text, up to 256 characters"),
            click.option(
                "--valid-for",
                "expiry_blocks",
                default=1000,
                show_default=True,
                help="the transaction expires this many blocks from now",
            ),
            click.option(
                "--gas-limit", type=int, default=None, help="default: exactly what it needs"
            ),
            click.option("--passphrase-file", default=None),
        ]
    ):
        func = opt(func)
    return node_options(func)


@click.group("tx")
def tx_group() -> None:
    """Sign and submit transactions. Amounts are integers in the point type's base units."""


def _flag(f: Any) -> str:
    return "--" + (f.metadata.get("flag") or f.name).replace("_", "-")


def _option(f: Any) -> click.Option:
    name, kind, help_text = f.name, f.metadata["kind"], f.metadata["help"]
    default = field_default(f)
    many = isinstance(kind, (ListOf, Pairs))
    required = default is dataclasses.MISSING and not many
    text = help_text
    if many:
        text += f" (repeat: one {kind.name} each)"
    elif default is not dataclasses.MISSING:
        shown = (
            ",".join(kind.to_json(default)) if isinstance(kind, Flags) else kind.to_json(default)
        )
        if isinstance(shown, bool):
            shown = "true" if shown else "false"
        text += f" [default: {shown if shown != '' else 'empty'}]"
    return click.Option(
        [_flag(f), f"arg_{name}"],
        required=required,
        multiple=many,
        default=() if many else None,
        help=f"<{kind.name}> {text}".strip(),
    )


def _parse(cls: Any, raw: dict[str, Any], home: Path | None) -> Operation:
    def resolve(text: str) -> bytes:
        return resolve_address(text, home)

    values = []
    defaults = {f.name: field_default(f) for f in dataclasses.fields(cls)}
    flags = {f.name: _flag(f) for f in dataclasses.fields(cls)}
    for name, kind in cls.spec():
        given = raw.pop(f"arg_{name}")
        flag = flags[name]
        try:
            if isinstance(kind, (ListOf, Pairs)):
                items = tuple(kind.item_from_text(t, resolve) for t in given)
                values.append(kind.decode(kind.to_wire(items), flag))
            elif given is None:
                values.append(defaults[name])
            else:
                values.append(kind.from_text(given, resolve))
        except DecodeError as exc:
            fail("bad_argument", f"{flag}: {exc.message}", 2)
    op = cls(*values)
    try:
        return decode_operation(op.to_wire())  # the wire checks, before anything is signed
    except DecodeError as exc:
        fail("bad_argument", exc.message, 2)


def _command(cls: Any, name: str) -> click.Command:
    def run(**kw: Any) -> None:
        op = _parse(cls, kw, kw.get("home"))
        submit((op,), **kw)

    doc = (cls.__doc__ or "").strip()
    if doc.startswith(cls.__name__ + "("):  # the dataclass default docstring
        doc = ""
    callback = handle_errors(tx_options(run))
    params = list(getattr(callback, "__click_params__", []))
    params.reverse()
    fields = [_option(f) for f in dataclasses.fields(cls)]
    return click.Command(
        name,
        callback=callback,
        params=fields + params,
        help=f"{OP_NAMES[cls.CODE]}: {doc}" if doc else OP_NAMES[cls.CODE],
    )


def command_name(op_name: str) -> str:
    """`scctn tx` command of an operation: pay.invoice_pay -> pay-invoice-pay."""
    return op_name.replace(".", "-").replace("_", "-")


# one command per operation, named after it (asset.create -> asset-create); a few short
# aliases kept from the first release
ALIASES = {"asset.issue": "issue"}
for _code, _cls in sorted(OP_CLASSES.items()):
    _name = OP_NAMES[_code]
    tx_group.add_command(_command(_cls, command_name(_name)))
    if _name in ALIASES:
        tx_group.add_command(_command(_cls, ALIASES[_name]))

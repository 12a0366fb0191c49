"""`scctn query` commands of the issuance modes (vm/ops/coupon.py, card.py, mining.py).

    coupon ID                           a coupon, read through the node's API
    coupon-keys --secret TEXT           the coupon id of a secret (computed here, offline)
    coupon-sign --secret TEXT --to ACCOUNT [--chain-id ID]
                                        the claim signature for coupon.claim (offline,
                                        except that the chain id is asked of the node
                                        when not given)
    card ISSUER CARD_ID                 a rights card
    cards --holder ACCOUNT              the cards an account holds
    mining SCHEDULE_ID [--issuer --card] a mining schedule, and what a card may claim

The secret never leaves this process: coupon-keys prints only the public id, coupon-sign
only a signature bound to one chain, coupon and claimant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from primitives.keys import format_address
from scctn_node.cli.common import NodeClient, emit, fail, handle_errors, node_options, resolve_node


def _secret(secret: str | None, secret_file: Path | None) -> bytes:
    if (secret is None) == (secret_file is None):
        fail("bad_arguments", "give exactly one of --secret and --secret-file", 2)
    if secret_file is not None:
        return secret_file.read_bytes().rstrip(b"\r\n")
    assert secret is not None
    return secret.encode()


def _account(text: str, home: Path | None) -> bytes:
    """scc1..., a key name, or either followed by /user-id (a custody account)."""
    from scctn_node.cli.tx import resolve_address
    from vm import accounts

    base, slash, user = text.partition("/")
    raw = resolve_address(base, home)
    return accounts.check_account(raw + user.encode()) if slash else raw


def _coupon_text(d: dict[str, Any]) -> str:
    lines = [
        f"coupon {d['coupon_id']}  ({d['status']} at height {d['height']})",
        f"  {d['amount']} {d['symbol']} from {d['issuer']}, claimable until height {d['deadline']}",
        f"  escrow {d['escrow']} holds {d['escrow_balance']}",
    ]
    if d["claimant"]:
        lines.append(f"  paid {d['paid']} to {d['claimant']}")
    return "\n".join(lines)


def _card_text(d: dict[str, Any]) -> str:
    bound = "transferable" if d["transferable"] else "bound"
    lines = [
        f"card {d['card_id']} ({d['class']}, {bound}) of {d['issuer']}",
        f"  holder {d['holder']}  issued at {d['issued_height']}",
    ]
    lines += [f"  {k} = {v}" for k, v in sorted(d["attributes"].items())]
    lines += [f"  mining {sid}: {n} claimable" for sid, n in sorted(d["mining_pending"].items())]
    return "\n".join(lines)


def _schedule_text(d: dict[str, Any]) -> str:
    lines = [
        f"mining {d['schedule_id']}: {d['amount_per_epoch']} {d['symbol']} per "
        f"{d['epoch_blocks']} blocks from {d['start']} to {d['end']} ({d['epochs']} epochs)",
        f"  shared by the {d['live_cards']} live '{d['card_class']}' cards of {d['issuer']}",
        f"  {d['completed_epochs']} epochs completed at height {d['height']}, "
        f"{d['claimed']} {d['symbol']} claimed",
    ]
    if "card" in d:
        c = d["card"]
        note = "" if c["eligible"] else " (not eligible)"
        lines.append(f"  card {c['card_id']} ({c['holder']}) may claim {c['pending']}{note}")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    @group.command("coupon")
    @click.argument("coupon_id")
    @node_options
    @handle_errors
    def coupon(coupon_id: str, node: str | None, home: Path | None, output: str) -> None:
        """A coupon by its id (hex): amount, deadline, status and escrow."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/coupons/{coupon_id}")
        emit(body, output, _coupon_text)

    @group.command("coupon-keys")
    @click.option("--secret", default=None, help="the coupon's secret (high entropy!)")
    @click.option("--secret-file", type=click.Path(path_type=Path), default=None)
    @click.option("--output", "-o", type=click.Choice(["json", "text"]), default="text")
    @handle_errors
    def coupon_keys(secret: str | None, secret_file: Path | None, output: str) -> None:
        """The coupon id of a secret, for coupon.create (prints nothing secret)."""
        from vm import accounts
        from vm.ops import coupon as coupons

        cid = coupons.coupon_id(_secret(secret, secret_file))
        body = {
            "coupon_id": cid.hex(),
            "escrow": accounts.format_account(coupons.escrow_account(cid)),
        }
        emit(body, output, lambda d: d["coupon_id"])

    @group.command("coupon-sign")
    @click.option("--secret", default=None, help="the coupon's secret")
    @click.option("--secret-file", type=click.Path(path_type=Path), default=None)
    @click.option("--to", "to", required=True, help="the account paid (scc1..., key, .../user)")
    @click.option("--chain-id", default=None, help="default: asked of the node")
    @node_options
    @handle_errors
    def coupon_sign(
        secret: str | None,
        secret_file: Path | None,
        to: str,
        chain_id: str | None,
        node: str | None,
        home: Path | None,
        output: str,
    ) -> None:
        """The claim signature (hex) for `scctn tx coupon-claim --signature ...`: valid
        only for this chain, this coupon and this recipient."""
        from vm import accounts
        from vm.ops import coupon as coupons

        raw_secret = _secret(secret, secret_file)
        account = _account(to, home)
        if chain_id is None:
            chain_id = str(NodeClient(resolve_node(node, home)).get("/v1/status")["chain_id"])
        body = {
            "coupon_id": coupons.coupon_id(raw_secret).hex(),
            "to": accounts.format_account(account),
            "chain_id": chain_id,
            "signature": coupons.claim_signature(raw_secret, chain_id, account).hex(),
        }
        emit(body, output, lambda d: d["signature"])

    @group.command("card")
    @click.argument("issuer")
    @click.argument("card_id")
    @node_options
    @handle_errors
    def card(issuer: str, card_id: str, node: str | None, home: Path | None, output: str) -> None:
        """A rights card by its ISSUER (scc1 address or key name) and CARD_ID."""
        from scctn_node.cli.tx import resolve_address

        addr = format_address(resolve_address(issuer, home))
        body = NodeClient(resolve_node(node, home)).get(f"/v1/cards/{addr}/{card_id}")
        emit(body, output, _card_text)

    @group.command("cards")
    @click.option("--holder", required=True, help="scc1..., a key name, or .../user")
    @node_options
    @handle_errors
    def cards(holder: str, node: str | None, home: Path | None, output: str) -> None:
        """The rights cards an account holds."""
        from urllib.parse import quote

        from vm import accounts

        account = accounts.format_account(_account(holder, home))
        body = NodeClient(resolve_node(node, home)).get(f"/v1/cards?holder={quote(account)}")
        emit(body, output, lambda d: "\n\n".join(_card_text(c) for c in d["cards"]) or "(none)")

    @group.command("mining")
    @click.argument("schedule_id")
    @click.option("--issuer", default=None, help="with --card: the card's issuer")
    @click.option("--card", "card_id", default=None, help="with --issuer: what this card may claim")
    @node_options
    @handle_errors
    def mining(
        schedule_id: str,
        issuer: str | None,
        card_id: str | None,
        node: str | None,
        home: Path | None,
        output: str,
    ) -> None:
        """A mining schedule's state; with --issuer and --card, that card's pending claim."""
        from urllib.parse import quote

        from scctn_node.cli.tx import resolve_address

        path = f"/v1/mining/{schedule_id}"
        if (issuer is None) != (card_id is None):
            fail("bad_arguments", "give both --issuer and --card, or neither", 2)
        if issuer is not None and card_id is not None:
            addr = format_address(resolve_address(issuer, home))
            path += f"?issuer={addr}&card={quote(card_id)}"
        emit(NodeClient(resolve_node(node, home)).get(path), output, _schedule_text)

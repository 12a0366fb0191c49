"""The consortium side of the Ethereum bridge: deposits attested by the validators are
minted as wrapped SCCTN; burns queue withdrawals that the validators sign for the vault.

Theory of operation (the shared decisions are in the bridge brief and docs/bridge.md):

- Keys. A current validator binds a secp256k1 address to its Ed25519 identity with a
  recoverable signature over `eth.key_binding_digest` (`bridge.register_key`). The
  bridge's valset is the current validators with a bound key, sorted by address, power 1
  each; whenever that list changes (a binding, a rotation, a validator-set change) it is
  recorded with the next nonce and, from nonce 2 on, put in the outbox for the members of
  the previous valset to sign (the vault accepts a new set signed by its current one).
- Deposits. Each validator attests a deposit event (nonce, tx hash, log index, amount,
  recipient) as a transaction. Nonces are minted strictly in order, each once a quorum
  (floor(2n/3) + 1 of the current validators, as elsewhere in vm/) attested one digest;
  attestations up to WINDOW nonces ahead wait. A repeat of the same attestation changes
  nothing. Any disagreement (two digests for one nonce, one validator changing its
  attestation, a late attestation differing from what was minted) halts minting until
  governance resumes; nothing is ever minted twice: the minted record of a nonce is
  written once and the next nonce only moves forward.
- Units. A deposit of `amount` token units mints amount // scale chain units (the dust
  stays locked in the vault); a withdrawal of N chain units asks the vault for N * scale.
  Minting is `ledger.issue` by the bridge module account and a withdrawal is
  `ledger.remove(..., "redeemed")`, so the point type's liability counters stay exact:
  outstanding = minted - withdrawn (- anything burned by holders).
- Withdrawals expire at block time (seconds) + withdraw_ttl; the owner may renew an
  expired one (new expiry, old signatures dropped; the id stays single-use on the vault).
- Signatures (`bridge.sign`) are checked by ecrecover against the message's EIP-712
  digest; a withdrawal or vault change takes signatures from members of the valset it was
  created under or of the latest one, a valset only from the previous valset.

The records, state keys and accessors are in vm/bridge_state.py.
"""

from __future__ import annotations

from dataclasses import replace

from primitives import codec, eth
from primitives.keys import address_of
from vm import codes, ledger, validators
from vm.bridge_state import (
    BINDING,
    CONFIG_KEY,
    KIND_CHANGE,
    KIND_VALSET,
    KIND_WITHDRAWAL,
    MAX_TOKEN_DECIMALS,
    MAX_TTL,
    MIN_TTL,
    MODULE,
    SUSPENSE,
    WINDOW,
    Config,
    Deposit,
    Minted,
    Outbox,
    Status,
    ValsetRecord,
    Withdrawal,
    attestation_key,
    attested,
    bound_address,
    content_key,
    deposit_for,
    get_config,
    get_minted,
    get_outbox,
    get_status,
    get_valset,
    minted_key,
    now_s,
    put_outbox,
    put_status,
    quorum,
    require_config,
    signature_key,
    u256,
    u256_bytes,
    valset_key,
)
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.state import StateReader, StateView

# --- configuration and governance --------------------------------------------------------


def check_config(config: Config) -> None:
    def bad(msg: str) -> ExecutionFailure:
        return ExecutionFailure(msg, codes.BRIDGE_BAD_CONFIG)

    if not 0 < config.eth_chain_id <= codec.U64_MAX:
        raise bad("eth_chain_id must be a positive 64-bit integer")
    if len(config.vault) not in (0, eth.ETH_ADDRESS_SIZE) or config.vault == eth.ZERO_ADDRESS:
        raise bad("the vault is a non-zero 20-byte address, or empty until deployed")
    if not 0 <= config.token_decimals <= MAX_TOKEN_DECIMALS:
        raise bad(f"token_decimals must be 0 to {MAX_TOKEN_DECIMALS}")
    if not 0 <= config.wrapped_decimals <= min(18, config.token_decimals):
        raise bad("wrapped_decimals must be 0 to 18 and at most token_decimals")
    if not MIN_TTL <= config.withdraw_ttl <= MAX_TTL:
        raise bad(f"withdraw_ttl must be {MIN_TTL} to {MAX_TTL} seconds")
    ledger.check_symbol(config.symbol)


def configure(ctx: ExecContext, new: Config) -> None:
    """Set or change the configuration (governance or genesis). The Ethereum chain and a
    deployed vault are fixed once set (signatures name them); the decimals are fixed once
    anything was minted; the withdrawal TTL may change any time."""
    state = ctx.state
    check_config(new)
    old = get_config(state)
    asset = ledger.get_asset(state, new.symbol)
    if old is not None:
        locked = []
        if new.eth_chain_id != old.eth_chain_id:
            locked.append("eth_chain_id")
        if old.vault and new.vault != old.vault:
            locked.append("vault")
        if new.symbol != old.symbol:
            locked.append("symbol")
        issued = asset is not None and asset.issued > 0
        if issued and (new.token_decimals, new.wrapped_decimals) != (
            old.token_decimals,
            old.wrapped_decimals,
        ):
            locked.append("decimals")
        if locked:
            raise ExecutionFailure(
                f"cannot change {', '.join(locked)} once set", codes.BRIDGE_CONFIG_LOCKED
            )
    if asset is not None and asset.issuer != MODULE:
        raise ExecutionFailure(
            f"a point type {new.symbol} already exists (not the bridge's)", codes.ASSET_EXISTS
        )
    if asset is None or asset.decimals != new.wrapped_decimals:
        base = asset or ledger.PointType(
            new.symbol,
            f"Bridged {new.symbol}",
            new.wrapped_decimals,
            ledger.AMOUNT_MAX,
            MODULE,
            flags=ledger.TRANSFERABLE | ledger.TRADEABLE,
        )
        ledger.put_asset(state, replace(base, decimals=new.wrapped_decimals))
    state.put(CONFIG_KEY, codec.encode(new.to_wire()))
    ctx.emit(
        "bridge.configured",
        new.eth_chain_id,
        eth.to_checksum(new.vault) if new.vault else "",
        new.token_decimals,
        new.wrapped_decimals,
        new.withdraw_ttl,
        new.symbol,
    )


def pause(ctx: ExecContext) -> None:
    status = get_status(ctx.state)
    put_status(ctx.state, replace(status, paused=True))
    ctx.emit("bridge.paused")


def resume(ctx: ExecContext) -> None:
    """Clear a pause and a halt. The attestations of the halted nonce are dropped, so the
    validators attest it afresh (a late conflicting one is dropped too); minting then
    continues with whatever has a quorum."""
    state = ctx.state
    status = get_status(state)
    if not status.paused and not status.halt_reason:
        raise ExecutionFailure("the bridge is neither paused nor halted", codes.BRIDGE_NOT_PAUSED)
    if status.halt_reason:
        for nonce in sorted({status.halt_nonce, *status.more_halts}):
            _drop_attestations(state, nonce)
    reason = status.halt_reason
    put_status(
        state,
        replace(
            status,
            paused=False,
            halt_reason="",
            halt_nonce=0,
            halt_validators=(),
            more_halts=(),
        ),
    )
    ctx.emit("bridge.resumed", reason)
    _mint_ready(ctx)


def _drop_attestations(state: StateView, nonce: int) -> None:
    keys = {m.public_key for m in validators.get_validators(state)}
    minted = get_minted(state, nonce)
    keys.update(minted.attesters if minted else ())
    for k in sorted(keys):
        digest = attested(state, nonce, k)
        if digest is not None:
            state.delete(attestation_key(nonce, k))
            if minted is None:
                state.delete(content_key(nonce, digest))


# --- keys and valsets ----------------------------------------------------------------------


def _validator_key(ctx: ExecContext) -> bytes:
    for m in validators.get_validators(ctx.state):
        if address_of(m.public_key) == ctx.sender:
            return m.public_key
    raise ExecutionFailure("only a current validator may do this", codes.NOT_VALIDATOR)


def register_key(ctx: ExecContext, eth_address: bytes, proof: bytes) -> None:
    state = ctx.state
    me = _validator_key(ctx)
    if eth_address == eth.ZERO_ADDRESS:
        raise ExecutionFailure("the zero address cannot be a bridge key", codes.BRIDGE_BAD_ADDRESS)
    bind(state, ctx.block.chain_id, me, eth_address, proof)
    ctx.emit("bridge.key_registered", me, eth.to_checksum(eth_address))
    _record_valset_event(ctx)


def bind(
    state: StateView, chain_id: str, validator_key: bytes, address: bytes, proof: bytes
) -> None:
    """Check a key-binding proof and store the binding (also used by genesis)."""
    digest = eth.key_binding_digest(chain_id, validator_key, address)
    try:
        signer = eth.recover(digest, proof)
    except eth.InvalidSignature as exc:
        raise ExecutionFailure(
            f"bad key-binding proof: {exc.message}", codes.BRIDGE_BAD_PROOF
        ) from exc
    if signer != address:
        raise ExecutionFailure(
            "the key-binding proof was not signed by that address", codes.BRIDGE_BAD_PROOF
        )
    for m in validators.get_validators(state):
        if m.public_key != validator_key and bound_address(state, m.public_key) == address:
            raise ExecutionFailure(
                "another validator already uses that bridge key", codes.BRIDGE_KEY_IN_USE
            )
    state.put(BINDING + validator_key, codec.encode(address))


def current_members(state: StateView) -> list[tuple[bytes, bytes]]:
    """(eth address, validator key) of the current validators with a bound key, sorted."""
    out = []
    for m in validators.get_validators(state):
        address = bound_address(state, m.public_key)
        if address is not None:
            out.append((address, m.public_key))
    return sorted(out)


def record_valset(state: StateView) -> ValsetRecord | None:
    """Record a new valset if the members changed; returns it (None: unchanged)."""
    members = current_members(state)
    status = get_status(state)
    latest = get_valset(state, status.valset_nonce)
    addresses = tuple(a for a, _ in members)
    if not members or (latest is not None and latest.addresses == addresses):
        return None
    record = ValsetRecord(
        status.valset_nonce + 1,
        addresses,
        tuple(1 for _ in members),
        tuple(k for _, k in members),
    )
    state.put(
        valset_key(record.nonce),
        codec.encode([list(record.addresses), list(record.powers), list(record.members)]),
    )
    if record.nonce > 1:  # valset 1 is the vault's constructor set: nobody signs it
        put_outbox(state, Outbox(KIND_VALSET, record.nonce, (), record.nonce - 1))
    put_status(state, replace(status, valset_nonce=record.nonce))
    return record


def _record_valset_event(ctx: ExecContext) -> None:
    record = record_valset(ctx.state)
    if record is not None:
        ctx.emit("bridge.valset", record.nonce, [eth.to_checksum(a) for a in record.addresses])


def validators_changed(state: StateView) -> None:
    """Hook of vm/validators.py: the validator set changed (a vote or governance)."""
    record_valset(state)


def emit_valsets_since(ctx: ExecContext, before: int) -> None:
    """Events for valsets recorded after nonce `before` (by the validators' hook)."""
    for nonce in range(before + 1, get_status(ctx.state).valset_nonce + 1):
        record = get_valset(ctx.state, nonce)
        if record is not None:
            ctx.emit("bridge.valset", nonce, [eth.to_checksum(a) for a in record.addresses])


# --- deposits ---------------------------------------------------------------------------


def attest(ctx: ExecContext, deposit: Deposit) -> None:
    state = ctx.state
    require_config(state)
    me = _validator_key(ctx)
    if len(deposit.eth_tx) != 32 or deposit.amount <= 0:
        raise ExecutionFailure(
            "a deposit has a 32-byte tx hash and a positive amount", codes.INVALID_AMOUNT
        )
    status = get_status(state)
    nonce = deposit.nonce
    digest = deposit.digest()
    if nonce < 1:
        raise ExecutionFailure("deposit nonces start at 1", codes.BRIDGE_NONCE_WINDOW)
    if nonce < status.next_nonce:
        _late(ctx, status, me, digest, nonce)
        return
    if nonce >= status.next_nonce + WINDOW:
        raise ExecutionFailure(
            f"nonce {nonce} is more than {WINDOW} ahead of the next to mint ({status.next_nonce})",
            codes.BRIDGE_NONCE_WINDOW,
        )
    mine = attested(state, nonce, me)
    if mine == digest:
        return  # a repeat: nothing changes
    if mine is None:
        state.put(attestation_key(nonce, me), codec.encode(digest))
        if state.get(content_key(nonce, digest)) is None:
            state.put(content_key(nonce, digest), codec.encode(deposit.wire()))
    ctx.emit("bridge.attested", nonce, me, digest)
    votes = _votes(state, nonce)
    if mine is not None or len(set(votes.values())) > 1:
        _halt(
            ctx,
            "conflicting_attestations" if mine is None else "changed_attestation",
            nonce,
            tuple(sorted({*votes, me})),
        )
        return
    _mint_ready(ctx)


def _votes(state: StateView, nonce: int) -> dict[bytes, bytes]:
    out = {}
    for m in validators.get_validators(state):
        digest = attested(state, nonce, m.public_key)
        if digest is not None:
            out[m.public_key] = digest
    return out


def _late(ctx: ExecContext, status: Status, me: bytes, digest: bytes, nonce: int) -> None:
    minted = get_minted(ctx.state, nonce)
    if minted is not None and minted.digest == digest:
        return  # agrees with what was minted: nothing to do
    if attested(ctx.state, nonce, me) == digest:
        return  # the same conflicting attestation again: already recorded (and halted)
    ctx.state.put(attestation_key(nonce, me), codec.encode(digest))
    ctx.emit("bridge.attested", nonce, me, digest)
    _halt(ctx, "late_conflict", nonce, (me,))


def _halt(ctx: ExecContext, reason: str, nonce: int, who: tuple[bytes, ...]) -> None:
    status = get_status(ctx.state)
    if status.halt_reason:  # the first disagreement stays the one shown; others are kept
        if nonce != status.halt_nonce and nonce not in status.more_halts:
            more = tuple(sorted((*status.more_halts, nonce)))
            put_status(ctx.state, replace(status, more_halts=more))
            ctx.emit("bridge.conflict", reason, nonce, list(who))
        return
    put_status(
        ctx.state, replace(status, halt_reason=reason, halt_nonce=nonce, halt_validators=who)
    )
    ctx.emit("bridge.halted", reason, nonce, list(who))


def _mint_ready(ctx: ExecContext) -> None:
    """Mint, in nonce order, every deposit that has a quorum (unless paused or halted)."""
    state = ctx.state
    config = get_config(state)
    if config is None:
        return
    need = quorum(len(validators.get_validators(state)))
    while True:
        status = get_status(state)
        if status.paused or status.halt_reason:
            return
        nonce = status.next_nonce
        votes = _votes(state, nonce)
        digests = set(votes.values())
        if len(digests) > 1:  # recorded while halted for another nonce, now next in line
            _halt(ctx, "conflicting_attestations", nonce, tuple(sorted(votes)))
            return
        if not digests or len(votes) < need:
            return
        digest = digests.pop()
        deposit = deposit_for(state, nonce, digest)
        if deposit is None:  # cannot happen: the content is stored with the first vote
            raise ExecutionFailure(f"deposit {nonce} lost its content", "state_corrupt")
        _mint(ctx, config, status, deposit, digest, tuple(sorted(votes)))


def _mint(
    ctx: ExecContext,
    config: Config,
    status: Status,
    deposit: Deposit,
    digest: bytes,
    attesters: tuple[bytes, ...],
) -> None:
    state = ctx.state
    amount = deposit.amount // config.scale
    credited = deposit.recipient
    asset = ledger.get_asset(state, config.symbol)
    if amount > ledger.AMOUNT_MAX - (asset.outstanding if asset else 0):
        # more than the point type can ever hold: recorded, nothing minted (the tokens stay
        # locked); halting here would let one depositor stop the bridge for good
        ctx.emit("bridge.unmintable", deposit.nonce, credited, u256_bytes(deposit.amount))
        amount, credited = 0, b""
    if amount:
        mark = state.snapshot()
        n_events = len(ctx.events)
        try:
            ledger.issue(ctx, config.symbol, credited, amount, event="")
        except ExecutionFailure as exc:  # the recipient cannot receive: hold it apart
            state.rollback(mark)
            del ctx.events[n_events:]
            credited = SUSPENSE
            try:
                ledger.issue(ctx, config.symbol, credited, amount, event="")
            except ExecutionFailure as again:
                state.rollback(mark)
                _halt(ctx, f"mint_failed:{again.code}", deposit.nonce, ())
                return
            ctx.emit("bridge.suspended", deposit.nonce, deposit.recipient, amount, exc.code)
    for k in attesters:
        state.delete(attestation_key(deposit.nonce, k))
    state.delete(content_key(deposit.nonce, digest))
    record = Minted(deposit, digest, amount, credited, ctx.block.height, attesters)
    state.put(minted_key(deposit.nonce), codec.encode(record.to_wire()))
    put_status(
        state,
        replace(
            status,
            next_nonce=deposit.nonce + 1,
            minted=status.minted + amount,
            deposited=status.deposited + deposit.amount,
            suspended=status.suspended + (amount if credited == SUSPENSE else 0),
        ),
    )
    ctx.emit(
        "bridge.minted",
        deposit.nonce,
        credited,
        amount,
        u256_bytes(deposit.amount),
        deposit.eth_tx,
        deposit.log_index,
    )


def release(ctx: ExecContext, to: bytes, amount: int) -> None:
    """Governance pays out points a deposit credited to SUSPENSE (its recipient could not
    receive them: frozen, over a tier limit, a custody account without a custodian)."""
    state = ctx.state
    config = require_config(state)
    status = get_status(state)
    if amount > status.suspended:
        raise ExecutionFailure(
            f"only {status.suspended} are held in suspense", codes.INSUFFICIENT_BALANCE
        )
    ledger.move(ctx, config.symbol, SUSPENSE, to, amount, check_src=False, event="")
    put_status(state, replace(status, suspended=status.suspended - amount))
    ctx.emit("bridge.released", to, amount)


# --- withdrawals and signatures -------------------------------------------------------------


def withdraw(ctx: ExecContext, recipient: bytes, amount: int) -> Withdrawal:
    state = ctx.state
    config = require_config(state)
    status = get_status(state)
    if status.paused:
        raise ExecutionFailure("the bridge is paused", codes.BRIDGE_PAUSED)
    if len(recipient) != eth.ETH_ADDRESS_SIZE or recipient == eth.ZERO_ADDRESS:
        raise ExecutionFailure(
            "the recipient is a non-zero Ethereum address", codes.BRIDGE_BAD_ADDRESS
        )
    ledger.check_amount(amount)
    ledger.remove(ctx, config.symbol, ctx.sender, amount, "redeemed")
    w = Withdrawal(
        status.next_withdrawal,
        ctx.sender,
        recipient,
        amount,
        amount * config.scale,
        now_s(ctx) + config.withdraw_ttl,
    )
    put_outbox(
        state,
        Outbox(KIND_WITHDRAWAL, w.id, w.fields_wire(), status.valset_nonce),
    )
    put_status(
        state,
        replace(status, next_withdrawal=w.id + 1, withdrawn=status.withdrawn + amount),
    )
    ctx.emit(
        "bridge.withdrawal",
        w.id,
        ctx.sender,
        eth.to_checksum(recipient),
        amount,
        u256_bytes(w.token_amount),
        w.expiry,
    )
    return w


def renew(ctx: ExecContext, wid: int) -> None:
    state = ctx.state
    config = require_config(state)
    o = get_outbox(state, KIND_WITHDRAWAL, wid)
    if o is None:
        raise ExecutionFailure(f"no withdrawal {wid}", codes.BRIDGE_UNKNOWN_MESSAGE)
    w = Withdrawal.of(o)
    if ctx.sender != w.owner:
        raise ExecutionFailure("only the withdrawal's owner may renew it", codes.BRIDGE_NOT_OWNER)
    if now_s(ctx) <= w.expiry:
        raise ExecutionFailure(
            f"withdrawal {wid} is valid until {w.expiry}; renew it after that",
            codes.BRIDGE_NOT_EXPIRED,
        )
    for address in o.signers:
        state.delete(signature_key(KIND_WITHDRAWAL, wid, address))
    w = replace(w, expiry=now_s(ctx) + config.withdraw_ttl, renewals=w.renewals + 1)
    put_outbox(
        state,
        replace(o, fields=w.fields_wire(), valset=get_status(state).valset_nonce, signers=()),
    )
    ctx.emit("bridge.renewed", wid, w.expiry)


def vault_change(ctx: ExecContext, change: eth.VaultChange) -> int:
    state = ctx.state
    require_config(state)
    status = get_status(state)
    nonce = status.change_nonce + 1
    if len(change.guardian) != eth.ETH_ADDRESS_SIZE or change.guardian == eth.ZERO_ADDRESS:
        raise ExecutionFailure(
            "the guardian is a non-zero Ethereum address", codes.BRIDGE_BAD_ADDRESS
        )
    f = (
        u256_bytes(change.per_tx_cap),
        u256_bytes(change.daily_limit),
        u256_bytes(change.large_amount),
        u256_bytes(change.large_delay),
        change.guardian,
        change.unpause,
    )
    put_outbox(state, Outbox(KIND_CHANGE, nonce, f, status.valset_nonce))
    put_status(state, replace(status, change_nonce=nonce))
    ctx.emit("bridge.vault_change", nonce)
    return nonce


def message_of(state: StateReader, o: Outbox) -> eth.Message:
    if o.kind == KIND_WITHDRAWAL:
        w = Withdrawal.of(o)
        return eth.Withdrawal(w.id, w.recipient, w.token_amount, w.expiry)
    if o.kind == KIND_VALSET:
        record = get_valset(state, o.id)
        if record is None:
            raise ExecutionFailure(f"valset {o.id} is missing", "state_corrupt")
        return record.message()
    f = o.fields
    return eth.VaultChange(
        o.id,
        u256(bytes(f[0])),
        u256(bytes(f[1])),
        u256(bytes(f[2])),
        u256(bytes(f[3])),
        bytes(f[4]),
        bool(f[5]),
    )


def digest_of(state: StateReader, o: Outbox) -> bytes | None:
    """The EIP-712 digest of an outbox message (None until the vault is known)."""
    config = get_config(state)
    if config is None or not config.vault:
        return None
    return eth.message_digest(config.eth_chain_id, config.vault, message_of(state, o))


def allowed_signers(state: StateReader, o: Outbox) -> ValsetRecord | None:
    """The valset whose members sign `o` and whose power counts toward its quorum: the
    previous valset for a valset; for the others the latest (members of the valset the
    message was created under may sign too, see `may_sign`)."""
    if o.kind == KIND_VALSET:
        return get_valset(state, o.id - 1)
    return get_valset(state, get_status(state).valset_nonce)


def may_sign(state: StateReader, o: Outbox, address: bytes) -> bool:
    main = allowed_signers(state, o)
    if main is not None and address in main.addresses:
        return True
    if o.kind != KIND_VALSET:
        created = get_valset(state, o.valset)
        return created is not None and address in created.addresses
    return False


def signed_power(state: StateReader, o: Outbox) -> tuple[int, int]:
    """(power of the signers in the counting valset, its total power)."""
    valset = allowed_signers(state, o)
    if valset is None:
        return 0, 0
    power = dict(zip(valset.addresses, valset.powers, strict=True))
    return sum(power.get(a, 0) for a in o.signers), valset.total_power


def has_quorum(signed: int, total: int) -> bool:
    return total > 0 and signed * 3 > total * 2


def sign(ctx: ExecContext, kind: int, oid: int, signature: bytes) -> None:
    state = ctx.state
    config = require_config(state)
    if not config.vault:
        raise ExecutionFailure(
            "the vault address is not set yet (bridge.configure)", codes.BRIDGE_NOT_CONFIGURED
        )
    o = get_outbox(state, kind, oid)
    if o is None:
        raise ExecutionFailure(f"no bridge message {kind}/{oid}", codes.BRIDGE_UNKNOWN_MESSAGE)
    if kind == KIND_WITHDRAWAL and now_s(ctx) > Withdrawal.of(o).expiry:
        raise ExecutionFailure(
            f"withdrawal {oid} has expired; its owner may renew it", codes.BRIDGE_EXPIRED
        )
    digest = eth.message_digest(config.eth_chain_id, config.vault, message_of(state, o))
    try:
        signer = eth.recover(digest, signature)
    except eth.InvalidSignature as exc:
        raise ExecutionFailure(exc.message, codes.BRIDGE_BAD_SIGNATURE) from exc
    if not may_sign(state, o, signer):
        raise ExecutionFailure(
            f"{eth.to_checksum(signer)} may not sign this message (not in its valset)",
            codes.BRIDGE_SIGNER_NOT_ALLOWED,
        )
    if signer in o.signers:
        return  # already signed: the first signature stays
    state.put(signature_key(kind, oid, signer), codec.encode(signature))
    o = replace(o, signers=tuple(sorted((*o.signers, signer))))
    put_outbox(state, o)
    signed, total = signed_power(state, o)
    ctx.emit("bridge.signed", kind, oid, eth.to_checksum(signer), signed, has_quorum(signed, total))

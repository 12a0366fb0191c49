"""Byzantine replicas for the simulator.

Each wraps a real `Replica` (so it knows the protocol state and looks plausible) and
then lies: it rewrites, withholds or adds to what the replica would send. It signs only
with its own key; "forged" messages carry signatures it cannot make.

Kinds:
- silent: never sends anything (a crashed or mute primary);
- equivocate: sends different pre-prepares (and conflicting votes) to different peers;
- forge: adds copies under other senders' names, with broken signatures, and invalid
  batches when it is primary;
- replay: re-sends old messages of any sender, and its own re-signed for other epochs
  and chains;
- fabricate: sends view-changes with made-up prepared certificates and checkpoint
  proofs, forged commit proofs, and new-views whose O does not follow from V;
- garbage: sends random, truncated and bit-flipped bytes;
- censor: follows the protocol but, as primary, orders only its own junk batches,
  never the ones proposed to it.
"""

from __future__ import annotations

from typing import Any

from consensus.base import Digest, Epoch, ReplicaId, Seq, View, batch_digest
from consensus.certificates import (
    CheckpointCertificate,
    CheckpointProof,
    CommitCertificate,
    CommitProof,
    PreparedCertificate,
    Vote,
)
from consensus.config import ReplicaConfig
from consensus.crypto import Signer, Verifier
from consensus.effects import Broadcast, Deliver, Effect, Send, SetTimer, TimerId
from consensus.errors import InvalidMessage
from consensus.messages import Body, Commit, Prepare, PrePrepare, Signed
from consensus.replica import Replica
from consensus.simnet import DecodeCache, SimApp, SplitMix64, valid_payload
from consensus.view_change import NewView, ViewChange
from primitives.hashing import digest

KINDS = ("silent", "equivocate", "forge", "replay", "fabricate", "garbage", "censor")
FAKE_SIG = b"\x07" * 64


class ByzantineNode:
    honest = False

    def __init__(
        self,
        config: ReplicaConfig,
        signer: Signer,
        verifier: Verifier,
        kind: str,
        rng: SplitMix64,
    ) -> None:
        self.index = config.index
        self.config = config
        self.kind = kind
        self.rng = rng
        self.signer = signer
        self.app = SimApp(config.validators, config.start_seq)
        self.inner = Replica(config, signer, verifier, valid_payload)
        self.seen: list[bytes] = []
        self.decoder = DecodeCache()
        self.sent: list[Signed[Any]] = []

    # ---------------------------------------------------------------- SimNode

    def on_message(self, data: bytes) -> list[Effect]:
        if self.kind == "replay" and len(self.seen) < 400:
            self.seen.append(data)
        try:
            effects = self.inner.on_message(self.decoder.decode(data))
        except InvalidMessage:
            effects = []
        return self._lie(effects)

    def on_timer(self, timer: TimerId) -> list[Effect]:
        return self._lie(self.inner.on_timer(timer))

    def propose(self, payload: bytes) -> list[Effect]:
        if self.kind == "censor":
            payload = b"tx:junk:%d:%d" % (self.index, len(self.sent))
        return self._lie(self.inner.propose(payload))

    def crash(self) -> None:
        pass

    def restart(self, proposals: list[bytes]) -> list[Effect]:
        return []

    def state_transferred(self, seq: Seq) -> list[Effect]:
        return self._lie(self.inner.on_state_transferred(seq))

    # ---------------------------------------------------------------- lying

    def _peers(self) -> list[ReplicaId]:
        return [ReplicaId(i) for i in range(self.config.validators.n) if i != self.index]

    def _sign(self, body: Body, *, epoch: int | None = None, chain: str | None = None) -> bytes:
        msg = Signed(
            chain or self.config.chain_id,
            Epoch(self.config.validators.epoch if epoch is None else epoch),
            self.index,
            body,
            b"",
        )
        signed = Signed(
            msg.chain_id, msg.epoch, msg.sender, body, self.signer.sign(msg.signing_bytes())
        )
        return signed.encode()

    def _lie(self, effects: list[Effect]) -> list[Effect]:
        if self.kind == "silent":
            return []
        out: list[Effect] = []
        queue = list(effects)
        while queue:
            effect = queue.pop(0)
            if isinstance(effect, Deliver):
                root, change = self.app.execute(effect.seq, effect.digest, effect.payload)
                queue += self.inner.on_executed(effect.seq, root, change)
            elif isinstance(effect, Broadcast):
                out += self._rewrite(effect)
            elif isinstance(effect, (Send, SetTimer)):
                out.append(effect)
        out += self._extra()
        return out

    def _raw(self, to: ReplicaId, data: bytes, like: Signed[Any]) -> Send:
        return Send(to, like, data)

    def _rewrite(self, effect: Broadcast) -> list[Effect]:
        msg = effect.message
        self.sent.append(msg)
        body = msg.body
        out: list[Effect] = []
        for peer in self._peers():
            data = effect.data
            if self.kind == "equivocate" and self.rng.below(2) == 0:
                if isinstance(body, PrePrepare) and body.payload is not None:
                    evil = b"tx:evil-%d-%d-%d" % (body.view, body.seq, peer)
                    data = self._sign(PrePrepare(body.view, body.seq, batch_digest(evil), evil))
                elif isinstance(body, (Prepare, Commit)):
                    other = digest(b"evil", b"%d" % self.rng.below(3))
                    data = self._sign(type(body)(body.view, body.seq, Digest(other)))
            out.append(self._raw(peer, data, msg))
        if self.kind == "forge":
            out += self._forgeries(msg)
        return out

    def _forgeries(self, msg: Signed[Any]) -> list[Effect]:
        peer = self._peers()[self.rng.below(len(self._peers()))]
        victim = ReplicaId(self.rng.below(self.config.validators.n))
        stolen = Signed(msg.chain_id, msg.epoch, victim, msg.body, msg.signature)
        broken = Signed(msg.chain_id, msg.epoch, msg.sender, msg.body, FAKE_SIG)
        out: list[Effect] = [
            self._raw(peer, stolen.encode(), msg),
            self._raw(peer, broken.encode(), msg),
        ]
        if self.inner.is_primary:
            bad = b"bad:%d" % self.rng.below(1000)
            pp = PrePrepare(self.inner.view, self.inner.next_seq, batch_digest(bad), bad)
            out.append(self._raw(peer, self._sign(pp), msg))
        return out

    def _extra(self) -> list[Effect]:
        if self.rng.below(4) != 0 or not self._peers():
            return []
        peer = self._peers()[self.rng.below(len(self._peers()))]
        dummy = self.inner.sign(PrePrepare(View(0), Seq(0), batch_digest(b""), b""))
        if self.kind == "replay":
            return self._replays(peer, dummy)
        if self.kind == "fabricate":
            return [self._raw(peer, data, dummy) for data in self._fabrications()]
        if self.kind == "garbage":
            return [self._raw(peer, self._garbage(), dummy)]
        return []

    def _replays(self, peer: ReplicaId, dummy: Signed[Any]) -> list[Effect]:
        out: list[Effect] = []
        if self.seen:
            out.append(self._raw(peer, self.seen[self.rng.below(len(self.seen))], dummy))
        if self.sent:
            old = self.sent[self.rng.below(len(self.sent))]
            epoch = self.config.validators.epoch + 1
            out.append(self._raw(peer, self._sign(old.body, epoch=epoch), dummy))
            out.append(self._raw(peer, self._sign(old.body, chain="other-chain"), dummy))
        return out

    def _fake_prepared(self, view: View, seq: Seq) -> PreparedCertificate:
        payload = b"tx:fabricated-%d" % seq
        pp_bytes = PrePrepare(view, seq, batch_digest(payload), payload)
        pp = Signed(self.config.chain_id, self.config.validators.epoch, self.index, pp_bytes, b"")
        pp = Signed(
            pp.chain_id, pp.epoch, pp.sender, pp_bytes, self.signer.sign(pp.signing_bytes())
        )
        votes = tuple(Vote(p, FAKE_SIG) for p in self._peers())
        return PreparedCertificate(pp, votes)

    def _fabrications(self) -> list[bytes]:
        r = self.inner
        view = View(r.view + 1 + self.rng.below(3))
        seq = Seq(r.low + 1 + self.rng.below(r.config.window))
        root = Digest(digest(b"fake-root", b"%d" % seq))
        fake_cp = CheckpointCertificate(
            self.config.chain_id,
            self.config.validators.epoch,
            Seq(r.low + r.config.checkpoint_interval),
            root,
            tuple(Vote(p, FAKE_SIG) for p in self._peers()),
        )
        prepared = (self._fake_prepared(View(view - 1), seq),)
        out = [
            self._sign(ViewChange(view, None, prepared)),
            self._sign(ViewChange(view, fake_cp, ())),
            self._sign(CheckpointProof(fake_cp)),
        ]
        payload = b"tx:forged-commit-%d" % seq
        cert = CommitCertificate(
            self.config.chain_id,
            self.config.validators.epoch,
            r.view,
            seq,
            batch_digest(payload),
            tuple(Vote(p, FAKE_SIG) for p in self._peers()),
        )
        out.append(self._sign(CommitProof(cert, payload)))
        own_vcs = tuple(vc for _, vc in sorted(r.changer.vcs.items()) if vc.body.new_view == r.view)
        if r.is_primary and own_vcs:
            evil = b"tx:new-view-evil"
            pp = self.inner.sign(PrePrepare(r.view, Seq(r.low + 1), batch_digest(evil), evil))
            out.append(self._sign(NewView(r.view, own_vcs, (pp,))))
        return out

    def _garbage(self) -> bytes:
        choice = self.rng.below(3)
        if choice == 0 or not self.sent:
            return self.rng.bytes(1 + self.rng.below(64))
        data = bytearray(self.sent[self.rng.below(len(self.sent))].encode())
        if choice == 1:
            return bytes(data[: self.rng.below(len(data))])
        data[self.rng.below(len(data))] ^= 1 << self.rng.below(8)
        return bytes(data)

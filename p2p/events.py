"""What the p2p layer tells the layer above, through `Node.events`."""

from __future__ import annotations

from dataclasses import dataclass

from p2p.envelope import MsgClass


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message from `peer`. Gossip is delivered once per node, whichever peer sent it first."""

    peer: bytes
    msg_class: MsgClass
    payload: bytes


@dataclass(frozen=True, slots=True)
class PeerUp:
    peer: bytes


@dataclass(frozen=True, slots=True)
class PeerDown:
    """The link to `peer` closed. `code` is a stable error code (e.g. `send_queue_full`).

    `consensus_lost` is True when consensus-class or sync messages were still queued (or
    could not be queued) for this peer: they were not delivered, the upper layer must
    resend or resynchronise.
    """

    peer: bytes
    code: str
    reason: str
    consensus_lost: bool


Event = Delivered | PeerUp | PeerDown

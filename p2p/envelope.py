"""Envelopes: what one record of a link carries (canonical msgpack arrays, decoded strictly).

    [0, nonce]                       Ping     keepalive; resets the peer's idle timer
    [1, class, payload]              Data     a direct message of a class for the upper layer
    [2, payload]                     Gossip   a flooded message; its id is computed, not sent
    [3, request_id, payload]         Request
    [4, request_id, status, payload] Response status 0 = ok, 1 = error, 2 = busy

Payloads are opaque bytes for the layers above. Anything else is InvalidMessage.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from p2p.errors import InvalidMessage
from primitives import codec
from primitives.errors import DecodeError


class MsgClass(IntEnum):
    """Traffic classes. CONSENSUS and SYNC are never shed; GOSSIP may be under overload."""

    CONTROL = 0
    CONSENSUS = 1
    GOSSIP = 2
    SYNC = 3


class Kind(IntEnum):
    PING = 0
    DATA = 1
    GOSSIP = 2
    REQUEST = 3
    RESPONSE = 4


class Status(IntEnum):
    OK = 0
    ERROR = 1
    BUSY = 2


U32 = 2**32 - 1


@dataclass(frozen=True, slots=True)
class Ping:
    nonce: int

    @property
    def msg_class(self) -> MsgClass:
        return MsgClass.CONTROL


@dataclass(frozen=True, slots=True)
class Data:
    msg_class: MsgClass
    payload: bytes


@dataclass(frozen=True, slots=True)
class Gossip:
    payload: bytes

    @property
    def msg_class(self) -> MsgClass:
        return MsgClass.GOSSIP


@dataclass(frozen=True, slots=True)
class Request:
    request_id: int
    payload: bytes

    @property
    def msg_class(self) -> MsgClass:
        return MsgClass.SYNC


@dataclass(frozen=True, slots=True)
class Response:
    request_id: int
    status: Status
    payload: bytes

    @property
    def msg_class(self) -> MsgClass:
        return MsgClass.SYNC


Envelope = Ping | Data | Gossip | Request | Response

_DATA_CLASSES = (MsgClass.CONSENSUS, MsgClass.GOSSIP)
_DATA_PREFIX = {c: bytes((0x93, Kind.DATA, c)) for c in _DATA_CLASSES}
_CLASS_BY_BYTE = {int(c): c for c in _DATA_CLASSES}


def encode_ping(nonce: int) -> bytes:
    return codec.encode([Kind.PING.value, nonce])


def _bin(payload: bytes) -> bytes:
    # msgpack's shortest bin header, exactly what codec.encode writes
    n = len(payload)
    if n < 0x100:
        return b"\xc4" + bytes((n,)) + payload
    if n < 0x10000:
        return b"\xc5" + n.to_bytes(2, "big") + payload
    return b"\xc6" + n.to_bytes(4, "big") + payload


def encode_data(msg_class: MsgClass, payload: bytes) -> bytes:
    """Same bytes as codec.encode([1, class, payload]), built without the generic encoder."""
    return _DATA_PREFIX[msg_class] + _bin(payload)


def encode_gossip(payload: bytes) -> bytes:
    return b"\x92\x02" + _bin(payload)


def encode_request(request_id: int, payload: bytes) -> bytes:
    return codec.encode([Kind.REQUEST.value, request_id, payload])


def encode_response(request_id: int, status: Status, payload: bytes) -> bytes:
    return codec.encode([Kind.RESPONSE.value, request_id, int(status), payload])


def _fast_bin(record: bytes, pos: int, max_payload: int) -> bytes | None:
    """The bin value filling `record` from `pos`, if it is canonical; else None."""
    end = len(record)
    if end - pos < 2:
        return None
    tag = record[pos]
    if tag == 0xC4:
        n, start = record[pos + 1], pos + 2
    elif tag == 0xC5 and end - pos >= 3:
        n, start = int.from_bytes(record[pos + 1 : pos + 3], "big"), pos + 3
        if n < 0x100:
            return None
    elif tag == 0xC6 and end - pos >= 5:
        n, start = int.from_bytes(record[pos + 1 : pos + 5], "big"), pos + 5
        if n < 0x10000:
            return None
    else:
        return None
    if start + n != end or n > max_payload:
        return None
    return record[start:]


def decode(record: bytes, max_payload: int) -> Envelope:
    """The envelope in `record`, or InvalidMessage.

    Data and Gossip, the bulk of traffic, are recognised by a fast path that accepts
    exactly the canonical bytes; anything else goes through the strict generic decoder,
    so both paths accept and refuse the same inputs (a property test checks this).
    """
    if len(record) >= 4 and record[0] == 0x93 and record[1] == Kind.DATA:
        cls = _CLASS_BY_BYTE.get(record[2])
        if cls is not None:
            payload = _fast_bin(record, 3, max_payload)
            if payload is not None:
                return Data(cls, payload)
    elif len(record) >= 3 and record[0] == 0x92 and record[1] == Kind.GOSSIP:
        payload = _fast_bin(record, 2, max_payload)
        if payload is not None:
            return Gossip(payload)
    return decode_strict(record, max_payload)


def decode_strict(record: bytes, max_payload: int) -> Envelope:
    """The generic decoder (primitives.codec), used for everything but the fast path."""
    try:
        value = codec.decode(record, max_size=max_payload + 32)
        fields = codec.expect_list(value, what="envelope")
        if not fields:
            raise DecodeError("envelope: empty")
        kind = codec.expect_int(fields[0], 0, 4, what="envelope kind")
        if kind == Kind.DATA:
            codec.expect_list(fields, 3, what="data")
            cls = codec.expect_int(fields[1], 0, 3, what="message class")
            if cls not in _DATA_CLASSES:
                raise DecodeError(f"data: class {cls} cannot be sent directly")
            return Data(MsgClass(cls), _payload(fields[2], max_payload))
        if kind == Kind.GOSSIP:
            codec.expect_list(fields, 2, what="gossip")
            return Gossip(_payload(fields[1], max_payload))
        if kind == Kind.PING:
            codec.expect_list(fields, 2, what="ping")
            return Ping(codec.expect_int(fields[1], what="ping nonce"))
        if kind == Kind.REQUEST:
            codec.expect_list(fields, 3, what="request")
            rid = codec.expect_int(fields[1], 0, U32, what="request id")
            return Request(rid, _payload(fields[2], max_payload))
        codec.expect_list(fields, 4, what="response")
        rid = codec.expect_int(fields[1], 0, U32, what="request id")
        status = Status(codec.expect_int(fields[2], 0, 2, what="response status"))
        return Response(rid, status, _payload(fields[3], max_payload))
    except DecodeError as exc:
        raise InvalidMessage(f"bad envelope: {exc.message}") from exc


def _payload(value: codec.Wire, max_payload: int) -> bytes:
    return codec.expect_bytes(value, max_len=max_payload, what="payload")

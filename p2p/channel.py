"""The encrypted channel of one link: records in, sealed frames out (pure, no I/O).

Wire format after the handshake: each frame (see framing.py) carries one ChaCha20-Poly1305
ciphertext under the Noise transport CipherState of its direction. Its plaintext is one
or more records, each a 4-byte big-endian length and a record body (an envelope, see
envelope.py). Packing many records into one sealed frame is what makes 200-byte
messages cheap: one AEAD call and one `send_all` per batch, not per message.

Deviation from Noise section 11.1: a transport message may exceed 65535 bytes (up to
`max_frame`); both ends are this code, and large snapshots then need no chunking.
The frame counter is the AEAD nonce, so a replayed, dropped, reordered or altered frame
fails authentication and the link is closed.
"""

from __future__ import annotations

from p2p.errors import InvalidFrame
from p2p.framing import HEADER, HEADER_SIZE, FrameDecoder
from p2p.noise import TAGLEN, CipherState


class SecureChannel:
    __slots__ = ("_send", "_recv", "_decoder", "max_frame")

    def __init__(self, send: CipherState, recv: CipherState, max_frame: int) -> None:
        self._send = send
        self._recv = recv
        self.max_frame = max_frame
        self._decoder = FrameDecoder(max_frame + TAGLEN, min_frame=TAGLEN)

    @property
    def buffered(self) -> int:
        return self._decoder.buffered

    def seal(self, records: list[bytes]) -> bytes:
        """One frame holding every record, encrypted; caller keeps it under max_frame."""
        plain = b"".join([HEADER.pack(len(r)) + r for r in records])
        ct = self._send.encrypt_with_ad(b"", plain)
        return HEADER.pack(len(ct)) + ct

    def receive(self, data: bytes | bytearray) -> list[bytes]:
        """Records of every complete frame in `data`; InvalidFrame/DecryptError on garbage."""
        records: list[bytes] = []
        for frame in self._decoder.feed(data):
            plain = self._recv.decrypt_with_ad(b"", frame)
            records.extend(split_records(plain))
        return records


def record_overhead() -> int:
    return HEADER_SIZE


def split_records(plain: bytes) -> list[bytes]:
    out: list[bytes] = []
    pos = 0
    end = len(plain)
    view = memoryview(plain)
    while pos < end:
        if end - pos < HEADER_SIZE:
            raise InvalidFrame("truncated record header inside a frame")
        (length,) = HEADER.unpack_from(plain, pos)
        pos += HEADER_SIZE
        if length > end - pos:
            raise InvalidFrame("record runs past the end of its frame")
        out.append(bytes(view[pos : pos + length]))
        pos += length
    if not out:
        raise InvalidFrame("empty frame")
    return out

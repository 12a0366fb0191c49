"""Length-prefixed frames: a pure, incremental decoder.

A frame is a 4-byte big-endian length followed by that many bytes. The decoder is fed
whatever the socket returned (one byte or a megabyte) and hands back every complete
frame. A length prefix above `max_frame` (or below `min_frame`) is refused as soon as
the 4 header bytes are in, before any body is buffered, so a hostile prefix can never
make us allocate. The buffered partial frame is therefore at most `max_frame + 4` bytes.
"""

from __future__ import annotations

import struct

from p2p.errors import InvalidFrame, OversizeFrame

HEADER = struct.Struct(">I")
HEADER_SIZE = HEADER.size
MAX_FRAME_LIMIT = 2**32 - 1


def encode_frame(body: bytes, max_frame: int = MAX_FRAME_LIMIT) -> bytes:
    if len(body) > max_frame:
        raise OversizeFrame(f"frame of {len(body)} bytes exceeds the limit of {max_frame}")
    return HEADER.pack(len(body)) + body


class FrameDecoder:
    """Incremental decoder of length-prefixed frames."""

    __slots__ = ("max_frame", "min_frame", "_buf")

    def __init__(self, max_frame: int, min_frame: int = 0) -> None:
        if not 0 <= min_frame <= max_frame <= MAX_FRAME_LIMIT:
            raise ValueError("need 0 <= min_frame <= max_frame < 2**32")
        self.max_frame = max_frame
        self.min_frame = min_frame
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        """Bytes of a partial frame waiting for the rest."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray) -> list[bytes]:
        """Complete frames found after appending `data`; raises InvalidFrame/OversizeFrame.

        After an error the decoder is poisoned: the stream has no trustworthy boundary
        any more and the caller must drop the connection.
        """
        buf = self._buf
        buf += data
        frames: list[bytes] = []
        pos = 0
        end = len(buf)
        while end - pos >= HEADER_SIZE:
            (length,) = HEADER.unpack_from(buf, pos)
            if length > self.max_frame:
                self._poison()
                raise OversizeFrame(
                    f"length prefix {length} exceeds the frame limit of {self.max_frame}"
                )
            if length < self.min_frame:
                self._poison()
                raise InvalidFrame(f"frame of {length} bytes is below the minimum {self.min_frame}")
            if end - pos - HEADER_SIZE < length:
                break
            start = pos + HEADER_SIZE
            frames.append(bytes(buf[start : start + length]))
            pos = start + length
        if pos:
            del buf[:pos]
        return frames

    def _poison(self) -> None:
        self._buf = bytearray()
        self.max_frame = -1  # every later header is refused

"""A TCP forwarder on loopback for partition tests: one listening port per ordered pair
of nodes (i -> j), forwarding to node j's real port. `cut(i)` closes every live
connection of a pair that involves node i and refuses new ones (accepted, then closed
at once, so the dialer sees a failed handshake and backs off); `heal(i)` lets them
through again.

Threads, not trio: the test drives real processes synchronously. One accept thread per
pair and two pump threads per forwarded connection; `close()` stops and joins them all
and closes every socket (pytest runs with warnings as errors).
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field

HOST = "127.0.0.1"
CHUNK = 64 * 1024
POLL_S = 0.1


@dataclass(eq=False)
class _Conn:
    """One forwarded connection: `a` from the dialer, `b` to the target."""

    pair: tuple[int, int]
    a: socket.socket
    b: socket.socket
    threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pumps_left: int = 2

    def shutdown(self) -> None:
        """Tear both sides down (wakes the pumps); idempotent."""
        for s in (self.a, self.b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the peer or by us

    def pump_done(self) -> None:
        with self._lock:
            self._pumps_left -= 1
            last = self._pumps_left == 0
        if last:
            self.a.close()
            self.b.close()


class Proxy:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._cut: set[int] = set()
        self._listeners: dict[tuple[int, int], socket.socket] = {}
        self._conns: set[_Conn] = set()
        self._accepters: list[threading.Thread] = []
        self._pumps: list[threading.Thread] = []
        self.refused = 0  # connections refused while cut
        self.forwarded = 0  # connections forwarded

    # ------------------------------------------------------------------ setup
    def add(self, src: int, dst: int, target_port: int) -> int:
        """Listen for node `src`'s connections to node `dst` (at `target_port`); returns
        the port to put in `src`'s peer list."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, 0))
        listener.listen(16)
        listener.settimeout(POLL_S)
        self._listeners[(src, dst)] = listener
        t = threading.Thread(
            target=self._accept_loop,
            args=((src, dst), listener, target_port),
            name=f"proxy-{src}-{dst}",
            daemon=True,
        )
        self._accepters.append(t)
        t.start()
        return int(listener.getsockname()[1])

    # -------------------------------------------------------------- faults
    def cut(self, node: int) -> None:
        """Isolate `node`: drop its live connections and refuse new ones."""
        with self._lock:
            self._cut.add(node)
            victims = [c for c in self._conns if node in c.pair]
        for conn in victims:
            conn.shutdown()
        for conn in victims:  # on return, every one of them is closed
            for t in conn.threads:
                t.join(10)

    def heal(self, node: int) -> None:
        with self._lock:
            self._cut.discard(node)

    def live(self, node: int) -> int:
        """Forwarded connections of pairs involving `node` that are still open."""
        with self._lock:
            return sum(1 for c in self._conns if node in c.pair)

    def _blocked(self, pair: tuple[int, int]) -> bool:
        return pair[0] in self._cut or pair[1] in self._cut

    # ---------------------------------------------------------------- work
    def _accept_loop(self, pair: tuple[int, int], listener: socket.socket, port: int) -> None:
        while not self._stop.is_set():
            try:
                a, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # listener closed
            with self._lock:
                blocked = self._blocked(pair) or self._stop.is_set()
            if blocked:
                self.refused += 1
                _abort(a)
                continue
            a.settimeout(None)
            try:
                b = socket.create_connection((HOST, port), timeout=2.0)
            except OSError:
                _abort(a)  # the target is down: the dialer retries later
                continue
            b.settimeout(None)
            self._start_conn(pair, a, b)

    def _start_conn(self, pair: tuple[int, int], a: socket.socket, b: socket.socket) -> None:
        conn = _Conn(pair, a, b)
        conn.threads = [
            threading.Thread(target=self._pump, args=(conn, a, b), daemon=True),
            threading.Thread(target=self._pump, args=(conn, b, a), daemon=True),
        ]
        with self._lock:
            # a cut may have come in between accept and here: honour it
            if self._blocked(pair) or self._stop.is_set():
                self.refused += 1
                _abort(a)
                _abort(b)
                return
            self._conns.add(conn)
            self._pumps.extend(conn.threads)
            self.forwarded += 1
        for t in conn.threads:
            t.start()

    def _pump(self, conn: _Conn, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(CHUNK)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass  # reset or shut down by cut(): the connection is over either way
        finally:
            conn.shutdown()
            with self._lock:
                self._conns.discard(conn)
            conn.pump_done()

    # ------------------------------------------------------------- cleanup
    def close(self) -> None:
        with self._lock:
            self._stop.set()  # no connection is forwarded from here on
        for t in self._accepters:
            t.join(10)
        for listener in self._listeners.values():
            listener.close()
        with self._lock:
            conns = list(self._conns)
            pumps = list(self._pumps)
        for conn in conns:
            conn.shutdown()
        for t in pumps:
            t.join(10)
        alive = [t.name for t in self._accepters + pumps if t.is_alive()]
        if alive:
            raise RuntimeError(f"proxy threads did not stop: {alive}")

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _abort(sock: socket.socket) -> None:
    """Close at once with a reset, so the other side learns immediately."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()

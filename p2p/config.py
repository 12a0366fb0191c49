"""P2P configuration: frozen dataclasses passed in by the node (no global lookups)."""

from __future__ import annotations

from dataclasses import dataclass, field

from p2p.errors import ConfigError
from primitives.codec import MAX_BYTES_LEN
from primitives.keys import PUBLIC_KEY_SIZE, PrivateKey

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class PeerSpec:
    """A peer we accept; with `host`/`port` we also dial it."""

    public_key: bytes
    host: str | None = None
    port: int | None = None

    def __post_init__(self) -> None:
        if type(self.public_key) is not bytes or len(self.public_key) != PUBLIC_KEY_SIZE:
            raise ConfigError("a peer's public key is 32 bytes")
        if (self.host is None) != (self.port is None):
            raise ConfigError("give a peer both host and port, or neither")
        if self.port is not None and not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} out of range")

    @property
    def dialable(self) -> bool:
        return self.host is not None


@dataclass(frozen=True, slots=True)
class Limits:
    """Every bound of the p2p layer. Times are seconds (the shell reads trio's clock)."""

    max_payload: int = 1024 * 1024  # bytes of one message payload (codec caps bin at 1 MiB)
    batch_bytes: int = 64 * 1024  # plaintext bytes packed into one sealed frame
    handshake_timeout: float = 10.0
    keepalive_interval: float = 5.0
    idle_timeout: float = 20.0  # no complete frame for this long: the link is dead
    send_timeout: float = 10.0  # one send_all blocked this long: the peer does not read
    consensus_queue: int = 4096  # messages waiting per peer, consensus + sync classes
    consensus_wait: float = 2.0  # how long send() may wait for queue space, then reset
    gossip_queue: int = 4096  # gossip messages waiting per peer; beyond, shed and counted
    inbound_queue: int = 8192  # events waiting for the upper layer
    max_pending_handshakes: int = 64
    backoff_base: float = 0.1
    backoff_max: float = 30.0
    gossip_fanout: int | None = None  # None: flood to every connected peer
    seen_cache_size: int = 100_000
    seen_ttl: float = 120.0
    rate_per_sec: float = 20_000.0  # inbound messages per peer; above it is a flood
    rate_burst: float = 40_000.0
    request_timeout: float = 10.0
    max_requests_in_flight: int = 16  # served concurrently per peer; beyond: BUSY
    score_ban_threshold: int = 0
    ban_seconds: float = 600.0

    def __post_init__(self) -> None:
        if not 0 < self.max_payload <= MAX_BYTES_LEN:
            raise ConfigError("max_payload must be in (0, 8 MiB] (the codec's byte-string limit)")
        for name in ("handshake_timeout", "keepalive_interval", "idle_timeout", "send_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.idle_timeout <= self.keepalive_interval:
            raise ConfigError("idle_timeout must exceed keepalive_interval")
        if min(self.consensus_queue, self.gossip_queue, self.inbound_queue) < 1:
            raise ConfigError("queues hold at least one message")
        if self.gossip_fanout is not None and self.gossip_fanout < 1:
            raise ConfigError("gossip_fanout is at least 1 (or None for all)")

    @property
    def max_frame(self) -> int:
        """Largest sealed-frame plaintext: one maximal message or one batch."""
        return max(self.batch_bytes, self.max_payload + 64)


@dataclass(frozen=True, slots=True)
class P2PConfig:
    identity: PrivateKey
    chain_id: str
    listen_host: str = LOOPBACK
    listen_port: int = 0
    peers: tuple[PeerSpec, ...] = ()  # validators (and anyone else we dial or accept)
    observers: tuple[bytes, ...] = ()  # extra identities we accept but do not dial
    limits: Limits = field(default_factory=Limits)
    hash_name: str = "SHA256"  # Noise hash: "SHA256" or "BLAKE2b"

    def __post_init__(self) -> None:
        if not 0 < len(self.chain_id) <= 64:
            raise ConfigError("chain_id is 1..64 characters")
        if self.hash_name not in ("SHA256", "BLAKE2b"):
            raise ConfigError("hash_name is SHA256 or BLAKE2b")
        for key in self.observers:
            if type(key) is not bytes or len(key) != PUBLIC_KEY_SIZE:
                raise ConfigError("an observer key is 32 bytes")
        if not 0 <= self.listen_port < 65536:
            raise ConfigError("listen_port out of range")

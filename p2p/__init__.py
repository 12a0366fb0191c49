"""SCCTN peer-to-peer layer: authenticated, encrypted, permissioned links over trio TCP.

Carries opaque messages for the layers above (consensus, mempool, sync) and imports none
of them. The public surface is re-exported here; see docs/p2p.md.
"""

from p2p.config import Limits, P2PConfig, PeerSpec
from p2p.envelope import MsgClass
from p2p.errors import P2PError
from p2p.events import Delivered, PeerDown, PeerUp
from p2p.metrics import CounterMetrics, MetricsSink, PrometheusMetrics
from p2p.node import Node

__all__ = [
    "CounterMetrics",
    "Delivered",
    "Limits",
    "MetricsSink",
    "MsgClass",
    "Node",
    "P2PConfig",
    "P2PError",
    "PeerDown",
    "PeerSpec",
    "PeerUp",
    "PrometheusMetrics",
]

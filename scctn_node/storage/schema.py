"""Every table of the node's single LevelDB database, by key prefix, in one place.

Keys are `prefix || suffix`. Heights are 8-byte big-endian so that byte order is
numeric order and prefix iteration walks blocks in height order.
"""

from __future__ import annotations


class Prefix:
    META = b"m"  # m<name> -> value (chain id, genesis hash, last committed height, ...)
    BLOCK = b"b"  # b<height:8> -> encoded block
    HEADER_HASH = b"h"  # h<block hash:32> -> height:8
    TX_INDEX = b"t"  # t<tx hash:32> -> height:8 || index:4
    RECEIPT = b"r"  # r<height:8><index:4> -> encoded receipt
    STATE = b"s"  # s<state key> -> state value (the plain values the tree authenticates)
    STATE_TREE = b"n"  # nR -> root slot, nN<depth:1><path> -> tree page (owned by storage/smt.py)
    CONSENSUS_LOG = b"c"  # c<...> -> consensus write-ahead log entries
    MEMPOOL = b"p"  # p<tx hash:32> -> accepted, not yet committed transaction bytes
    ASSET_HISTORY = b"a"  # a<symbol>\x00<height:8> -> point-type record as of that block


def height_key(height: int) -> bytes:
    return height.to_bytes(8, "big")


def block_key(height: int) -> bytes:
    return Prefix.BLOCK + height_key(height)


def receipt_key(height: int, index: int) -> bytes:
    return Prefix.RECEIPT + height_key(height) + index.to_bytes(4, "big")


def tx_index_key(tx_hash: bytes) -> bytes:
    return Prefix.TX_INDEX + tx_hash


def header_hash_key(block_hash: bytes) -> bytes:
    return Prefix.HEADER_HASH + block_hash


def state_key(key: bytes) -> bytes:
    return Prefix.STATE + key


def meta_key(name: str) -> bytes:
    return Prefix.META + name.encode()


def mempool_key(tx_hash: bytes) -> bytes:
    return Prefix.MEMPOOL + tx_hash


def asset_history_key(symbol: bytes, height: int) -> bytes:
    return Prefix.ASSET_HISTORY + symbol + b"\x00" + height_key(height)

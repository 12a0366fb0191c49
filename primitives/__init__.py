"""Shared primitives of the SCCTN node: canonical encoding, hashing, keys, addresses.

Every package of the project may import this one; it imports nothing of ours. Its only
third-party dependencies are msgpack (encoding) and pynacl (Ed25519).
"""

"""The chain: blocks, the chain store, the mempool, block production and execution."""

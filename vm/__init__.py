"""The token VM: transactions, operations, gas, the points ledger.

Sans-IO and deterministic: `execute_block` takes a state view, transactions and a block
context (height, time) and returns receipts; the same inputs give the same bytes on
every machine. No clocks, sockets, disks, floats or unordered iteration.
"""

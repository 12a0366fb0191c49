"""The contract machine: a small, bounded, deterministic stack machine.

`isa` is the one table of instructions; `asm` assembles and disassembles; `code.validate`
checks bytecode at deploy and pre-decodes it; `interp.run` executes against a `host.Host`.
See docs/contracts.md.
"""

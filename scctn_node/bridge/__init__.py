"""The Ethereum bridge: contract artifacts, JSON-RPC client, vault bindings, watcher and relayer."""

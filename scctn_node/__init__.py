"""The SCCTN node: config, CLI, storage, chain, API, metrics, keystore, localnet."""

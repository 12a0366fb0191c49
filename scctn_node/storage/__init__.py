"""Storage: a key-value store interface (LevelDB and in-memory), the table schema, the
authenticated state tree."""

"""Genesis documents: schema, validation, builders, and the genesis state."""

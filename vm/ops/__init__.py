"""Operations of the token VM: one module per operation family, one table of op codes."""

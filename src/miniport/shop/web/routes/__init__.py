"""The shop's routes, one module per area of the store."""

"""The host app's routes, one module per area."""

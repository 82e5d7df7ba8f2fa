"""Domain queries and changes behind the governance consoles (no web framework here)."""

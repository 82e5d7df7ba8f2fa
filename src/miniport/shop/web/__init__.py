"""The shop's web face: the only part of the shop that imports FastAPI."""

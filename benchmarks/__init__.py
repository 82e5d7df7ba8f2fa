"""Load benchmarks for the platform's hot paths (``python -m benchmarks.run``)."""

"""Benchmarks for search at scale, stored-vector quantization and CPU inference (see docs/PERFORMANCE.md)."""

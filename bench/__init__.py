"""Benchmarks: `python -m bench` (or `make bench`) prints tables and writes a JSON file."""

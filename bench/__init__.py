"""Benchmarks of the real server over real HTTP; `python -m bench.http --help`."""

"""Benchmark scripts. A package only so that tests can import ``benchmarks.mask_eval``."""

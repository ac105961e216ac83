"""Test support: code the tests and benchmarks share that is not part of the product."""

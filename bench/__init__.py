"""Benchmarks run by `make bench`: figures and ratios, printed."""

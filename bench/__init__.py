"""Benchmarks (`make bench`): performance targets are measured here, never in timed unit tests."""

"""Benchmarks (quality and speed); not part of the test run. ``python -m bench`` runs them all."""

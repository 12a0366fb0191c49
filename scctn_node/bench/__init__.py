"""Benchmarks behind `scctn bench`: each returns its figures and prints them."""

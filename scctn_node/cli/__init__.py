"""The `scctn` command line."""

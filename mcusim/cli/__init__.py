"""The `mcusim` command line."""

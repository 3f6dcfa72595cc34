"""The click command line: ``graphscan``."""

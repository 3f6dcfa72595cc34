"""graphscan: graph analytics for collusion fraud against the medical insurance fund."""

__version__ = "0.1.0"

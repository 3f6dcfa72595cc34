"""graphscan: graph analytics for collusion fraud against the medical insurance fund."""

from typing import Any

from graphscan.version import __version__

__all__ = ["__version__", "case", "cases", "evidence", "members", "scan"]

#: the notebook API (graphscan.api), imported on first use so `import graphscan` stays light
_API = ("scan", "cases", "case", "members", "evidence")


def __getattr__(name: str) -> Any:
    if name in _API:
        from graphscan import api

        return getattr(api, name)
    raise AttributeError(f"module 'graphscan' has no attribute {name!r}")

"""graphscan: graph analytics for collusion fraud against the medical insurance fund."""

from typing import Any

__version__ = "0.1.0"

#: the notebook API (graphscan.api), imported on first use so `import graphscan` stays light
_API = ("scan", "case", "members", "evidence")


def __getattr__(name: str) -> Any:
    if name == "cases":  # the module graphscan.cases, callable as the API's case list
        import graphscan.cases

        return graphscan.cases
    if name in _API:
        from graphscan import api

        return getattr(api, name)
    raise AttributeError(f"module 'graphscan' has no attribute {name!r}")

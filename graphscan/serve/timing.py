"""Where one request's time went, sent back in the standard ``Server-Timing`` header: the
browser's developer tools show it beside the request, and benchmarks/serve.py prints it
beside DuckDB's own floor, so a slow answer says which part is slow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

HEADER = "server-timing"


class Timings:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Seconds spent in the block, added to ``name`` (a phase may run more than once)."""
        began = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - began

    def header(self) -> str:
        return ", ".join(f"{name};dur={took * 1000:.1f}" for name, took in self.phases.items())


def parse(header: str) -> dict[str, float]:
    """A ``Server-Timing`` header back into phase -> milliseconds."""
    found = {}
    for part in filter(None, (p.strip() for p in header.split(","))):
        name, _, rest = part.partition(";")
        found[name] = float(rest.partition("dur=")[2] or 0)
    return found

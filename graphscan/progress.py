"""How long work reports how far it has got: a plain callback, so that the engine, the
loaders and the stores never draw anything themselves (the CLI draws bars, the workbench
could show a job's progress, tests and benchmarks pass nothing)."""

from __future__ import annotations

from collections.abc import Callable

#: ``(label, done, total)``: ``done`` of ``total`` steps of the work named ``label``
Progress = Callable[[str, int, int], None]


def report(progress: Progress | None, label: str, done: int, total: int) -> None:
    """Tell ``progress`` (when there is one) how far ``label`` has got."""
    if progress is not None:
        progress(label, done, total)

"""SQL for the embedded store, read as package resources."""

from importlib.resources import files


def read_sql(name: str) -> str:
    return (files(__name__) / f"{name}.sql").read_text(encoding="utf-8")

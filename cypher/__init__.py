"""Every Cypher statement graphscan runs, one parameterised ``.cypher`` file each."""

from importlib.resources import files


def read_cypher(name: str) -> str:
    return (files(__name__) / f"{name}.cypher").read_text(encoding="utf-8")

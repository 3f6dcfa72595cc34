"""Every Cypher statement graphscan runs, one parameterised ``.cypher`` file each. A rule
several statements share is a fragment file (``fragment_<name>.cypher``) that a statement
splices in with the line ``// include: fragment_<name>``: Neo4j has no macros, and one
rule must have one definition."""

import re
from importlib.resources import files

INCLUDE = re.compile(r"^[ \t]*// include: (fragment_[a-z_]+)[ \t]*$", re.MULTILINE)


def read_cypher(name: str) -> str:
    text = (files(__name__) / f"{name}.cypher").read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: read_cypher(m.group(1)).rstrip("\n"), text)

"""One rule, one definition in Cypher too: statements share a rule through a fragment file
that ``read_cypher`` splices in (Neo4j has no macros)."""

from importlib.resources import files

from graphscan.cypher import read_cypher

BURST_STATEMENTS = ("card_bursts", "card_burst_sizes", "card_roaming")


def _raw(name: str) -> str:
    return (files("graphscan.cypher") / f"{name}.cypher").read_text(encoding="utf-8")


def test_the_burst_rule_is_written_once_and_spliced_into_each_statement() -> None:
    fragment = _raw("fragment_pharmacy_bursts")
    written = [
        p.name
        for p in files("graphscan.cypher").iterdir()
        if p.name.endswith(".cypher") and "nanosecondsOfSecond" in p.read_text(encoding="utf-8")
    ]
    assert written == ["fragment_pharmacy_bursts.cypher"]
    body = [ln for ln in fragment.splitlines() if not ln.startswith("//")]
    for name in BURST_STATEMENTS:
        assert "// include: fragment_pharmacy_bursts" in _raw(name)
        text = read_cypher(name)
        assert "// include:" not in text
        assert "\n".join(body) in text
        assert "$gap_minutes" in text  # the spliced rule stays parameterised


def test_statements_without_includes_read_as_written() -> None:
    assert read_cypher("card_conflicts") == _raw("card_conflicts")


def test_a_prescriptions_institution_is_written_once() -> None:
    written = [
        p.name
        for p in files("graphscan.cypher").iterdir()
        if p.name.endswith(".cypher")
        and "ORDER BY n DESC, provider_id" in p.read_text(encoding="utf-8")
    ]
    assert written == ["fragment_doctor_institution.cypher"]
    for name in ("prescription_flows", "prescription_flow_claims"):
        assert "// include: fragment_doctor_institution" in _raw(name)
        assert "ORDER BY n DESC, provider_id" in read_cypher(name)

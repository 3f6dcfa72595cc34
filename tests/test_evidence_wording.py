"""Statistics a police officer can read: scientific notation keeps its number but gets
words beside it, in Chinese and English, on the page and in the memo; method names and
parameters are named in Chinese too."""

from __future__ import annotations

from pathlib import Path

from evidence_data import ring_case, ring_claims

from graphscan.pseudonym import Pseudonymiser
from graphscan.viz.package import export_case
from graphscan.viz.wording import magnitude, observed_expected, probability


def test_numbers_in_words() -> None:
    assert (
        probability(9.89e-142) == "9.89e-142（远小于十亿分之一 / far less than one in a billion）"
    )
    assert magnitude(3e-7).en == "less than one in a million"
    assert magnitude(2.1e11).zh == "约 2,100 亿" and magnitude(2.1e11).en == "about 210 billion"
    assert magnitude(12.0) is None
    assert observed_expected(10, 4.766e-11) == (
        "10 / 4.766e-11 (×2.1e+11)（期望小于十亿分之一，观测为期望的约 2,100 亿倍 / "
        "expected less than one in a billion; observed about 210 billion times the expected）"
    )


def test_page_and_memo_say_the_statistics_in_words(tmp_path: Path) -> None:
    claims = ring_claims(Pseudonymiser(b"words-test", tmp_path / "vault"))
    case = ring_case(claims)
    case.p_value, case.q_value, case.expected = 9.89e-142, 3.3e-140, 4.766e-11
    case.explanation_zh += "期望为 4.8e-11 次。"
    case.explanation_en += " Expected 4.8e-11 times."
    case.method = {"detector": "kickback", "high_value": 500.0, "min_claims": 5}
    evidence = claims[claims["claim_id"].isin(case.claim_ids)]
    export_case(case, evidence, tmp_path / "out")
    page = (tmp_path / "out" / "case.html").read_text(encoding="utf-8")
    memo = (tmp_path / "out" / "memo.md").read_text(encoding="utf-8")
    for text in (page, memo):
        assert "9.89e-142（远小于十亿分之一 / far less than one in a billion）" in text
        assert (
            "观测为期望的约 4.89 万亿倍" in text
            and "about 4.89 trillion times the expected" in text
        )
        assert "期望为 4.8e-11（小于十亿分之一） 次" in text
        assert "Expected 4.8e-11 (less than one in a billion) times" in text
        assert "回扣、倒卖药品 / kickback and resale (kickback)" in text
    assert "高值阈值（元） high-value threshold (yuan) (high_value): 500.0" in memo
    assert "最少处方数 fewest prescriptions (min_claims): 5" in memo

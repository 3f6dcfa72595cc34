"""Numbers and method terms in words a police officer reads: "9.89e-142" means nothing to
most readers, "far less than one in a billion" does. The number stays beside the words
(it is the evidence); the words say what it means, in Chinese and English."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from graphscan.rings import PATTERN_NAMES
from graphscan.viz.page import Text

#: Below these, a probability (or an expected count) is said as "less than one in …".
SMALL: tuple[tuple[float, str, str], ...] = (
    (1e-12, "远小于十亿分之一", "far less than one in a billion"),
    (1e-9, "小于十亿分之一", "less than one in a billion"),
    (1e-6, "小于百万分之一", "less than one in a million"),
    (1e-3, "小于千分之一", "less than one in a thousand"),
)
#: From these up, a number is said in the units each language counts in.
LARGE_ZH: tuple[tuple[float, str], ...] = ((1e12, "万亿"), (1e8, "亿"), (1e4, "万"))
LARGE_EN: tuple[tuple[float, str], ...] = (
    (1e12, "trillion"),
    (1e9, "billion"),
    (1e6, "million"),
    (1e3, "thousand"),
)
#: Beyond this, "about 3.1e+40 billion" says nothing more than "far more than".
HUGE = 1e15
#: A number in scientific notation inside a sentence.
SCIENTIFIC = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[eE][+-]?\d+(?![\d.])")

#: Method and parameter names (the keys of ``Ring.method``) -> (Chinese, English).
METHOD_TERMS: dict[str, tuple[str, str]] = {
    "detector": ("检测器", "detector"),
    "signal": ("信号", "signal"),
    "projection": ("读取的数据投影", "projections read"),
    "gap_minutes": ("连续刷卡间隔（分钟）", "gap between swipes (minutes)"),
    "wave_days": ("同批入院的天数", "days of one admission wave"),
    "min_together": ("成对共同出现的最少次数", "fewest times a pair meets"),
    "edge_p": ("成对关系的显著性阈值", "significance threshold of a pair"),
    "attach_p": ("加入团伙的显著性阈值", "significance threshold to join a group"),
    "min_group": ("最小团伙人数", "smallest group"),
    "max_group": ("最大团伙人数（超过则拆分）", "largest group before it is split"),
    "pair_edges": ("显著的成对关系数", "significant pairs"),
    "venues": ("地点数", "venues"),
    "roaming": ("跨药店流动", "moving between pharmacies"),
    "region_digits": ("地区码位数", "digits of the region code"),
    "far_cards_p": ("异地用卡检验的 p 值", "p-value of the far-from-home test"),
    "shared_phones": ("共用电话的人数", "persons sharing a phone"),
    "admitted_once_alike": ("仅入院一次但情况相同的人数", "admitted once, alike"),
    "look_alikes": ("相似住院（观测 / 期望）", "look-alike stays (observed / expected)"),
    "recruiters": ("招募人数", "recruiters"),
    "min_cards": ("最少卡数", "fewest cards"),
    "reasons": ("人证不符的原因", "reasons of the mismatch"),
    "test": ("检验（观测 / 期望）", "test (observed / expected)"),
    "high_value": ("高值阈值（元）", "high-value threshold (yuan)"),
    "min_outlets": ("最少药店数", "fewest pharmacies"),
    "min_resellers": ("最少倒卖人数", "fewest resellers"),
    "resale_p": ("倒卖检验的显著性阈值", "significance threshold of the resale test"),
    "purchases_ahead": ("允许提前购药的次数", "purchases ahead allowed"),
    "min_claims": ("最少处方数", "fewest prescriptions"),
    "min_patients": ("最少患者数", "fewest patients"),
    "prior_weight": ("先验权重", "prior weight"),
    "flows": ("处方流向数", "prescription flows"),
}


def magnitude(value: float) -> Text | None:
    """Words for a very small or very large number; None when the digits say it."""
    if not math.isfinite(value):
        return Text("无穷大", "infinite") if value > 0 else None
    if value <= 0:
        return None
    for limit, zh, en in SMALL:
        if value < limit:
            return Text(zh, en)
    if value < 1e4:
        return None
    if value >= HUGE:
        return Text("远超万亿", "far more than a trillion")
    zh_limit, zh_unit = next((lim, u) for lim, u in LARGE_ZH if value >= lim)
    en_limit, en_unit = next((lim, u) for lim, u in LARGE_EN if value >= lim)
    return Text(
        f"约 {_digits(value / zh_limit)} {zh_unit}", f"about {_digits(value / en_limit)} {en_unit}"
    )


def _digits(value: float) -> str:
    """Three significant digits, never in scientific notation: 2,100 or 2.1."""
    rounded = float(f"{value:.3g}")
    return f"{rounded:,.0f}" if rounded >= 100 else f"{rounded:g}"


def probability(value: float) -> str:
    """A p- or q-value with its meaning: "9.89e-142（远小于十亿分之一 / far less than one
    in a billion）"."""
    words = magnitude(value)
    if words is None:
        words = Text(f"约 {value:.2%}", f"about {value:.2%}")
    return f"{value:.3g}（{words.zh} / {words.en}）"


def observed_expected(observed: float, expected: float) -> str:
    """ "10 / 4.766e-11 (×2.1e+11)" with what it means."""
    ratio = observed / expected if expected else float("inf")
    text = f"{observed:.4g} / {expected:.4g} (×{ratio:.3g})"
    zh, en = [], []
    low = magnitude(expected) if expected < 1 else None
    if low is not None:
        zh.append(f"期望{low.zh}")
        en.append(f"expected {low.en}")
    times = magnitude(ratio) if ratio >= 1e4 else None
    if times is not None:
        zh.append(f"观测为期望的{times.zh}倍")
        en.append(f"observed {times.en} times the expected")
    return f"{text}（{'，'.join(zh)} / {'; '.join(en)}）" if zh else text


def explain_numbers(text: str, lang: str) -> str:
    """A sentence with words after every number in scientific notation."""

    def one(match: re.Match[str]) -> str:
        words = magnitude(float(match.group(0)))
        if words is None:
            return match.group(0)
        number = match.group(0)
        return f"{number}（{words.zh}）" if lang == "zh" else f"{number} ({words.en})"

    return SCIENTIFIC.sub(one, text)


def method_name(method: dict[str, Any]) -> str:
    """The detector in both languages: "回扣、倒卖药品 / kickback and resale (kickback)"."""
    name = str(method.get("detector", method.get("name", "")))
    if name in PATTERN_NAMES:
        zh, en = PATTERN_NAMES[name]
        return f"{zh} / {en} ({name})"
    return name


def method_lines(method: dict[str, Any]) -> list[str]:
    """Every method setting as "中文 English (key): value", in key order."""
    lines = []
    for key, value in sorted(method.items()):
        zh, en = METHOD_TERMS.get(key, ("", ""))
        label = f"{zh} {en} ({key})" if zh else key
        shown = (
            method_name(method)
            if key == "detector"
            else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        )
        lines.append(f"{label}: {shown}")
    return lines

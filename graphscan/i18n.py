"""Messages in Chinese and English. The CLI speaks the user's language: --lang, else
GRAPHSCAN_LANG, else the locale."""

from __future__ import annotations

import locale
import os
import unicodedata

_lang: str | None = None


def detect_lang() -> str:
    env = os.environ.get("GRAPHSCAN_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG")
    code = env or (locale.getlocale()[0] or "")
    return "zh" if code.lower().startswith("zh") else "en"


def set_lang(lang: str | None) -> None:
    global _lang
    _lang = lang or detect_lang()


def lang() -> str:
    return _lang or detect_lang()


def t(zh: str, en: str, **values: object) -> str:
    """Pick the message for the current language and fill in ``values``."""
    return (zh if lang() == "zh" else en).format(**values)


def name_of(names: dict[str, tuple[str, str]], code: str) -> str:
    """The (zh, en) name of ``code`` (a pattern, status, role, kind ...) in the current
    language; an unknown code is shown as it is."""
    zh, en = names.get(code, (code, code))
    return zh if lang() == "zh" else en


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (W) and full-width (F) East Asian
    characters take two, so Chinese table cells line up."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` display columns (``>`` right-aligns)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if align == ">" else text + fill

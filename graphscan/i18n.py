"""Messages in Chinese and English. The CLI speaks the user's language: --lang, else
GRAPHSCAN_LANG, else the locale."""

from __future__ import annotations

import locale
import os

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

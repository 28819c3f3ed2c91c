"""A tiny message catalogue (en, zh-CN) and the choice of language for a request."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"
LOCALES_DIR = Path(__file__).parent / "locales"


@lru_cache
def catalogue(lang: str) -> dict[str, str]:
    """``<lang>.json`` merged with each area's ``<lang>.<area>.json``, so areas keep their own messages."""
    messages: dict[str, str] = json.loads((LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    for extra in sorted(LOCALES_DIR.glob(f"{lang}.*.json")):
        messages.update(json.loads(extra.read_text(encoding="utf-8")))
    return messages


def translate(lang: str, key: str, default: str | None = None, **values: object) -> str:
    """The message for ``key`` in ``lang``, falling back to English, then to ``default`` or the key."""
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or default or key
    return text.format(**values) if values else text


def from_accept_language(header: str | None) -> str:
    """The top-ranked language of an Accept-Language header: any zh* means zh-CN, anything else en."""
    best, best_q = None, -1.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = tag.lower(), q
    return "zh-CN" if best and best.startswith("zh") else DEFAULT_LANGUAGE


def request_language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get("accept-language"))

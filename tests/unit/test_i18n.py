"""The message catalogues: every key has both languages, area files merge into the main one."""

from __future__ import annotations

import json

from qudao.web.i18n import LANGUAGES, LOCALES_DIR, catalogue, translate


def test_every_message_exists_in_every_language() -> None:
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    for lang, own in keys.items():
        for other, theirs in keys.items():
            missing = sorted(theirs - own)
            assert not missing, f"{lang} lacks messages {other} has: {missing[:20]}"


def test_area_files_are_merged_into_the_language_catalogue() -> None:
    for extra in LOCALES_DIR.glob("en.*.json"):
        messages = json.loads(extra.read_text(encoding="utf-8"))
        for key, text in messages.items():
            assert translate("en", key) == text, f"{extra.name}: {key} is shadowed by another file"


def test_missing_key_falls_back_to_default_then_key() -> None:
    assert translate("zh-CN", "no.such.key", default="fallback") == "fallback"
    assert translate("zh-CN", "no.such.key") == "no.such.key"

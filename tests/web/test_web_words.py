"""Every word of the web app exists in English and Bahasa Indonesia, and times read as people write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from web.i18n import LOCALES, Reader, negotiate_locale, po_path, zone_abbreviation

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


def words_in_sources() -> set[str]:
    """What `make messages` would extract today, read from the sources themselves."""
    method_map, options_map = parse_mapping_cfg((ROOT / "web" / "babel.cfg").open())
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, comment_tags=("Translators:",)
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_word_of_the_pages_is_in_both_catalogs() -> None:
    in_sources = words_in_sources()
    assert "Sign in" in in_sources and "Waiting for me" in in_sources
    for locale in LOCALES:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(locale) if m.id}
        assert sorted(in_sources - ids) == [], f"run `make messages`, then translate, for {locale}"


def translation_problems() -> list[str]:
    """Indonesian messages left untranslated (or fuzzy), or whose placeholders differ from the English."""
    problems = []
    for message in catalog("id"):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or [""])
        if message.fuzzy or not all(s.strip() for s in strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            if sorted(PLACEHOLDER.findall(s)) != expected:
                problems.append(f"placeholders differ: {ids[0]!r} -> {s!r}")
    return problems


def test_every_indonesian_message_is_translated_with_the_same_placeholders() -> None:
    assert translation_problems() == []


def test_the_check_catches_an_untranslated_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "id" / "LC_MESSAGES"
    broken.mkdir(parents=True)
    text = po_path("id").read_text()
    text = text.replace('msgstr "Masuk"', 'msgstr ""').replace("%(who)s menyetujui", "%(siapa)s menyetujui")
    (broken / "messages.po").write_text(text)
    monkeypatch.setattr("web.i18n.LOCALE_DIR", tmp_path)

    problems = translation_problems()

    assert "untranslated: 'Sign in'" in problems
    assert "placeholders differ: '%(who)s approved' -> '%(siapa)s menyetujui'" in problems


def test_a_time_reads_in_the_readers_language_and_zone_with_the_zone_named() -> None:
    moment = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
    now = datetime(2026, 6, 1, tzinfo=UTC)

    assert Reader("en", "Asia/Jakarta").instant(moment, now=now) == "Tue 8 Dec 09:00 WIB"
    assert Reader("id", "Asia/Jakarta").instant(moment, now=now) == "Sel 8 Des 09.00 WIB"
    assert Reader("en", "Europe/Berlin").instant(moment, now=now) == "Tue 8 Dec 03:00 CET"
    assert Reader("en", "Europe/Berlin").instant(datetime(2026, 7, 1, 8, tzinfo=UTC), now=now) == "Wed 1 Jul 10:00 CEST"
    assert (
        Reader("id", "Asia/Jakarta").instant(moment, now=datetime(2025, 1, 1, tzinfo=UTC)) == "Sel 8 Des 2026 09.00 WIB"
    )
    assert Reader("en").instant(moment, now=now) == "Tue 8 Dec 02:00 UTC"
    assert zone_abbreviation(moment.astimezone(ZoneInfo("Asia/Kolkata"))) == "IST"
    assert Reader("en", "Asia/Ho_Chi_Minh").instant(moment, now=now).endswith("09:00 UTC+07")
    assert Reader("en").number(12345.5) == "12,345.5" and Reader("id").number(12345.5) == "12.345,5"


@pytest.mark.parametrize(
    ("chosen", "accept", "expected"),
    [
        (None, None, "en"),
        (None, "id-ID,id;q=0.9,en-US;q=0.8", "id"),
        (None, "fr-FR, en;q=0.5, id;q=0.7", "id"),
        (None, "de, fr", "en"),
        (None, "in", "id"),
        (None, "id;q=0, en", "en"),
        ("id", "en-GB", "id"),
        ("xx", "id", "id"),
    ],
)
def test_the_language_is_my_choice_else_my_browsers(chosen: str | None, accept: str | None, expected: str) -> None:
    assert negotiate_locale(chosen, accept) == expected

"""Vale's `spelling` check with Debian's Hunspell dictionaries (hunspell-en-us, hunspell-id), as Vale
documents it (https://vale.sh/docs/checks/spelling): dictionaries, append, filters, ignore files, accepted
vocabulary, and Vale's default filters. scripts/ensure_dictionaries.sh installs the dictionaries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from brand_helpers import findings_of, lint

from brand.engine import compile_style, load_style
from brand.spelling import SYSTEM_DICTIONARIES

# Under CI a missing dictionary fails these tests (scripts/ensure_dictionaries.sh installs them first).
pytestmark = pytest.mark.skipif(
    os.environ.get("CI") != "true"
    and not all((SYSTEM_DICTIONARIES / f"{name}.dic").is_file() for name in ("en_US", "id_ID")),
    reason="Hunspell dictionaries missing: run scripts/ensure_dictionaries.sh (hunspell-en-us, hunspell-id)",
)

SPELLING = "extends: spelling\nmessage: \"Did you really mean '%s'?\"\nlevel: error\n"
INDONESIAN = SPELLING + "dictionaries: [id_ID]\n"


def _spans(found: list) -> list[tuple[str, int, int]]:
    return [(finding.match, finding.line, finding.column) for finding in found]


def test_english_misspellings_with_their_positions() -> None:
    text = "We recieve every order.\nThanks for your mesage, we reply teh same day!"
    found = lint(SPELLING, text)
    assert _spans(found) == [("recieve", 1, 4), ("mesage", 2, 17), ("teh", 2, 34)]
    assert found[0].message == "Did you really mean 'recieve'?" and found[0].level == "error"
    assert lint(SPELLING, "We receive every order. Thanks for your message, we reply the same day!") == []


def test_indonesian_misspellings_with_their_positions() -> None:
    text = "Terima kasih atas pesenan Anda.\nKami kirim besok dari gudang di Jakarta, trimakasih!"
    assert _spans(lint(INDONESIAN, text)) == [("pesenan", 1, 19), ("trimakasih", 2, 42)]
    assert lint(INDONESIAN, "Terima kasih atas pesanan Anda. Kami kirim besok dari gudang di Jakarta.") == []


def test_each_repeat_is_reported_where_it_is() -> None:
    assert [f.start for f in lint(SPELLING, "teh cat and teh dog")] == [0, 12]


def test_dictionaries_replace_the_default_unless_appended() -> None:
    text = "Our sale starts today, belanja sekarang"
    assert [f.match for f in lint(SPELLING, text)] == ["belanja", "sekarang"]
    assert [f.match for f in lint(INDONESIAN, text)] == ["Our", "sale", "starts", "today"]
    assert lint(INDONESIAN + "append: true\n", text) == []


def test_custom_words_ignore_files_vocabulary_and_filters() -> None:
    text = "Postgate and Acmecorp ship Zyntrax on Frobday"
    files = {
        "Test/Spell.yml": (SPELLING + "ignore: [brand.txt]\nfilters: ['Fro\\w+']\n").encode(),
        "config/ignore/brand.txt": b"# our product names\npostgate\nZyntrax\n",
        "config/vocabularies/Test/accept.txt": b"Acme(corp)?\n",
    }
    assert findings_of(compile_style(files), text) == []
    files["Test/Spell.yml"] = SPELLING.encode()
    assert [f.match for f in findings_of(compile_style(files), text)] == ["Postgate", "Zyntrax", "Frobday"]


def test_vales_default_filters_unless_custom() -> None:
    text = "Ask NASA about ZyntraxDB or mp3 files"
    assert lint(SPELLING, text) == []
    assert [f.match for f in lint(SPELLING + "custom: true\n", text)] == ["ZyntraxDB", "mp3"]


def test_links_mentions_and_hashtags_are_not_prose() -> None:
    assert lint(SPELLING, "Visit https://acmez.example/promoo with @shopzz #SaleDayz") == []


def test_curly_apostrophes_read_as_apostrophes() -> None:
    assert lint(SPELLING, "We\u2019re sure it\u2019s \u2018great\u2019") == []


def test_a_style_folder_brings_its_ignore_files(tmp_path: Path) -> None:
    (tmp_path / "Acme").mkdir()
    (tmp_path / "Acme" / "Spell.yml").write_text(SPELLING + "ignore: brand.txt\n")
    (tmp_path / "config" / "ignore").mkdir(parents=True)
    (tmp_path / "config" / "ignore" / "brand.txt").write_text("Zyntrax\n")
    style = load_style(tmp_path)
    assert [f.match for f in findings_of(style, "Zyntrax beats Frobnix")] == ["Frobnix"]


def test_a_catastrophic_filter_is_refused_at_upload() -> None:
    from brand.probe import probe_style

    style = compile_style({"Test/Spell.yml": (SPELLING + "filters: ['(a|a)+b']\n").encode()})
    (problem,) = probe_style(style)
    assert problem[0] == "Test/Spell.yml" and "(a|a)+b" in problem[1]

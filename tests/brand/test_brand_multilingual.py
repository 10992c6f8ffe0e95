"""Unicode word boundaries and case folding: English, Indonesian, CJK, emoji and ZWJ sequences."""

from __future__ import annotations

from brand_helpers import lint, matches

WORDS = "extends: existence\nmessage: x\nignorecase: true\ntokens: [acme, kopi, 产品, ダウンロード, straße]\n"


def test_brand_inside_chinese_text_is_a_word() -> None:
    # `\b` alone never fires between 爱 and A; every character of an unspaced script is its own word.
    text = "我爱Acme产品\uff0c新品上市"  # with a fullwidth comma
    assert [(f.match, f.start) for f in lint(WORDS, text)] == [("Acme", 2), ("产品", 6)]


def test_japanese_katakana_token() -> None:
    assert matches(lint(WORDS, "今すぐダウンロードしてください")) == ["ダウンロード"]


def test_words_next_to_emoji_and_zwj_sequences() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    text = f"{family}Acme🎉kopi👍🏽 ACME"
    assert matches(lint(WORDS, text)) == ["Acme", "kopi", "ACME"]


def test_words_inside_longer_words_do_not_match() -> None:
    assert lint(WORDS, "Acmeworks kopiah acme_x") == []


def test_decomposed_accents_stay_inside_words() -> None:
    # "café" written as e + combining acute: the mark is a word character, so "caf" is no word of it.
    rule = "extends: existence\nmessage: x\ntokens: [caf]\n"
    assert matches(lint(rule, "cafe\u0301 and caf")) == ["caf"]


def test_full_case_folding() -> None:
    assert matches(lint(WORDS, "STRASSE and Straße")) == ["STRASSE", "Straße"]


def test_indonesian_substitutions_keep_the_capital() -> None:
    rule = (
        "extends: substitution\nmessage: \"Gunakan '%s', bukan '%s'.\"\nignorecase: true\ncapitalize: true\n"
        "swap: {download: unduh, online: daring, 'gratis ongkir': bebas ongkos kirim}\n"
    )
    found = lint(rule, "Download aplikasinya, belanja online, Gratis ongkir!")
    assert [(f.match, f.replacement) for f in found] == [
        ("Download", "Unduh"),
        ("online", "daring"),
        ("Gratis ongkir", "Bebas ongkos kirim"),
    ]
    assert found[0].message == "Gunakan 'Unduh', bukan 'Download'."


def test_indonesian_reduplication_and_affixes_are_separate_words() -> None:
    rule = "extends: existence\nmessage: x\ntokens: [anak]\n"
    # "anak-anak" is hyphenated reduplication (two words to \b); "beranak" is one word.
    assert matches(lint(rule, "anak-anak beranak anaknya")) == ["anak", "anak"]


def test_columns_count_characters_not_bytes() -> None:
    rule = "extends: existence\nmessage: x\ntokens: [kopi]\n"
    (found,) = lint(rule, "我爱🎉 kopi")
    assert (found.line, found.column, found.start) == (1, 5, 4)

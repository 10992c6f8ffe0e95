"""Vale's `metric` check: its variables counted on texts whose counts were worked out by hand, and Vale's
documented readability formulas (https://vale.sh/docs/checks/metric) evaluated over them."""

from __future__ import annotations

import pytest
from brand_helpers import lint

from brand.document import Document
from brand.metric import counts

# 12 one-syllable words, 2 sentences, 35 letters, no long (> 6 letters) or polysyllabic words.
SHORT = "The cat sat on the mat. The dog ran to the park."
# Organizations (5 syllables, 13 letters), communicate (4, 11), information (4, 11), Readers (2, 7),
# understand (3, 10), simple (2, 6), words (1, 5): 7 words, 2 sentences, 21 syllables, 63 letters, 5 long
# words, 4 polysyllabic words, none of them ending in -es, -ed or -ing, so 4 complex words.
LONG = "Organizations communicate information. Readers understand simple words."

FLESCH_KINCAID = "(0.39 * (words / sentences)) + (11.8 * (syllables / words)) - 15.59"
READING_EASE = "206.835 - (1.015 * (words / sentences)) - (84.6 * (syllables / words))"
GUNNING_FOG = "0.4 * ((words / sentences) + 100 * (complex_words / words))"
COLEMAN_LIAU = "(0.0588 * (characters / words) * 100) - (0.296 * (sentences / words) * 100) - 15.8"
SMOG = "1.0430 * math.sqrt((polysyllabic_words * 30.0) / sentences) + 3.1291"
AUTOMATED = "(4.71 * (characters / words)) + (0.5 * (words / sentences)) - 21.43"
LIX = "(words / sentences) + ((long_words * 100) / words)"


def _rule(formula: str, condition: str = "> -1000.0") -> str:
    return f"extends: metric\nmessage: '%s'\nformula: {formula}\ncondition: '{condition}'\n"


def test_counts_are_vales_variables() -> None:
    assert counts(Document(LONG)) == {
        "words": 7, "sentences": 2, "syllables": 21, "characters": 63, "long_words": 5,
        "polysyllabic_words": 4, "complex_words": 4, "paragraphs": 1,
        "heading_h1": 0, "heading_h2": 0, "heading_h3": 0, "heading_h4": 0, "heading_h5": 0, "heading_h6": 0,
        "list": 0, "pre": 0, "blockquote": 0,
    }  # fmt: skip
    short = counts(Document(SHORT))
    assert (short["words"], short["sentences"], short["syllables"], short["characters"]) == (12, 2, 12, 35)
    assert short["polysyllabic_words"] == short["long_words"] == short["complex_words"] == 0


@pytest.mark.parametrize(
    ("formula", "text", "expected"),
    [
        (FLESCH_KINCAID, SHORT, 0.39 * 6 + 11.8 * 1 - 15.59),
        (FLESCH_KINCAID, LONG, 0.39 * 3.5 + 11.8 * 3 - 15.59),
        (READING_EASE, SHORT, 206.835 - 1.015 * 6 - 84.6),
        (GUNNING_FOG, SHORT, 0.4 * 6),
        (GUNNING_FOG, LONG, 0.4 * (3.5 + 100 * 4 / 7)),
        (COLEMAN_LIAU, SHORT, 0.0588 * 35 / 12 * 100 - 0.296 * 2 / 12 * 100 - 15.8),
        (COLEMAN_LIAU, LONG, 0.0588 * 9 * 100 - 0.296 * 2 / 7 * 100 - 15.8),
        (SMOG, SHORT, 3.1291),
        (SMOG, LONG, 1.0430 * 60**0.5 + 3.1291),
        (AUTOMATED, SHORT, 4.71 * 35 / 12 + 3 - 21.43),
        (AUTOMATED, LONG, 4.71 * 9 + 1.75 - 21.43),
        (LIX, LONG, 3.5 + 500 / 7),
    ],
)
def test_readability_formulas(formula: str, text: str, expected: float) -> None:
    (finding,) = lint(_rule(formula), text)
    assert float(finding.message) == pytest.approx(expected, abs=0.006)  # the message shows two decimals
    assert (finding.line, finding.column) == (1, 1)


def test_the_condition_decides_and_the_message_shows_the_value() -> None:
    rule = "extends: metric\nmessage: 'Grade %s is too high.'\nlevel: warning\nformula: {}\ncondition: '{}'\n"
    assert lint(rule.format(FLESCH_KINCAID, "> 8.0"), SHORT) == []
    (finding,) = lint(rule.format(FLESCH_KINCAID, "> 8.0"), LONG)
    assert finding.message == "Grade 21.18 is too high." and finding.level == "warning"
    assert lint(rule.format("words / sentences", ">= 6.0"), SHORT) != []
    assert lint(rule.format("words / sentences", "< 6.0"), SHORT) == []
    assert lint(rule.format("words / sentences", "== 6.0"), SHORT) != []


def test_markup_variables_are_zero_in_a_post_and_an_empty_text_says_nothing() -> None:
    assert lint(_rule("heading.h1 + list + pre + blockquote", "> 0.0"), LONG) == []
    assert lint(_rule("heading.h1 + list", "== 0.0"), LONG) != []
    assert lint(_rule("words", "> -1.0"), "  ...  ") == []


def test_precedence_unary_minus_and_functions() -> None:
    (finding,) = lint(_rule("-2 + 3 * 4 - math.pow(2, 3) / 4 % 3"), SHORT)
    assert float(finding.message) == pytest.approx(-2 + 12 - (8 / 4) % 3)
    (finding,) = lint(_rule("math.abs(-(words)) + math.floor(2.7)"), SHORT)
    assert float(finding.message) == 14

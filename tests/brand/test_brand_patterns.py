"""RE2 syntax translation, Go replacement templates, and the triggers that decide which rules run.

Triggers must be necessary conditions: a rule skipped because its triggers are absent must not have
matched. These tests check that property on generated texts, and that running a style with its index
gives exactly the findings of running every rule.
"""

from __future__ import annotations

import random
import sys

import pytest
import regex
import yaml
from brand_helpers import QUIET, rule_style

from brand.checks import Check
from brand.document import Document
from brand.engine import check, compile_style
from brand.patterns import UNSPACED, PatternError, compile_pattern, expand_template, has_unspaced, translate
from brand.triggers import char_triggers, text_words, token_triggers


def test_translate_quotes_and_refuses_what_has_no_equivalent() -> None:
    assert compile_pattern(translate(r"\Qa.b*\E+")).fullmatch("a.b*a.b*") is None
    assert compile_pattern(r"\Qa.b*\E").fullmatch("a.b*") is not None
    with pytest.raises(PatternError, match="ungreedy"):
        translate("(?U)a+")
    with pytest.raises(PatternError, match=r"\\C"):
        translate(r"a\Cb")


def test_inline_flags_scope_like_go() -> None:
    pattern = compile_pattern("(?:a(?i)b)|c")
    assert pattern.fullmatch("aB") and not pattern.fullmatch("AB") and not pattern.fullmatch("C")


def test_go_templates() -> None:
    match = regex.match(r"(?P<first>\w+)_(\w+)", "snake_case")
    assert match is not None
    assert expand_template("$1-$2", match) == "snake-case"
    assert expand_template("${first}${2}!", match) == "snakecase!"
    assert expand_template("$$1 $9", match) == "$1 "


@pytest.mark.parametrize(
    ("tokens", "words", "prefixes"),
    [
        (["appears to be", "arguably"], {"appears", "arguably"}, set()),
        (["a large number of"], {"number"}, set()),
        (["seem(s)?"], set(), {"see"}),
        (["(?:give|gave) rise to"], {"give", "gave"}, set()),
        (["e-mail"], {"mail"}, set()),
        (["产品"], {"产"}, set()),
        (["Straße"], {"strasse"}, set()),
    ],
)
def test_token_triggers(tokens: list[str], words: set[str], prefixes: set[str]) -> None:
    found = token_triggers(tokens)
    assert found is not None
    assert (set(found.words), set(found.prefixes)) == (words, prefixes)


@pytest.mark.parametrize("token", [r"\w+ly", "[Oo]bservability", "(?:a|b)?c", ".*", "ab?"])
def test_tokens_without_literal_start_have_no_triggers(token: str) -> None:
    assert token_triggers([token]) is None


def test_char_triggers() -> None:
    assert char_triggers(r"[!?]{2,}", ignorecase=False).chars == {"!", "?"}  # type: ignore[union-attr]
    assert char_triggers(r"\d+\s?%", ignorecase=False).chars == {"%"}  # type: ignore[union-attr]
    assert char_triggers(r"(?:Rp|\$)\d", ignorecase=False).chars == {"R", "$"}  # type: ignore[union-attr]
    assert char_triggers(r"(?:Rp|\$)\d", ignorecase=True) is None  # letters are unsafe without case
    assert char_triggers(r"\b[A-Z]{6,}\b", ignorecase=False) is None


_ALPHABET = [*"aeiouAEIOU stnrl-_'.,!?%$#@", "ß", "SS", "é", "e\u0301", "产", "品", "Acme", "😀", "\u200d"]
_TOKENS = [
    "stone", "a large number of", "seem(s)?", "e-mail", "產品", "产品", "Acme产品", "straße", "(?i)SALT",
    "(?:rest|tsar) tool", "it's", "tear-", "o'neil", "li[ao]n", "a", "ss",
]  # fmt: skip


@pytest.mark.parametrize("ignorecase", [False, True])
def test_triggers_are_necessary_on_generated_texts(ignorecase: bool) -> None:
    rng = random.Random(5)
    checked = 0
    for token in _TOKENS:
        triggers = token_triggers([token])
        if triggers is None:
            continue
        body = {"extends": "existence", "message": "x", "ignorecase": ignorecase, "tokens": [token]}
        style = rule_style(yaml.safe_dump(body, allow_unicode=True))
        pattern = style.checks[0]
        for _ in range(300):
            text = "".join(rng.choice([*_ALPHABET, token, token.upper()]) for _ in range(rng.randint(1, 12)))
            doc = Document(text)
            if _matches(pattern, doc):
                words = doc.words()
                hit = bool(triggers.words & words) or bool(triggers.prefixes & {w[:3] for w in words})
                assert hit, (token, text)
                checked += 1
    assert checked > 100


def _matches(rule: Check, doc: Document) -> bool:
    full = getattr(rule, "selector", None)
    assert full is not None
    return full.full.pick(doc.unspaced).search(doc.text) is not None


def test_style_index_gives_the_findings_of_running_every_rule() -> None:
    rng = random.Random(11)
    style = compile_style(
        {
            "S/Words.yml": b"extends: existence\nmessage: x\nignorecase: true\ntokens: [stone, 'seem(s)?', e-mail]\n",
            "S/Swap.yml": "extends: substitution\nmessage: x\nswap: {'a large number of': many, straße: St}\n".encode(),
            "S/Raw.yml": b"extends: existence\nmessage: x\nraw: ['[!?]{2,}']\n",
            "S/Pair.yml": b"extends: consistency\nmessage: x\neither: {tsar: czar}\n",
            "config/vocabularies/S/accept.txt": b"Acme\n",
        }
    )
    pieces = ["stone", "Seems", "E-Mail", "a large number of", "STRASSE", "straße", "tsar", "czar", "acme", "!!"]
    pieces += [" ", ". ", "产品", "😀", "\u200d", "x", "-"]
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 15)))
        expected = sorted((f.rule, f.start, f.end) for c in style.checks for f in c.run(Document(text)))
        indexed = sorted((f.rule, f.start, f.end) for f in check(text, style, QUIET))
        assert indexed == expected, text


@pytest.mark.skipif(sys.maxunicode < 0x10FFFF, reason="needs a wide build")
def test_unspaced_prefilter_covers_every_unspaced_character() -> None:
    everything = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)
    for found in UNSPACED.finditer(everything):
        assert has_unspaced(found.group(0)), hex(ord(found.group(0)))


def test_text_words_split_unspaced_scripts_per_character() -> None:
    assert text_words("我爱Acme产品 e-mail", unspaced=True) == ["我", "爱", "acme", "产", "品", "e", "mail"]

"""Vale's occurrence, repetition, consistency and conditional checks."""

from __future__ import annotations

from brand_helpers import lint, matches


def test_occurrence_max_per_sentence_flags_the_sentence_with_the_count() -> None:
    rule = "extends: occurrence\nmessage: 'Too many commas (%s).'\nscope: sentence\nmax: 2\ntoken: ','\n"
    text = "One, two, three. Four, five, six, seven. Fine."
    found = lint(rule, text)
    # Vale reports an occurrence at the first match in the unit (occurrence.go), with the count.
    assert [(f.match, f.column) for f in found] == [(",", 22)]
    assert found[0].message == "Too many commas (3)."


def test_occurrence_min_and_whole_text_scope() -> None:
    rule = "extends: occurrence\nmessage: 'Mention the brand (found %s).'\nmin: 1\ntoken: '(?i)acme'\n"
    assert lint(rule, "We love it. Really.")[0].message == "Mention the brand (found 0)."
    assert lint(rule, "We love ACME.") == []


def test_occurrence_is_not_word_bounded() -> None:
    rule = "extends: occurrence\nmessage: x\nmax: 1\ntoken: 'ly'\n"
    assert len(lint(rule, "quickly and slowly")) == 1


def test_repetition_flags_repeated_words_and_spans_both() -> None:
    rule = "extends: repetition\nmessage: \"'%s' is repeated!\"\nlevel: error\nalpha: true\ntokens: ['[^\\s]+']\n"
    found = lint(rule, "This is is fine. the the")
    assert matches(found) == ["is is", "the the"]
    assert found[0].message == "'is' is repeated!"


def test_repetition_ignorecase_and_alpha() -> None:
    rule = "extends: repetition\nmessage: x\nignorecase: true\nalpha: true\ntokens: ['[^\\s.,!?]+']\n"
    assert matches(lint(rule, "The the 42 42 end. End")) == ["The the"]
    case_sensitive = "extends: repetition\nmessage: x\nalpha: true\ntokens: ['[^\\s]+']\n"
    assert lint(case_sensitive, "The the") == []


def test_repetition_needs_only_space_between_the_two() -> None:
    rule = "extends: repetition\nmessage: x\ntokens: ['the']\n"
    assert lint(rule, "the cat sat on the mat") == []
    assert matches(lint(rule, "on the  the mat")) == ["the  the"]


def test_repetition_in_indonesian_reduplication_is_not_flagged() -> None:
    # "anak-anak" (children) is one word written with a hyphen, not a repeat.
    rule = "extends: repetition\nmessage: x\nalpha: true\ntokens: ['[^\\s]+']\n"
    assert matches(lint(rule, "Anak-anak suka kopi kopi")) == ["kopi kopi"]


def test_consistency_flags_the_form_used_second() -> None:
    rule = "extends: consistency\nmessage: \"Inconsistent spelling of '%s'.\"\nignorecase: true\n"
    rule += "either: {advisor: adviser, centre: center}\n"
    found = lint(rule, "Our adviser met the advisor at the centre. Advisers rock.")
    assert matches(found) == ["advisor"]
    assert found[0].message == "Inconsistent spelling of 'advisor'."
    assert found[0].replacement == "adviser"


def test_consistency_is_quiet_when_one_form_is_used() -> None:
    rule = "extends: consistency\nmessage: x\neither: {color: colour}\n"
    assert lint(rule, "color and color") == []


def test_conditional_requires_a_definition_anywhere_in_the_post() -> None:
    rule = (
        "extends: conditional\nmessage: \"'%s' has no definition.\"\nlevel: error\n"
        "first: '\\b([A-Z]{3,5})\\b'\nsecond: '(?:\\b[A-Z][a-z]+ )+\\(([A-Z]{3,5})\\)'\nexceptions: [ABC]\n"
    )
    assert matches(lint(rule, "Use WHO guidelines, ABC too.")) == ["WHO"]
    assert lint(rule, "The World Health Organization (WHO) says: follow WHO guidelines.") == []
    found = lint(rule, "NASA and WHO")
    assert [f.message for f in found] == ["'NASA' has no definition.", "'WHO' has no definition."]

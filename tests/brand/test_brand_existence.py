"""Vale's `existence` check: tokens, raw, append, nonword, ignorecase, exceptions, message, level, action."""

from __future__ import annotations

from brand_helpers import lint, matches

from brand.findings import FindingLevel


def test_tokens_are_word_bounded_and_case_sensitive_by_default() -> None:
    rule = "extends: existence\nmessage: \"Avoid '%s'.\"\nlevel: warning\ntokens: [simply, 'appears to be']\n"
    found = lint(rule, "It appears to be simple. Simply put, simplystic. simply")
    assert matches(found) == ["appears to be", "simply"]
    assert found[0].message == "Avoid 'appears to be'."
    assert found[0].level is FindingLevel.WARNING
    assert found[0].rule == "Test.Rule"


def test_level_defaults_to_suggestion() -> None:
    found = lint("extends: existence\nmessage: x\ntokens: [foo]\n", "foo")
    assert found[0].level is FindingLevel.SUGGESTION


def test_ignorecase() -> None:
    rule = "extends: existence\nmessage: x\nignorecase: true\ntokens: [simply]\n"
    assert matches(lint(rule, "SIMPLY simply Simply")) == ["SIMPLY", "simply", "Simply"]


def test_nonword_removes_word_boundaries() -> None:
    bounded = "extends: existence\nmessage: x\ntokens: [ly]\n"
    free = "extends: existence\nmessage: x\nnonword: true\ntokens: [ly]\n"
    assert lint(bounded, "quickly") == []
    assert matches(lint(free, "quickly")) == ["ly"]


def test_tokens_are_regular_expressions() -> None:
    rule = "extends: existence\nmessage: x\ntokens: ['seem(s|ed)?', '\\d+ ?percent']\n"
    text = "It seems 50 percent of us seemed to seem fine"
    assert matches(lint(rule, text)) == ["seems", "50 percent", "seemed", "seem"]


def test_word_boundary_after_punctuation_needs_a_word_character_as_in_vale() -> None:
    # `\b(?:50%)\b` needs a word character after '%': Vale's tokens are word-bounded on both sides.
    assert lint("extends: existence\nmessage: x\ntokens: ['\\d+%']\n", "save 50% now") == []


def test_raw_is_concatenated_without_boundaries() -> None:
    rule = "extends: existence\nmessage: x\nraw: ['\\$', '\\d+', '(?:k|m)?']\n"
    assert matches(lint(rule, "Only $25k, was $300")) == ["$25k", "$300"]


def test_raw_goes_before_tokens_unless_append() -> None:
    before = "extends: existence\nmessage: x\nnonword: true\ntokens: [bar]\nraw: ['foo-']\n"
    after = "extends: existence\nmessage: x\nnonword: true\nappend: true\ntokens: [foo]\nraw: ['-bar']\n"
    assert matches(lint(before, "foo-bar bar-foo")) == ["foo-bar"]
    assert matches(lint(after, "foo-bar bar-foo")) == ["foo-bar"]


def test_exceptions_excuse_a_match_that_contains_them() -> None:
    # Vale's semantics: an exception found (word-bounded) inside the match excuses it.
    rule = "extends: existence\nmessage: x\nnonword: true\ntokens: ['\\w+/\\w+']\nexceptions: [A/B, 'and/or']\n"
    assert matches(lint(rule, "Run A/B tests; use yes/no; and/or")) == ["yes/no"]


def test_exceptions_are_case_sensitive_like_vale() -> None:
    rule = "extends: existence\nmessage: x\nignorecase: true\ntokens: [acme]\nexceptions: [Acme]\n"
    assert matches(lint(rule, "Acme ACME acme")) == ["ACME", "acme"]


def test_message_placeholder_and_no_placeholder() -> None:
    assert lint("extends: existence\nmessage: No exclamations.\nnonword: true\ntokens: ['!']\n", "Hi!")[0].message == (
        "No exclamations."
    )


def test_position_is_reported_as_offsets_line_and_column() -> None:
    found = lint("extends: existence\nmessage: x\ntokens: [foo]\n", "first line\nsay foo here")
    assert (found[0].start, found[0].end) == (15, 18)
    assert (found[0].line, found[0].column) == (2, 5)


def test_edit_action_computes_the_replacement() -> None:
    trim = "extends: existence\nmessage: x\nnonword: true\naction: {name: edit, params: [trim_right, '!']}\n"
    trim += "raw: ['\\w+!{2,}']\n"
    found = lint(trim, "Wow!!!")
    assert found[0].replacement == "Wow"
    assert found[0].action.name == "edit"
    assert found[0].action.params == ["trim_right", "!"]
    regex_edit = "extends: existence\nmessage: x\naction: {name: edit, params: [regex, '(\\w+)_(\\w+)', '$1-$2']}\n"
    regex_edit += "tokens: ['\\w+_\\w+']\n"
    assert lint(regex_edit, "use snake_case")[0].replacement == "snake-case"


def test_remove_and_replace_actions() -> None:
    remove = "extends: existence\nmessage: x\naction: {name: remove}\ntokens: [very]\n"
    replace = "extends: existence\nmessage: x\naction: {name: replace, params: [use, apply]}\ntokens: [utilize]\n"
    assert lint(remove, "very good")[0].replacement == ""
    found = lint(replace, "utilize it")[0]
    assert found.replacement == "use"
    assert found.action.params == ["use", "apply"]


def test_limit_caps_the_findings_of_a_rule() -> None:
    rule = "extends: existence\nmessage: x\nlimit: 2\ntokens: [foo]\n"
    assert len(lint(rule, "foo foo foo foo")) == 2


def test_inline_flag_in_one_token_does_not_leak_into_the_next() -> None:
    rule = "extends: existence\nmessage: x\ntokens: ['(?i)acme', Globex]\n"
    assert matches(lint(rule, "ACME globex Globex")) == ["ACME", "Globex"]


def test_matches_inside_links_and_mentions_are_not_prose() -> None:
    rule = "extends: existence\nmessage: x\nignorecase: true\ntokens: [acme]\n"
    text = "Acme at https://acme.com/acme and acme.co.id, ping @acme, tag #acme"
    found = lint(rule, text)
    assert [(f.match, f.start) for f in found] == [("Acme", 0), ("acme", text.index("#acme") + 1)]

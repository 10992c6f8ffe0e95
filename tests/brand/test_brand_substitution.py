"""Vale's `substitution` check: swap pairs, regex keys, capture groups, several suggestions, capitalize."""

from __future__ import annotations

from brand_helpers import lint, matches


def test_swap_suggests_the_value_and_formats_both_placeholders() -> None:
    rule = "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nlevel: error\nswap: {utilize: use}\n"
    found = lint(rule, "Please utilize this.")
    assert matches(found) == ["utilize"]
    assert found[0].message == "Use 'use' instead of 'utilize'."
    assert found[0].replacement == "use"


def test_one_placeholder_is_the_suggestion() -> None:
    rule = "extends: substitution\nmessage: \"Prefer '%s'.\"\nswap: {utilize: use}\n"
    assert lint(rule, "utilize")[0].message == "Prefer 'use'."


def test_keys_are_regular_expressions_and_groups_expand() -> None:
    rule = "extends: substitution\nmessage: \"Use '%s'.\"\nswap:\n  '(?:give|gave) rise to': lead to\n"
    rule += "  'within the (\\w+) directory': in the $1 directory\n"
    found = lint(rule, "It gave rise to bugs within the config directory.")
    assert [(f.match, f.replacement) for f in found] == [
        ("gave rise to", "lead to"),
        ("within the config directory", "in the config directory"),
    ]


def test_several_suggestions_separated_by_a_pipe() -> None:
    rule = "extends: substitution\nmessage: \"Consider using %s instead of '%s'.\"\naction: {name: replace}\n"
    rule += "swap: {'sign up for': 'join|register for'}\n"
    found = lint(rule, "sign up for the beta")[0]
    assert found.message == "Consider using 'join' or 'register for' instead of 'sign up for'."
    assert found.replacement == "join"
    assert found.action.name == "replace"
    assert found.action.params == ["join", "register for"]


def test_ignorecase_finds_every_casing_and_a_plain_suggestion_must_match_exactly() -> None:
    rule = "extends: substitution\nmessage: x\nignorecase: true\nswap: {javascript: JavaScript}\n"
    assert matches(lint(rule, "javascript, Javascript and JavaScript")) == ["javascript", "Javascript"]


def test_a_suggestion_written_as_a_regex_accepts_what_it_matches_ignoring_case() -> None:
    rule = "extends: substitution\nmessage: x\nignorecase: true\n"
    rule += "swap: {'(?:\\w+) members?': '(?:group|team) members?'}\n"
    assert matches(lint(rule, "Update Group Members, not admin members")) == ["admin members"]


def test_case_sensitive_by_default() -> None:
    rule = "extends: substitution\nmessage: x\nswap: {Javascript: JavaScript}\n"
    assert matches(lint(rule, "javascript Javascript")) == ["Javascript"]


def test_capitalize_matches_the_case_of_the_source() -> None:
    rule = "extends: substitution\nmessage: \"'%s'\"\nignorecase: true\ncapitalize: true\nswap: {download: unduh}\n"
    found = lint(rule, "Download sekarang, lalu download lagi")
    assert [f.replacement for f in found] == ["Unduh", "unduh"]


def test_longer_keys_win_over_their_prefixes() -> None:
    rule = "extends: substitution\nmessage: x\nswap: {sign in: log in, 'sign in to': log in to}\n"
    found = lint(rule, "sign in to Acme")
    assert [(f.match, f.replacement) for f in found] == [("sign in to", "log in to")]


def test_empty_value_suggests_removal() -> None:
    rule = "extends: substitution\nmessage: \"Remove '%s'.\"\nswap: {'(?:obviously|clearly)': ''}\n"
    found = lint(rule, "This is obviously fine")[0]
    assert found.replacement == ""


def test_exceptions_and_nonword() -> None:
    rule = "extends: substitution\nmessage: x\nnonword: true\nswap: {colour: color}\nexceptions: [Colours]\n"
    assert matches(lint(rule, "watercolour and Colours")) == ["colour"]


def test_no_action_declared_reports_an_empty_action_like_vale() -> None:
    found = lint("extends: substitution\nmessage: x\nswap: {utilize: use}\n", "utilize")[0]
    assert found.action.name == ""
    assert found.replacement == "use"

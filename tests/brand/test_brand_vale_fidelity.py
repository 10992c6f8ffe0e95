"""Vale's semantics, learnt from its documentation and source (errata-ai/vale: internal/check, internal/lint,
testdata/features), written as our own cases: loading, scopes, Markdown, messages and positions."""

from __future__ import annotations

from pathlib import Path

from brand_helpers import QUIET, findings_of, lint, matches, rule_style
from typer.testing import CliRunner

from brand.cli import brand_app
from brand.engine import check, compile_style

runner = CliRunner()


# 1. Load what Vale loads ------------------------------------------------------------------------------------


def test_convert_action_suggests_the_match_in_simple_case() -> None:
    # The shape of a published style's rule: a term written in camel case, converted to lower-case words.
    rule = (
        "extends: existence\nmessage: \"Use lower case for '%s'.\"\nlevel: warning\n"
        "action:\n  name: convert\n  params:\n    - simple\nnonword: true\ntokens: ['\\bSignIn\\b', 'Drop-Down']\n"
    )
    found = lint(rule, "Click SignIn, then the Drop-Down.")
    assert [(f.match, f.replacement) for f in found] == [("SignIn", "sign in"), ("Drop-Down", "drop down")]
    assert found[0].action.name == "convert" and found[0].action.params == ["simple"]


def test_yaml_escaped_single_quote_reads_as_vale_reads_it() -> None:
    # Joblint's shape: a double-quoted description with \\' (accepted by Go's yaml.v2, refused by plain PyYAML).
    rule = (
        "extends: existence\nmessage: \"Drop '%s'.\"\n"
        "description: \"The use of '%s' indicates that you\\'re only looking for male developers.\"\n"
        "tokens: [bro, brogrammer]\n"
    )
    style = compile_style({"Joblint/Bro.yml": rule.encode()})
    assert style.rule_details("Joblint.Bro")[1].startswith("The use of '%s' indicates that you're only")
    assert [(f.rule, f.match) for f in findings_of(style, "A real brogrammer.")] == [("Joblint.Bro", "brogrammer")]


def _skipping_style() -> dict[str, bytes]:
    return {
        "Acme/Hype.yml": b"extends: existence\nlevel: error\nmessage: \"Drop '%s'.\"\ntokens: [synergy]\n",
        "Acme/Passive.yml": b"extends: sequence\nmessage: x\ntokens: [{tag: VBN}]\n",
        "Acme/Script.yml": b"extends: script\nmessage: x\nscript: 'x := 1'\n",
        "Acme/Links.yml": b"extends: existence\nmessage: \"'%s'\"\nscope: link\ntokens: [here]\n",
    }


def test_a_rule_postgate_cannot_run_is_skipped_with_the_reason_and_the_rest_of_the_style_applies() -> None:
    style = compile_style(_skipping_style())
    assert style.rule_ids == ["Acme.Hype"]
    reasons = {rule: (file, reason) for rule, file, reason in style.skipped}
    assert set(reasons) == {"Acme.Passive", "Acme.Script", "Acme.Links"}
    assert reasons["Acme.Passive"][0] == "Acme/Passive.yml"
    assert "rule type 'sequence' is not supported" in reasons["Acme.Passive"][1]
    assert "scope 'link' is no longer supported by Vale 3" in reasons["Acme.Links"][1]
    assert matches(findings_of(style, "Pure synergy.")) == ["synergy"]


def test_the_cli_warns_about_skipped_rules_and_still_checks(tmp_path: Path) -> None:
    root = tmp_path / "styles"
    for path, data in _skipping_style().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    post = tmp_path / "post.txt"
    post.write_text("Pure synergy.")
    result = runner.invoke(brand_app, ["check", str(post), "--style", str(root / "Acme")])
    assert result.exit_code == 1
    assert "warning: Acme/Passive.yml: rule Acme.Passive is skipped: rule type 'sequence' is not supported" in (
        result.stderr
    )
    assert ":1:6:Acme.Hype:" in result.stdout


# 2. Scopes as Vale applies them; Markdown structure ---------------------------------------------------------

DOC = """# getting started with acme

Install the the tool. Use `the the` in code, or run:

```sh
acme install --the the
```

## why acme

- the the list item
- see [Acme Cloud](https://example.com/the/the) docs

![the the photo](img/the-the.png)
"""
REPEAT = "extends: repetition\nmessage: \"'%s' is repeated!\"\nalpha: true\ntokens: ['[^\\s]+']\n"
TITLE = "extends: capitalization\nmessage: \"'%s' should be in title case.\"\nmatch: $title\n"


def md(body: str, text: str = DOC) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.match) for f in check(text, rule_style(body), QUIET, markdown=True)]


def test_heading_scoped_rules_never_fire_on_the_lines_of_a_post() -> None:
    for scope in ("heading", "heading.h1", "title", "list", "alt", "table.cell"):
        rule = TITLE + f"scope: {scope}\n"
        assert lint(rule, "lower case line one\nanother lower line") == [], scope


def test_heading_scopes_select_markdown_headings_by_level() -> None:
    assert md(TITLE + "scope: heading\n") == [(1, 3, "getting started with acme"), (9, 4, "why acme")]
    assert md(TITLE + "scope: heading.h2\n") == [(9, 4, "why acme")]
    assert md(TITLE + "scope: heading & ~heading.h1\n") == [(9, 4, "why acme")]
    assert md(TITLE + "scope: [heading.h1, heading.h2]\n") == [(1, 3, "getting started with acme"), (9, 4, "why acme")]


def test_negated_scope_keeps_every_block_but_the_named_one() -> None:
    acme = "extends: existence\nmessage: \"'%s'\"\ntokens: [acme]\n"
    assert md(acme) == [(1, 24, "acme"), (9, 8, "acme")]  # code block and link address are not prose
    assert md(acme + "scope: ~heading\n") == []
    assert md(acme + "scope: heading.h1\n") == [(1, 24, "acme")]


def test_markdown_code_is_skipped_and_link_syntax_does_not_split_text() -> None:
    assert md(REPEAT) == [(3, 9, "the the"), (11, 3, "the the")]  # alt text is only in scope `alt`
    assert md(REPEAT + "scope: list\n") == [(11, 3, "the the")]
    assert md(REPEAT + "scope: alt\n") == [(14, 3, "the the")]
    brand = (
        "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nignorecase: true\n"
        "swap:\n  acme cloud: Acme Cloud\n"
    )
    linked = "Try [acme cloud](https://example.com/acme-cloud) or [acme cloud][ref].\n\n[ref]: https://acme.cloud\n"
    assert md(brand, linked) == [(1, 6, "acme cloud"), (1, 54, "acme cloud")]
    assert md(brand, "**acme** cloud") == [(1, 3, "acme cloud")]  # emphasis markers are not text
    acme = "extends: existence\nmessage: \"'%s'\"\ntokens: [acme]\n"
    assert md(acme, "Run `acme` now.\n") == []
    assert md(acme + "scope: raw\n", "Run `acme` now.\n") == [(1, 6, "acme")]  # raw: the markup as written


def test_sentence_and_paragraph_scopes_bound_every_check() -> None:
    span = "extends: existence\nmessage: \"'%s'\"\nignorecase: true\nraw: ['foo\\W+bar']\n"
    text = "We ship foo. Bar is next."
    assert matches(lint(span, text)) == ["foo. Bar"]
    assert lint(span + "scope: sentence\n", text) == []
    swap = "extends: substitution\nmessage: \"'%s'\"\nignorecase: true\nswap:\n  'foo\\W+bar': foobar\n"
    assert matches(lint(swap, text)) == ["foo. Bar"]
    assert lint(swap + "scope: sentence\n", text) == []
    commas = "extends: occurrence\nmessage: '%s commas'\nscope: paragraph\nmax: 1\ntoken: ','\n"
    found = lint(commas, "a, b\n\nc, d, e")
    assert [(f.line, f.message) for f in found] == [(3, "2 commas")]


def test_cli_reads_a_markdown_file_as_markdown(tmp_path: Path) -> None:
    style = tmp_path / "Acme"
    style.mkdir()
    (style / "Titles.yml").write_text(TITLE + "scope: heading\nlevel: error\n")
    (style / "Repeat.yml").write_text(REPEAT)
    (tmp_path / "doc.md").write_text(DOC)
    (tmp_path / "doc.txt").write_text("getting started with acme\n")
    result = runner.invoke(brand_app, ["check", str(tmp_path / "doc.md"), "--style", str(style)])
    lines = sorted(line.split(":", 1)[1] for line in result.stdout.splitlines())
    assert lines == [
        "11:3:Acme.Repeat:'the' is repeated!",
        "1:3:Acme.Titles:'getting started with acme' should be in title case.",
        "3:9:Acme.Repeat:'the' is repeated!",
        "9:4:Acme.Titles:'why acme' should be in title case.",
    ]
    plain = runner.invoke(brand_app, ["check", str(tmp_path / "doc.txt"), "--style", str(style)])
    assert plain.exit_code == 0 and plain.stdout == ""


# 3. Messages and positions as Vale gives them ---------------------------------------------------------------

SWAP = "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nignorecase: true\nswap:\n"


def test_substitution_quotes_as_vale_replace_does() -> None:
    # With `action: replace` (no params) the suggestions are quoted and the message's quotes around the first
    # %s are dropped: nothing quoted twice, three options with Vale's serial comma.
    replace = SWAP + "  utilize: use\n  leverage: use|apply|employ\naction:\n  name: replace\n"
    found = lint(replace, "We utilize and leverage it.")
    assert [f.message for f in found] == [
        "Use 'use' instead of 'utilize'.",
        "Use 'use', 'apply', or 'employ' instead of 'leverage'.",
    ]
    assert found[1].action.params == ["use", "apply", "employ"] and found[1].replacement == "use"
    # Without the action Vale shows the value as written, "a|b" included.
    plain = SWAP + "  leverage: use|apply\n"
    assert [f.message for f in lint(plain, "Leverage it.")] == ["Use 'use|apply' instead of 'Leverage'."]


def test_swap_keys_with_lookarounds_find_their_own_suggestion() -> None:
    # The longer key wins where its lookahead holds; elsewhere the plain one applies (Vale: one group per key).
    rule = SWAP + "  'e-mail(?= address)': email address\n  'e-mail': message\n  '(?<=an )email': message\n"
    found = lint(rule, "Send the e-mail address by e-mail, or an email.")
    assert [(f.column, f.message) for f in found] == [
        (10, "Use 'email address' instead of 'e-mail'."),
        (28, "Use 'message' instead of 'e-mail'."),
        (42, "Use 'message' instead of 'email'."),
    ]


def test_a_pattern_starting_with_a_space_or_line_start_is_reported_at_the_word() -> None:
    rule = "extends: existence\nmessage: \"Avoid '%s'.\"\nnonword: true\ntokens: ['(?:^|\\s)(?:basically)']\n"
    found = lint(rule, "First line\nbasically true")
    assert [(f.line, f.column, f.match, f.message) for f in found] == [(2, 1, "basically", "Avoid 'basically'.")]
    swap = (
        "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nnonword: true\n"
        "swap:\n  '(?:^|\\s)utilise': utilize\n"
    )
    found = lint(swap, "Line one\nutilise it")
    assert [(f.line, f.column, f.message) for f in found] == [(2, 1, "Use 'utilize' instead of 'utilise'.")]


def test_repetition_does_not_match_across_a_line_break() -> None:
    assert lint(REPEAT, "Buy the\nthe best coffee") == []
    assert matches(lint(REPEAT, "Buy the the best coffee")) == ["the the"]


def test_occurrence_is_reported_at_its_first_match_with_the_count() -> None:
    rule = "extends: occurrence\nmessage: 'More than 2 commas (%s).'\nscope: sentence\nmax: 2\ntoken: ','\n"
    found = lint(rule, "Fine, ok.\nA, b, c, d.")
    assert [(f.line, f.column, f.match, f.message) for f in found] == [(2, 2, ",", "More than 2 commas (3).")]


def test_capitalization_messages_take_the_text_and_the_expected_text() -> None:
    rule = "extends: capitalization\nmessage: \"'%s' should be '%s'.\"\nscope: sentence\nmatch: $title\n"
    found = lint(rule, "the best coffee in town")
    assert [f.message for f in found] == ["'the best coffee in town' should be 'The Best Coffee in Town'."]
    pattern = "extends: capitalization\nmessage: \"'%s' does not match %s.\"\nscope: sentence\nmatch: '^[A-Z]'\n"
    assert [f.message for f in lint(pattern, "lower start")] == ["'lower start' does not match ^[A-Z]."]
    # A prefix is left as written and stays in the unit reported and in the message.
    prefixed = rule.replace("scope: sentence", "scope: text") + "prefix: '^\\d+\\. '\n"
    found = lint(prefixed, "1. the best coffee")
    assert [(f.column, f.replacement) for f in found] == [(1, "1. The Best Coffee")]
    assert found[0].message == "'1. the best coffee' should be '1. The Best Coffee'."


def test_vocabulary_terms_as_vale_builds_them() -> None:
    nothing = "extends: existence\nmessage: x\ntokens: [zzzz]\n"
    # Multi-word terms keep their exact spelling; "Acme Cloud" as written passes.
    found = lint(nothing, "We use acme cloud and Acme Cloud.", accept="Acme Cloud\n")
    assert [(f.rule, f.match, f.message) for f in found] == [
        ("Vale.Terms", "acme cloud", "Use 'Acme Cloud' instead of 'acme cloud'.")
    ]
    # Terms equal ignoring case conflict: Vale keys them by their lower-case form, so the last listed wins.
    found = lint(nothing, "the GitHub and Github", accept="GitHub\nGithub\n")
    assert [(f.match, f.replacement) for f in found] == [("GitHub", "Github")]


def test_consistency_reports_once_per_block_at_the_last_match_once_both_forms_occurred() -> None:
    rule = "extends: consistency\nmessage: \"Inconsistent spelling of '%s'.\"\neither: {advisor: adviser}\n"
    found = lint(rule, "An adviser, an advisor and an adviser.")
    assert [(f.column, f.match, f.replacement) for f in found] == [(31, "adviser", None)]
    found = lint(rule + "scope: paragraph\n", "One advisor.\n\nAn adviser and an adviser.")
    assert [(f.line, f.column, f.match, f.replacement) for f in found] == [(3, 19, "adviser", "advisor")]


def test_existence_message_second_placeholder_is_the_fix() -> None:
    rule = (
        "extends: existence\nmessage: \"Use '%s' as '%s'.\"\nnonword: true\ntokens: ['SignIn']\n"
        "action:\n  name: convert\n  params: [simple]\n"
    )
    assert [f.message for f in lint(rule, "Press SignIn.")] == ["Use 'SignIn' as 'sign in'."]


def test_sentence_case_fails_on_a_wrong_first_word_whatever_the_threshold() -> None:
    rule = "extends: capitalization\nmessage: \"'%s' should be '%s'.\"\nscope: sentence\nmatch: $sentence\n"
    # Six of seven words are right (above the 0.8 threshold), but Vale fails a lower-case first word.
    found = lint(rule, "the cat sat on the mat today")
    assert [f.replacement for f in found] == ["The cat sat on the mat today"]
    # Indicators: a word after one starts a new clause and may be capitalized.
    indicated = rule + "indicators: [':']\n"
    assert lint(indicated, "Note: This is fine") == []
    assert [f.replacement for f in lint(rule + "threshold: 1\n", "Note: This is fine")] == ["Note: this is fine"]
    # Exceptions keep their case anywhere in the unit.
    excepted = rule + "exceptions: [Acme Cloud]\n"
    assert lint(excepted, "We love Acme Cloud") == []


def test_markdown_front_matter_is_not_prose() -> None:
    acme = "extends: existence\nmessage: \"'%s'\"\ntokens: [acme]\n"
    text = "---\ntitle: acme\ntags: [acme]\n---\n\nWe love acme.\n"
    assert md(acme, text) == [(6, 9, "acme")]
    assert md(TITLE + "scope: heading\n", text) == []

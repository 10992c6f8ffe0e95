"""Vale vocabularies: accept.txt keeps brand terms' casing (Vale.Terms) and excuses them elsewhere;
reject.txt bans terms (Vale.Avoid)."""

from __future__ import annotations

from brand_helpers import lint, matches

from brand.findings import FindingLevel

NOTHING = "extends: existence\nmessage: x\ntokens: [zzz]\n"
HYPE = "extends: existence\nmessage: \"Avoid '%s'.\"\nignorecase: true\ntokens: ['\\w*[Hh]ub']\n"


def test_wrong_casing_of_an_accepted_term_is_an_error_with_the_exact_spelling() -> None:
    found = lint(NOTHING, "Star us on Github or GITHUB.", accept="GitHub\n")
    assert [(f.rule, f.match, f.replacement) for f in found] == [
        ("Vale.Terms", "Github", "GitHub"),
        ("Vale.Terms", "GITHUB", "GitHub"),
    ]
    assert found[0].level is FindingLevel.ERROR
    assert found[0].message == "Use 'GitHub' instead of 'Github'."
    assert found[0].action.name == "replace"


def test_exact_spelling_and_case_insensitive_entries_pass() -> None:
    accept = "# brand terms\nGitHub\n(?i)kopi\n\nAcme Cloud\n"
    assert lint(NOTHING, "GitHub, KOPI, Acme Cloud", accept=accept) == []
    found = lint(NOTHING, "acme cloud", accept=accept)
    assert matches(found) == ["acme cloud"]


def test_one_case_insensitive_entry_does_not_make_the_others_case_insensitive() -> None:
    # Vale once had this bug (a "(?i)" entry leaking into the next); each entry is its own group here.
    found = lint(NOTHING, "Plug github", accept="PLuG\n(?i)GitHub\n")
    assert matches(found) == ["Plug"]


def test_regex_entries_accept_what_they_match() -> None:
    # Vale checks the spelling of phrase entries only (`IsPhrase`); a regex entry is an exception, not a term.
    found = lint(NOTHING, "Observability observability OBSERVABILITY", accept="[Oo]bservability\n")
    assert matches(found) == []


def test_accepted_terms_are_exceptions_to_other_rules() -> None:
    assert matches(lint(HYPE, "GitHub and Pornhub and Githubbed")) == ["GitHub", "Pornhub"]
    assert matches(lint(HYPE, "GitHub and Pornhub", accept="GitHub\n")) == ["Pornhub"]


def test_vocab_false_disables_the_exemption() -> None:
    assert matches(lint(HYPE + "vocab: false\n", "GitHub", accept="GitHub\n")) == ["GitHub"]


def test_rejected_terms_are_errors() -> None:
    found = lint(NOTHING, "Our cheapest, risk-free deal", reject="cheapest\nrisk-free\n")
    assert [(f.rule, f.match, f.message) for f in found] == [
        ("Vale.Avoid", "cheapest", "Avoid using 'cheapest'."),
        ("Vale.Avoid", "risk-free", "Avoid using 'risk-free'."),
    ]
    assert all(f.level is FindingLevel.ERROR for f in found)


def test_rejected_terms_are_case_sensitive_unless_marked() -> None:
    found = lint(NOTHING, "Cheapest cheapest SYNERGY", reject="cheapest\n(?i)synergy\n")
    assert matches(found) == ["cheapest", "SYNERGY"]

"""User patterns run in bounded time: a catastrophic rule is refused at upload or becomes a finding."""

from __future__ import annotations

from brand.engine import Budget, SocialRules, check, style_from_yaml
from brand.findings import FindingLevel, blocks_approval
from brand.probe import probe_style
from brand.social import ClaimRule

SLOW_ON_PAIRS = "(xy|xy)+z"  # passes the upload probe, and backtracks exponentially on "xyxy...xy!"


def style(rules: dict[str, str]) -> str:
    body = "".join(
        f"    {name}:\n      extends: existence\n      level: warning\n      message: \"'%s'\"\n      raw: ['{raw}']\n"
        for name, raw in rules.items()
    )
    return "styles:\n  Acme:\n" + body


def test_the_probe_refuses_a_catastrophic_pattern_by_rule_and_pattern() -> None:
    compiled = style_from_yaml(style({"Bad": "(a|a)+b", "Fine": "colou?r"}))
    problems = probe_style(compiled)
    assert len(problems) == 1
    file, problem = problems[0]
    assert file == "Acme/Bad.yml" and "Acme.Bad" in problem and "'(a|a)+b'" in problem


def test_the_probe_passes_normal_styles() -> None:
    assert probe_style(style_from_yaml(style({"Fine": "colou?r", "Words": "\\b(?:foo|bar)+\\b"}))) == []


def test_a_rule_over_its_budget_is_an_error_finding_and_other_rules_still_run() -> None:
    compiled = style_from_yaml(style({"Slow": SLOW_ON_PAIRS, "Colour": "colou?r"}))
    assert probe_style(compiled) == []
    text = "colour " + "xy" * 30 + "!"
    findings = check(text, compiled, budget=Budget(rule_seconds=0.05, check_seconds=5))
    timed_out = [f for f in findings if f.rule == "Postgate.RuleTimedOut"]
    assert len(timed_out) == 1 and "Acme.Slow" in timed_out[0].message
    assert timed_out[0].level is FindingLevel.ERROR and blocks_approval(findings)
    assert [f.match for f in findings if f.rule == "Acme.Colour"] == ["colour"]


def test_a_spent_check_budget_stops_the_remaining_rules_with_one_finding() -> None:
    compiled = style_from_yaml(style({"SlowA": SLOW_ON_PAIRS, "SlowB": "(yx|yx)+z", "SlowC": "(xy|x(y))+z"}))
    findings = check("xy" * 30 + "!", compiled, budget=Budget(rule_seconds=1, check_seconds=0.05))
    rules = [f.rule for f in findings]
    assert "Postgate.CheckTimedOut" in rules
    # Every rule is accounted for: timed out itself, or named as not run.
    text = " ".join(f.message for f in findings)
    assert all(name in text for name in ("Acme.SlowA", "Acme.SlowB", "Acme.SlowC"))


def test_a_slow_forbidden_claim_is_a_finding_too() -> None:
    rules = SocialRules(forbidden_claims=[ClaimRule(pattern=SLOW_ON_PAIRS, regex=True)])
    findings = check("xy" * 30 + "!", None, rules, budget=Budget(rule_seconds=0.05))
    assert [f.rule for f in findings] == ["Postgate.RuleTimedOut"]

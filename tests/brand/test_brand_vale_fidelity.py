"""Vale's semantics, learnt from its documentation and source (errata-ai/vale: internal/check, internal/lint,
testdata/features), written as our own cases: loading, scopes, Markdown, messages and positions."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from brand.cli import brand_app
from brand.engine import compile_style
from brand_helpers import findings_of, lint, matches

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
    assert matches(findings_of(style, "A real brogrammer.")) == ["brogrammer"]


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

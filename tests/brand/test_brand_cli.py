"""`postgate brand check`: Vale's line and JSON output, and its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from brand_helpers import STYLES
from typer.testing import CliRunner

from brand.cli import brand_app

runner = CliRunner()
ACME = str(STYLES / "Acme")


def _post(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_line_output_and_exit_1_on_an_error(tmp_path: Path) -> None:
    post = _post(tmp_path, "post.txt", "We love our revolutionary beans.\nStar us on github!\n")
    result = runner.invoke(brand_app, ["check", post, "--style", ACME])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{post}:1:13:Acme.Hype:Avoid hype like 'revolutionary'; say what the product does.",
        f"{post}:2:12:Vale.Terms:Use 'GitHub' instead of 'github'.",
    ]


def test_exit_0_when_only_warnings_and_suggestions(tmp_path: Path) -> None:
    post = _post(tmp_path, "post.txt", "We love our revolutionary beans.")
    result = runner.invoke(brand_app, ["check", post, "--style", ACME])
    assert result.exit_code == 0
    assert "Acme.Hype" in result.stdout


def test_clean_post_prints_nothing(tmp_path: Path) -> None:
    post = _post(tmp_path, "post.txt", "We roast our beans every morning.")
    result = runner.invoke(brand_app, ["check", post, "--style", ACME])
    assert (result.exit_code, result.stdout) == (0, "")


def test_json_output_has_vales_shape(tmp_path: Path) -> None:
    clean = _post(tmp_path, "clean.txt", "We roast our beans every morning.")
    post = _post(tmp_path, "post.txt", "Please utilize our app.")
    result = runner.invoke(brand_app, ["check", clean, post, "--style", ACME, "--output", "JSON"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert list(report) == [post]  # files without alerts are left out, as in Vale
    assert report[post] == [
        {
            "Action": {"Name": "replace", "Params": ["use"]},
            "Check": "Acme.Terms",
            "Description": "",
            "Line": 1,
            "Link": "https://styleguide.example/acme/terms",
            "Message": "Use 'use' instead of 'utilize'.",
            "Severity": "warning",
            "Span": [8, 14],
            "Match": "utilize",
        }
    ]


def test_output_name_is_case_insensitive_and_platform_adds_length(tmp_path: Path) -> None:
    post = _post(tmp_path, "long.txt", "Beans " + " ".join(f"bean{number}" for number in range(60)))
    result = runner.invoke(brand_app, ["check", post, "--style", ACME, "--platform", "x", "--output", "json"])
    assert result.exit_code == 1
    (alert,) = json.loads(result.stdout)[post]
    assert alert["Check"] == "Social.Length"
    assert alert["Severity"] == "error"


def test_standard_input(tmp_path: Path) -> None:
    result = runner.invoke(brand_app, ["check", "-", "--style", ACME], input="Hooli beans")
    assert result.exit_code == 1
    assert result.stdout.startswith("-:1:1:Acme.Competitors:")


def test_bad_style_exits_2_with_the_reason(tmp_path: Path) -> None:
    style = tmp_path / "Broken"
    style.mkdir()
    (style / "Spell.yml").write_text("extends: spelling\nmessage: x\ndictionaries: [xx_XX]\n")
    post = _post(tmp_path, "post.txt", "hello")
    result = runner.invoke(brand_app, ["check", post, "--style", str(style)])
    assert result.exit_code == 2
    assert "Broken/Spell.yml: spelling dictionary 'xx_XX' is not installed" in result.stderr
    assert "Traceback" not in result.output


def test_unreadable_file_and_unknown_platform_exit_2(tmp_path: Path) -> None:
    missing = runner.invoke(brand_app, ["check", str(tmp_path / "nope.txt"), "--style", ACME])
    assert missing.exit_code == 2
    assert "cannot read it" in missing.stderr
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert runner.invoke(brand_app, ["check", str(binary), "--style", ACME]).exit_code == 2
    post = _post(tmp_path, "post.txt", "hello")
    unknown = runner.invoke(brand_app, ["check", post, "--style", ACME, "--platform", "myspace"])
    assert unknown.exit_code == 2
    assert "unknown platform 'myspace'" in unknown.stderr

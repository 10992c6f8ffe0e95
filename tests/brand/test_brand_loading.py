"""Loading styles from a folder, a StylesPath, a zip and a YAML document; versions, cache, and errors."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from brand_helpers import STYLES, rule_style

from brand.engine import StyleError, compile_style, load_style, style_from_yaml, style_from_zip

ACME_RULES = {
    "Acme.Acronyms", "Acme.Bahasa", "Acme.Competitors", "Acme.Exclamation", "Acme.Hype", "Acme.Repeated",
    "Acme.SentenceCase", "Acme.Shouting", "Acme.Spelling", "Acme.Terms",
}  # fmt: skip


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _folder_files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_style_folder_with_its_vocabulary() -> None:
    style = load_style(STYLES / "Acme")
    assert set(style.rule_ids) == ACME_RULES | {"Vale.Terms", "Vale.Avoid"}
    assert style.names == ("Acme",)
    assert "GitHub" in style.accepted
    assert len(style.version) == 64


def test_styles_path_zip_and_wrapped_zip_give_the_same_version() -> None:
    from_folder = load_style(STYLES / "Acme")
    from_styles_path = load_style(STYLES)
    files = _folder_files(STYLES)
    from_zip = style_from_zip(_zip(files))
    wrapped = style_from_zip(_zip({f"acme-style-main/styles/{name}": data for name, data in files.items()}))
    assert from_folder.version == from_styles_path.version == from_zip.version == wrapped.version


def test_vale_2_vocab_folder() -> None:
    style = compile_style(
        {"Brand/Hype.yml": b"extends: existence\nmessage: x\ntokens: [epic]\n", "Vocab/Brand/accept.txt": b"GitHub\n"}
    )
    assert style.accepted == ("GitHub",)


def test_zip_of_the_folder_contents_needs_the_style_name() -> None:
    files = {path.name: path.read_bytes() for path in (STYLES / "Acme").glob("*.yml")}
    with pytest.raises(StyleError, match="folder named after its style"):
        style_from_zip(_zip(files))
    assert set(style_from_zip(_zip(files), name="Acme").rule_ids) == ACME_RULES


def test_same_version_is_compiled_once() -> None:
    files = _folder_files(STYLES)
    first = compile_style(files)
    assert compile_style(dict(reversed(list(files.items())))) is first
    changed = dict(files, **{"Acme/Hype.yml": files["Acme/Hype.yml"] + b"\n# edited\n"})
    assert compile_style(changed).version != first.version


def test_yaml_document() -> None:
    style = style_from_yaml(
        """
styles:
  Brand:
    Hype: {extends: existence, message: "No '%s'.", level: error, tokens: [revolutionary]}
vocabularies:
  Brand: {accept: [GitHub], reject: [synergy]}
"""
    )
    assert set(style.rule_ids) == {"Brand.Hype", "Vale.Terms", "Vale.Avoid"}


def test_yaml_document_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "style.yml"
    path.write_text("styles:\n  Brand:\n    Hype: {extends: existence, message: x, tokens: [epic]}\n")
    assert load_style(path).rule_ids == ["Brand.Hype"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("extends: existence\nmessage: [unclosed\n", "Test/Rule.yml: invalid YAML at line 3, column 1"),
        ("message: x\ntokens: [a]\n", "Test/Rule.yml: missing required key 'extends'"),
        ("extends: existence\ntokens: [a]\n", "missing required key 'message'"),
        ("extends: existence\nmessage: x\n", "needs 'tokens' or 'raw'"),
        ("extends: existence\nmessage: x\ntokens: ['(unclosed']\n", "invalid regular expression '(unclosed'"),
        ("extends: existence\nmessage: x\nlevel: fatal\ntokens: [a]\n", "level 'fatal' is not one of"),
        ("extends: existence\nmessage: x\nignorcase: true\ntokens: [a]\n", "unknown key(s) 'ignorcase'"),
        ("extends: spelling\nmessage: x\ndictionaries: [xx_XX]\n", "spelling dictionary 'xx_XX' is not installed"),
        ("extends: spelling\nmessage: x\ndictionaries: [../etc/x]\n", "must be a name such as en_US"),
        ("extends: spelling\nmessage: x\nignore: [words.txt]\n", "ignore file 'words.txt' is not in the style"),
        ("extends: metric\nmessage: x\ncondition: '> 1'\n", "missing required key 'formula'"),
        ("extends: metric\nmessage: x\nformula: wordz\ncondition: '> 1'\n", "unknown variable 'wordz'"),
        ("extends: metric\nmessage: x\nformula: words / (sentences\ncondition: '> 1'\n", "missing ')'"),
        ("extends: metric\nmessage: x\nformula: __import__('os')\ncondition: '> 1'\n", "cannot be evaluated"),
        ("extends: magic\nmessage: x\n", "unknown rule type 'magic'"),
        ("extends: existence\nmessage: x\nscope: headline\ntokens: [a]\n", "'headline' is not a valid scope"),
        ("extends: occurrence\nmessage: x\ntoken: a\n", "needs 'max' or 'min'"),
        ("extends: substitution\nmessage: x\nswap: [a, b]\n", "'swap' must be a mapping"),
        ("extends: existence\nmessage: x\ntokens: ['(?U)a+']\n", "ungreedy flag (?U)"),
        ("extends: existence\nmessage: x\naction: {name: fix}\ntokens: [a]\n", "action name 'fix'"),
        ("extends: existence\nmessage: x\naction: {name: edit, params: [regex]}\ntokens: [a]\n", "needs 2 param"),
        ("extends: capitalization\nmessage: x\nmatch: $camel\n", "is not $title, $sentence"),
        ("- just\n- a list\n", "must be a YAML mapping"),
    ],
)
def test_bad_rule_files_name_the_file_and_what_to_fix(body: str, expected: str) -> None:
    with pytest.raises(StyleError) as caught:
        rule_style(body)
    assert expected in str(caught.value)
    assert all(file == "Test/Rule.yml" for file, _ in caught.value.problems)


def test_every_problem_of_a_style_is_reported_at_once() -> None:
    files = {
        "Test/One.yml": b"extends: spelling\nmessage: x\ndictionaries: [xx_XX]\n",
        "Test/Two.yml": b"extends: existence\nmessage: x\ntokens: ['[a-']\n",
        "Test/Fine.yml": b"extends: existence\nmessage: x\ntokens: [a]\n",
    }
    with pytest.raises(StyleError) as caught:
        compile_style(files)
    assert [file for file, _ in caught.value.problems] == ["Test/One.yml", "Test/Two.yml"]


def test_invalid_vocabulary_term_and_yaml_extension() -> None:
    with pytest.raises(StyleError, match=r"accept.txt: invalid regular expression"):
        rule_style("extends: existence\nmessage: x\ntokens: [a]\n", accept="Good\n[bad\n")
    with pytest.raises(StyleError, match=r"rename it"):
        compile_style({"Test/Rule.yaml": b"extends: existence\nmessage: x\ntokens: [a]\n"})


def test_missing_folder_bad_zip_and_bad_yaml_document(tmp_path: Path) -> None:
    with pytest.raises(StyleError, match="no such file or folder"):
        load_style(tmp_path / "missing")
    with pytest.raises(StyleError, match="not a zip archive"):
        style_from_zip(b"not a zip")
    with pytest.raises(StyleError, match=r"styles: \{StyleName"):
        style_from_yaml("rules: []\n")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StyleError, match="no rule files"):
        load_style(tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(StyleError, match="a style is a folder"):
        load_style(tmp_path / "notes.txt")


def test_non_utf8_rule_file() -> None:
    with pytest.raises(StyleError, match="not UTF-8"):
        compile_style({"Test/Rule.yml": "extends: existence\nmessage: é\ntokens: [a]\n".encode("latin-1")})

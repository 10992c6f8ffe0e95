"""The brand-consistency engine's public surface: load a style, check a post.

    style = load_style(Path("styles/Acme"))            # a style folder, a StylesPath, a .zip or a .yml document
    findings = check(text, style, social_rules, platform="x", media=variant.media, sponsored=True)
    blocked = blocks_approval(findings)

Pure: no I/O except reading the style files the caller names, no Temporal. A `Style` is immutable and
cached by version, so an activity can load it per call cheaply.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from brand.budget import Budget, check_budget
from brand.definitions import StyleError
from brand.document import Document
from brand.findings import Action, Finding, FindingLevel, blocks_approval
from brand.loading import compile_style, files_from_directory, files_from_yaml, files_from_zip
from brand.social import MediaLike, SocialRules, check_social
from brand.style import Style

__all__ = [
    "Action",
    "Budget",
    "Finding",
    "FindingLevel",
    "MediaLike",
    "SocialRules",
    "Style",
    "StyleError",
    "blocks_approval",
    "check",
    "compile_style",
    "load_style",
    "style_from_yaml",
    "style_from_zip",
]


_DEFAULT_SOCIAL = SocialRules()


def load_style(path: Path | str) -> Style:
    """A style folder (`styles/Acme`, vocabularies from `styles/config/vocabularies`), a StylesPath holding
    several style folders, a `.zip` of either, or a `.yml` document (see `style_from_yaml`)."""
    path = Path(path)
    if path.is_file():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StyleError([(str(path), f"cannot read it: {exc.strerror}")]) from None
        if path.suffix.lower() == ".zip":
            return style_from_zip(data)
        if path.suffix.lower() in (".yml", ".yaml"):
            try:
                return style_from_yaml(data.decode("utf-8-sig"))
            except UnicodeDecodeError:
                raise StyleError([(str(path), "not UTF-8 text; save it as UTF-8")]) from None
        raise StyleError([(str(path), "a style is a folder, a .zip of one, or a .yml document")])
    if not path.exists():
        raise StyleError([(str(path), "no such file or folder")])
    return compile_style(files_from_directory(path))


def style_from_zip(data: bytes, *, name: str | None = None) -> Style:
    """A zip of a style folder or a StylesPath; `name` is the style of rule files at the archive's top level."""
    return compile_style(files_from_zip(data), name=name)


def style_from_yaml(text: str) -> Style:
    """A whole style in one YAML document: `styles: {Acme: {Hype: {...}}}` and optional `vocabularies:
    {Acme: {accept: [...], reject: [...]}}`."""
    return compile_style(files_from_yaml(text))


def check(
    text: str,
    style: Style | None = None,
    social: SocialRules | None = None,
    *,
    platform: str | None = None,
    media: Sequence[MediaLike] = (),
    sponsored: bool = False,
    budget: Budget | None = None,
    markdown: bool = False,
) -> list[Finding]:
    """Every finding for `text`, in text order. Without `social`, the default `SocialRules` apply: the
    platform's own limits, alt text on images, and the disclosure on sponsored posts. User patterns run
    within `budget` (see `brand.budget`); a rule over it is a `Postgate.RuleTimedOut` error finding. With
    `markdown`, `text` is a Markdown document: rules see its prose and blocks (`brand.markdown`)."""
    if isinstance(style, SocialRules):
        raise TypeError("check(text, style, social): pass social rules as social=..., or as the third argument")
    doc = Document(text, markdown=markdown)
    rules = social if social is not None else _DEFAULT_SOCIAL
    with check_budget(budget):
        findings = style.run(doc) if style is not None else []
        findings.extend(check_social(doc, rules, platform=platform, media=media, sponsored=sponsored))
    findings.sort(key=lambda finding: (finding.start, finding.end, finding.rule))
    return findings

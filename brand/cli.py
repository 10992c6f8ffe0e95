"""`postgate brand check`: lint post files against a Vale style from the command line, Vale-style.

Exit status: 0 when no finding is an error, 1 when one is (the post would be blocked), 2 when the style
cannot be loaded or a file cannot be read; the reason goes to standard error, without a traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from brand.counting import PLATFORMS
from brand.definitions import StyleError
from brand.engine import blocks_approval, check, load_style
from brand.findings import Finding
from brand.reporting import json_output, line_output

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
brand_app = typer.Typer(help="Check posts against a brand style (Vale rules plus social-media rules).")


class OutputFormat(StrEnum):
    LINE = "line"
    JSON = "JSON"


@brand_app.callback()
def _group() -> None:
    """Brand-consistency checks."""


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror})") from None


@brand_app.command("check")
def check_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="post files to check ('-' reads standard input)")],
    style: Annotated[Path, typer.Option("--style", help="a Vale style folder, StylesPath, .zip or .yml document")],
    platform: Annotated[
        str | None, typer.Option("--platform", help=f"also check the length limit of: {', '.join(PLATFORMS)}")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", case_sensitive=False, help="line (path:line:col:Rule:message) or JSON")
    ] = OutputFormat.LINE,
    sponsored: Annotated[bool, typer.Option("--sponsored", help="require a paid-partnership disclosure")] = False,
) -> None:
    """Check FILE... against --style; exit 1 if any finding is an error."""
    if platform is not None and platform.lower() not in PLATFORMS:
        typer.echo(f"error: unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}", err=True)
        raise typer.Exit(2)
    try:
        loaded = load_style(style)
    except StyleError as exc:
        typer.echo(f"error: the style at {style} cannot be used:\n{exc}", err=True)
        raise typer.Exit(2) from None
    for warning in loaded.skipped_warnings():
        typer.echo(f"warning: {warning}", err=True)
    results: dict[str, list[Finding]] = {}
    for path in files:
        try:
            text = _read(path)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        results[str(path)] = check(
            text,
            loaded,
            platform=platform.lower() if platform else None,
            sponsored=sponsored,
            markdown=path.suffix.lower() in MARKDOWN_SUFFIXES,
        )
    report = json_output(results, loaded) if output is OutputFormat.JSON else line_output(results)
    if report:
        typer.echo(report)
    raise typer.Exit(1 if any(blocks_approval(findings) for findings in results.values()) else 0)

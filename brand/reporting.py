"""Findings printed the way Vale prints alerts, so editors and CI scripts written for Vale read them.

`line`: one `path:line:column:Rule:message` per finding. `JSON`: an object keyed by file path (files with
no findings are left out, as Vale does), each alert with `Action` ({"Name", "Params"}), `Check`,
`Description`, `Line`, `Link`, `Message`, `Severity`, `Span` and `Match`. `Span` is [first column, last
column] of the match on its line, 1-based and inclusive, in characters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from brand.findings import Finding
from brand.style import Style


def span(finding: Finding) -> list[int]:
    return [finding.column, max(finding.column, finding.column + len(finding.match) - 1)]


def line_output(results: Mapping[str, Sequence[Finding]]) -> str:
    lines = [
        f"{path}:{finding.line}:{finding.column}:{finding.rule}:{finding.message}"
        for path, findings in results.items()
        for finding in findings
    ]
    return "\n".join(lines)


def json_alert(finding: Finding, style: Style | None = None) -> dict[str, Any]:
    link, description = style.rule_details(finding.rule) if style is not None else ("", "")
    return {
        "Action": {"Name": finding.action.name, "Params": list(finding.action.params) or None},
        "Check": finding.rule,
        "Description": description,
        "Line": finding.line,
        "Link": link,
        "Message": finding.message,
        "Severity": finding.level.value,
        "Span": span(finding),
        "Match": finding.match,
    }


def json_output(results: Mapping[str, Sequence[Finding]], style: Style | None = None) -> str:
    document = {path: [json_alert(f, style) for f in findings] for path, findings in results.items() if findings}
    return json.dumps(document, indent=2, ensure_ascii=False)

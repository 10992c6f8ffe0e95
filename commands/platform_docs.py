"""docs/platforms.md, generated from what the code enforces: each platform's channel settings and
credentials (platforms.channel_settings), and the limits the brand check and the worker apply.

Regenerate with `python -m commands.platform_docs > docs/platforms.md`; tests/commands/test_platform_docs.py
fails when the file and the code disagree.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from activities.channel_limits import DEFAULT_CONCURRENCY, DEFAULT_PUBLISH_RATE, FALLBACK_CONCURRENCY
from brand.counting import PLATFORMS as COUNTED
from brand.counting import measures
from brand.social import PLATFORM_CAPS, PLATFORM_MEDIA
from platforms.channel_settings import SPECS

INTRO = """# Platforms: what a channel takes, and the limits that apply

Generated from the code by `python -m commands.platform_docs > docs/platforms.md` (a test fails when this
file and the code disagree). A channel is created with `POST /workspaces/{id}/channels`:
`{"id", "name", "platform", "settings": {...}, "credentials": {...}}`. Settings are stored and shown by the
API; credentials are sealed, write-only and never shown (`has_credentials` says whether there are some).
Both refuse unknown keys.

**Counting.** A channel counts post length as its platform does, unless an admin sets `counts_as` to
another platform. A platform that counts no particular way is limited to the channel's `max_length`
(default 500). A channel's social rules (`length.max_length`) may lower a limit; a Mastodon instance's own
limits, read from the instance, are never raised.

**Rates.** Each worker meters publishes per channel (`POSTGATE_PUBLISH_RATE_PER_MINUTE`, JSON by platform,
bursts of ten seconds' worth) and bounds calls in flight per platform (`POSTGATE_PLATFORM_CONCURRENCY`).
"""


def _type(prop: dict[str, Any]) -> str:
    """A JSON-schema property as a reader says it: `string`, `one of a, b`, `list of string`, ..."""
    if prop.get("writeOnly") and prop.get("format") == "password":
        return "secret string"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{value}`" for value in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if "anyOf" in prop:
        kinds = [_type(option) for option in prop["anyOf"] if option.get("type") != "null"]
        return " or ".join(kinds) + (" (or null)" if len(kinds) < len(prop["anyOf"]) else "")
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}" + (
            f", at most {prop['maxItems']}" if "maxItems" in prop else ""
        )
    if prop.get("format") == "date-time":
        return "date-time"
    return str(kind)


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default is PydanticUndefined or field.default is None:
        return "none"
    return f"`{json.dumps(field.default)}`"


def _table(model: type[BaseModel]) -> list[str]:
    if not model.model_fields:
        return ["(none)"]
    properties = model.model_json_schema()["properties"]
    rows = ["| key | type | default | what it is |", "|---|---|---|---|"]
    for key, field in model.model_fields.items():
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{key}` | {_type(properties[key])} | {_default(field)} | {description} |")
    return rows


def _limits(platform: str) -> list[str]:
    lines = []
    if platform in COUNTED:
        for measure in measures(platform):
            lines.append(f"- length: at most {measure.limit} {measure.unit}")
    else:
        lines.append("- length: the channel's `max_length` (plain characters)")
    if SPECS[platform].live_limits:
        lines.append(
            "- the instance's own limits (`GET /api/v2/instance`: `max_characters`, `characters_reserved_per_url`, "
            "`max_media_attachments`, `supported_mime_types`) replace these defaults once read: when the channel "
            "is tested, and by the worker before a brand check when never read, reconnected, or a day old"
        )
    for what, cap in sorted(PLATFORM_CAPS.get(platform, {}).items()):
        lines.append(f"- at most {cap} {what}s a post")
    if platform in PLATFORM_MEDIA:
        count, video = PLATFORM_MEDIA[platform]
        lines.append(f"- at most {count} attachments" + ("" if video else ", images only (no video)"))
    rate = DEFAULT_PUBLISH_RATE.get(platform)
    lines.append(f"- publishes per minute per channel: {rate:g}" if rate else "- publishes per minute: not metered")
    lines.append(f"- calls in flight per worker: {DEFAULT_CONCURRENCY.get(platform, FALLBACK_CONCURRENCY)}")
    return lines


def render() -> str:
    parts = [INTRO]
    for platform, spec in SPECS.items():
        parts.append(f"## {platform}\n")
        parts.append("Settings:\n")
        parts.extend(_table(spec.settings))
        parts.append("\nCredentials:\n")
        parts.extend(_table(spec.credentials) if spec.credentials is not None else ["(none: it takes no credentials)"])
        parts.append("\nLimits:\n")
        parts.extend(_limits(platform))
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())

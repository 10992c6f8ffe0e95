"""What changed between two revisions: the base text and every channel's variant, as unified diffs."""

from __future__ import annotations

import difflib

from pydantic import BaseModel

from domain.lifecycle import RevisionRef


class TextDiff(BaseModel):
    channel_id: str | None = None  # None: the base text
    changed: bool
    unified: str


class RevisionDiff(BaseModel):
    post_id: str
    from_revision: int
    to_revision: int
    from_hash: str
    to_hash: str
    texts: list[TextDiff]
    media_changed: list[str] = []  # channels whose media references differ


def _unified(before: str, after: str, label_from: str, label_to: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), label_from, label_to, lineterm="\n"
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def diff_revisions(post_id: str, old: RevisionRef, new: RevisionRef) -> RevisionDiff:
    a, b = f"revision {old.number}", f"revision {new.number}"
    texts = [TextDiff(changed=old.text != new.text, unified=_unified(old.text, new.text, a, b))]
    channels = sorted({v.channel_id for v in old.variants} | {v.channel_id for v in new.variants})
    media_changed = []
    for channel in channels:
        before, after = old.variant_for(channel), new.variant_for(channel)
        texts.append(
            TextDiff(
                channel_id=channel,
                changed=before.text != after.text,
                unified=_unified(before.text or "", after.text or "", f"{a} ({channel})", f"{b} ({channel})"),
            )
        )
        if before.media != after.media:
            media_changed.append(channel)
    return RevisionDiff(
        post_id=post_id,
        from_revision=old.number,
        to_revision=new.number,
        from_hash=old.content_hash,
        to_hash=new.content_hash,
        texts=texts,
        media_changed=media_changed,
    )

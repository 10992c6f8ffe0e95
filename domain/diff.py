"""What changed between two revisions: the base text and every channel's variant, as unified diffs (the API)
and word by word (the review page)."""

from __future__ import annotations

import difflib
import re
from typing import Literal

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


# A word, or the spaces and line breaks between words (kept, so a diff shows the text's own lines).
_TOKENS = re.compile(r"\s+|[^\s]+")


class WordChange(BaseModel):
    op: Literal["same", "ins", "del"]
    text: str


class WordDiff(BaseModel):
    channel_id: str | None = None  # None: the base text
    changed: bool
    changes: list[WordChange]


def word_diff(before: str, after: str) -> list[WordChange]:
    """`before` turned into `after` as runs of kept, deleted and inserted words (a replaced run: the deletion
    first); joining the "same" and "ins" runs gives `after` back, "same" and "del" gives `before`."""
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    changes: list[WordChange] = []

    def add(op: Literal["same", "ins", "del"], tokens: list[str]) -> None:
        if not tokens:
            return
        if changes and changes[-1].op == op:
            changes[-1] = WordChange(op=op, text=changes[-1].text + "".join(tokens))
        else:
            changes.append(WordChange(op=op, text="".join(tokens)))

    # A lone space kept between two changes joins them ("on Monday" -> "at 9" reads as one replacement).
    merged: list[list] = []
    for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        tag, i1, i2, j1, j2 = op
        if merged and tag != "equal" and merged[-1][0] == "equal" and len(merged) > 1 and merged[-2][0] != "equal":
            space = merged[-1]
            if "".join(a[space[1] : space[2]]).isspace():
                merged.pop()
                merged[-1] = ["replace", merged[-1][1], i2, merged[-1][3], j2]
                continue
        merged.append([tag, i1, i2, j1, j2])
    for tag, i1, i2, j1, j2 in merged:
        if tag == "equal":
            add("same", a[i1:i2])
        else:
            add("del", a[i1:i2])
            add("ins", b[j1:j2])
    return changes


def word_diffs(old: RevisionRef, new: RevisionRef) -> list[WordDiff]:
    """The base text, then each channel's text as it publishes (its variant, or the base text), word by word."""
    texts = [WordDiff(changed=old.text != new.text, changes=word_diff(old.text, new.text))]
    for channel in sorted({v.channel_id for v in old.variants} | {v.channel_id for v in new.variants}):
        before, after = old.text_for(channel), new.text_for(channel)
        texts.append(WordDiff(channel_id=channel, changed=before != after, changes=word_diff(before, after)))
    return texts

"""The README's quick start says what the API does: a new user following it sees `scheduled`, and finds the
content hash where the post has it."""

from __future__ import annotations

import re
from pathlib import Path

from api.schemas import PostPublic

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
QUICK_START = README.split("## Trying it by hand", 1)[1].split("```sh", 1)[1].split("```", 1)[0]


def test_the_example_post_is_due_in_the_future_whenever_it_is_run() -> None:
    [create] = [line for line in QUICK_START.splitlines() if '"publish_at"' in line]
    # A literal date is in the past one day, and a past time publishes at once: nobody sees `scheduled`.
    assert not re.search(r'"publish_at":"\d{4}-\d\d-\d\d', create), create
    assert "$(date -u -d '+10 min' +%FT%TZ)" in create


def test_the_content_hash_is_looked_for_under_revision() -> None:
    fields = PostPublic.model_json_schema()["properties"]
    assert "content_hash" not in fields and "revision" in fields
    assert "revision.content_hash" in QUICK_START
    assert re.search(r"#.*\bcontent_hash\b", QUICK_START.replace("revision.content_hash", "")) is None

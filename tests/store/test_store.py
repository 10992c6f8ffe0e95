"""The store on SQLite and on PostgreSQL: the same code, the same guarantees."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.content import RevisionContent, content_hash
from domain.lifecycle import Publication, RevisionRef, TransitionRecord
from domain.status import AuditAction, PostStatus
from store.accounts import add_member
from store.brand_styles import add_style, brand_settings, style_files
from store.engine import migrate, transaction
from store.posts import add_post, add_revision, get_post, list_posts, revisions
from store.publications import add_publication, find_publication, idempotency_key, publications_of
from store.records import audit_trail, next_seq, record_transitions
from store.tables import Channel, Post, Workspace
from store.workspaces import add_channel, add_workspace

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme", banned_words=json.dumps(["cheap"])))
        add_member(session, "acme", "ed", "editor", name="Ed")
        add_channel(session, Channel(id="sbx", workspace_id="acme", name="Sandbox", max_length=280))
    return engine


def rev(number: int, text: str) -> RevisionRef:
    return RevisionRef(number=number, text=text, content_hash=content_hash(text), author="ed")


def make_post(engine: Engine, post_id: str = "p1", text: str = "Hello", at: datetime = T0) -> Post:
    with transaction(engine) as session:
        return add_post(
            session,
            Post(
                id=post_id,
                workspace_id="acme",
                channel_id="sbx",
                author="ed",
                status="draft",
                content_hash=content_hash(text),
                publish_at=at,
                created_at=at,
                updated_at=at,
            ),
            rev(1, text),
        )


def record(seq: int, action: AuditAction, status: PostStatus, post_id: str = "p1") -> TransitionRecord:
    return TransitionRecord(
        workflow_id=f"post-{post_id}",
        post_id=post_id,
        workspace_id="acme",
        seq=seq,
        action=action,
        actor="ed",
        revision=1,
        content_hash=content_hash("Hello"),
        status=status,
        at=T0 + timedelta(minutes=seq),
        detail={"note": f"step {seq}"},
    )


def test_content_hash_is_sha256_of_canonical_content() -> None:
    import hashlib

    expected = hashlib.sha256('{"text":"Héllo 👋"}'.encode()).hexdigest()
    assert content_hash("Héllo 👋") == f"sha256:{expected}"
    assert RevisionContent(text="a").content_hash() != RevisionContent(text="a ").content_hash()


def test_migrations_are_idempotent(db: Engine) -> None:
    migrate(db)  # a second run finds everything in place
    tables = set(sa.inspect(db).get_table_names())
    assert {
        "posts",
        "revisions",
        "audit_entries",
        "publications",
        "metric_snapshots",
        "alembic_version",
    } <= tables


def test_a_retried_transition_writes_nothing_twice(db: Engine) -> None:
    make_post(db)
    batch = [
        record(1, AuditAction.SUBMITTED, PostStatus.BRAND_CHECK),
        record(2, AuditAction.BRAND_CHECKED, PostStatus.AWAITING_APPROVAL),
    ]
    with transaction(db) as session:
        assert record_transitions(session, batch) == 2
    with transaction(db) as session:
        assert record_transitions(session, batch) == 0
        trail = audit_trail(session, "p1")
        post = get_post(session, "p1")
    assert [(e.seq, e.action) for e in trail] == [(1, "submitted"), (2, "brand_checked")]
    assert post is not None and post.status == "awaiting_approval" and post.last_seq == 2
    assert json.loads(trail[0].detail) == {"note": "step 1"}
    assert trail[1].at == T0 + timedelta(minutes=2)


def test_a_seq_taken_by_another_entry_is_a_loud_error_not_a_skip(db: Engine) -> None:
    from store.records import SeqTaken

    make_post(db)
    with transaction(db) as session:
        record_transitions(session, [record(1, AuditAction.SUBMITTED, PostStatus.BRAND_CHECK)])
    other = record(1, AuditAction.DRAFT_REVISED, PostStatus.DRAFT)
    with pytest.raises(SeqTaken, match="seq 1 already holds"), transaction(db) as session:
        record_transitions(session, [other, record(2, AuditAction.BRAND_CHECKED, PostStatus.AWAITING_APPROVAL)])
    # A true retry of the same entry (its detail may differ: numbers read again) stays a no-op.
    again = record(1, AuditAction.SUBMITTED, PostStatus.BRAND_CHECK).model_copy(update={"detail": {"x": 1}})
    with transaction(db) as session:
        assert record_transitions(session, [again]) == 0
        assert [(e.seq, e.action) for e in audit_trail(session, "p1")] == [(1, "submitted")]


def test_projection_never_moves_backwards(db: Engine) -> None:
    make_post(db)
    with transaction(db) as session:
        record_transitions(session, [record(5, AuditAction.APPROVED, PostStatus.SCHEDULED)])
    with transaction(db) as session:  # an older entry that arrives late is kept in the trail only
        record_transitions(session, [record(4, AuditAction.BRAND_CHECKED, PostStatus.AWAITING_APPROVAL)])
        post = get_post(session, "p1")
        assert post is not None and post.status == "scheduled"
        assert [e.seq for e in audit_trail(session, "p1")] == [4, 5]
        assert next_seq(session, "post-p1") == 6


def test_a_failed_transaction_leaves_nothing_behind(db: Engine) -> None:
    make_post(db)
    with pytest.raises(RuntimeError), transaction(db) as session:
        record_transitions(session, [record(1, AuditAction.SUBMITTED, PostStatus.BRAND_CHECK)])
        raise RuntimeError("the activity died mid-way")
    with transaction(db) as session:
        assert audit_trail(session, "p1") == []
        post = get_post(session, "p1")
        assert post is not None and post.status == "draft"


def test_revisions_are_stored_once_and_never_overwritten(db: Engine) -> None:
    make_post(db)
    with transaction(db) as session:
        assert add_revision(session, "p1", rev(2, "Hello again")) is True
        assert add_revision(session, "p1", rev(2, "Hello again")) is False
        with pytest.raises(ValueError, match="already holds other content"):
            add_revision(session, "p1", rev(2, "Something else"))
    with transaction(db) as session:
        assert [(r.number, r.text) for r in revisions(session, "p1")] == [(1, "Hello"), (2, "Hello again")]


def test_publication_record_is_unique_per_key(db: Engine) -> None:
    make_post(db)
    key = idempotency_key("p1", 1, "sbx")
    pub = Publication(channel_id="sbx", external_id="sbx_1", url="http://x/p/sbx_1", published_at=T0)
    with transaction(db) as session:
        add_publication(session, key, "p1", 1, pub)
    with pytest.raises(sa.exc.IntegrityError), transaction(db) as session:
        add_publication(session, key, "p1", 1, pub)
    with transaction(db) as session:
        assert find_publication(session, key) == pub
        assert len(publications_of(session, "p1")) == 1


def test_list_posts_by_status_with_cursor(db: Engine) -> None:
    for i in range(5):
        make_post(db, f"p{i}", at=T0 + timedelta(minutes=i))
    with transaction(db) as session:
        record_transitions(session, [record(1, AuditAction.SUBMITTED, PostStatus.BRAND_CHECK, post_id="p3")])
        first = list_posts(session, "acme", "draft", limit=2)
        second = list_posts(session, "acme", "draft", limit=2, after=first[-1].id)
        checking = list_posts(session, "acme", "brand_check")
        elsewhere = list_posts(session, "other")
    assert [p.id for p in first] == ["p4", "p2"]
    assert [p.id for p in second] == ["p1", "p0"]
    assert [p.id for p in checking] == ["p3"]
    assert elsewhere == []


def test_brand_settings_come_from_workspace_channel_and_stored_style(db: Engine) -> None:
    files = {"Acme/Hype.yml": b"extends: existence\nmessage: x\ntokens: [synergy]\n"}
    with transaction(db) as session:
        row, created = add_style(
            session, "acme", version="v1", names=["Acme"], files=files, rule_count=1, uploaded_by="ed"
        )
        _, again = add_style(session, "acme", version="v1", names=["Acme"], files=files, rule_count=1, uploaded_by="x")
        workspace = session.get(Workspace, "acme")
        assert workspace is not None
        workspace.style_version = "v1"
        with pytest.raises(LookupError):
            brand_settings(session, "acme", "nope")
    assert created and not again and style_files(row) == files
    with transaction(db) as session:
        settings = brand_settings(session, "acme", "sbx")
    assert settings.max_length == 280 and settings.banned_words == ["cheap"]
    assert settings.style_version == "v1" and settings.style_files == {"Acme/Hype.yml": files["Acme/Hype.yml"].decode()}


def test_times_round_trip_in_utc(db: Engine) -> None:
    from zoneinfo import ZoneInfo

    nine_in_jakarta = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    make_post(db, "tz", at=nine_in_jakarta)
    with transaction(db) as session:
        post = get_post(session, "tz")
    assert post is not None
    stored = post.publish_at
    assert stored == nine_in_jakarta and stored.hour == 2 and stored.tzinfo == UTC


def test_the_first_claim_of_an_idempotency_key_knows_it_is_the_first(db: Engine) -> None:
    # On PostgreSQL the insert's rowcount was -1, so no request ever seemed the first: every repeat-safe
    # request waited for an answer that no one was working on.
    from store.idempotency import claim_key, keep_answer, release_key

    with transaction(db) as session:
        assert claim_key(session, "k1", actor="ed", route="r", body={"a": 1}).first is True
    with transaction(db) as session:
        repeat = claim_key(session, "k1", actor="ed", route="r", body={"a": 1})
        assert repeat.first is False and repeat.answered is None
        keep_answer(session, "k1", 201, {"id": "p1"})
    with transaction(db) as session:
        assert claim_key(session, "k1", actor="ed", route="r", body={"a": 1}).answered == (201, {"id": "p1"})
        assert claim_key(session, "k2", actor="ed", route="r", body={"a": 1}).first is True
        release_key(session, "k2")
    with transaction(db) as session:
        assert claim_key(session, "k2", actor="ed", route="r", body={"a": 2}).first is True  # forgotten, free again

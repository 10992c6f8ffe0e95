"""Channel credentials sealed with AES-GCM: round trip, tampering, key rotation, the local key file, and
no secret in any repr, message or log line. On SQLite and PostgreSQL where the database is involved."""

from __future__ import annotations

import base64
import logging
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.credentials import (
    KEY_FILE,
    CredentialError,
    KeyRing,
    keyring_from,
    new_key,
    open_channel,
    parse_keys,
    rotate,
    seal_channel,
)
from store.engine import transaction
from store.tables import Channel, Workspace
from store.workspaces import add_channel, add_workspace, get_channel

SECRETS = {"access_token": "tok-VERY-secret-123", "refresh_token": "ref-also-secret-456", "expires_at": None}
KEY_1 = new_key()
KEY_2 = new_key()


def ring(*pairs: tuple[str, str], current: str) -> KeyRing:
    return keyring_from(",".join(f"{k}={v}" for k, v in pairs), current, Path("/nonexistent-never-written"))


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme"))
    return engine


def add(engine: Engine, keyring: KeyRing, channel_id: str, secrets: dict | None = SECRETS) -> None:
    with transaction(engine) as session:
        channel = Channel(id=channel_id, workspace_id="acme", name=channel_id, platform="mastodon")
        seal_channel(channel, keyring, secrets)
        add_channel(session, channel)


def stored(engine: Engine, channel_id: str) -> Channel:
    with transaction(engine) as session:
        channel = get_channel(session, "acme", channel_id)
        assert channel is not None
        return channel


def test_sealed_credentials_open_to_what_went_in_and_hide_it(db: Engine) -> None:
    keyring = ring(("k1", KEY_1), current="k1")
    add(db, keyring, "masto")
    channel = stored(db, "masto")
    assert channel.credentials_key_id == "k1"
    assert channel.credentials is not None
    assert "tok-VERY-secret" not in channel.credentials and "ref-also" not in channel.credentials
    assert open_channel(channel, keyring) == SECRETS
    # Sealing twice gives different ciphertexts (fresh nonce), both opening to the same secrets.
    again = Channel(id="masto", workspace_id="acme", name="m")
    seal_channel(again, keyring, SECRETS)
    assert again.credentials != channel.credentials
    assert open_channel(again, keyring) == SECRETS


def test_a_channel_without_credentials_opens_to_none(db: Engine) -> None:
    keyring = ring(("k1", KEY_1), current="k1")
    add(db, keyring, "sbx", None)
    channel = stored(db, "sbx")
    assert channel.credentials is None and channel.credentials_key_id is None
    assert open_channel(channel, keyring) is None


def test_a_changed_byte_or_a_ciphertext_moved_to_another_channel_is_refused() -> None:
    keyring = ring(("k1", KEY_1), current="k1")
    channel = Channel(id="masto", workspace_id="acme", name="m")
    seal_channel(channel, keyring, SECRETS)
    assert channel.credentials is not None
    raw = bytearray(base64.urlsafe_b64decode(channel.credentials[3:]))
    raw[20] ^= 0x01
    tampered = Channel(
        id="masto",
        workspace_id="acme",
        name="m",
        credentials="v1:" + base64.urlsafe_b64encode(bytes(raw)).decode(),
        credentials_key_id="k1",
    )
    with pytest.raises(CredentialError, match="do not open under key 'k1'"):
        open_channel(tampered, keyring)
    moved = Channel(id="other", workspace_id="acme", name="o", credentials=channel.credentials, credentials_key_id="k1")
    with pytest.raises(CredentialError, match="channel 'other'"):
        open_channel(moved, keyring)
    relabelled = Channel(
        id="masto", workspace_id="acme", name="m", credentials=channel.credentials, credentials_key_id="k2"
    )
    with pytest.raises(CredentialError, match="do not open"):
        open_channel(relabelled, ring(("k1", KEY_1), ("k2", KEY_1), current="k1"))


def test_a_key_missing_from_the_ring_is_named_with_what_to_do() -> None:
    channel = Channel(id="masto", workspace_id="acme", name="m")
    seal_channel(channel, ring(("old", KEY_1), current="old"), SECRETS)
    with pytest.raises(CredentialError) as refused:
        open_channel(channel, ring(("new", KEY_2), current="new"))
    assert "key 'old'" in str(refused.value) and "POSTGATE_CREDENTIAL_KEYS" in str(refused.value)
    assert KEY_1 not in str(refused.value)


def test_rotation_reseals_every_channel_under_the_current_key(db: Engine) -> None:
    old = ring(("k1", KEY_1), current="k1")
    add(db, old, "masto")
    add(db, old, "bsky", {"app_password": "app-pw-secret"})
    add(db, old, "sbx", None)
    both = ring(("k1", KEY_1), ("k2", KEY_2), current="k2")
    # Before rotating, the old key id still opens what it sealed, though k2 is now current.
    assert open_channel(stored(db, "masto"), both) == SECRETS
    before = stored(db, "masto").credentials

    with transaction(db) as session:
        assert rotate(session, both) == 2
    after = stored(db, "masto")
    assert after.credentials_key_id == "k2" and after.credentials != before
    only_new = ring(("k2", KEY_2), current="k2")
    assert open_channel(after, only_new) == SECRETS
    assert open_channel(stored(db, "bsky"), only_new) == {"app_password": "app-pw-secret"}
    assert stored(db, "sbx").credentials is None
    with transaction(db) as session:
        assert rotate(session, both) == 0


def test_rotation_that_cannot_open_one_channel_changes_none(db: Engine) -> None:
    add(db, ring(("k1", KEY_1), current="k1"), "masto")
    add(db, ring(("lost", KEY_2), current="lost"), "bsky")
    target = ring(("k1", KEY_1), ("k3", new_key()), current="k3")
    with pytest.raises(CredentialError, match="key 'lost'"):
        with transaction(db) as session:
            rotate(session, target)
    assert stored(db, "masto").credentials_key_id == "k1"


def test_without_configured_keys_a_local_key_file_is_made_once_and_kept(tmp_path: Path) -> None:
    first = keyring_from("", "", tmp_path)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert first.current.startswith("local-")
    channel = Channel(id="masto", workspace_id="acme", name="m")
    seal_channel(channel, first, SECRETS)
    second = keyring_from("", "", tmp_path)
    assert second.current == first.current
    assert open_channel(channel, second) == SECRETS
    # Configuring real keys later keeps the local key readable, so rotate-key can move channels off it.
    configured = keyring_from(f"prod={KEY_2}", "prod", tmp_path)
    assert configured.current == "prod"
    assert open_channel(channel, configured) == SECRETS


def test_configured_keys_write_no_local_file(tmp_path: Path) -> None:
    keyring = keyring_from(f"a={KEY_1}, b={KEY_2}", "", tmp_path)
    assert keyring.current == "a"
    assert not (tmp_path / KEY_FILE).exists()


@pytest.mark.parametrize(
    ("keys", "key_id", "problem"),
    [
        ("k1", "", "entry 1 is not 'key_id=base64 key'"),
        ("k1=not base64!", "", "key 'k1' is not valid base64"),
        (f"k1={base64.b64encode(b'short').decode()}", "", "key 'k1' must be 32 bytes, not 5"),
        (f"k1={KEY_1},k1={KEY_2}", "", "key id 'k1' is listed twice"),
        (f"k1={KEY_1}", "k9", "POSTGATE_CREDENTIAL_KEY_ID is 'k9'"),
    ],
)
def test_bad_key_settings_are_explained_without_the_key(tmp_path: Path, keys: str, key_id: str, problem: str) -> None:
    with pytest.raises(CredentialError, match=problem) as refused:
        keyring_from(keys, key_id, tmp_path)
    assert KEY_1 not in str(refused.value) and KEY_2 not in str(refused.value)


def test_url_safe_and_unpadded_keys_are_accepted() -> None:
    raw = bytes(range(250, 256)) + bytes(26)
    url_safe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert parse_keys(f"k={url_safe}") == {"k": raw}


def test_no_secret_in_reprs_or_logs(caplog: pytest.LogCaptureFixture, db: Engine) -> None:
    caplog.set_level(logging.DEBUG)
    keyring = ring(("k1", KEY_1), ("k2", KEY_2), current="k2")
    add(db, ring(("k1", KEY_1), current="k1"), "masto")
    with transaction(db) as session:
        rotate(session, keyring)
    channel = stored(db, "masto")
    secrets = open_channel(channel, keyring)
    assert secrets is not None
    shown = " ".join([repr(keyring), str(keyring), repr(secrets), str(secrets), repr(channel), caplog.text])
    for secret in (KEY_1, KEY_2, "tok-VERY-secret-123", "ref-also-secret-456", str(channel.credentials)):
        assert secret not in shown
    assert "access_token" in repr(secrets) and "k2" in repr(keyring)


def test_the_migration_gives_existing_channels_an_active_state_and_no_credentials(db: Engine) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO channels (id, workspace_id, name, platform, max_length, social_overrides) "
                "VALUES ('old', 'acme', 'Old', 'sandbox', 280, '{}')"
            )
        )
    channel = stored(db, "old")
    assert (channel.state, channel.settings, channel.credentials, channel.token_expires_at) == (
        "active",
        "{}",
        None,
        None,
    )

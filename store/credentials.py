"""Channel credentials, sealed with AES-256-GCM under a key ring that can rotate.

Keys come from `POSTGATE_CREDENTIAL_KEYS` ("key_id=base64 of 32 bytes", comma-separated) and
`POSTGATE_CREDENTIAL_KEY_ID` names the one that seals; every other key listed still opens what it sealed,
so keys rotate without downtime: add the new key, make it current, run `postgate channels rotate-key`
(which re-seals every channel under it), then drop the old key. A channel row keeps the id of the key that
sealed it next to the ciphertext.

With no key configured (local development), a key is generated on first use into `<data_dir>/credential-keys`
(mode 0600) and its id is `local-<fingerprint>`. That file keeps being read after real keys are configured,
so `rotate-key` can move development channels under them. Never use the local file in production: every
machine would make its own, and a worker could not open what the API sealed.

The channel id and key id are bound into each ciphertext as associated data, so a ciphertext copied onto
another channel does not open. No key and no secret appears in any message, repr or log line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session, col, select

from store.tables import Channel

if TYPE_CHECKING:
    from settings import Settings

KEY_FILE = "credential-keys"
LOCAL_PREFIX = "local-"
_FORMAT = "v1:"
_NONCE_BYTES = 12
_KEY_BYTES = 32


class CredentialError(Exception):
    """Credentials cannot be sealed or opened; the message says what to do and never shows a secret."""


class Secrets(dict[str, Any]):
    """A channel's opened credentials. Its repr names the fields only, so a stray log line shows no secret."""

    def __repr__(self) -> str:
        return f"Secrets(<hidden: {', '.join(sorted(self))}>)"

    __str__ = __repr__


@dataclass(frozen=True)
class KeyRing:
    keys: Mapping[str, bytes] = field(repr=False)
    current: str

    def __repr__(self) -> str:
        return f"KeyRing(current={self.current!r}, key_ids={sorted(self.keys)!r})"

    def seal(self, channel_id: str, secrets: Mapping[str, Any]) -> tuple[str, str]:
        """(ciphertext, key id) of `secrets` for this channel, under the current key."""
        plaintext = json.dumps(dict(secrets), separators=(",", ":"), default=str).encode("utf-8")
        return self.seal_bytes(plaintext, _aad(channel_id, self.current)), self.current

    def seal_bytes(self, plaintext: bytes, aad: bytes) -> str:
        """AES-GCM under the current key, bound to `aad` (say what the value is and whose, key id included)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, aad)
        return _FORMAT + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open_bytes(self, ciphertext: str, key_id: str, aad: bytes) -> bytes:
        """Raises KeyError for an unknown key id, ValueError/InvalidTag/binascii.Error for a bad ciphertext."""
        if not ciphertext.startswith(_FORMAT):
            raise ValueError("unknown format")
        raw = base64.urlsafe_b64decode(ciphertext[len(_FORMAT) :])
        return AESGCM(self.keys[key_id]).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad)

    def open(self, channel_id: str, ciphertext: str, key_id: str) -> Secrets:
        key = self.keys.get(key_id)
        if key is None:
            raise CredentialError(
                f"the credentials of channel '{channel_id}' are sealed with key '{key_id}', which is not in "
                "POSTGATE_CREDENTIAL_KEYS; add that key back (then `postgate channels rotate-key` re-seals them "
                "under the current key), or reconnect the channel"
            )
        try:
            if not ciphertext.startswith(_FORMAT):
                raise ValueError("unknown format")
            raw = base64.urlsafe_b64decode(ciphertext[len(_FORMAT) :])
            plaintext = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(channel_id, key_id))
            values = json.loads(plaintext)
        except (InvalidTag, ValueError, binascii.Error) as err:
            raise CredentialError(
                f"the credentials of channel '{channel_id}' do not open under key '{key_id}': they were altered "
                "or belong to another channel; reconnect the channel with fresh credentials"
            ) from err
        if not isinstance(values, dict):
            raise CredentialError(f"the credentials of channel '{channel_id}' are not an object; reconnect it")
        return Secrets(values)


def _aad(channel_id: str, key_id: str) -> bytes:
    return f"postgate/channel-credentials|{channel_id}|{key_id}".encode()


def new_key() -> str:
    """A fresh key, base64-encoded, for POSTGATE_CREDENTIAL_KEYS."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def parse_keys(text: str, where: str = "POSTGATE_CREDENTIAL_KEYS") -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for number, entry in enumerate((e.strip() for e in text.replace("\n", ",").split(",")), start=1):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition("=")
        key_id = key_id.strip()
        if not sep or not key_id or len(key_id) > 64:
            raise CredentialError(f"{where}: entry {number} is not 'key_id=base64 key' (key ids up to 64 chars)")
        # Standard or URL-safe alphabet, padding optional.
        encoded = encoded.strip().replace("-", "+").replace("_", "/")
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise CredentialError(f"{where}: key '{key_id}' is not valid base64") from None
        if len(key) != _KEY_BYTES:
            raise CredentialError(f"{where}: key '{key_id}' must be {_KEY_BYTES} bytes, not {len(key)}")
        if key_id in keys:
            raise CredentialError(f"{where}: key id '{key_id}' is listed twice")
        keys[key_id] = key
    return keys


def _local_keys(data_dir: Path, create: bool) -> dict[str, bytes]:
    path = data_dir / KEY_FILE
    if not path.exists():
        if not create:
            return {}
        key = AESGCM.generate_key(bit_length=256)
        key_id = LOCAL_PREFIX + hashlib.sha256(key).hexdigest()[:8]
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: when the API and a worker start together, one creates the file and the other reads it.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return parse_keys(path.read_text(encoding="utf-8"), str(path))
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"{key_id}={base64.b64encode(key).decode('ascii')}\n")
    return parse_keys(path.read_text(encoding="utf-8"), str(path))


def keyring_from(keys: str, key_id: str, data_dir: Path) -> KeyRing:
    """The key ring the settings describe; a local key file is created only when no key is configured."""
    configured = parse_keys(keys)
    local = _local_keys(data_dir, create=not configured)
    ring = {**local, **configured}
    current = key_id or next(iter(configured or local))
    if current not in ring:
        raise CredentialError(
            f"POSTGATE_CREDENTIAL_KEY_ID is '{current}', which is not among the configured keys "
            f"({', '.join(sorted(ring)) or 'none'}); add it to POSTGATE_CREDENTIAL_KEYS"
        )
    return KeyRing(ring, current)


@lru_cache(maxsize=8)
def _cached_keyring(keys: str, key_id: str, data_dir: str) -> KeyRing:
    return keyring_from(keys, key_id, Path(data_dir))


def keyring_for(settings: Settings) -> KeyRing:
    return _cached_keyring(
        settings.credential_keys.get_secret_value(), settings.credential_key_id, str(settings.data_dir.resolve())
    )


def seal_channel(channel: Channel, keyring: KeyRing, secrets: Mapping[str, Any] | None) -> None:
    """Put `secrets` on the channel row, sealed (or clear them when None)."""
    if secrets is None:
        channel.credentials = channel.credentials_key_id = None
        return
    channel.credentials, channel.credentials_key_id = keyring.seal(channel.id, secrets)


def open_channel(channel: Channel, keyring: KeyRing) -> Secrets | None:
    """The channel's credentials, or None if it has none (the sandbox)."""
    if channel.credentials is None:
        return None
    if channel.credentials_key_id is None:
        raise CredentialError(f"channel '{channel.id}' has credentials without a key id; reconnect it")
    return keyring.open(channel.id, channel.credentials, channel.credentials_key_id)


def rotate(session: Session, keyring: KeyRing, *, actor: str = "operator:rotate-key") -> int:
    """Re-seal, under the current key, every channel sealed with another; returns how many changed.

    Fails before changing anything visible if one channel cannot be opened (the caller's transaction rolls
    back), so a rotation never leaves some channels unreadable. Each channel's workspace trail records the
    new key id and fingerprint (never the value).
    """
    from domain.status import AuditAction
    from store.config_audit import credentials_fingerprint, record_change

    stale = session.exec(
        select(Channel).where(col(Channel.credentials).is_not(None), Channel.credentials_key_id != keyring.current)
    ).all()
    for channel in stale:
        before = credentials_fingerprint(channel)
        seal_channel(channel, keyring, open_channel(channel, keyring))
        session.add(channel)
        record_change(
            session,
            channel.workspace_id,
            AuditAction.CHANNEL_CREDENTIALS_RESEALED,
            actor,
            subject=f"channel:{channel.id}",
            before={"credentials": before},
            after={"credentials": credentials_fingerprint(channel)},
            credentials_changed=False,  # the same secrets under another key
        )
    session.flush()
    return len(stale)

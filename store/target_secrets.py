"""Webhook secrets of notification targets, sealed at rest like channel credentials (store/credentials.py).

The secret column holds AES-GCM ciphertext under the credential key ring, with the sealing key's id next to
it; the target's id and the key id are bound in as associated data, so a ciphertext copied onto another
target does not open. Only the notify activity (and the API's test send) opens it, to sign a request.
`postgate channels rotate-key` re-seals targets with channels.
"""

from __future__ import annotations

import binascii

from cryptography.exceptions import InvalidTag
from sqlmodel import Session, col, select

from store.credentials import CredentialError, KeyRing
from store.tables import NotificationTarget


def _aad(target_id: int, key_id: str) -> bytes:
    return f"postgate/notification-secret|{target_id}|{key_id}".encode()


def seal_secret(keyring: KeyRing, target_id: int, secret: str) -> tuple[str, str]:
    """(ciphertext, key id) of a target's secret under the current key."""
    return keyring.seal_bytes(secret.encode("utf-8"), _aad(target_id, keyring.current)), keyring.current


def open_secret(keyring: KeyRing, target_id: int, ciphertext: str, key_id: str) -> str:
    where = f"the secret of notification target {target_id}"
    if key_id not in keyring.keys:
        raise CredentialError(
            f"{where} is sealed with key '{key_id}', which is not in POSTGATE_CREDENTIAL_KEYS; add that key back, "
            "or delete the target and add it again"
        )
    try:
        return keyring.open_bytes(ciphertext, key_id, _aad(target_id, key_id)).decode("utf-8")
    except (InvalidTag, ValueError, binascii.Error) as err:
        raise CredentialError(
            f"{where} does not open under key '{key_id}'; delete the target and add it again"
        ) from err


def seal_target(target: NotificationTarget, keyring: KeyRing, secret: str) -> None:
    """Put `secret` on the (flushed, so numbered) target, sealed, with the hint the API shows."""
    assert target.id is not None, "flush the target first: its id is bound into the ciphertext"
    target.secret, target.secret_key_id = seal_secret(keyring, target.id, secret)
    target.secret_hint = secret[-4:]


def target_secret(target: NotificationTarget, keyring: KeyRing) -> str | None:
    """The target's secret in clear, or None when it has none."""
    if target.secret is None:
        return None
    if target.id is None or target.secret_key_id is None:
        raise CredentialError(f"notification target {target.id} has a secret without a key id; add it again")
    return open_secret(keyring, target.id, target.secret, target.secret_key_id)


def rotate_targets(session: Session, keyring: KeyRing) -> int:
    """Re-seal under the current key every target sealed with another; fails before changing anything if
    one does not open (the caller's transaction rolls back)."""
    stale = session.exec(
        select(NotificationTarget).where(
            col(NotificationTarget.secret).is_not(None), NotificationTarget.secret_key_id != keyring.current
        )
    ).all()
    for target in stale:
        secret = target_secret(target, keyring)
        assert secret is not None
        seal_target(target, keyring, secret)
        session.add(target)
    session.flush()
    return len(stale)

"""The Ed25519 key that signs audit checkpoints, kept in a file outside the database.

Whoever can write the database can rewrite the audit chain and recompute every hash; they cannot make a
signature without this key. The file holds the private key as unencrypted PKCS#8 PEM, readable by its owner
only; a public-key PEM file is enough to verify.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(Exception):
    """The key file is unreadable or holds something other than an Ed25519 key."""


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The key in `path`, generated (mode 0600) on first use; two processes racing agree on one key."""
    return _cached_key(str(path.resolve()))


@lru_cache(maxsize=8)
def _cached_key(path: str) -> Ed25519PrivateKey:
    file = Path(path)
    if not file.exists():
        _create(file)
    key = _read_key(file)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{file} holds no Ed25519 private key; point POSTGATE_AUDIT_SIGNING_KEY_FILE at one")
    return key


def _create(file: Path) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Written whole under a temporary name and then linked into place: a reader never sees half a key, and
    # when two processes race, the first link wins and the other uses that key.
    temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, file)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _read_key(file: Path) -> object:
    try:
        data = file.read_bytes()
    except OSError as err:
        raise SigningKeyError(f"cannot read the audit signing key {file}: {err.strerror}") from err
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        pass
    try:
        return serialization.load_pem_public_key(data)
    except ValueError as err:
        raise SigningKeyError(f"{file} is not a PEM key file") from err


def load_public_key(path: Path) -> Ed25519PublicKey | None:
    """The public half of the key in `path` (a private or a public key PEM); None when there is no file."""
    if not path.exists():
        return None
    key = _read_key(path)
    if isinstance(key, Ed25519PrivateKey):
        return key.public_key()
    if isinstance(key, Ed25519PublicKey):
        return key
    raise SigningKeyError(f"{path} holds no Ed25519 key")


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(public_key: Ed25519PublicKey) -> str:
    """A fingerprint naming the key in each checkpoint: the start of SHA-256 over the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:32]


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def signature_valid(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True

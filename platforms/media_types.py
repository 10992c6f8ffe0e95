"""What an attachment really is, for the Content-Type (and file name) an upload declares.

The media library's declared type can be missing or wrong (a `.png` served as `image/jpeg`, a URL with no
extension that was guessed as JPEG), and a platform stores what the upload declares: Mastodon kept such
files as `application/octet-stream`. The bytes decide where their signature is known; else the declared
type stands.
"""

from __future__ import annotations

import mimetypes

from platforms.base import MediaRef

_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/avif": "avif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
}


def sniff(content: bytes) -> str | None:
    """The MIME type the bytes' signature names, for the formats social platforms take."""
    head = content[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1"):
            return "image/heic"
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4"
    return None


def content_type(media: MediaRef, content: bytes) -> str:
    return sniff(content) or media.mime_type or "application/octet-stream"


def upload_name(kind: str) -> str:
    """A file name whose extension agrees with the type: some servers trust the name over the part's type."""
    extension = _EXTENSIONS.get(kind) or (mimetypes.guess_extension(kind) or ".bin").lstrip(".")
    return f"upload.{extension}"

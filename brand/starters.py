"""Starter styles shipped with postgate for social copy, chosen when a workspace is created.

`en-social` (style SocialEN): common misspellings, wordiness, engagement bait, doubled words and "!!".
`id-social` (style SocialID), the errors social admins make in Bahasa Indonesia: the prepositions di/ke
joined to a place ("dirumah"), the prefix di- written apart from its verb ("di tulis"), non-standard
spellings (KBBI), kepada/pada, and "!!". Each rule file cites its public source in a comment.

They are ordinary Vale styles (brand/starter/<name>/<Style>/*.yml), stored like an upload, so they are
versioned, audited and can be replaced or edited by uploading another style.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from brand.loading import canonical_files, files_from_directory

StarterName = Literal["en-social", "id-social"]
STARTERS: tuple[StarterName, ...] = ("en-social", "id-social")
_ROOT = Path(__file__).parent / "starter"


def starter_files(name: StarterName) -> dict[str, bytes]:
    """The canonical files of a starter style (see `brand.loading.canonical_files`)."""
    if name not in STARTERS:
        raise ValueError(f"no starter style {name!r}; choose one of {', '.join(STARTERS)}")
    return canonical_files(files_from_directory(_ROOT / name))

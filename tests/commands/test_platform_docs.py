"""docs/platforms.md says what the code enforces: it is generated from the platform specs and limits."""

from pathlib import Path

from commands.platform_docs import render
from platforms.channel_settings import SPECS

DOC = Path(__file__).resolve().parents[2] / "docs" / "platforms.md"


def test_the_platform_reference_matches_the_code() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/platforms.md is out of date: python -m commands.platform_docs > docs/platforms.md"
    )


def test_every_platform_setting_and_credential_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for platform, spec in SPECS.items():
        section = text.split(f"## {platform}\n", 1)[1].split("\n## ", 1)[0]
        models = [spec.settings] + ([spec.credentials] if spec.credentials is not None else [])
        for model in models:
            for key in model.model_fields:
                assert f"| `{key}` |" in section, (platform, key)

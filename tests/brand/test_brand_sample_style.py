"""The sample Acme style (tests/brand/styles) on realistic English and Indonesian posts."""

from __future__ import annotations

from brand_helpers import QUIET, STYLES

from brand.engine import SocialRules, blocks_approval, check, load_style
from platforms.base import MediaRef

ACME = load_style(STYLES / "Acme")


def found(text: str) -> list[tuple[str, str]]:
    return [(finding.rule, finding.match) for finding in check(text, ACME, QUIET)]


def test_a_clean_english_post() -> None:
    assert found("We roast our beans every morning in Jakarta. Order on GitHub or in Acme Cloud.") == []


def test_an_english_post_with_brand_problems() -> None:
    text = "Our revolutionary Acme cloud is here. Sign up for it on Github today today."
    assert found(text) == [
        ("Acme.Hype", "revolutionary"),
        ("Vale.Terms", "Acme cloud"),
        ("Acme.Terms", "Sign up for"),
        ("Vale.Terms", "Github"),
        ("Acme.Repeated", "today today"),
    ]
    assert blocks_approval(check(text, ACME, QUIET))


def test_competitors_and_banned_words_block_approval() -> None:
    findings = check("Cheaper than Hooli and the cheapest in town.", ACME, QUIET)
    assert [(f.rule, f.level.value) for f in findings] == [
        ("Acme.Competitors", "error"),
        ("Vale.Avoid", "error"),
    ]


def test_an_indonesian_post() -> None:
    text = "Download aplikasinya sekarang dan belanja online untuk usaha kecil!! Rasanya sangat sangat enak."
    assert found(text) == [
        ("Acme.Bahasa", "Download"),
        ("Acme.Bahasa", "online"),
        ("Acme.Shouting", "kecil!!"),
        ("Acme.Exclamation", "!"),  # occurrence: at the first match, as Vale reports it
        ("Acme.Repeated", "sangat sangat"),
    ]


def test_accepted_terms_are_exempt_from_the_other_rules() -> None:
    # "(?i)kopi" is in accept.txt, so "Kopi kopi" is not reported as a repeat (Vale's vocabulary semantics).
    assert found("Kopi kopi terbaik.") == []
    # ... and an accepted term inside a match excuses the match ("UMKM" in "UMKM!!").
    assert ("Acme.Shouting", "UMKM!!") not in found("Untuk UMKM!!")


def test_spelling_consistency_and_acronyms() -> None:
    assert found("Our colour guide. The color wheel.") == [("Acme.Spelling", "color")]
    assert found("Read our SEO tips.") == [("Acme.Acronyms", "SEO")]
    defined = found("Search Engine Optimisation (SEO) matters. Read our SEO tips.")
    assert [rule for rule, _ in defined if rule == "Acme.Acronyms"] == []


def test_title_case_sentence_is_suggested_in_sentence_case() -> None:
    (finding,) = check("Big News From Jakarta Today", ACME, QUIET)
    assert (finding.rule, finding.replacement) == ("Acme.SentenceCase", "Big news from Jakarta today")


def test_style_and_social_rules_together() -> None:
    social = SocialRules.model_validate({"hashtags": {"casing": "camel"}})
    text = "#iklan Kopi susu baru! Unduh di acme.co.id #kopisusu"
    findings = check(
        text, ACME, social, platform="instagram", sponsored=True, media=[MediaRef(url="https://cdn/a.jpg")]
    )
    assert [(f.rule, f.match) for f in findings] == [
        ("Social.AltText", "https://cdn/a.jpg"),
        ("Social.HashtagCase", "#kopisusu"),
    ]

"""postgate's social rules: length per platform, hashtags, mentions, links, UTM, disclosure, alt text, claims."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from brand.engine import SocialRules, check
from brand.findings import FindingLevel
from platforms.base import MediaRef

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"


def rules_of(found: list) -> list[str]:
    return [finding.rule for finding in found]


def test_x_length_at_the_limit_passes_and_one_more_fails() -> None:
    assert check("a" * 280, platform="x") == []
    (finding,) = check("a" * 281, platform="x")
    assert finding.rule == "Social.Length"
    assert finding.level is FindingLevel.ERROR
    assert finding.message == "Post is 281 weighted characters as x counts them; the limit is 280. Shorten it by 1."
    assert (finding.start, finding.end) == (280, 281)


def test_x_counts_cjk_double_and_links_as_23() -> None:
    assert check("新" * 140, platform="x") == []
    assert rules_of(check("新" * 141, platform="x")) == ["Social.Length"]
    long_link = "https://acme.com/" + "x" * 300
    assert check("a" * 256 + " " + long_link, platform="x") == []  # 256 + 1 + 23 = 280


def test_x_counts_a_zwj_family_as_two() -> None:
    assert check("a" * 278 + FAMILY, platform="x") == []
    assert rules_of(check("a" * 279 + FAMILY, platform="x")) == ["Social.Length"]


def test_bluesky_enforces_graphemes_and_bytes_separately() -> None:
    assert check(FAMILY * 300, platform="bluesky") != []  # 300 graphemes but 7,500 bytes
    found = check(FAMILY * 300, platform="bluesky")
    assert [f.message.split(";")[0] for f in found] == ["Post is 7500 UTF-8 bytes as bluesky counts them"]
    assert check("é" * 300, platform="bluesky") == []  # 300 graphemes, 600 bytes
    assert "graphemes" in check("é" * 301, platform="bluesky")[0].message


def test_mastodon_instance_limit_and_link_length_are_configurable() -> None:
    text = "x" * 490 + " https://acme.com/" + "y" * 80
    assert rules_of(check(text, platform="mastodon")) == ["Social.Length"]  # 491 + 23 = 514
    roomy = SocialRules.model_validate({"length": {"max_length": 1000}})
    assert check(text, social=roomy, platform="mastodon") == []
    tight_links = SocialRules.model_validate({"length": {"url_length": 5}})
    assert check(text, social=tight_links, platform="mastodon") == []


def test_linkedin_instagram_threads_limits() -> None:
    assert check("a" * 3000, platform="linkedin") == []
    assert rules_of(check("a" * 3001, platform="linkedin")) == ["Social.Length"]
    assert rules_of(check("a" * 2201, platform="instagram")) == ["Social.Length"]
    assert check("a" * 475 + FAMILY, platform="threads") == []  # emoji count their 25 UTF-8 bytes
    assert rules_of(check("a" * 476 + FAMILY, platform="threads")) == ["Social.Length"]


def test_length_check_can_be_turned_off_and_no_platform_means_no_limit() -> None:
    assert check("a" * 5000) == []
    assert check("a" * 500, social=SocialRules.model_validate({"length": {"enabled": False}}), platform="x") == []


def test_instagram_allows_30_hashtags() -> None:
    tags = " ".join(f"#Tag{number}" for number in range(31))
    (finding,) = check(tags, platform="instagram")
    assert finding.rule == "Social.Hashtags"
    assert finding.message == "Post has 31 hashtags; the platform allows 30. Remove 1."
    assert finding.match == "#Tag30"


def test_configured_hashtag_and_mention_limits_are_warnings_by_default() -> None:
    rules = SocialRules.model_validate({"hashtags": {"max_count": 2}, "mentions": {"max_count": 1}})
    found = check("#One #Two #Three cc @ann @bob", social=rules)
    assert [(f.rule, f.level, f.match) for f in found] == [
        ("Social.Hashtags", FindingLevel.WARNING, "#Three"),
        ("Social.Mentions", FindingLevel.WARNING, "@bob"),
    ]


def test_hashtag_casing() -> None:
    camel = SocialRules.model_validate({"hashtags": {"casing": "camel"}})
    found = check("#AcmeLaunch #acmeLaunch #acmelaunch #UMKM #新品 #2024Promo", social=camel)
    assert [(f.match, f.replacement) for f in found] == [("#acmeLaunch", "#AcmeLaunch"), ("#acmelaunch", None)]
    lower = SocialRules.model_validate({"hashtags": {"casing": "lower"}})
    found = check("#AcmeLaunch #ok", social=lower)
    assert [(f.match, f.replacement) for f in found] == [("#AcmeLaunch", "#acmelaunch")]


def test_disclosure_tags_are_exempt_from_hashtag_casing() -> None:
    camel = SocialRules.model_validate({"hashtags": {"casing": "camel"}})
    assert check("#ad #iklan Promo #AcmeLaunch", social=camel, sponsored=True) == []


def test_link_limits_and_domain_lists() -> None:
    rules = SocialRules.model_validate(
        {"links": {"max_count": 1, "deny_domains": ["bit.ly"], "allow_domains": []}},
    )
    found = check("Read https://bit.ly/x and https://acme.com/y", social=rules)
    assert [(f.rule, f.match) for f in found] == [
        ("Social.LinkDomain", "https://bit.ly/x"),
        ("Social.Links", "https://acme.com/y"),
    ]
    allow = SocialRules.model_validate({"links": {"allow_domains": ["acme.com", "*.acme.co.id"]}})
    found = check("https://blog.acme.com/a https://shop.acme.co.id https://evil.example/x", social=allow)
    assert [f.match for f in found] == ["https://evil.example/x"]


def test_threads_counts_distinct_links_up_to_five() -> None:
    links = " ".join(f"https://acme.com/{number}" for number in range(6))
    assert rules_of(check(links, platform="threads")) == ["Social.Links"]
    repeated = " ".join("https://acme.com/same" for _ in range(6))
    assert check(repeated, platform="threads") == []


def test_utm_parameters_on_own_domains() -> None:
    rules = SocialRules.model_validate(
        {"utm": {"own_domains": ["acme.com"], "defaults": {"utm_source": "x", "utm_medium": "social"}}}
    )
    found = check("Go https://shop.acme.com/p?utm_campaign=launch or https://other.com/x", social=rules)
    assert [f.rule for f in found] == ["Social.UTM"]
    assert "utm_source, utm_medium" in found[0].message
    assert found[0].replacement == "https://shop.acme.com/p?utm_campaign=launch&utm_source=x&utm_medium=social"
    complete = "https://acme.com/?utm_source=x&utm_medium=social&utm_campaign=launch"
    assert check(complete, social=rules) == []
    no_defaults = SocialRules.model_validate({"utm": {"own_domains": ["acme.com"]}})
    assert check("acme.com/promo", social=no_defaults)[0].replacement is None


@pytest.mark.parametrize(
    "text",
    [
        "#ad Our new blend is here",
        "Kopi baru! #iklan",
        "Meet the blend #Sponsored",
        "Paid partnership with Acme",
    ],
)
def test_disclosure_found_early_passes(text: str) -> None:
    rules = SocialRules.model_validate({"disclosure": {"markers": ["#ad", "#iklan", "#sponsored", "paid partnership"]}})
    assert check(text, social=rules, sponsored=True) == []


def test_disclosure_missing_late_or_lookalike() -> None:
    (missing,) = check("Our new blend #adventure #AdLib", sponsored=True)
    assert missing.rule == "Social.Disclosure"
    assert missing.message.startswith("Sponsored post without a disclosure: add #ad, #iklan or #sponsored")
    late = "x" * 130 + " #ad"
    (moved,) = check(late, sponsored=True)
    assert moved.match == "#ad"
    assert "move it into the first 125 characters" in moved.message
    assert check("Our new blend", sponsored=False) == []


def test_alt_text_required_on_images() -> None:
    media = [
        MediaRef(url="https://cdn/x.jpg", alt_text="A cup of kopi susu"),
        MediaRef(url="https://cdn/y.png", mime_type="image/png", alt_text="  "),
        MediaRef(url="https://cdn/z.mp4", mime_type="video/mp4"),
    ]
    (finding,) = check("New blend", media=media)
    assert finding.rule == "Social.AltText"
    assert finding.match == "https://cdn/y.png"
    assert finding.message.startswith("Image 2 (https://cdn/y.png) has no alt text")
    assert check("New blend", social=SocialRules.model_validate({"alt_text": {"required": False}}), media=media) == []


def test_forbidden_claims_phrases_and_regexes() -> None:
    rules = SocialRules.model_validate(
        {
            "forbidden_claims": [
                {"pattern": "100% guaranteed"},
                {"pattern": "best deal!"},
                {"pattern": "pasti  sembuh", "message": "Klaim kesehatan '%s' dilarang."},
                {"pattern": r"\bno\.?\s*1\b", "regex": True, "level": "warning"},
            ]
        }
    )
    found = check("100% GUARANTEED results, pasti\nsembuh, the No. 1 kopi. Best deal! Best dealer", social=rules)
    assert [(f.match, f.level.value) for f in found] == [
        ("100% GUARANTEED", "error"),
        ("pasti\nsembuh", "error"),
        ("No. 1", "warning"),
        ("Best deal!", "error"),
    ]
    assert found[1].message == "Klaim kesehatan 'pasti\nsembuh' dilarang."


def test_invalid_claim_regex_is_a_configuration_error() -> None:
    with pytest.raises(ValidationError, match="invalid regular expression"):
        SocialRules.model_validate({"forbidden_claims": [{"pattern": "(unclosed", "regex": True}]})
    with pytest.raises(ValidationError):
        SocialRules.model_validate({"hashtags": {"casing": "shouting"}})


def test_channel_overrides_merge_into_workspace_rules() -> None:
    workspace = SocialRules.model_validate({"links": {"deny_domains": ["bit.ly"]}, "hashtags": {"max_count": 5}})
    channel = workspace.with_overrides({"hashtags": {"casing": "camel"}, "links": {"max_count": 1}})
    assert channel.hashtags.max_count == 5
    assert channel.hashtags.casing == "camel"
    assert channel.links.deny_domains == ["bit.ly"]
    assert channel.links.max_count == 1
    assert workspace.hashtags.casing == "any"

"""Post length as each platform counts it: X's weighted length, graphemes, bytes, UTF-16 units."""

from __future__ import annotations

import pytest

from brand.counting import (
    graphemes,
    mastodon_length,
    measures,
    overflow_offset,
    threads_length,
    utf8_bytes,
    utf16_units,
    x_weighted_length,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦: 7 code points
FLAG_ID = "\U0001f1ee\U0001f1e9"  # 🇮🇩
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽

# Values from twitter-text 3 (weighted length: ranges 0-4351, 8192-8205, 8208-8223, 8242-8247 weigh 1,
# everything else 2, every emoji sequence 2, every URL 23).
X_CASES = [
    ("hello", 5),
    ("こんにちは", 10),
    ("我爱Acme产品", 12),
    ("한국어", 6),
    ("e\u0301", 1),  # normalised to é first
    ("…", 2),
    ("—", 1),
    ("€", 2),
    ("©", 2),  # a pictograph on its own is an emoji
    (FAMILY, 2),
    (FLAG_ID, 2),
    (THUMBS_MEDIUM, 2),
    ("1\ufe0f\u20e3", 2),
    ("\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 2),  # England's flag
    ("https://acme.com/a/very/long/path?with=query&and=more", 23),
    ("see acme.co.id/promo", 27),
    ("acme.id", 23),
    ("foo@bar.com", 11),  # an e-mail address is not a link
    ("#tag.com", 8),
    ("trailing https://acme.com/x.", 33),
    ("我爱Acme产品\uff0c新品上市\uff01https://acme.cn/新品", 51),  # fullwidth comma and exclamation mark
    ("Promo Ramadan! Diskon 50% di acme.co.id/promo?utm_source=x 🎉🎉 #PromoRamadan @acme_id", 80),
]


@pytest.mark.parametrize(("text", "weight"), X_CASES)
def test_x_weighted_length_matches_twitter_text(text: str, weight: int) -> None:
    assert x_weighted_length(text) == weight


def test_x_weighted_length_agrees_with_the_reference_implementation() -> None:
    twitter_text = pytest.importorskip("twitter_text")
    samples = [text for text, _ in X_CASES] + ["Kabar gembira 🇮🇩 " * 20, "新品" * 150, "a" * 281]
    for text in samples:
        assert x_weighted_length(text) == twitter_text.parse_tweet(text).weightedLength, text


def test_graphemes_count_user_perceived_characters() -> None:
    assert graphemes(FAMILY) == 1
    assert graphemes(FLAG_ID + FLAG_ID) == 2
    assert graphemes("e\u0301") == 1
    assert graphemes("नमस्ते") == 3
    assert graphemes("한국어") == 3
    assert graphemes("\u1112\u1161\u11ab") == 1  # Hangul jamo make one syllable
    assert graphemes("a\r\nb") == 3
    assert graphemes("plain ascii") == 11


def test_bytes_and_utf16_units() -> None:
    assert utf8_bytes(FAMILY) == 25
    assert utf16_units(FAMILY) == 11
    assert utf16_units("abc") == 3


def test_mastodon_counts_links_as_23_and_remote_mentions_by_name() -> None:
    text = "Hi @budi@mastodon.social see https://acme.com/" + "x" * 100
    assert mastodon_length(text) == len("Hi @budi see ") + 23
    assert mastodon_length("bare acme.com stays text") == len("bare acme.com stays text")
    assert mastodon_length("https://acme.com/x", url_length=30) == 30


def test_threads_counts_emoji_as_utf8_bytes() -> None:
    assert threads_length("hi " + FAMILY) == 3 + 25
    assert threads_length("plain") == 5


def test_platform_limits() -> None:
    assert [(m.unit, m.limit) for m in measures("x")] == [("weighted characters", 280)]
    assert [(m.unit, m.limit) for m in measures("bluesky")] == [("graphemes", 300), ("UTF-8 bytes", 3000)]
    assert measures("mastodon")[0].limit == 500
    assert measures("mastodon", max_length=1000)[0].limit == 1000
    assert measures("linkedin")[0].limit == 3000
    assert measures("instagram")[0].limit == 2200
    assert measures("threads")[0].limit == 500
    assert measures("sandbox") == ()


def test_overflow_offset_does_not_split_an_emoji() -> None:
    (measure,) = measures("x")
    text = "a" * 279 + FAMILY + "tail"
    offset = overflow_offset(text, measure)
    assert offset == 279  # the family emoji would make 281: it is the first thing to cut

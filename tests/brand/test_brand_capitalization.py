"""Vale's `capitalization` check, applied to each sentence of a post."""

from __future__ import annotations

from brand_helpers import lint, matches

SENTENCE = "extends: capitalization\nmessage: \"'%s' should be in sentence case.\"\nscope: sentence\nmatch: $sentence\n"


def test_sentence_case_passes_normal_sentences() -> None:
    assert lint(SENTENCE, "We shipped a new dashboard today. It helps small shops.") == []


def test_sentence_case_flags_title_case_and_suggests_the_fix() -> None:
    found = lint(SENTENCE + "action: {name: replace}\n", "Big News From Our Team Today. all good here.")
    assert matches(found) == ["Big News From Our Team Today.", "all good here."]
    assert found[0].replacement == "Big news from our team today."
    assert found[1].replacement == "All good here."
    assert found[0].action.params == ["Big news from our team today."]


def test_acronyms_inner_capitals_and_exceptions_are_always_right() -> None:
    rule = SENTENCE + "exceptions: [Jakarta, Acme Cloud]\n"
    assert lint(rule, "Our API and iPhone app reach UMKM in Jakarta on Acme Cloud. I agree.") == []


def test_indicators_allow_a_capital_after_a_colon() -> None:
    rule = SENTENCE + "indicators: [':']\n"
    assert lint(rule, "Update: Ships today with fixes") == []
    assert lint(SENTENCE, "Update: Ships Today with fixes") != []


def test_threshold_tolerates_a_few_capitals() -> None:
    lenient = SENTENCE + "threshold: 0.5\n"
    assert lint(lenient, "Meet the New dashboard for shops") == []
    assert lint(SENTENCE, "Meet The New Dashboard for shops") != []


def test_links_mentions_hashtags_and_emoji_are_not_words() -> None:
    text = "🎉 we launched at https://Acme.com/Launch with @Budi #AcmeLaunch"
    found = lint(SENTENCE, text)
    # Only the first word ("we") is wrong: links, mentions, hashtags and emoji are not words.
    assert found[0].replacement == "🎉 We launched at https://Acme.com/Launch with @Budi #AcmeLaunch"


def test_title_case_ap_and_chicago() -> None:
    ap = "extends: capitalization\nmessage: x\nscope: sentence\nmatch: $title\nthreshold: 1\n"
    assert lint(ap, "The Art of War and Peace") == []
    found = lint(ap, "the art Of war")
    assert found[0].replacement == "The Art of War"
    # AP capitalises prepositions of four letters or more; Chicago lowercases every preposition.
    chicago = ap + "style: Chicago\n"
    assert lint(ap, "Walking Through the Forest") == []
    assert lint(chicago, "Walking through the Forest") == []
    assert lint(ap, "Walking through the Forest")[0].replacement == "Walking Through the Forest"
    assert lint(chicago, "Walking Through the Forest")[0].replacement == "Walking through the Forest"


def test_lower_and_upper() -> None:
    lower = "extends: capitalization\nmessage: x\nmatch: $lower\n"
    upper = "extends: capitalization\nmessage: x\nmatch: $upper\n"
    assert lint(lower, "all lower case here") == []
    assert lint(lower, "not All lower")[0].replacement == "not all lower"
    assert lint(upper, "SALE TODAY") == []
    assert lint(upper, "SALE today")[0].replacement == "SALE TODAY"


def test_a_pattern_must_be_found_in_the_unit() -> None:
    rule = "extends: capitalization\nmessage: x\nmatch: '^[A-Z]'\nscope: sentence\n"
    assert matches(lint(rule, "Good start. bad start.")) == ["bad start."]


def test_prefix_is_skipped() -> None:
    rule = SENTENCE + "prefix: '^\\d+\\. '\n"
    assert lint(rule, "1. Install the app") == []


def test_scripts_without_case_pass() -> None:
    assert lint(SENTENCE, "我们的新产品今天上市。新しいアプリです。") == []

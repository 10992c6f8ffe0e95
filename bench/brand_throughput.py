"""Throughput of the brand engine on one core, next to proselint on the same posts.

Corpus: 5,000 deterministic posts (seeded) in English and Indonesian, with emoji (ZWJ families, skin tones,
flags), Chinese and Japanese, links (our own domain with and without UTM parameters, others), hashtags and
mentions; about a third contain words the style flags. Style: 100+ rules generated here the way real
styles are written (word lists for existence, wordy-to-plain and informal-to-formal substitutions, a few
raw regular expressions, occurrence, repetition, consistency, conditional and capitalization rules) plus a
vocabulary. Three passes are timed over the whole corpus: the style alone, the style with the social
rules (platform length, hashtags, links, UTM, disclosure, alt text, claims), and proselint (every default
check, through `LintFile.lint`, as its command line does). Each figure is the best of --repeat passes.

    .venv/bin/python bench/brand_throughput.py [--posts 5000] [--repeat 1] [--seed 7]
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from collections.abc import Callable, Sequence

import yaml

from brand.engine import SocialRules, Style, check, compile_style


def _phrases(text: str) -> list[str]:
    return text.replace("\n", "").split("|")


HYPE = _phrases("""revolutionary|game-changing|game changer|disruptive|world-class|best-in-class|cutting-edge|
next-generation|groundbreaking|unparalleled|unprecedented|mind-blowing|jaw-dropping|epic|insane|incredible|
amazing|awesome|ultimate|seamless|robust|synergistic|paradigm shift|holistic|turnkey|bleeding-edge|
industry-leading|state-of-the-art|one-stop shop|rockstar|ninja|guru|unicorn|must-have|life-changing""")
HEDGES = _phrases("""arguably|perhaps|possibly|probably|somewhat|fairly|quite|rather|basically|essentially|literally|
actually|really|very|just|simply|totally|honestly|clearly|obviously|of course|needless to say|it seems|
in my opinion|sort of|kind of""")
JARGON = _phrases("""bandwidth|circle back|deep dive|drill down|ecosystem|empower|enablement|ideate|impactful|
incentivize|low-hanging fruit|move the needle|onboarding|operationalize|optimize|pivot|scalable|solutioning|stakeholder|
thought leader|touch base|value-add|vertical|wheelhouse|win-win|actionable|alignment|deliverable""")
COMPETITORS = ["Globex", "Initech", "Hooli", "Umbrella Corp", "Cyberdyne", "Soylent", "Tyrell", "Vandelay"]
SLANG_ID = "anjay mantul gokil kepo baper gabut bucin gercep santuy mager julid sotoy receh alay lebay ngegas".split()
WORDY = {
    "in order to": "to", "utilize": "use", "utilise": "use", "at this point in time": "now",
    "due to the fact that": "because", "in the event that": "if", "a large number of": "many",
    "prior to": "before", "subsequent to": "after", "in spite of the fact that": "although",
    "for the purpose of": "for", "with regard to": "about", "in close proximity": "near",
    "has the ability to": "can", "make a decision": "decide", "take into consideration": "consider",
    "e-mail": "email", "web site": "website", "log-in": "log in", "sign-up": "sign up",
    "on-line": "online", "check-out": "checkout", "whilst": "while", "amongst": "among",
}  # fmt: skip
INFORMAL_ID = {
    "gak": "tidak", "nggak": "tidak", "ga": "tidak", "udah": "sudah", "udh": "sudah", "banget": "sekali",
    "bikin": "membuat", "kasih": "memberi", "cuma": "hanya", "aja": "saja", "gimana": "bagaimana",
    "kenapa": "mengapa", "dapet": "dapat", "pake": "pakai", "liat": "lihat", "tau": "tahu", "abis": "habis",
    "trus": "terus", "yg": "yang", "dgn": "dengan", "utk": "untuk", "krn": "karena", "sdh": "sudah",
    "blm": "belum", "tdk": "tidak", "bgt": "sekali", "gratis ongkir": "bebas ongkos kirim",
}  # fmt: skip
UK_US = {
    "colour": "color", "favourite": "favorite", "organise": "organize", "organisation": "organization",
    "centre": "center", "realise": "realize", "analyse": "analyze", "behaviour": "behavior",
    "catalogue": "catalog", "programme": "program", "licence": "license", "travelled": "traveled",
}  # fmt: skip
BRAND_TERMS = ["Acme", "Acme Cloud", "AcmePay", "GitHub", "JavaScript", "TikTok", "WhatsApp", "LinkedIn", "UMKM"]
REJECTED = ["cheapest", "guaranteed results", "risk-free", "100% halal", "miracle", "obat ajaib"]

EN_OPENERS = ["Big news", "Today we launched", "Meet the new", "We just shipped", "Say hello to", "Join us for"]
EN_BODY = """our team built a faster way to plan your week and the new dashboard helps small shops track orders
from every channel in one place so you can focus on customers instead of spreadsheets and reports""".split()
ID_OPENERS = ["Kabar gembira", "Hari ini kami meluncurkan", "Kenalan yuk dengan", "Promo spesial", "Jangan lewatkan"]
ID_BODY = """aplikasi kami membantu pelaku usaha kecil mengelola pesanan dari semua kanal di satu tempat supaya
kamu bisa fokus melayani pelanggan dan tidak repot dengan catatan manual setiap hari""".split()
CJK = ["我们的新产品今天上市", "限时优惠\uff0c欢迎体验", "新しいアプリをリリースしました", "今すぐダウンロード"]
EMOJI = ["🎉", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🇮🇩", "❤️", "🔥", "🧑🏽‍💻", "😀", "✨"]
HASHTAGS = ["#AcmeLaunch", "#PromoRamadan", "#acmelaunch", "#UMKM", "#SmallBusiness", "#新品", "#BelanjaOnline"]
MENTIONS = ["@acme", "@acme_id", "@partner.bsky.social", "@friend@mastodon.social", "@budi"]
LINKS = [
    "https://acme.com/launch?utm_source=x&utm_medium=social&utm_campaign=launch",
    "https://acme.com/launch",
    "acme.co.id/promo",
    "https://blog.acme.com/posts/42?utm_source=li",
    "https://example.org/review",
    "https://bit.ly/3xYz",
]


def generate_style() -> dict[str, bytes]:
    rng = random.Random(1)
    rules: dict[str, dict[str, object]] = {}
    pools = [("Hype", HYPE, "warning"), ("Hedge", HEDGES, "suggestion"), ("Jargon", JARGON, "suggestion")]
    pools += [("Competitor", COMPETITORS, "error"), ("Slang", SLANG_ID, "warning")]
    for number in range(55):
        name, pool, level = pools[number % len(pools)]
        tokens = sorted(rng.sample(pool, k=min(len(pool), rng.randint(8, 16))))
        rules[f"{name}{number:02d}"] = {
            "extends": "existence",
            "message": f"{name}: reconsider '%s'.",
            "level": level,
            "ignorecase": True,
            "tokens": tokens,
        }
    swaps = [("Wordy", WORDY, "warning"), ("Formal", INFORMAL_ID, "suggestion"), ("USSpelling", UK_US, "warning")]
    for number in range(30):
        name, table, level = swaps[number % len(swaps)]
        keys = sorted(rng.sample(sorted(table), k=min(len(table), rng.randint(6, 12))))
        rules[f"{name}{number:02d}"] = {
            "extends": "substitution",
            "message": "Use '%s' instead of '%s'.",
            "level": level,
            "ignorecase": True,
            "action": {"name": "replace"},
            "swap": {key: table[key] for key in keys},
        }
    raw_rules = {
        "Percent": r"\b\d+\s?%\s+(?:off|discount|diskon)\b",
        "Shouting": r"\b[A-Z]{6,}\b",
        "Exclaim": r"[!?]{2,}",
        "SpaceBeforePunct": r"\w\s+[,.;:!?](?:\s|$)",
        "Price": r"(?:Rp|IDR|\$)\s?\d{1,3}(?:[.,]\d{3})+(?:,-)?",
    }
    for name, pattern in raw_rules.items():
        rules[name] = {"extends": "existence", "message": f"{name}: '%s'.", "level": "warning", "raw": [pattern]}
    rules["Commas"] = {"extends": "occurrence", "message": "%s commas.", "scope": "sentence", "max": 3, "token": ","}
    rules["Exclamations"] = {"extends": "occurrence", "message": "%s '!'.", "max": 2, "token": "!"}
    rules["HashtagCount"] = {"extends": "occurrence", "message": "%s hashtags.", "max": 4, "token": r"#\w+"}
    rules["Words"] = {"extends": "occurrence", "message": "%s words.", "max": 60, "token": r"\b\w+\b"}
    rules["Repeat"] = {
        "extends": "repetition", "message": "'%s' repeated.", "level": "error", "alpha": True,
        "ignorecase": True, "tokens": [r"[^\s.,!?]+"],
    }  # fmt: skip
    rules["RepeatID"] = {"extends": "repetition", "message": "'%s'?", "tokens": ["yang", "dan", "di", "the", "and"]}
    for number, (left, right) in enumerate(sorted(UK_US.items())[:5]):
        rules[f"Consistent{number}"] = {
            "extends": "consistency", "message": "Inconsistent '%s'.", "ignorecase": True, "either": {left: right},
        }  # fmt: skip
    rules["Acronym"] = {
        "extends": "conditional", "message": "Define '%s'.", "first": r"\b([A-Z]{3,5})\b",
        "second": r"(?:\b[A-Z][a-z]+ )+\(([A-Z]{3,5})\)", "exceptions": ["UMKM", "API", "CEO", "FAQ", "URL"],
    }  # fmt: skip
    rules["Sentence"] = {
        "extends": "capitalization", "message": "Sentence case: '%s'.", "scope": "sentence", "match": "$sentence",
        "indicators": [":"], "exceptions": BRAND_TERMS,
    }  # fmt: skip
    rules["NoUpperPosts"] = {"extends": "capitalization", "message": "Not all caps.", "match": r"[a-z]"}
    files = {f"Bench/{name}.yml": yaml.safe_dump(rule, allow_unicode=True).encode() for name, rule in rules.items()}
    files["config/vocabularies/Bench/accept.txt"] = "\n".join(BRAND_TERMS).encode()
    files["config/vocabularies/Bench/reject.txt"] = "\n".join(REJECTED).encode()
    return files


def generate_posts(count: int, seed: int) -> list[tuple[str, str, bool]]:
    """(text, platform, sponsored) triples."""
    rng = random.Random(seed)
    flagged = HYPE + HEDGES + JARGON + COMPETITORS + list(WORDY) + list(UK_US) + REJECTED + ["Github", "whatsapp"]
    platforms = ["x", "bluesky", "mastodon", "threads", "linkedin", "instagram"]
    posts = []
    for _ in range(count):
        indonesian = rng.random() < 0.4
        opener = rng.choice(ID_OPENERS if indonesian else EN_OPENERS)
        body = rng.sample(ID_BODY if indonesian else EN_BODY, k=rng.randint(8, 22))
        if rng.random() < 0.35:
            body.insert(rng.randrange(len(body)), rng.choice(list(INFORMAL_ID) if indonesian else flagged))
        parts = [opener + ": " + " ".join(body) + rng.choice([".", "!", "!!", "?"])]
        if rng.random() < 0.25:
            parts.append(rng.choice(CJK))
        if rng.random() < 0.6:
            parts.append("".join(rng.sample(EMOJI, k=rng.randint(1, 3))))
        if rng.random() < 0.6:
            parts.append(rng.choice(LINKS))
        parts.append(" ".join(rng.sample(HASHTAGS, k=rng.randint(0, 4))))
        if rng.random() < 0.4:
            parts.append(" ".join(rng.sample(MENTIONS, k=rng.randint(1, 2))))
        sponsored = rng.random() < 0.15
        if sponsored and rng.random() < 0.5:
            parts.insert(0, rng.choice(["#ad", "#iklan", "#sponsored"]))
        posts.append((" ".join(part for part in parts if part), rng.choice(platforms), sponsored))
    return posts


SOCIAL = SocialRules.model_validate(
    {
        "hashtags": {"max_count": 3, "casing": "camel"},
        "mentions": {"max_count": 2},
        "links": {"max_count": 2, "deny_domains": ["bit.ly"]},
        "utm": {"own_domains": ["acme.com"], "defaults": {"utm_source": "social", "utm_medium": "post"}},
        "forbidden_claims": [{"pattern": "100% guaranteed"}, {"pattern": r"\bno\.?\s*1\b", "regex": True}],
    }
)


def engine_pass(style: Style, posts: Sequence[tuple[str, str, bool]], social: bool) -> int:
    if not social:
        return sum(len(check(text, style, None, platform=None)) for text, _, _ in posts)
    return sum(len(check(text, style, SOCIAL, platform=p, sponsored=s)) for text, p, s in posts)


def proselint_pass(posts: Sequence[tuple[str, str, bool]]) -> int:
    from proselint.tools import LintFile

    return sum(len(LintFile("post", text).lint()) for text, _, _ in posts)


def timed(run: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    found = run()
    return time.perf_counter() - started, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1, help="passes over the corpus; the best is kept")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    style = compile_style(generate_style())
    compiled_in = time.perf_counter() - started
    posts = generate_posts(args.posts, args.seed)
    texts = [text for text, _, _ in posts]
    print(f"python {platform.python_version()} on {platform.machine()}, one core")
    print(f"corpus: {len(posts)} posts, {sum(map(len, texts)) / len(texts):.0f} characters on average")
    print(f"style: {len(style.checks)} rules (version {style.version[:12]}), compiled in {compiled_in * 1000:.0f} ms")

    try:
        from proselint.checks import __register__
        from proselint.registry import CheckRegistry
        from proselint.version import __version__ as proselint_version
    except ImportError:
        proselint_version = ""
        print("proselint is not installed (.venv/bin/pip install proselint): no comparison")
    else:
        CheckRegistry().register_many(__register__)
        proselint_pass(posts[:50])
    engine_pass(style, posts[:200], social=True)  # warm caches the way a long-running worker has them

    # The three runs take turns over chunks of the corpus, so a change in the machine's load during the
    # run weighs on all three alike; each pass's total time is summed over its chunks.
    runs: dict[str, Callable[[Sequence[tuple[str, str, bool]]], int]] = {
        "postgate style only": lambda chunk: engine_pass(style, chunk, social=False),
        "postgate style + social": lambda chunk: engine_pass(style, chunk, social=True),
    }
    if proselint_version:
        runs[f"proselint {proselint_version} ({len(CheckRegistry().checks)} checks)"] = proselint_pass
    best = dict.fromkeys(runs, float("inf"))
    found = dict.fromkeys(runs, 0)
    chunks = [posts[start : start + 250] for start in range(0, len(posts), 250)]
    for _ in range(args.repeat):
        spent = dict.fromkeys(runs, 0.0)
        total = dict.fromkeys(runs, 0)
        for chunk in chunks:
            for name, run in runs.items():
                seconds, count = timed(lambda run=run, chunk=chunk: run(chunk))  # type: ignore[misc]
                spent[name] += seconds
                total[name] += count
        for name in runs:
            best[name] = min(best[name], spent[name])
            found[name] = total[name]
    rates = {name: len(posts) / seconds for name, seconds in best.items()}
    for name, rate in rates.items():
        print(f"{name + ':':40s} {rate:10,.0f} posts/s  ({found[name]} findings)")
    if proselint_version:
        prose = rates[list(runs)[-1]]
        print(f"ratio style only / proselint:            {rates['postgate style only'] / prose:6.1f}x")
        ratio = rates["postgate style + social"] / prose
        print(f"ratio style + social / proselint:        {ratio:6.1f}x  (target: 20x)")


if __name__ == "__main__":
    main()

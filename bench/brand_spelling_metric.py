"""Cost of the `spelling` (spylls over Debian's Hunspell dictionaries) and `metric` checks, on the corpus
of bench/brand_throughput.py, one core. Each line is one one-rule style over every post; the first pass
over the corpus (cold: every word looked up in the dictionary) is shown apart from the best later pass
(warm: the per-process cache of looked-up words), since a worker keeps its cache between posts.

    .venv/bin/python bench/brand_spelling_metric.py [--posts 2000] [--repeat 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import time

from brand_throughput import generate_posts  # bench/ is the script's folder, first on sys.path

from brand.document import Document
from brand.engine import compile_style

RULES = {
    "spelling en_US": "extends: spelling\nmessage: '%s'\n",
    "spelling id_ID": "extends: spelling\nmessage: '%s'\ndictionaries: [id_ID]\n",
    "spelling en_US + id_ID": "extends: spelling\nmessage: '%s'\ndictionaries: [id_ID]\nappend: true\n",
    "metric Flesch-Kincaid": "extends: metric\nmessage: '%s'\nformula: (0.39 * (words / sentences)) + "
    "(11.8 * (syllables / words)) - 15.59\ncondition: '> 8'\n",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    texts = [text for text, _, _ in generate_posts(args.posts, args.seed)]
    print(f"corpus: {len(texts)} posts, {sum(map(len, texts)) / len(texts):.0f} characters on average")
    for name, body in RULES.items():
        started = time.perf_counter()
        style = compile_style({"Bench/Rule.yml": body.encode()})
        loaded = time.perf_counter() - started
        passes = []
        found = 0
        for _ in range(1 + args.repeat):
            started = time.perf_counter()
            found = sum(len(style.run(Document(text))) for text in texts)
            passes.append(time.perf_counter() - started)
        cold, warm = len(texts) / passes[0], len(texts) / min(passes[1:])
        print(
            f"{name:<24} loaded in {loaded * 1000:5.0f} ms; cold {cold:8,.0f} posts/s, "
            f"warm {warm:8,.0f} posts/s ({warm and 1e6 / warm:6.0f} us/post); {found} findings"
        )


if __name__ == "__main__":
    main()

"""How long a post's workflow history grows: events per committed history (tests/histories/).

    .venv/bin/python bench/history_lengths.py

Each file is a real run of one lifecycle path recorded by scripts/record_histories.sh.
"""

from __future__ import annotations

import json
from pathlib import Path

HISTORIES = Path(__file__).resolve().parents[1] / "tests" / "histories"


def main() -> None:
    rows = []
    for path in sorted(HISTORIES.glob("*.json")):
        events = json.loads(path.read_text())["events"]
        size = path.stat().st_size
        rows.append((len(events), path.stem, size))
    width = max(len(name) for _, name, _ in rows)
    print(f"{'path':<{width}}  events  bytes (JSON)")
    for count, name, size in sorted(rows):
        print(f"{name:<{width}}  {count:>6}  {size:>12}")
    counts = [count for count, _, _ in rows]
    print(f"\n{len(rows)} histories; shortest {min(counts)} events, longest {max(counts)}")


if __name__ == "__main__":
    main()

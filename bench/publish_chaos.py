"""Exactly-once publishing under chaos, by hand: faults on every channel and the worker killed mid-run.

Runs bench/chaos.py (the same run as tests/e2e/test_publish_chaos.py) and prints its figures: posts,
channels, faults injected by kind (as the sandbox reports them), worker kills, duplicates, losses, wall
time and posts/s. Exits 1 when any post is duplicated, lost, recorded as another post, repeated or missing
in the audit trail, or unfinished.

    .venv/bin/python bench/publish_chaos.py --posts 200 --channels 3 [--kills 2] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
from pathlib import Path

import temporalio
from chaos import ChaosConfig, run_chaos


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=200, help="posts, each on every channel (default 200)")
    parser.add_argument("--channels", type=int, default=3, help="sandbox channels (default 3)")
    parser.add_argument("--kills", type=int, default=2, help="times the worker is killed mid-run (default 2)")
    parser.add_argument("--concurrency", type=int, default=50, help="posts being submitted at once (default 50)")
    parser.add_argument("--database-url", help="PostgreSQL URL for the app database (default: SQLite in a temp dir)")
    parser.add_argument("--deadline", type=float, default=600, help="seconds every lifecycle has to end (default 600)")
    parser.add_argument("--keep", type=Path, help="keep the run's files (logs, databases) in this directory")
    args = parser.parse_args(argv)
    if args.posts < 1 or args.channels < 1 or args.kills < 0 or args.concurrency < 1:
        parser.error("--posts, --channels and --concurrency must be at least 1, --kills at least 0")
    return args


async def main(args: argparse.Namespace) -> int:
    config = ChaosConfig(
        posts=args.posts,
        channels=args.channels,
        kills=args.kills,
        concurrency=args.concurrency,
        database_url=args.database_url,
        deadline_s=args.deadline,
    )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"env: {cores} cores, Python {platform.python_version()}, temporalio {temporalio.__version__}; "
        "Temporal dev server, sandbox and worker each in their own process",
        flush=True,
    )
    if args.keep is not None:
        report = await run_chaos(config, args.keep, log=lambda line: print(line, flush=True))
    else:
        with tempfile.TemporaryDirectory(prefix="postgate-chaos-") as tmp:
            report = await run_chaos(config, Path(tmp), log=lambda line: print(line, flush=True))
    print(report.summary(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))

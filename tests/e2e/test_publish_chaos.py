"""Exactly-once publishing under chaos (issue 5): posts on three sandbox channels, each channel failing in
every way the sandbox can (503, 429 with Retry-After, ambiguous 504s and hangs that store the post, slow
answers), and the worker process killed with SIGKILL twice while it publishes. Every post ends up on every
channel exactly once, and it is the post postgate recorded.

The run is bench/chaos.py, the same as `bench/publish_chaos.py` (whose figures are in docs/benchmarks.md):
its own Temporal dev server, sandbox and worker processes on free ports, everything in a temp dir.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))  # the bench's own modules import each other by their plain names

from chaos import FAULT_KINDS, ChaosConfig, run_chaos  # noqa: E402

pytestmark = pytest.mark.e2e
# The bench's own run (docs/benchmarks.md): about 87 s on 2 cores, most of it waiting out the attempts the kills
# cut off (a publish after its 30 s heartbeat timeout, a metrics snapshot after its whole 60 s start-to-close).
POSTS = 200
CHANNELS = 3


async def test_every_post_is_published_exactly_once_through_faults_and_worker_kills(tmp_path: Path) -> None:
    config = ChaosConfig(posts=POSTS, channels=CHANNELS, kills=2, deadline_s=240)
    report = await run_chaos(config, tmp_path / "chaos", log=print)
    print(report.summary())

    # The chaos happened: every kind of fault met a publish, and the worker died mid-publishing, twice.
    assert all(report.injected_by_kind[kind] > 0 for kind in FAULT_KINDS), report.injected
    assert sorted(ms for ms in report.slow_ms.values() if ms) == [150, 300]
    assert report.kills == [-signal.SIGKILL] * 2
    assert all(0 < published < POSTS * CHANNELS for published in report.kill_progress), report.kill_progress
    assert report.restarts == 2  # a new worker process polled after each kill
    assert sum(report.cut_off.values()) > 0, "no activity attempt was in flight when the worker was killed"

    # And still: each post exactly once on each channel, recorded as such, every lifecycle done.
    assert report.duplicates == []
    assert report.losses == []
    assert report.mismatches == []
    assert report.audit_problems == []
    assert report.unfinished == {}
    assert len(report.latencies) == POSTS

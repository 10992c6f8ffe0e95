"""Time budgets for user patterns: every search of a style's or a claim's regular expression is bounded.

A Vale rule is a regular expression its author wrote, and a backtracking engine can take exponential time
on one (`(a|a)+b` over 25 letters: 24 s). Every user pattern is a `UserPattern` (see `patterns.compile_pattern`),
which passes the `regex` module's `timeout=` to each search: the time left in the current rule's budget,
itself never past the whole check's budget. A rule over its budget raises `TimeoutError`, which
`Style.run` and `check_social` turn into a finding; nothing is retried.

    with check_budget(Budget(rule_seconds=0.25, check_seconds=2.0)):
        with rule_budget():
            check.run(doc)          # every search inside gets at most the time left

Outside any budget (a check run directly, the CLI's engine calls) each call gets `DEFAULT_CALL_SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

DEFAULT_RULE_SECONDS = 0.25
DEFAULT_CHECK_SECONDS = 2.0
DEFAULT_CALL_SECONDS = 1.0


@dataclass(frozen=True)
class Budget:
    """Seconds one rule may take on one text, and seconds all rules together may take."""

    rule_seconds: float = DEFAULT_RULE_SECONDS
    check_seconds: float = DEFAULT_CHECK_SECONDS


# (deadline of the current rule or check, deadline of the check, seconds per rule), monotonic clock.
_current: ContextVar[tuple[float, float, float] | None] = ContextVar("brand_budget", default=None)


def time_left() -> float:
    """Seconds the next pattern call may take; `TimeoutError` when the budget is already spent."""
    current = _current.get()
    if current is None:
        return DEFAULT_CALL_SECONDS
    left = current[0] - time.monotonic()
    if left <= 0:
        raise TimeoutError("regex timed out")
    return left


def check_spent() -> bool:
    """Whether the whole check's budget is spent (False outside a check)."""
    current = _current.get()
    return current is not None and time.monotonic() >= current[1]


@contextmanager
def check_budget(budget: Budget | None = None) -> Iterator[None]:
    budget = budget or Budget()
    deadline = time.monotonic() + budget.check_seconds
    token = _current.set((deadline, deadline, budget.rule_seconds))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def rule_budget(seconds: float | None = None) -> Iterator[None]:
    """One rule's budget inside the current check (or alone, outside any check)."""
    current = _current.get()
    now = time.monotonic()
    if current is None:
        rule_seconds = seconds if seconds is not None else DEFAULT_RULE_SECONDS
        check_deadline = now + rule_seconds
    else:
        rule_seconds = seconds if seconds is not None else current[2]
        check_deadline = current[1]
    token = _current.set((min(now + rule_seconds, check_deadline), check_deadline, rule_seconds))
    try:
        yield
    finally:
        _current.reset(token)

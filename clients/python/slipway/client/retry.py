"""Deadlines and retries of one logical call, shared by the blocking and the asyncio clients.

A call has one deadline (its ``timeout``, from the call or the connection) that covers every
attempt and every wait between them. It is retried only when it is idempotent (a read, or a
mutation that carries a ``request_id``, which the service uses to answer a repeat with the first
result) and only on ``UNAVAILABLE``, with exponential backoff and jitter, a bounded number of
attempts and never past the deadline.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import grpc


@dataclass(frozen=True)
class RetryPolicy:
    """How idempotent calls are retried on ``UNAVAILABLE``."""

    max_attempts: int = 5
    """Attempts in all, the first included; 1 turns retries off."""
    initial_backoff: float = 0.1
    """Seconds to wait before the first retry."""
    max_backoff: float = 3.0
    """Upper bound of one wait, in seconds."""
    multiplier: float = 2.0
    """Growth of the wait from one retry to the next."""
    jitter: float = 0.2
    """Share of each wait drawn at random (0 to 1), so that many clients do not retry in step."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("backoffs must be >= 0 and the multiplier >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first)."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry - 1))
        # Not cryptography: jitter only spreads retries over time.
        return ceiling * (1.0 - self.jitter * random.random())  # noqa: S311


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that never retries."""

RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE})


class Attempts:
    """The attempts of one call: its deadline, and whether (and when) to try again."""

    def __init__(self, policy: RetryPolicy, timeout: float | None, *, idempotent: bool) -> None:
        self.policy = policy if idempotent else NO_RETRY
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.count = 0

    def start(self) -> float | None:
        """Count an attempt; returns its timeout: the time left until the deadline."""
        self.count += 1
        return self.remaining()

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def progressed(self) -> None:
        """A stream delivered a message: the next failure starts a fresh series of retries."""
        self.count = 1

    def retry_after(self, error: grpc.RpcError) -> float | None:
        """Seconds to wait before the next attempt after ``error``; None means give up."""
        if error.code() not in RETRYABLE_CODES or self.count >= self.policy.max_attempts:
            return None
        delay = self.policy.backoff(max(1, self.count))
        left = self.remaining()
        if left is not None and delay >= left:
            return None
        return delay

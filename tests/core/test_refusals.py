"""The refusal counter on its own: windows aligned to the clock, the cap on distinct keys with
the rest folded into one count, closed windows handed over oldest first, and peers by address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slipway.core.audit.refusals import RefusalCounter, RefusalKey, peer_host, visible

START = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def key(peer: str, method: str = "/slipway.registry.v1.RegistryService/SetModelAlias"):
    return RefusalKey("anonymous", (), peer, method, "UNAUTHENTICATED", "TOKEN_MISSING", "")


def test_counts_per_key_and_window_fold_beyond_the_cap_and_close_in_order() -> None:
    clock = Clock()
    counter = RefusalCounter(60.0, max_keys=2, clock=clock)
    for i in range(300):
        clock.now = START + timedelta(milliseconds=i)
        counter.add(key(f"10.0.0.{i % 5}"))
    assert counter.pending == 300
    assert counter.closed() == []  # the window is still open
    assert counter.next_close() == START + timedelta(seconds=60)
    clock.now = START + timedelta(seconds=61)
    counter.add(key("10.0.0.9"))
    [first] = counter.closed()
    assert first.start == START
    assert [c.count for c in first.counts.values()] == [60, 60]
    assert (first.folded, first.total) == (180, 300)
    assert first.folded_first == START + timedelta(milliseconds=2)
    assert counter.pending == 1
    [second] = counter.drain()  # at shutdown: the open window too
    assert second.start == START + timedelta(seconds=60)
    assert (counter.pending, counter.next_close()) == (0, None)


def test_peers_are_told_apart_by_address_alone() -> None:
    assert peer_host("ipv4:10.1.2.3:51234") == "10.1.2.3"
    assert peer_host("ipv6:[::1]:51234") == "::1"
    assert peer_host("ipv6:%5B2001:db8::1%5D:443") == "2001:db8::1"
    assert peer_host("unix:/tmp/socket") == "unix"
    assert len(peer_host("weird:" + "x" * 500)) == 64
    assert visible("a\x1b[2Kb" + "c" * 300, 16) == "a\\x1b[2Kbcccccc…"


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="window_seconds"):
        RefusalCounter(0, 1)

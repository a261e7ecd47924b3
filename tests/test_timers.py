"""simcore.timers: events pushed from compiled code run as SimPy's own Timeouts would."""

from __future__ import annotations

import pytest
from simpy.events import URGENT, Event, Timeout

from simcore.clock import Clock
from simcore.timers import advance_to, call_after


def test_an_event_runs_after_its_delay_with_its_value() -> None:
    env = Clock()
    seen: list[tuple[int, object]] = []
    ev = call_after(env, 250, lambda e: seen.append((env.ns, e._value)), "x")
    assert isinstance(ev, Event) and ev.triggered and ev.ok
    env.run()
    assert seen == [(250, "x")]
    assert ev.processed


def test_events_at_one_time_keep_the_order_they_were_made_in_among_timeouts() -> None:
    env = Clock()
    order: list[str] = []
    Timeout(env, 10).callbacks.append(lambda e: order.append("timeout 1"))
    call_after(env, 10, lambda e: order.append("call_after 1"))
    Timeout(env, 10).callbacks.append(lambda e: order.append("timeout 2"))
    call_after(env, 10, lambda e: order.append("call_after 2"))
    call_after(env, 10, lambda e: order.append("urgent"), priority=URGENT)
    env.run()
    assert order == ["urgent", "timeout 1", "call_after 1", "timeout 2", "call_after 2"]


def test_a_cleared_callback_list_cancels_it() -> None:
    env = Clock()
    seen: list[int] = []
    ev = call_after(env, 5, lambda e: seen.append(1))
    ev.callbacks.clear()
    env.run()
    assert seen == []


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(AssertionError):
        call_after(Clock(), -1, lambda e: None)


def test_the_clock_advances_only_up_to_the_next_event() -> None:
    env = Clock()
    call_after(env, 100, lambda e: None)
    assert advance_to(env, 99) and env.ns == 99
    assert not advance_to(env, 100) and env.ns == 99  # an event is due then: it runs first
    assert not advance_to(env, 150) and env.ns == 99
    env.run()
    assert env.ns == 100
    assert advance_to(env, 10_000) and env.ns == 10_000  # nothing scheduled

"""Timers on SimPy's event queue, pushed from compiled code.

The simulator's hot modules are compiled (setup.py); SimPy is not. `Timeout(env, d)` costs
two interpreted calls (Timeout.__init__, then Environment.schedule) and `Event(env)` one, a
Python frame each: about 0.3 M of them per 30 simulated seconds of the benchmark's
reference run. call_after makes the same thing without them: an event already triggered
(ok, with its value), its one callback attached, pushed onto the environment's queue as
Environment.schedule pushes it, (time, priority, event id, event). SimPy's step() then
processes it as it would a Timeout: at the same time, with the same priority, in the same
order of creation among events at one time. advance_to moves the clock to a time before
any scheduled event, which the arrival loop uses to take the next arrival without an event
(nothing can happen in between, so the result is the same as an event then). Both read
SimPy's queue, clock and event-id counter (simpy 4.1's Environment._queue, _now, _eid).

An event may also be made later than it is decided: reserve_eid takes its place in the
order of creation now, and call_at_reserved pushes it with that place, so it fires among
events at its time exactly where an event made at the reservation would have (the
machine's lazy completions use this: simcore.machine, settle and materialize).
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

from simpy.events import NORMAL, Event, EventPriority

from simcore.clock import Clock


def call_after(env: Clock, delay: int, callback: Callable[[Event], None], value: Any = None,
               priority: EventPriority = NORMAL) -> Event:
    """Run callback(event) delay ns from now (delay >= 0); event._value is value. Returns
    the event (to cancel it, clear its callbacks, as with any SimPy event)."""
    assert delay >= 0, delay
    return call_at_reserved(env, env._now + delay, next(env._eid), callback, value, priority)


def reserve_eid(env: Clock) -> int:
    """Take the next event id (a place in the order of creation) for an event made later
    with call_at_reserved."""
    return next(env._eid)


def call_at_reserved(env: Clock, t: int, eid: int, callback: Callable[[Event], None],
                     value: Any = None, priority: EventPriority = NORMAL) -> Event:
    """Run callback(event) at time t (>= now) in the place of creation eid (reserve_eid);
    otherwise as call_after."""
    assert t >= env._now, (t, env._now)
    ev = Event.__new__(Event)
    ev.env = env
    ev.callbacks = [callback]
    ev._ok = True
    ev._value = value
    heappush(env._queue, (t, priority, eid, ev))
    return ev


def advance_to(env: Clock, t: int) -> bool:
    """Move the clock to t if every scheduled event is due after t; return whether it
    moved."""
    q = env._queue
    if q and q[0][0] <= t:
        return False
    assert env._now <= t, (env._now, t)
    env._now = t
    return True

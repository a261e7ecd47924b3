"""The machine: GOMAXPROCS Ps running goroutines, Go's scheduler, allocation on the P.

How it works. Goroutines (G) are plain objects running a compiled program (simcore.workload
ops); they are not SimPy processes. A P running a G schedules exactly one SimPy event: the
end of the G's current compute segment, or the end of its 10 ms time slice if that comes
first. Everything between (allocation accounting, sync.Pool, program steps that take no
time) is arithmetic done when the event fires. Other events are arrivals, I/O wake-ups,
GC phase changes and samplers. An event made stale (the P was stopped, the G preempted) is
recognised by identity (P.ev is not the event) and ignored.

Scheduling follows src/runtime/proc.go (reference §2): per-P run queues of 256 plus
runnext; new goroutines go to runnext (the old one is kicked to the tail, and a full ring
moves half of itself to the global queue); I/O wake-ups go to the global queue (netpoll's
injectglist); every 61st schedtick the global queue is checked first; an empty P takes a
batch from the global queue, else steals half of another P's queue (the victim's runnext
only as a last resort); a G running 10 ms while others wait is preempted to the global
queue; a G blocking on I/O releases its P. An idle P is handed a G the moment one becomes
ready (wakep plus the steal, without the spinning delay).

A new G holds a 2 KiB stack with a 32-byte frame on it, which is all the GC scans of a G
that has not run (a backlog of them costs the mark next to nothing); its stack grows to its
program's stack_bytes when it first runs (_grow_stack).

Wake-ups from the network poller (an open-loop arrival, the end of an I/O wait: both are
netpoll events in Go, timerfd reads in the Go twin) need a thread that polls. While some P
is idle, a thread is parked in netpoll and hands the G to it at once. While no P is idle,
the G waits in the poller until a P runs out of local and global work (findRunnable polls
before it steals), sysmon polls (10 ms after the last poll; it is then put on the global
queue, so local queues still go first), or the world stops. During mark an idle P runs an
idle mark worker (up to the pacer's cap): it is not idle to the scheduler, and it sees the
poller only at its drain checks (pollWork every drainCheckThreshold units of scan work),
then runs its fractional worker first if that is behind, which it is after idle marking.
But pollWork (and sysmon, and findRunnable's quick poll) skip the poller while a thread is
parked in it (sched.lastpoll 0), as one usually is when a mark starts (the M of a P that
last ran dry): then only that thread delivers, and it needs a CPU. With none to spare (as
many CPUs as Ps, RuntimeConfig.num_cpus), it runs at the OS's next scheduler tick
(CostModel.os_tick_ns: the running threads keep their slices until then), finds no idle P,
leaves what it polled for the workers' drain checks and sleeps; from then on the workers
poll. So the first wake-up of such a mark waits up to a tick.
Open-loop arrivals are read by one acceptor goroutine that starts a goroutine for each (as
the twin's generator, or a server's accept loop): while the acceptor waits on a P's queue
behind such a burst, later arrivals are not read, even with other Ps idle marking. Closed-
loop clients are not network arrivals here: their next request is readied at once.

During a stop-the-world every running G is preempted to the global queue (as gopreempt_m
does when the world stops) and no P runs until the world starts again. During mark,
`dedicated` Ps run dedicated mark workers, idle Ps run idle mark workers (up to the pacer's
cap), and user code runs at 1 / (1 + write-barrier slowdown) of full speed.

The fractional worker (GOMAXPROCS 1, 2, 3, 6, where rounding leaves a fractional
utilization goal f per P) runs in bursts, as Go's does. findRunnableGCWorker is the first
thing schedule() tries, so whenever a P looks for work (its G blocked, ended or was
preempted, or it wakes from idle for a new G) it first runs the fractional worker if its
fractional time this cycle is at most f of the time since mark start. The worker then
drains until pollFractionalWorkerExit, checked every drainCheckThreshold units of scan
work, finds its share above 1.2 f, or sysmon preempts it after 10 ms. Bursts therefore grow
with the mark's age (about 7 % of it for f = 0.25) and whatever waits on that P waits them
out: the request-latency tail of a GOMAXPROCS=1 server during mark.

CPU time is integrated per class (user, dedicated, fractional, idle marking, idle, pause)
from counts of Ps in each state, updated at every state change (acct()).
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import simpy
from simpy.events import URGENT, Event

from simcore.clock import Clock
from simcore.heap import Heap
from simcore.results import SpanKind
from simcore.timers import call_after, call_at_reserved, reserve_eid
from simcore.tracing import TraceRecorder
from simcore.workload import (
    LIFE_FOREVER,
    LIFE_REQUEST,
    LIFE_TTL,
    OP_ALLOC,
    OP_COMPUTE,
    OP_IO,
    OP_POOL_GET,
    AllocOp,
    ConstSampler,
    Op,
    Sampler,
)

if TYPE_CHECKING:
    from simcore.collector import Collector
    from simcore.stats import Stats

# Scheduler constants (src/runtime/proc.go, runtime2.go).
RUNQ_SIZE = 256  # len(p.runq)
GLOBAL_CHECK_TICKS = 61  # schedule checks the global queue every 61st schedtick
GLOBAL_BATCH_MAX = 128  # globrunqget takes at most 128
FORCE_PREEMPT_NS = 10_000_000  # forcePreemptNS, sysmon retake
# sysmon polls the network when nobody has for 10 ms (sysmon: lastpoll+10*1000*1000).
SYSMON_POLL_NS = 10_000_000
# sched latency is tracked on every 8th transition (gTrackingPeriod, src/runtime/proc.go).
TRACKING_PERIOD = 8
# gcOverAssistWork: an assist does at least 64 KiB of scan work (src/runtime/mgcmark.go).
OVER_ASSIST_WORK = 64 << 10
# pollFractionalWorkerExit (src/runtime/mgc.go): a fractional worker exits once its share
# of the mark's time exceeds 1.2 x the goal ("some slack ... so that the fractional worker
# isn't behind again the instant it exits").
FRACTIONAL_EXIT_SLACK = 1.2
# Stacks are allocated in powers of two from 2 KiB (stackMin, src/runtime/stack.go). A new
# goroutine gets this much (newproc1: malg(startingStackSize), which is stackMin unless
# GODEBUG adaptivestackstart=1) and grows by copying (morestack, copystack) when it runs.
STACK_MIN = 2048
# The stack a goroutine that has not run yet uses: the frame newproc1 sets up below
# stack.hi (totalSize = 4*PtrSize + MinFrameSize, aligned to StackAlign: 32 B on amd64).
# scanstack scans hi - sp, so this is its stack scan work.
NEW_G_FRAME_BYTES = 32

G_REQUEST = 0
G_WORKER = 1

ROLE_USER = 0
ROLE_DEDICATED = 1


class G:
    """A goroutine. Times are ns; *_left are remaining work in full-speed CPU ns."""

    __slots__ = (
        "arrival_ns",
        "assist_left",
        "client",
        "credit",
        "epoch",
        "gid",
        "held",
        "held_scan",
        "iter_start",
        "kind",
        "next_tick",
        "ops",
        "pc",
        "period",
        "pool_objs",
        "ready_ns",
        "record",
        "stack_alloc",
        "stack_grown",
        "stack_used",
        "stw_since",
        "switches",
        "t_assist",
        "t_io",
        "t_run",
        "t_stw",
        "t_wait",
        "user_left",
    )

    def __init__(self, gid: int, ops: tuple[Op, ...], kind: int, now: int, stack_used: int,
                 record: bool) -> None:
        self.gid = gid
        self.ops = ops
        self.pc = 0
        self.kind = kind
        self.arrival_ns = now
        self.record = record
        self.user_left = 0.0
        self.assist_left = 0
        self.held = 0  # bytes with lifetime REQUEST this G keeps reachable
        self.held_scan = 0
        # stack_used: the stack its program uses once running (Program.stack_bytes), bytes.
        # Until it first runs it holds a STACK_MIN stack and uses NEW_G_FRAME_BYTES of it;
        # Machine._run grows it (stack_alloc, a power of two) and sets stack_grown.
        self.stack_used = stack_used
        self.stack_alloc = STACK_MIN
        self.stack_grown = False
        self.credit = 0  # gcAssistBytes: allocation credit (negative = debt)
        self.epoch = 0  # the GC cycle credit belongs to (collector.epoch)
        self.pool_objs: list[int] | None = None  # pool indices of objects it holds
        self.ready_ns = now
        self.t_run = 0
        self.t_wait = 0
        self.t_assist = 0
        self.t_stw = 0
        self.t_io = 0
        # Go seeds trackingSeq randomly (newproc1: cheaprand) so that every goroutine,
        # however short, can be sampled by /sched/latencies; the gid spreads it the same way.
        self.switches = gid % TRACKING_PERIOD
        self.client = -1  # closed-loop client index, or -1
        self.stw_since = -1
        self.iter_start = now
        # A paced worker (WorkerGroup.period_ns > 0): its period (ns) and when its next
        # iteration is due (absolute ns; -1: not paced). Set by the engine at spawn,
        # next_tick advanced by _exec at the end of each iteration.
        self.period = 0
        self.next_tick = -1


class P:
    """A processor: run queue, runnext, the G it runs and its pending event."""

    __slots__ = (
        "assist_wall",
        "ev",
        "frac_ns",
        "frac_start",
        "g",
        "idle",
        "idle_since",
        "lazy_eid",
        "lazy_end",
        "pid",
        "role",
        "run_start",
        "runnext",
        "runq",
        "schedtick",
        "seg_end",
        "seg_start",
        "slice_end",
        "speed",
    )

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.runq: deque[G] = deque()
        self.runnext: G | None = None
        self.g: G | None = None
        self.ev: Event | None = None  # the pending segment/slice/burst event, None if none
        self.seg_start = 0
        self.seg_end = 0
        self.speed = 1.0  # user-code speed during the current segment
        self.schedtick = 0
        self.slice_end = 0
        self.role = ROLE_USER
        self.idle = False
        self.lazy_end = -1  # >= 0: the G's last segment ends then, with no event (settle)
        # The place in SimPy's order of creation the segment's event would have had (taken
        # by _segment when it goes lazy; materialize and settle keep that order).
        self.lazy_eid = 0
        self.run_start = 0  # when the current G started running here (for the trace)
        self.idle_since = 0  # when this P last went idle (for the trace)
        self.assist_wall = 0  # wall ns the current segment's assist still takes
        # gcFractionalMarkTime: fractional-worker ns on this P this cycle (reset at mark
        # start, added to when a burst ends or is stopped).
        self.frac_ns = 0
        self.frac_start = -1  # when the running fractional burst started; -1: none


def _lazy_order(p: P) -> tuple[int, int]:
    return (p.lazy_end, p.lazy_eid)


class Pool:
    """A sync.Pool: per-P local objects (private + shared) and the victim cache."""

    __slots__ = ("local", "obj_bytes", "scan", "victim")

    def __init__(self, nprocs: int) -> None:
        self.local = [0] * nprocs
        self.victim = 0
        self.obj_bytes = 0
        self.scan = False


class Machine:
    """Ps, run queues and the goroutines' programs. See the module docstring."""

    def __init__(self, env: Clock, nprocs: int, heap: Heap, stats: Stats,
                 cost_alloc_obj: float, cost_alloc_byte: float, refill_ns: int,
                 large_alloc_ns: int, sweep_span_ns: int, create_ns: int, switch_ns: int,
                 npools: int) -> None:
        self.env = env
        self.nprocs = nprocs
        self.heap = heap
        self.stats = stats
        self.coll: Collector  # set by the engine
        self.ps = [P(i) for i in range(nprocs)]
        self.global_q: deque[G] = deque()
        self.idle: list[P] = []
        self.stw = False
        self.next_gid = 1
        self.gs = 0  # live goroutines we simulate (requests + workers)
        self.runnable = 0  # Gs in run queues
        self.arrival_rr = 0  # round-robin P for new goroutines' runnext
        self.steal_rr = 0
        self.pools = [Pool(nprocs) for _ in range(npools)]
        self.cost_alloc_obj = cost_alloc_obj
        self.cost_alloc_byte = cost_alloc_byte
        # 1 + CostModel.mark_alloc_slowdown (set by the engine): allocation cost while marking.
        self.mark_alloc_factor = 1.0
        self.refill_ns = refill_ns + sweep_span_ns
        self.large_alloc_ns = large_alloc_ns
        self.create_ns = create_ns
        self.switch_ns = switch_ns
        # CPU to wake a goroutine from a timer or the network poller (CostModel.wakeup_ns);
        # set by the engine.
        self.wakeup_ns = 0
        # Draws the wall time from a timer or netpoll event to its goroutine being runnable
        # (CostModel.wakeup_latency_*: a WakeupSampler set by the engine; 0 until then).
        self.wakeup: Sampler = ConstSampler(0)
        self.trigger = 1 << 63  # cached heap trigger (collector updates it)
        # Counts of Ps by state and the time integrals over them (acct()).
        self.n_running = 0
        self.n_idle = 0
        self.n_ded = 0
        self.n_frac = 0  # Ps running a fractional worker burst (counted in n_running too)
        self.acct_t = 0
        self.cpu_user = 0  # busy P time (user + assists + fractional bursts), ns
        self.cpu_idle = 0  # idle P time, including idle marking, ns
        self.cpu_pause = 0  # STW time x nprocs, ns
        # Mark-phase parameters (set by the collector at mark start).
        self.marking = False
        self.frac = 0.0  # fractional utilization goal per P
        self.idle_cap = 0  # how many idle Ps may run idle mark workers
        self.mark_speed = 1.0
        self.t_mark = 0  # gcController.markStartTime (ns)
        # Wall ns of drainCheckThreshold units of scan work: how often a fractional worker
        # checks whether to exit.
        self.drain_check_ns = 1
        # engine callback for closed-loop clients: on_finish(client, now)
        self.on_finish: Callable[[int, int], None] | None = None
        self.finished = 0
        self.switch_count = 0
        # Lazy completions (settle/materialize): Ps whose G ends with its current segment
        # while nothing can intervene. lazy_ok=False turns the optimisation off.
        self.lazy: list[P] = []
        self.n_lazy = 0
        self.lazy_ok = True
        # The execution trace being recorded, if any (set by the engine).
        self.trace: TraceRecorder | None = None
        # The network poller while every idle P runs an idle mark worker (see "Wake-ups
        # during mark" in the module comment). poll_q: (G, is an open-loop arrival) made
        # ready by a timer or the network that no P has seen yet, in order; poll_ev: the
        # pending event of the idle worker's drain check that will see them (None: none).
        self.poll_q: list[tuple[G, bool]] = []
        self.poll_ev: Event | None = None
        # The acceptor (the goroutine that reads open-loop arrivals and starts a goroutine
        # for each) while it waits on accept_p's run queue behind a fractional burst:
        # accept_wait holds the arrivals it has not read yet. accept_p None: it is not held.
        self.accept_p: P | None = None
        self.accept_wait: list[G] = []
        # sched.lastpoll: when a thread last came back from a blocking netpoll (an idle P
        # was handed a woken G) or sysmon last polled, ns; sysmon_ev: sysmon's pending poll
        # of what waits in poll_q (None: none).
        self.last_poll_ns = 0
        self.sysmon_ev: Event | None = None
        # A thread parked in netpoll (blocked in epoll_wait; Go's sched.lastpoll is 0 then):
        # np_parked. One parks when a P runs out of work and does not run an idle mark
        # worker (findRunnable's blocking netpoll; a spinning M woken for the other idle Ps
        # parks there too), and it comes back when an event arrives: with an idle P it runs
        # the woken G there (and parks again only when a P next goes idle, unless other Ps
        # are still idle); while every idle P runs an idle mark worker it finds none, puts
        # what it polled on the global queue and sleeps. It needs a CPU to do so: cpu_spare
        # (RuntimeConfig.num_cpus > GOMAXPROCS) says one is free; else, drawn with
        # os_tick_rng at probability os_tick_wait_fraction, it waits for the OS's next tick
        # (os_tick_ns, at os_tick_phase_ns + k x os_tick_ns; all set by the engine), holding
        # what it will deliver in tick_q: (G, new, is an open-loop arrival); tick_ev is that
        # tick's pending event (None: none).
        self.np_parked = False
        self.cpu_spare = False
        self.os_tick_ns = 0
        self.os_tick_phase_ns = 0
        self.os_tick_wait_fraction = 0.0
        self.os_tick_rng = random.Random(0)
        self.tick_q: list[tuple[G, bool, bool]] = []
        self.tick_ev: Event | None = None

    # --- CPU accounting ---------------------------------------------------------------

    def acct(self, now: int = -1) -> None:
        """Integrate P-state counts up to now (call before any count changes)."""
        if now < 0:
            now = self.env._now
        dt = now - self.acct_t
        if dt <= 0:
            return
        self.acct_t = now
        if self.stw:
            self.cpu_pause += dt * self.nprocs
            return
        self.cpu_user += self.n_running * dt
        self.cpu_idle += self.n_idle * dt
        if self.marking:
            self.coll.mark_progress(dt, self.n_frac, self.n_idle, self.n_ded)

    # --- making goroutines runnable ----------------------------------------------------

    def spawn(self, ops: tuple[Op, ...], kind: int, stack_used: int, record: bool,
              client: int = -1, woken: bool = False, arrival_ns: int = -1) -> G:
        """newproc: a new goroutine, readied into a P's runnext. woken: it is started by a
        timer or network wake-up (an arrival), whose CPU (wakeup_ns) it pays first.
        arrival_ns: an open-loop arrival's scheduled time, which its latency counts from."""
        now = self.env._now
        g = G(self.next_gid, ops, kind, now, stack_used, record)
        self.next_gid += 1
        if arrival_ns >= 0:
            # An open-loop arrival read after its scheduled time: the wake-up latency and
            # any wait to be read (off-CPU: the breakdown's io).
            g.arrival_ns = arrival_ns
            g.t_io = now - arrival_ns
        g.client = client
        g.user_left = float(self.create_ns + (self.wakeup_ns if woken else 0))
        self.gs += 1
        self.heap.stacks += g.stack_alloc
        self.coll.stack_scan += NEW_G_FRAME_BYTES
        self.ready(g, now, True, woken and client < 0, woken and client < 0)
        return g

    def ready(self, g: G, now: int, new: bool, accept: bool = False,
              netpoll: bool = False, since: int = -1) -> None:
        """Make g runnable: hand it to an idle P, else queue it (runnext or global).

        new: g was just created. accept: g is an open-loop arrival, read by the acceptor.
        netpoll: g is woken by the network poller (an arrival or the end of an I/O wait).
        since: when g became ready, if earlier than now (it waited for a thread to poll).
        """
        g.ready_ns = now if since < 0 else since
        if accept and self.accept_p is not None:
            # The acceptor waits on a P's run queue: it has not read this arrival yet.
            self.accept_wait.append(g)
            return
        if netpoll and not self.stw and not self.idle:
            # No P is idle, so no thread is parked in netpoll: g waits there until a P
            # runs out of work and polls (findRunnable), or the world stops.
            if self.n_lazy:
                self.materialize(now)
            self.poll_q.append((g, accept))
            self._sysmon_arm(now)
            return
        if not self.stw and self.idle:
            if netpoll and self.marking and self.n_idle <= self.idle_cap:
                # Every idle P runs an idle mark worker. A thread parked in netpoll, if one
                # is, comes back with g once it has a CPU, finds no idle P and leaves g to
                # the workers; else (and then) the first worker's pollWork to come sees g.
                if self.np_parked:
                    if (self.os_tick_ns > 0 and not self.cpu_spare
                            and self.os_tick_rng.random() < self.os_tick_wait_fraction):
                        self._tick_wait(g, new, accept, now)
                        return
                    self.np_parked = False
                    self.last_poll_ns = now
                self._poll_wait(g, accept, now)
                return
            p = self.idle.pop()
            self._unidle(p, now)
            if netpoll:
                self.last_poll_ns = now  # the thread parked in netpoll came back with g
                self.np_parked = bool(self.idle)  # the other idle Ps' spinning M parks
            if self.frac > 0.0 and self._frac_behind(p, now):
                # The woken P's findRunnable runs the fractional worker first; g waits.
                self.runnable += 1
                p.runnext = g
                self._frac_start(p, now)
                return
            self._run(p, g, now)
            return
        self.runnable += 1
        if self.n_lazy:
            self.materialize(now)
        if not new:
            self.global_q.append(g)
            return
        p = self.ps[self.arrival_rr]
        self.arrival_rr = (self.arrival_rr + 1) % self.nprocs
        if p.role != ROLE_USER:
            self.global_q.append(g)
            return
        self._put_next(p, g)

    def _unidle(self, p: P, now: int) -> None:
        """Idle p (possibly running an idle mark worker) starts scheduling."""
        self.acct(now)
        if self.trace is not None and self.marking:
            self.trace.span(p.pid, p.idle_since, now, SpanKind.IDLE_MARK, 0,
                            self.coll.epoch)
        p.idle = False
        self.n_idle -= 1
        self.n_running += 1
        if self.marking:
            self.coll.replan()
        p.schedtick += 1
        p.slice_end = now + FORCE_PREEMPT_NS

    def _put_next(self, p: P, g: G) -> None:
        """runqput(next=true): g becomes p's runnext; the old one goes to the queue's tail
        (runqputslow: a full ring moves half of itself and the G to the global queue)."""
        old = p.runnext
        p.runnext = g
        if old is not None:
            if len(p.runq) >= RUNQ_SIZE:
                for _ in range(RUNQ_SIZE // 2):
                    self.global_q.append(p.runq.popleft())
                self.global_q.append(old)
            else:
                p.runq.append(old)

    # --- wake-ups during mark -----------------------------------------------------------

    def _tick_wait(self, g: G, new: bool, accept: bool, now: int) -> None:
        """g is ready in the netpoller and the thread parked there has no CPU: it runs at
        the OS's next tick (CostModel.os_tick_ns), with whatever else is ready by then."""
        self.tick_q.append((g, new, accept))
        if self.tick_ev is None:
            tick = self.os_tick_ns
            d = tick - (now - self.os_tick_phase_ns) % tick
            self.tick_ev = call_after(self.env, d, self._tick_deliver)

    def _tick_deliver(self, ev: simpy.Event) -> None:
        """The thread parked in netpoll runs: it is no longer parked (pollWork, sysmon and
        findRunnable poll again) and what it polled is ready as if just woken."""
        if ev is not self.tick_ev:
            return
        self.tick_ev = None
        now = self.env._now
        if self.n_lazy:
            self.settle(now)
        self.np_parked = False
        self.last_poll_ns = now
        q = self.tick_q
        self.tick_q = []
        for g, new, accept in q:
            self.ready(g, now, new, accept, True, g.ready_ns)

    def _poll_wait(self, g: G, accept: bool, now: int) -> None:
        """g is ready in the netpoller while every idle P runs an idle mark worker. The
        first of those workers' drain checks to come (pollWork every drainCheckThreshold
        units of scan work, counted from when the worker started) takes it."""
        self.poll_q.append((g, accept))
        self._sysmon_arm(now)
        self._poll_check_arm(now)

    def _poll_check_arm(self, now: int) -> None:
        """The first idle worker's drain check to come will take what waits (pollWork)."""
        if self.poll_ev is not None or not self.idle:
            return
        q = self.drain_check_ns
        first: P | None = None
        t_first = 0
        for p in self.idle:
            t = p.idle_since + ((now - p.idle_since) // q + 1) * q
            if first is None or t < t_first:
                first, t_first = p, t
        self.poll_ev = call_after(self.env, t_first - now, self._poll_check, first)

    def _poll_check(self, ev: simpy.Event) -> None:
        """An idle worker's pollWork saw the netpoller ready: injectglist puts what it
        returned on this P's queue, the worker stops, and the P schedules (so it runs its
        fractional worker first when that is behind)."""
        if ev is not self.poll_ev:
            return
        p: P = ev._value
        now = self.env._now
        if self.n_lazy:
            self.settle(now)
        if not p.idle:
            if not self.idle:  # every P found work since: one that runs dry, or sysmon, polls
                self.poll_ev = None
                self._sysmon_arm(now)
                return
            p = self.idle[-1]
        self._unidle(p, now)
        self.idle.remove(p)
        self._take_polled(p)
        self._schedule(p, now)

    def _sysmon_arm(self, now: int) -> None:
        """Something waits in the netpoller: sysmon polls every SYSMON_POLL_NS counted from
        the last poll (it polls whenever lastpoll is that old, and that sets lastpoll)."""
        if self.sysmon_ev is None:
            d = SYSMON_POLL_NS - (now - self.last_poll_ns) % SYSMON_POLL_NS
            self.sysmon_ev = call_after(self.env, d, self._sysmon_poll)

    def _sysmon_poll(self, ev: simpy.Event) -> None:
        """sysmon's netpoll: what waits goes to the global queue (injectglist without a P);
        an idle worker's next drain check will see it there (pollWork)."""
        if ev is not self.sysmon_ev:
            return
        self.sysmon_ev = None
        now = self.env._now
        if self.n_lazy:
            self.settle(now)
        self._sysmon_inject(now)
        if self.poll_q:
            self._sysmon_arm(now)  # an idle worker's check was due first; poll again later

    def _sysmon_inject(self, now: int) -> None:
        """sysmon polls now: unless an idle worker's drain check is already due to take
        them, what waits goes to the global queue."""
        self.last_poll_ns = now
        if not self.poll_q or self.poll_ev is not None:
            return
        for g, _ in self.poll_q:
            self.runnable += 1
            self.global_q.append(g)
        self.poll_q = []

    def _take_polled(self, p: P) -> None:
        """p takes every G waiting in the netpoller onto its run queue; arrivals go to the
        acceptor, which is now on p's queue."""
        self.poll_ev = None
        for g, accept in self.poll_q:
            if accept:
                self.accept_wait.append(g)
                self.accept_p = p
            else:
                self.runnable += 1
                p.runq.append(g)
        self.poll_q = []

    def _accept(self, p: P) -> None:
        """The acceptor runs on p: it starts a goroutine for every arrival it has not read,
        oldest first, each into runnext (the newest runs first)."""
        for g in self.accept_wait:
            self.runnable += 1
            self._put_next(p, g)
        self.accept_wait = []
        self.accept_p = None

    def _flush_wakeups(self) -> None:
        """The world stops: what waits in the netpoller or behind the acceptor becomes
        runnable on the global queue (startTheWorld polls the network)."""
        self.poll_ev = None
        self.sysmon_ev = None
        self.tick_ev = None
        for g, _, _ in self.tick_q:
            self.runnable += 1
            self.global_q.append(g)
        self.tick_q = []
        for g, _ in self.poll_q:
            self.runnable += 1
            self.global_q.append(g)
        self.poll_q = []
        for g in self.accept_wait:
            self.runnable += 1
            self.global_q.append(g)
        self.accept_wait = []
        self.accept_p = None

    # --- running ----------------------------------------------------------------------

    def _run(self, p: P, g: G, now: int) -> None:
        """P starts (or resumes) running g."""
        p.g = g
        p.run_start = now
        if not g.stack_grown:
            self._grow_stack(g)
        g.t_wait += now - g.ready_ns
        g.switches += 1
        if g.switches % TRACKING_PERIOD == 0:
            self.stats.sched.record(now - g.ready_ns)
        if self.switch_ns:
            g.user_left += self.switch_ns
        self._exec(p, g, now)

    def _grow_stack(self, g: G) -> None:
        """g runs for the first time: its stack grows from the STACK_MIN it was created
        with to the power of two that holds its program's stack (morestack doubling it
        by copystack, done at once here), and the GC scans what it uses."""
        g.stack_grown = True
        a = STACK_MIN
        while a < g.stack_used:
            a <<= 1
        self.heap.stacks += a - g.stack_alloc
        g.stack_alloc = a
        self.coll.stack_scan += g.stack_used - NEW_G_FRAME_BYTES

    def _exec(self, p: P, g: G, now: int) -> None:
        """Run g's program from its pc until it blocks, ends, or has work to do.

        Consecutive compute and allocate steps are merged into one segment (allocation is
        accounted when the segment starts): nothing else can intervene on this P until the
        segment ends, so one event covers them all.
        """
        ops = g.ops
        nops = len(ops)
        while True:
            if g.pc >= nops:
                if g.user_left > 0 or g.assist_left > 0:
                    break
                if g.kind == G_WORKER:
                    # One iteration is over: what it allocated for its own use is garbage.
                    self._release(g)
                    g.pc = 0
                    if g.next_tick >= 0:
                        # Paced: sleep to the next tick, or start at once if behind.
                        g.next_tick += g.period
                        g.iter_start = now
                        if g.next_tick > now:
                            self._block(p, g, now, g.next_tick - now)
                            return
                        continue
                    if g.iter_start == now:
                        g.user_left = 1.0  # a loop of zero-time steps still takes time
                        break
                    g.iter_start = now
                    continue
                self._finish(p, g, now)
                return
            op = ops[g.pc]
            code = op.code
            if code == OP_COMPUTE:
                g.pc += 1
                g.user_left += op.sampler.draw()
            elif code == OP_ALLOC:
                g.pc += 1
                a = op.alloc
                assert a is not None
                self.alloc(p, g, a, now, True)
            elif code == OP_IO:
                if g.user_left > 0 or g.assist_left > 0:
                    break  # finish the work before it first
                g.pc += 1
                d = op.sampler.draw()
                if d > 0:
                    self._block(p, g, now, d)
                    return
            elif code == OP_POOL_GET:
                g.pc += 1
                miss = op.alloc
                assert miss is not None
                self._pool_get(p, g, op.pool, miss, now)
            else:
                if g.user_left > 0 or g.assist_left > 0:
                    break  # the object is held until the work before the Put is done
                g.pc += 1
                self._pool_put(p, g, op.pool)
        self._segment(p, g, now)

    def _segment(self, p: P, g: G, now: int) -> None:
        """Schedule the end of g's current work on p, or of its time slice."""
        speed = self.mark_speed if self.marking else 1.0
        p.speed = speed
        p.seg_start = now
        a = g.assist_left
        p.assist_wall = a
        end = now + a + math.ceil(g.user_left / speed)
        p.seg_end = end
        if end <= p.slice_end:
            if (self.lazy_ok and not self.runnable and not self.poll_q and g.pc >= len(g.ops)
                    and g.kind == G_REQUEST and g.client < 0 and self.coll.phase == 0
                    and not self._segment_ends_at(p, end)):
                # The G finishes with this segment and nothing can intervene on this P
                # before: no event; settle() completes it when time passes its end.
                p.lazy_end = end
                p.lazy_eid = reserve_eid(self.env)
                self.lazy.append(p)
                self.n_lazy += 1
                return
            fire = end
        else:
            fire = max(p.slice_end, now)
        p.ev = self._p_timer(fire - now, p)

    def _p_timer(self, delay: int, p: P) -> Event:
        """The event that ends p's segment or time slice after delay ns. Urgent: at one
        instant it comes before arrivals and wake-ups, as a lazily completed segment does
        (settle runs first in every callback), so laziness cannot change the order."""
        return call_after(self.env, delay, self._p_event, p, URGENT)

    def _segment_ends_at(self, p: P, end: int) -> bool:
        """Whether another P's segment or time slice ends at the same ns. Such a tie is not
        completed lazily: settle() runs first in every callback, so a lazy P would come
        before a P event at its time that was made earlier (events at one time fire in the
        order they were made, and the order decides e.g. which P goes idle first)."""
        return any(q is not p and q.g is not None and (q.seg_end == end or q.slice_end == end)
                   for q in self.ps)

    def _advance(self, p: P, g: G, now: int) -> None:
        """Account g's progress on p from the segment start to now."""
        dt = now - p.seg_start
        p.seg_start = now
        a = p.assist_wall
        if now >= p.seg_end:
            g.t_assist += a
            g.t_run += dt - a
            g.user_left = 0.0
            if a:
                g.assist_left = 0
                p.assist_wall = 0
                self.coll.assist_ran(a)
                self.coll.assist_finished()
            return
        if a:
            if dt < a:
                g.assist_left = a - dt
                p.assist_wall = a - dt
                g.t_assist += dt
                self.coll.assist_ran(dt)
                return
            g.assist_left = 0
            p.assist_wall = 0
            g.t_assist += a
            self.coll.assist_ran(a)
            self.coll.assist_finished()
            dt -= a
        g.user_left -= dt * p.speed
        g.t_run += dt

    def _p_event(self, ev: simpy.Event) -> None:
        p: P = ev._value
        if p.ev is not ev:
            return
        p.ev = None
        g = p.g
        assert g is not None
        now = self.env._now
        if self.n_lazy:
            self.settle(now)
        self._advance(p, g, now)
        if g.user_left <= 0 and g.assist_left <= 0:
            self._exec(p, g, now)
            return
        # The time slice ran out (sysmon retake): preempt if anything else wants the P,
        # the fractional worker included. The same sysmon pass polls the network first
        # when nobody has for SYSMON_POLL_NS.
        if self.poll_q and now - self.last_poll_ns >= SYSMON_POLL_NS:
            self._sysmon_inject(now)
        if (p.runnext is not None or p.runq or self.global_q
                or (self.frac > 0.0 and self._frac_behind(p, now))):
            p.g = None
            if self.trace is not None:
                self.trace.span(p.pid, p.run_start, now, SpanKind.GOROUTINE, g.gid, 0)
            if g.assist_left > 0:
                # A preempted assist leaves its work in the P's queues for the workers (Go's
                # gcw is per P), and its debt stands for when the goroutine runs again.
                self._drop_assist(p, g)
                self.coll.replan()
            self.runnable += 1
            if self.n_lazy:
                self.materialize(now)
            g.ready_ns = now
            self.global_q.append(g)
            self._schedule(p, now)
        else:
            p.schedtick += 1
            p.slice_end = now + FORCE_PREEMPT_NS
            self._segment(p, g, now)

    def _block(self, p: P, g: G, now: int, d: int) -> None:
        """g blocks on I/O for d ns and releases p."""
        p.g = None
        if self.trace is not None:
            self.trace.span(p.pid, p.run_start, now, SpanKind.GOROUTINE, g.gid, 0)
        g.ready_ns = now  # blocked since (read by _wake)
        call_after(self.env, d + self.wakeup.draw(), self._wake, g)
        self._schedule(p, now)

    def _wake(self, ev: simpy.Event) -> None:
        g: G = ev._value
        now = self.env._now
        if self.n_lazy:
            self.settle(now)
        g.t_io += now - g.ready_ns
        g.user_left += self.wakeup_ns
        self.ready(g, now, False, False, True)

    def _finish(self, p: P, g: G, now: int) -> None:
        """g returns: record it, drop what it kept alive, run the next G."""
        p.g = None
        if self.trace is not None:
            self.trace.span(p.pid, p.run_start, now, SpanKind.GOROUTINE, g.gid, 0)
        self.gs -= 1
        heap = self.heap
        heap.stacks -= g.stack_alloc
        self.coll.stack_scan -= g.stack_used if g.stack_grown else NEW_G_FRAME_BYTES
        if g.held or g.pool_objs:
            self._release(g)
        self.finished += 1
        if g.record:
            self.stats.request_done(g, now)
        if g.client >= 0 and self.on_finish is not None:
            self.on_finish(g.client, now)
        self._schedule(p, now)

    def _release(self, g: G) -> None:
        """g drops every reference it holds (request-lifetime bytes, pooled objects)."""
        heap = self.heap
        heap.live -= g.held
        heap.live_scan -= g.held_scan
        g.held = g.held_scan = 0
        if g.pool_objs:
            for idx in g.pool_objs:
                pool = self.pools[idx]
                heap.live -= pool.obj_bytes
                if pool.scan:
                    heap.live_scan -= pool.obj_bytes
            g.pool_objs = None

    def _schedule(self, p: P, now: int) -> None:
        """schedule()/findRunnable for p, which has nothing running."""
        if self.stw or p.role != ROLE_USER:
            return
        if self.marking:
            self.coll.scheduler_check(now)
        if self.frac > 0.0 and self._frac_behind(p, now):
            self._frac_start(p, now)
            return
        gq = self.global_q
        if self.accept_p is p:
            self._accept(p)
        elif ((self.poll_q or self.accept_p is not None) and p.runnext is None
              and not p.runq and not gq):
            # No local or global work: findRunnable polls the network, then steals (the
            # acceptor from the queue it waits on, if the poll did not bring it here).
            if self.poll_q:
                self._take_polled(p)
            if self.accept_p is not None:
                self._accept(p)
        g = None
        inherit = False
        if gq and p.schedtick % GLOBAL_CHECK_TICKS == 0:
            g = gq.popleft()
        elif p.runnext is not None:
            g = p.runnext
            p.runnext = None
            # A runnext G inherits the time slice, unless it is already used up (sysmon
            # would preempt at its next tick; the model starts a fresh slice instead).
            inherit = p.slice_end > now
        elif p.runq:
            g = p.runq.popleft()
        elif gq:
            n = min(len(gq), len(gq) // self.nprocs + 1, GLOBAL_BATCH_MAX)
            g = gq.popleft()
            for _ in range(n - 1):
                p.runq.append(gq.popleft())
        elif self.runnable:
            g = self._steal(p)
        if g is None:
            self.acct(now)
            self.n_running -= 1
            self.n_idle += 1
            p.idle = True
            p.idle_since = now
            self.idle.append(p)
            if not self.marking or self.n_idle > self.idle_cap:
                self.np_parked = True  # its M blocks in netpoll (findRunnable)
            if self.marking:
                self.coll.replan()
            return
        self.runnable -= 1
        if not inherit:
            p.schedtick += 1
            p.slice_end = now + FORCE_PREEMPT_NS
        self._run(p, g, now)

    # --- the fractional mark worker ------------------------------------------------------

    def _frac_behind(self, p: P, now: int) -> bool:
        """findRunnableGCWorker's test: is p at or below its fractional goal?"""
        d = now - self.t_mark
        return d <= 0 or p.frac_ns <= self.frac * d

    def _frac_start(self, p: P, now: int) -> None:
        """p (counted as running, with no G) runs a fractional worker burst.

        It lasts until the first drain check at which pollFractionalWorkerExit sees
        (frac_ns + x) / (d + x) > 1.2 f, or sysmon preempts it (FORCE_PREEMPT_NS).
        """
        self.acct(now)
        self.n_frac += 1
        p.frac_start = now
        d = now - self.t_mark
        f12 = FRACTIONAL_EXIT_SLACK * self.frac
        q = self.drain_check_ns
        if f12 >= 1.0:
            x = FORCE_PREEMPT_NS
        else:
            need = (f12 * d - p.frac_ns) / (1.0 - f12)  # x must exceed this
            k = int(need // q) + 1 if need > 0 else 1
            x = min(k * q, FORCE_PREEMPT_NS)
        p.ev = call_after(self.env, x, self._frac_end, p)
        self._mark_rate_changed(now)

    def _frac_stop(self, p: P, now: int) -> None:
        """The burst on p ends (its exit check, preemption or the world stopping)."""
        self.n_frac -= 1
        p.frac_ns += now - p.frac_start
        if self.trace is not None:
            self.trace.span(p.pid, p.frac_start, now, SpanKind.FRACTIONAL, 0, self.coll.epoch)
        p.frac_start = -1
        p.ev = None

    def _frac_end(self, ev: simpy.Event) -> None:
        p: P = ev._value
        if p.ev is not ev:
            return
        now = self.env._now
        if self.n_lazy:
            self.settle(now)
        self.acct(now)
        self._frac_stop(p, now)
        self._mark_rate_changed(now)
        self._schedule(p, now)

    def _mark_rate_changed(self, now: int) -> None:
        """Background workers changed: re-plan the mark's end and tell the MMU."""
        self.coll.replan()
        self.stats.mmu_background(now, 1.0 - (self.n_ded + self.n_frac) / self.nprocs)

    def _steal(self, p: P) -> G | None:
        """runqsteal: half of another P's queue; a victim's runnext as a last resort."""
        ps = self.ps
        n = self.nprocs
        if n == 1:
            return None
        start = self.steal_rr = (self.steal_rr + 1) % n
        for i in range(n):
            v = ps[(start + i) % n]
            q = v.runq
            if v is p or not q:
                continue
            k = (len(q) + 1) // 2
            g = q.popleft()
            for _ in range(k - 1):
                p.runq.append(q.popleft())
            return g
        for i in range(n):
            v = ps[(start + i) % n]
            if v is not p and v.runnext is not None:
                g = v.runnext
                v.runnext = None
                return g
        return None

    # --- allocation -------------------------------------------------------------------

    def alloc(self, p: P, g: G, a: AllocOp, now: int, track: bool, on_p: bool = True) -> int:
        """An allocate step on p: heap accounting, costs, the trigger test and assists.

        Returns the heap bytes allocated. Costs are added to g's user work; assist work to
        g's assist work. An allocation off any P (on_p False: the baseline churn) does no
        assists, since no P would run them.
        """
        nreq = a.sample_bytes.draw()
        if nreq <= 0:
            return 0
        heap = self.heap
        coll = self.coll
        pacer = coll.pacer
        cache = heap.mcache[p.pid]
        refills = 0
        nlarge = 0
        nbytes = 0
        scan_bytes = 0
        nobj = 0
        span_growth = 0
        large_bytes = 0
        # The refills of span classes that strand (Heap.strand_classes): their object slots
        # (what stranded slots can cover) and their spans' bytes.
        slot_bytes = 0
        strand_pages = 0
        strand = heap.strand_classes
        for e in a.entries:
            # e = [span_class, elem_bytes, objects_per_span, span_bytes, objects_per_byte,
            #      is_scan, is_large, carry]
            x = nreq * e[4] + e[7]
            n = int(x + 1e-9)  # 49 * (1/49) must be one object, not 0.9999999999999999
            e[7] = x - n
            if n <= 0:
                continue
            nobj += n
            b = n * e[1]
            nbytes += b
            if e[5]:
                scan_bytes += b
            if e[6]:
                nlarge += n
                span_growth += b
                large_bytes += b
                continue
            # mcache: take from the cached span; refill whole spans from mcentral.
            sclass = e[0]
            free_slots = cache[sclass]
            if n <= free_slots:
                cache[sclass] = free_slots - n
            else:
                per_span = e[2]
                need = n - free_slots
                r = (need + per_span - 1) // per_span
                cache[sclass] = r * per_span - need
                refills += r
                span_growth += r * e[3]
                if sclass in strand:
                    slot_bytes += r * per_span * e[1]
                    strand_pages += r * e[3]
        if nbytes == 0:
            return 0
        heap.total_alloc += nbytes
        heap.objects_alloc += nobj
        if heap.marking:
            heap.alloc_during_mark += nbytes
        pacer.heap_scan += scan_bytes
        cost = nobj * self.cost_alloc_obj + nbytes * self.cost_alloc_byte
        if self.marking:
            cost *= self.mark_alloc_factor
        if span_growth:
            tails = 0
            if heap.stranded and slot_bytes:
                # Partially used spans first (mcentral.cacheSpan, per span class: only the
                # classes that strand have any): their slots are already in use as pages;
                # the memory-limit goal moves up as they fill. The refills need slot_bytes
                # of slots, which stranded slots cover byte for byte (not span for span: a
                # span's tail holds no slot); the pages they stand for are not taken fresh.
                # heapLive counts the slots and each partly used span's tail
                # (Heap.refill_stranded), where a fresh span counts whole.
                cover = min(heap.stranded, slot_bytes)
                pages = (strand_pages if cover == slot_bytes
                         else cover * strand_pages // slot_bytes)
                tails = heap.refill_stranded(cover)
                heap.in_use += span_growth - pages
                span_growth += cover - pages
                if coll.mem_limited and coll.phase == 0:
                    coll.sync_memory()
                    coll.update_trigger()
            else:
                heap.in_use += span_growth
            pacer.heap_live += span_growth + tails
            cost += refills * self.refill_ns + nlarge * self.large_alloc_ns
            cost += heap.take_pages()
        if track:
            life = a.life
            if life == LIFE_REQUEST:
                g.held += nbytes
                g.held_scan += scan_bytes
                heap.live += nbytes
                heap.live_scan += scan_bytes
            elif life == LIFE_TTL:
                heap.live += nbytes
                heap.live_scan += scan_bytes
                a.ttl_queue.add(now + a.ttl_ns, nbytes, scan_bytes)  # type: ignore[union-attr]
            elif life == LIFE_FOREVER:
                heap.live += nbytes
                heap.live_scan += scan_bytes
        if span_growth:
            # shouldhelpgc: the trigger is tested after a refill or a large allocation.
            if heap.grow_events != coll.seen_grow:
                cost += coll.memory_changed(on_p)
            if coll.phase == 0 and pacer.heap_live >= self.trigger:
                coll.request_start(now, g=g)
        if self.marking and on_p:
            g.assist_left += coll.assist(g, nbytes, p.pid)
        g.user_left += cost
        return nbytes

    # --- sync.Pool ----------------------------------------------------------------------

    def _pool_get(self, p: P, g: G, idx: int, miss: AllocOp, now: int) -> None:
        pool = self.pools[idx]
        local = pool.local
        got = False
        if local[p.pid]:
            local[p.pid] -= 1
            got = True
        else:
            for i in range(self.nprocs):
                if local[i]:
                    local[i] -= 1
                    got = True
                    break
            if not got and pool.victim:
                pool.victim -= 1
                got = True
        if not got:
            nbytes = self.alloc(p, g, miss, now, False)
            pool.obj_bytes = nbytes
            pool.scan = miss.entries[0][5] if miss.entries else False
            self.heap.live += nbytes
            if pool.scan:
                self.heap.live_scan += nbytes
            self.stats.pool_misses += 1
        else:
            self.stats.pool_hits += 1
        if g.pool_objs is None:
            g.pool_objs = []
        g.pool_objs.append(idx)

    def _pool_put(self, p: P, g: G, idx: int) -> None:
        if g.pool_objs and idx in g.pool_objs:
            g.pool_objs.remove(idx)
            self.pools[idx].local[p.pid] += 1

    def clear_pools(self) -> None:
        """poolCleanup (sync/pool.go), in STW #1: drop victims, locals become victims."""
        heap = self.heap
        for pool in self.pools:
            if pool.victim:
                heap.live -= pool.victim * pool.obj_bytes
                if pool.scan:
                    heap.live_scan -= pool.victim * pool.obj_bytes
            pool.victim = sum(pool.local)
            for i in range(len(pool.local)):
                pool.local[i] = 0

    # --- stop and start the world -------------------------------------------------------

    def stop_the_world(self, now: int) -> int:
        """Stop every P; running Gs go to the global queue. Returns how many were running."""
        if self.n_lazy:
            self.settle(now)
            self.lazy.clear()
            self.n_lazy = 0
        self.acct(now)
        running = 0
        for p in self.ps:
            g = p.g
            if g is not None:
                self._advance(p, g, now)
                p.ev = None
                p.lazy_end = -1
                if self.trace is not None:
                    self.trace.span(p.pid, p.run_start, now, SpanKind.GOROUTINE, g.gid, 0)
                p.g = None
                g.stw_since = now
                g.ready_ns = now
                self.runnable += 1
                self.global_q.append(g)
                running += 1
            elif p.frac_start >= 0:
                self._frac_stop(p, now)
            elif p.idle and self.marking and self.trace is not None:
                self.trace.span(p.pid, p.idle_since, now, SpanKind.IDLE_MARK, 0,
                                self.coll.epoch)
            p.idle = False
            p.role = ROLE_USER
        self.idle.clear()
        self.n_running = self.n_idle = self.n_ded = self.n_frac = 0
        if self.poll_q or self.accept_p is not None:
            self._flush_wakeups()
        self.stw = True
        return running

    def start_the_world(self, now: int, dedicated: int) -> None:
        """Restart every P: `dedicated` of them run dedicated mark workers, the rest
        schedule. Gs stopped by the STW are charged the pause."""
        self.acct(now)
        self.stw = False
        for g in self.global_q:
            if g.stw_since >= 0:
                g.t_stw += now - g.stw_since
                g.stw_since = -1
                g.ready_ns = now
        for p in self.ps:
            p.g = None
            p.ev = None
            p.slice_end = now + FORCE_PREEMPT_NS
        order = self.ps
        self.n_ded = dedicated
        for i, p in enumerate(order):
            if i < dedicated:
                p.role = ROLE_DEDICATED
                # A dedicated worker's P dumps its local queue to the global queue.
                if p.runnext is not None:
                    self.global_q.append(p.runnext)
                    p.runnext = None
                while p.runq:
                    self.global_q.append(p.runq.popleft())
            else:
                p.role = ROLE_USER
        # Every user P starts as running and schedules; those that find nothing go idle.
        self.n_running = self.nprocs - dedicated
        for p in order[dedicated:]:
            p.idle = False
            p.schedtick += 0
            self._schedule(p, now)

    def release_dedicated(self, now: int) -> None:
        """Mark is over: dedicated Ps return to scheduling (called with the world stopped)."""
        for p in self.ps:
            p.role = ROLE_USER

    # --- lazy completions ---------------------------------------------------------------

    def settle(self, now: int) -> None:
        """Complete every lazy P whose G finished by now, in time order, at its own time.

        Every event callback calls this first (when n_lazy), so the state it sees is the
        state at its time. While any P is lazy no G is queued anywhere (materialize), so a
        completed P simply goes idle.
        """
        lazy = self.lazy
        if len(lazy) == 1:
            due = lazy if lazy[0].lazy_end <= now else None
        else:
            due = [p for p in lazy if p.lazy_end <= now]
        if not due:
            return
        if due is lazy:
            due = [lazy[0]]
        if len(due) > 1:
            due.sort(key=_lazy_order)
        for p in due:
            lazy.remove(p)
            self.n_lazy -= 1
            t = p.lazy_end
            p.lazy_end = -1
            g = p.g
            assert g is not None
            self._advance(p, g, t)
            self._exec(p, g, t)

    def materialize(self, now: int) -> None:
        """A G is about to wait: lazy Ps get real events, since their completion now
        matters (they will pick it up). Each goes where the event _segment did not make
        would have been among events at its time (its reserved place in the order of
        creation), so laziness cannot change which of two Ps ending together fires first."""
        for p in self.lazy:
            p.ev = call_at_reserved(self.env, p.lazy_end, p.lazy_eid, self._p_event, p, URGENT)
            p.lazy_end = -1
        self.lazy.clear()
        self.n_lazy = 0

    # --- assists in flight --------------------------------------------------------------

    def flush_assists(self, now: int) -> None:
        """Account the assist CPU that running goroutines have spent by now (their segments
        go on unchanged), so the CPU limiter sees it at once."""
        for p in self.ps:
            g = p.g
            if g is not None and p.ev is not None and p.assist_wall > 0 and now > p.seg_start:
                self._advance(p, g, now)

    def assists_pending(self) -> bool:
        """Whether a running goroutine has booked assist work it has not run yet (a
        goroutine preempted mid-assist hands its work back: _p_event)."""
        return any(p.g is not None and p.g.assist_left > 0 for p in self.ps)

    def cut_assists(self, now: int) -> bool:
        """The CPU limiter turned on: every running assist stops where it is; what is left goes
        back to the collector (Collector.assist_cut). Only running goroutines can have
        booked assist work (a preempted one hands it back: _p_event). Returns whether any
        was cut."""
        cut = False
        for p in self.ps:
            g = p.g
            if g is None or g.assist_left <= 0:
                continue
            if p.ev is not None:  # running a segment: account it to now, then re-plan it
                self._advance(p, g, now)
                if g.assist_left <= 0:
                    continue
                self._drop_assist(p, g)
                self._segment(p, g, now)
            else:  # booked by the allocation being executed now: not started
                self._drop_assist(p, g)
            cut = True
        return cut

    def _drop_assist(self, p: P, g: G) -> None:
        """g's booked assist work not yet run goes back to the collector (Collector.
        assist_cut: to the mark, as debt to g)."""
        self.coll.assist_cut(g, g.assist_left)
        g.assist_left = 0
        p.assist_wall = 0

    def runnable_count(self) -> int:
        return self.runnable

    def set_marking(self, on: bool, frac: float, idle_cap: int, wb_slowdown: float,
                    now: int = 0, drain_check_ns: int = 1) -> None:
        """Mark starts (on) or ends. Called with the world stopped."""
        self.marking = on
        self.frac = frac if on else 0.0
        self.idle_cap = idle_cap if on else 0
        self.mark_speed = 1.0 / (1.0 + wb_slowdown) if on else 1.0
        if on:
            self.t_mark = now
            self.drain_check_ns = max(1, drain_check_ns)
            for p in self.ps:
                p.frac_ns = 0

"""The heap: allocation accounting, object lifetimes, spans, pages and RSS.

Allocation is accounted in batches. An allocate step turns into so many objects per span
class (simcore.workload compiles the object-size mix with sizeclasses.plan_allocation);
each P holds one cached span per span class (its mcache) as a count of free slots. Objects
that fit come out of the cached span at no heap cost; when it runs out the P refills from
mcentral, which, as in Go's mcache.refill, adds the new span's whole free part to the pacer's
heapLive. So heapLive moves in span steps, and the caller tests the GC trigger only after a
refill or a large allocation (malloc.go shouldhelpgc). Large objects (> 32 KiB) get a span of
their own straight from mheap.

Spans come from pages: free pages retained by the heap first (heapFree), then pages the
scavenger returned to the OS (heapReleased, faulted back in at a cost), then new address
space from the OS in 4 MiB-aligned steps (mheap.grow), also at a cost. Sweeping leaves in
use every span that still holds a live object; where a workload allocates survivors and
garbage in the same span class (a leak amid short-lived objects), the garbage's slots stay
in those spans (stranded) until refills reuse them, which they do before taking new spans,
as mcentral hands out its partially used spans first. Go counts such slots as neither
objects nor free pages, so just after a cycle the memory-limit goal is lower by them.
How much garbage a sweep strands depends on where it was allocated: what filled a stranded
span's holes shares that span with its survivor, so all of its garbage is stranded again
(by the sweep that frees it: objects allocated during a mark are black and die a cycle
later, so a mark's refills count with the next cycle's);
what went into fresh spans is stranded only where a span also took a survivor
(strand_fresh, from the workload's allocation pattern). So the stranded share grows over
the first cycles after a heap is built (the twin's leak: 0.45, 0.72, 0.87, 0.94, then 0.9-1).
The heap also counts the partially used spans holding those slots: mcache.refill adds a
span's tail (the bytes no object can use) to heapLive each time it caches one, so the fuller
the spans a refill reuses, the further heapLive runs ahead of the bytes allocated
(refill_stranded).

Reachability is tracked in aggregate, not per object. live_bytes counts every object still
reachable: the baseline heap, what in-flight goroutines hold (lifetime REQUEST), TTL'd bytes
not yet expired (kept as a queue of expiry buckets, expired lazily), leaks, and pooled
objects. At mark start the collector snapshots live_bytes; everything allocated during mark
is black, so bytes marked = live at mark start + allocated during mark (Go's hybrid barrier
keeps everything reachable at the start). Sweeping then frees heap_alloc - marked.

Memory the runtime has mapped and not released (Go's mappedReady, what GOMEMLIMIT limits) =
heap pages in use + free pages not yet released + stacks + runtime overhead + heap metadata
(metadata_fraction of the heap address space). Globals are the binary's data and BSS, which
the runtime did not map and mappedReady does not count; the OS sees them, so RSS =
mappedReady + globals.
"""

from __future__ import annotations

from collections import deque

from simcore.config import MIB, CostModel

# PAGE_BYTES is the runtime's page (_PageSize = 8192, src/runtime/malloc.go).
PAGE_BYTES = 8192
# OS_PAGE_BYTES is the unit the scavenger releases (physPageSize on linux/amd64).
OS_PAGE_BYTES = 4096
# HEAP_ARENA_GROW_BYTES: mheap.grow asks the OS for alignUp(npages, 512) pages, i.e.
# 4 MiB-aligned steps (pallocChunkPages = 512, src/runtime/mpagealloc.go).
HEAP_ARENA_GROW_BYTES = 512 * PAGE_BYTES
# SPAN_SLACK_FRACTION: after sweeping, spans that still hold a live object stay in use, so
# heap pages in use exceed what they hold (live objects, and stranded slots) by partially
# filled spans and the bytes no object can use. Not a Go constant: 1/32, from the Go twin
# (docs/fidelity.md), where /memory/classes/heap/unused is 2.6-4.5 % of
# /memory/classes/heap/objects (medians per workload, memory-limited runs) at the end of a
# run, cached spans' free slots included; and where its leak with a limit kept 3.6 MiB of
# in-use pages beyond a marked heap of 78.5 MiB and 44.7 MiB of stranded slots (1/32 of
# both: 3.85; of the marked heap alone: 2.45).
SPAN_SLACK_FRACTION = 0.03125
# TTL_BUCKET_NS: expiries are grouped into 1 ms buckets so the queue stays short.
TTL_BUCKET_NS = 1_000_000


class TTLQueue:
    """Bytes that become garbage at a known time, in time order (one queue per TTL)."""

    __slots__ = ("q",)

    def __init__(self) -> None:
        # q holds [expire_ns, bytes, scan_bytes] buckets, oldest first.
        self.q: deque[list[int]] = deque()

    def add(self, expire_ns: int, nbytes: int, scan_bytes: int) -> None:
        q = self.q
        if q and expire_ns - q[-1][0] < TTL_BUCKET_NS:
            last = q[-1]
            last[1] += nbytes
            last[2] += scan_bytes
        else:
            q.append([expire_ns, nbytes, scan_bytes])

    def expire(self, now_ns: int) -> tuple[int, int]:
        """Pop every bucket due by now_ns; return (bytes, scan_bytes) that became garbage."""
        q = self.q
        b = s = 0
        while q and q[0][0] <= now_ns:
            _, nb, sb = q.popleft()
            b += nb
            s += sb
        return b, s


class Heap:
    """Heap state for one run. All fields are bytes unless named otherwise.

    The machine (simcore.machine, Machine.alloc) updates the allocation counters, the
    mcaches and in_use from allocate steps, then take_pages; the collector
    (simcore.collector) calls mark_start/sweep. heapLive itself lives in the pacer
    (GCController.heap_live), which Machine.alloc moves by the span bytes refilled.
    """

    __slots__ = (
        "alloc_at_mark",
        "alloc_during_mark",
        "alloc_window",
        "cost",
        "free",
        "globals",
        "grow_events",
        "hole_fill",
        "hole_fill_spans",
        "hole_fill_spans_window",
        "hole_fill_window",
        "in_use",
        "live",
        "live_scan",
        "mapped",
        "marking",
        "mcache",
        "objects_alloc",
        "objects_free",
        "partial_spans",
        "peak_alloc",
        "released",
        "runtime_base",
        "stacks",
        "strand_classes",
        "strand_fresh",
        "strand_share",
        "strand_span_bytes",
        "strand_span_free",
        "strand_tail",
        "stranded",
        "sweep_freed",
        "sweep_from_ns",
        "sweep_pages",
        "sweep_to_ns",
        "total_alloc",
        "total_free",
        "ttl_queues",
    )

    def __init__(self, gomaxprocs: int, cost: CostModel, globals_bytes: int) -> None:
        self.cost = cost
        # mcache[p][span_class]: free object slots in P p's cached span of that class.
        # Updated by Machine.alloc; emptied by flush_mcaches at mark termination.
        self.mcache: list[list[int]] = [[0] * 136 for _ in range(gomaxprocs)]
        # Cumulative bytes/objects allocated and freed (runtime/metrics /gc/heap/allocs,
        # /gc/heap/frees); alloc by Machine.alloc, free by sweep.
        self.total_alloc = 0
        self.total_free = 0
        self.objects_alloc = 0
        self.objects_free = 0
        # Reachable bytes now, and their scannable part; changed by whoever creates or drops
        # references (the machine, the pool, the TTL queues).
        self.live = 0
        self.live_scan = 0
        self.ttl_queues: list[TTLQueue] = []
        # Page-level state (bytes): spans in use, free pages retained, pages released to the
        # OS, and all heap address space mapped (= in_use + free + released).
        self.in_use = 0
        self.free = 0
        self.released = 0
        self.mapped = 0
        # Goroutine stacks in use (set by the machine) and globals (data + BSS).
        self.stacks = 0
        self.globals = globals_bytes
        self.runtime_base = cost.runtime_base_bytes
        # Free object slots in spans that sweeping left in use because they still hold a
        # live object (mcentral's partial spans), in bytes: set by sweep, used up by refills
        # before new spans are taken (Machine.alloc). Go counts them as neither heap objects
        # nor free pages, so they lower the memory-limit goal until refilled.
        self.stranded = 0
        # The garbage among what refilled stranded slots is stranded again, by the sweep
        # that frees it: the one after the next mark start (what is allocated during a mark
        # is black and dies a cycle later). hole_fill: bytes allocated into stranded slots
        # since the last mark start (refill_stranded); mark_start moves it to
        # hole_fill_window, the fills between the last two mark starts, which sweep uses.
        # alloc_window: bytes allocated between the last two mark starts, and alloc_at_mark
        # total_alloc at the last one (mark_start; the engine sets it after a build).
        self.hole_fill = 0
        self.hole_fill_window = 0
        self.alloc_window = 0
        self.alloc_at_mark = 0
        # The partially used spans that hold the stranded slots, as Go's mcentral hands them
        # out: partial_spans is how many there are (set by sweep, taken by refill_stranded);
        # hole_fill_spans counts those refilled since the last mark start and
        # hole_fill_spans_window those refilled between the last two (mark_start), the
        # spans whose new garbage the next sweep strands again. Counts, not bytes.
        self.partial_spans = 0.0
        self.hole_fill_spans = 0.0
        self.hole_fill_spans_window = 0.0
        # strand_share: the share of swept garbage (bytes) in span classes where survivors
        # of another step are allocated too; strand_fresh: the share of that garbage which
        # stays stranded when it was allocated into fresh spans. Both set by the engine from
        # the workload (Engine._strand_rates).
        self.strand_share = 0.0
        self.strand_fresh = 0.0
        # The span classes (Go's spanClass: size class * 2 + noscan) whose garbage strands,
        # set with the two above. The stranded slots are theirs: Go's refills take partly
        # used spans from their own class's mcentral, so only refills of these classes
        # reuse stranded slots (Machine.alloc); any other class takes fresh spans.
        self.strand_classes: frozenset[int] = frozenset()
        # The span classes whose garbage strands, per span (set by the engine with the two
        # rates above, Engine._strand_rates): strand_span_bytes is a span's size,
        # strand_tail the bytes of it no object can use (Green Tea's inline mark bits, the
        # pointer bitmap of small scannable objects, the division remainder: initSpan), and
        # strand_span_free the free bytes a fresh span keeps when it strands (the slots
        # around its survivors).
        self.strand_span_bytes = float(PAGE_BYTES)
        self.strand_tail = 0.0
        self.strand_span_free = float(PAGE_BYTES)
        # The last sweep, as Go's runtime sees it progress: it runs from sweep_from_ns to
        # sweep_to_ns (ns), freeing sweep_freed object bytes and returning sweep_pages bytes
        # of whole spans to heapFree at an even pace. Set by sweep; read by unswept. The
        # heap's own counters hold the swept end state at once.
        self.sweep_from_ns = 0
        self.sweep_to_ns = 0
        self.sweep_freed = 0
        self.sweep_pages = 0
        # Bytes allocated since mark start (all black), while marking is set.
        self.alloc_during_mark = 0
        self.marking = False
        # How many times the heap grew from the OS; the peak of heap_alloc.
        self.grow_events = 0
        self.peak_alloc = 0

    # --- allocation ---------------------------------------------------------------------

    def take_pages(self) -> int:
        """Back in_use with pages: from heapFree, then heapReleased, then the OS.

        Returns the ns of page-fault and mmap work paid by the allocating goroutine.
        """
        need = self.in_use - (self.mapped - self.released - self.free)
        if need <= 0:
            return 0
        from_free = min(need, self.free)
        self.free -= from_free
        need -= from_free
        if need <= 0:
            return 0
        from_released = min(need, self.released)
        self.released -= from_released
        need -= from_released
        grown = 0
        if need > 0:
            grown = -(-need // HEAP_ARENA_GROW_BYTES) * HEAP_ARENA_GROW_BYTES
            self.mapped += grown
            self.free += grown - need  # the rest of the arena step stays free
            self.grow_events += 1
        faulted = from_released + need
        return faulted * self.cost.heap_grow_ns_per_mib // MIB

    def note_peak(self) -> None:
        a = self.total_alloc - self.total_free
        if a > self.peak_alloc:
            self.peak_alloc = a

    # --- lifetimes ----------------------------------------------------------------------

    def add_live(self, nbytes: int, scan_bytes: int) -> None:
        self.live += nbytes
        self.live_scan += scan_bytes

    def drop_live(self, nbytes: int, scan_bytes: int) -> None:
        self.live -= nbytes
        self.live_scan -= scan_bytes

    def new_ttl_queue(self) -> TTLQueue:
        q = TTLQueue()
        self.ttl_queues.append(q)
        return q

    def expire(self, now_ns: int) -> None:
        """Drop every TTL'd byte whose time has come."""
        for q in self.ttl_queues:
            if q.q and q.q[0][0] <= now_ns:
                b, s = q.expire(now_ns)
                self.live -= b
                self.live_scan -= s

    # --- GC -----------------------------------------------------------------------------

    def heap_alloc(self) -> int:
        """Bytes in allocated objects, reachable or not yet swept (/gc/heap/objects)."""
        return self.total_alloc - self.total_free

    def mark_start(self, now_ns: int) -> tuple[int, int]:
        """Snapshot at the end of STW #1: returns (live bytes, scannable live bytes)."""
        self.expire(now_ns)
        self.marking = True
        self.alloc_during_mark = 0
        self.hole_fill_window = self.hole_fill
        self.hole_fill = 0
        self.hole_fill_spans_window = self.hole_fill_spans
        self.hole_fill_spans = 0.0
        self.alloc_window = self.total_alloc - self.alloc_at_mark
        self.alloc_at_mark = self.total_alloc
        return self.live, self.live_scan

    def mark_done(self, live_at_start: int) -> int:
        """Mark termination: return bytes marked (live at start + allocated during mark)."""
        self.marking = False
        return live_at_start + self.alloc_during_mark

    def sweep(self, marked_bytes: int, now_ns: int = 0, ns_per_span: int = 0) -> int:
        """Free everything not marked; return the bytes freed.

        Sweeping is concurrent in Go; here its result is applied at once and its CPU cost
        is paid by refills (CostModel.sweep_ns_per_span). Spans emptied return their pages
        to heapFree; garbage stays in spans that keep a live object (stranded): the garbage
        among what refilled stranded slots between the last two mark starts (at the share
        of everything allocated between them that died: what this sweep frees was allocated
        then), and strand_fresh of the rest of the strand_share. partial_spans follows them:
        the spans not refilled since the last sweep, the refilled ones, and
        strand_span_free bytes' worth of fresh spans per byte fresh garbage stranded.
        The spans kept hold the marked bytes and the stranded slots, each with
        SPAN_SLACK_FRACTION of slack; the stranded slots are at most what the pages in use
        leave for them. Objects are counted freed at the mean object size.
        """
        alloc = self.total_alloc - self.total_free
        freed = max(0, alloc - marked_bytes)
        if freed and self.objects_alloc > self.objects_free:
            mean = alloc / (self.objects_alloc - self.objects_free)
            self.objects_free += min(self.objects_alloc - self.objects_free,
                                     int(freed / mean) if mean > 0 else 0)
        self.total_free += freed
        slack = 1.0 + SPAN_SLACK_FRACTION
        dense = int(marked_bytes * slack)  # the spans of the live objects
        mixed = int(freed * self.strand_share)  # garbage of classes that mix in survivors
        again = 0
        partial = self.partial_spans  # the spans holding what is stranded
        window = self.alloc_window  # what this sweep's garbage was allocated among
        if self.hole_fill_window and window > 0:
            died = int(self.hole_fill_window * min(1.0, freed / window))
            again = min(mixed, died)
            # Every refilled span took garbage again (its free bytes shrink by the share
            # that survived), unless there was less mixed garbage than that.
            if died > 0:
                partial += self.hole_fill_spans_window * again / died
        fresh = mixed - again
        fresh_stranded = int(fresh * self.strand_fresh)
        stranded = self.stranded + again + fresh_stranded
        # And the fresh spans that took a survivor.
        if fresh_stranded and self.strand_span_free > 0:
            partial += fresh_stranded / self.strand_span_free
        self.hole_fill_window = 0
        self.hole_fill_spans_window = 0.0
        # The spans holding stranded slots have their slack too.
        target = -(-(dense + int(stranded * slack)) // PAGE_BYTES) * PAGE_BYTES
        spans = self.in_use // PAGE_BYTES  # one span per page: most small spans are one page
        pages = 0
        if self.in_use > target:
            pages = self.in_use - target
            self.free += pages
            self.in_use = target
        self.stranded = min(stranded, max(0, int((self.in_use - dense) / slack)))
        self.partial_spans = partial * self.stranded / stranded if stranded > 0 else 0.0
        self.sweep_from_ns = now_ns
        self.sweep_to_ns = now_ns + spans * ns_per_span
        self.sweep_freed = freed
        self.sweep_pages = pages
        return freed

    def refill_stranded(self, cover: int) -> int:
        """Refills take cover bytes of stranded slots (at most all of them) and the partial
        spans holding them, in proportion: returns what heapLive adds beyond those slots,
        the spans' tails (the caller, Machine.alloc, counts the slots).

        mcache.refill adds a cached span's free part to heapLive, its tail included (the
        bytes no object can use), assuming every slot will be used. A partially used span
        brings fewer free slots and the whole tail, so the refills that reuse stranded
        slots move heapLive further than the bytes allocated: by a tail per span taken,
        i.e. by tail / free-bytes-per-span, 6-19 % in the Go twin's leak from 11 s on
        (GOMAXPROCS=2, GOGC=off, 145 MiB limit: heapLive read with a runtime patched to
        report it; 2.4 % for fresh spans), as the leak's survivors fill the spans up.
        """
        if cover <= 0:
            return 0
        spans = self.partial_spans * cover / self.stranded
        self.stranded -= cover
        self.hole_fill += cover
        self.partial_spans -= spans
        self.hole_fill_spans += spans
        extra = spans * self.strand_tail
        return int(extra) if extra > 0 else 0

    def stranded_tail_ratio(self) -> float:
        """What refilling the stranded slots adds to heapLive per byte of them beyond the
        byte itself (refill_stranded's tails, at the current spans): 0 when none."""
        if self.stranded <= 0:
            return 0.0
        r = self.partial_spans * self.strand_tail / self.stranded
        return r if r > 0 else 0.0

    def unswept(self, now_ns: int) -> tuple[int, int]:
        """What the sweep begun at sweep_from_ns has yet to free at now_ns: (object bytes,
        bytes of whole spans not yet returned to heapFree). What Go's statistics lag by."""
        if now_ns >= self.sweep_to_ns:
            return 0, 0
        left = (self.sweep_to_ns - now_ns) / (self.sweep_to_ns - self.sweep_from_ns)
        return int(self.sweep_freed * left), int(self.sweep_pages * left)

    def flush_mcaches(self) -> None:
        """mcache.releaseAll after mark termination: every cached span goes back."""
        for cache in self.mcache:
            for i in range(len(cache)):
                cache[i] = 0

    # --- memory -------------------------------------------------------------------------

    def mapped_ready(self) -> int:
        """Memory the runtime mapped and did not release (Go's mappedReady, the total of
        /memory/classes/total less .../heap/released): heap pages not released, stacks, the
        runtime's own memory and the heap's metadata. Not globals (see the module doc)."""
        return (self.mapped - self.released) + self.stacks + self.runtime_base + self.metadata()

    def metadata(self) -> int:
        """Heap metadata (span structs, heap arena bitmaps): metadata_fraction of the heap
        address space mapped, which keeps its metadata when pages are released."""
        return int(self.mapped * self.cost.metadata_fraction)

    def rss(self) -> int:
        """Resident memory: mappedReady plus the globals."""
        return self.mapped_ready() + self.globals

    def scavenge(self, max_bytes: int) -> int:
        """Release up to max_bytes of free pages to the OS; return the bytes released."""
        n = min(max_bytes, self.free)
        n -= n % OS_PAGE_BYTES
        if n <= 0:
            return 0
        self.free -= n
        self.released += n
        return n

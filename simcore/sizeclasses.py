"""Size classes: how mallocgc maps a request to a span class, and what each class costs.

Small objects (up to 32 KiB) are allocated from spans dedicated to one of 67 size classes
(class 0 stands for "large": an object with a span of its own). Each size class comes in two
span classes, scan and noscan (spanClass = sizeclass<<1 | noscan), so the GC never has to look
at the pointer metadata of spans that hold no pointers.

mallocgc sorts a request of size bytes as follows (malloc.go, Go 1.22+):

  - size == 0: returns &zerobase; nothing is allocated.
  - size > maxSmallSize - mallocHeaderSize (32760): large. The object gets a span of its own of
    ceil(size/8192) pages (mallocgcLarge). Large spans keep their type in the mspan, so no
    header is added, and noscan does not matter for the size.
  - noscan and size < 16 (maxTinySize): the tiny allocator. Several tiny objects are packed
    into one 16 B block of the tiny span class (class 2, noscan), aligned to 8, 4 or 2 bytes
    by their size. A block is freed only when every object in it is dead.
  - pointerful and size > 512 (gc.MinSizeForMallocHeader, !heapBitsInSpan): an 8 B malloc
    header (the *_type) is put in front of the object, so size += 8 before rounding. Smaller
    pointerful objects keep their pointer bitmap at the end of the span instead.
  - then the class is SizeToSizeClass8[ceil(size/8)] when size <= 1016, else
    SizeToSizeClass128[ceil((size-1024)/128)], and the slot is SizeClassToSize[class] bytes.

A span of class c has SizeClassToNPages[c] pages. The generator's table (sizeclasses.go)
lists npages*8192/size objects per span, but initSpan reserves the end of one-page spans
for metadata: with Green Tea (the default from Go 1.26) every span of 16..512 B objects keeps
128 B of inline mark bits at its end, and scan spans of objects <= 512 B also keep their
pointer bitmap there (npages*8192/8/8 bytes). objects_per_span() models initSpan exactly;
CLASS_TO_OBJECTS is the generator's column.

plan_allocation() turns a workload's object-size mix into the classes it hits, including the
steady-state packing of the tiny allocator (a 17-state Markov chain over the tiny offset).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

# internal/runtime/gc/sizeclasses.go: NumSizeClasses (class 0 is "large").
NUM_SIZE_CLASSES = 68
# internal/runtime/gc/sizeclasses.go: PageShift; runtime pageSize = 1 << PageShift.
PAGE_SHIFT = 13
PAGE_SIZE = 1 << PAGE_SHIFT
# internal/runtime/gc/sizeclasses.go: MaxSmallSize, the largest size-class object.
MAX_SMALL_SIZE = 32768
# internal/runtime/gc/sizeclasses.go: SmallSizeDiv, SmallSizeMax, LargeSizeDiv (the two
# lookup tables' granularity and split point).
SMALL_SIZE_DIV = 8
SMALL_SIZE_MAX = 1024
LARGE_SIZE_DIV = 128
# internal/runtime/gc/sizeclasses.go: MaxObjsPerSpan.
MAX_OBJS_PER_SPAN = 1024
# internal/runtime/gc/sizeclasses.go: TinySize (runtime maxTinySize / _TinySize), and
# TinySizeClass, the class of the 16 B tiny blocks.
TINY_SIZE = 16
TINY_SIZE_CLASS = 2
# runtime/mheap.go: tinySpanClass = makeSpanClass(tinySizeClass, true).
TINY_SPAN_CLASS = TINY_SIZE_CLASS << 1 | 1
# internal/goarch: PtrSize on 64-bit platforms.
PTR_SIZE = 8
# internal/runtime/gc/malloc.go: MallocHeaderSize, the *_type word before pointerful objects
# that do not keep their pointer bitmap in the span.
MALLOC_HEADER_SIZE = 8
# internal/runtime/gc/malloc.go: MinSizeForMallocHeader = goarch.PtrSize * ptrBits (512 on
# 64-bit). heapBitsInSpan(size) is size <= this.
MIN_SIZE_FOR_MALLOC_HEADER = PTR_SIZE * PTR_SIZE * 8
# runtime/malloc.go mallocgc: small objects are those <= maxSmallSize - mallocHeaderSize.
MAX_SMALL_ALLOC_SIZE = MAX_SMALL_SIZE - MALLOC_HEADER_SIZE
# runtime/mgcmark_greenteagc.go: unsafe.Sizeof(spanInlineMarkBits{}) = 63+1+63+1 bytes.
SPAN_INLINE_MARK_BITS_SIZE = 128

# internal/runtime/gc/sizeclasses.go: SizeClassToSize.
CLASS_TO_SIZE: tuple[int, ...] = (
    0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
    288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408,
    1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912,
    8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760,
    24576, 27264, 28672, 32768,
)  # fmt: skip

# internal/runtime/gc/sizeclasses.go: SizeClassToNPages.
CLASS_TO_NPAGES: tuple[int, ...] = (
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2,
    9, 7, 5, 8, 3, 10, 7, 4,
)  # fmt: skip

# internal/runtime/gc/sizeclasses.go, the "objects" column of the generator's comment table:
# npages*8192/size, before initSpan's reserves (see objects_per_span).
CLASS_TO_OBJECTS: tuple[int, ...] = (
    0,
    *(CLASS_TO_NPAGES[c] * PAGE_SIZE // CLASS_TO_SIZE[c] for c in range(1, NUM_SIZE_CLASSES)),
)


def _smallest_class_at_least(size_bytes: int) -> int:
    """The first class whose slot holds size_bytes (how mksizeclasses fills the tables)."""
    for c in range(1, NUM_SIZE_CLASSES):
        if CLASS_TO_SIZE[c] >= size_bytes:
            return c
    raise ValueError(f"size {size_bytes} exceeds the largest size class")


# internal/runtime/gc/sizeclasses.go: SizeToSizeClass8, indexed by ceil(size/8), size <= 1024.
SIZE_TO_CLASS8: tuple[int, ...] = (
    0,
    *(
        _smallest_class_at_least(i * SMALL_SIZE_DIV)
        for i in range(1, SMALL_SIZE_MAX // SMALL_SIZE_DIV + 1)
    ),
)
# internal/runtime/gc/sizeclasses.go: SizeToSizeClass128, indexed by ceil((size-1024)/128).
SIZE_TO_CLASS128: tuple[int, ...] = tuple(
    _smallest_class_at_least(SMALL_SIZE_MAX + i * LARGE_SIZE_DIV)
    for i in range((MAX_SMALL_SIZE - SMALL_SIZE_MAX) // LARGE_SIZE_DIV + 1)
)


def span_class(size_class: int, noscan: bool) -> int:
    """makeSpanClass (mheap.go): sizeclass<<1 | noscan."""
    return size_class << 1 | noscan


def is_tiny(size_bytes: int, noscan: bool) -> bool:
    """Whether mallocgc sends this request to the tiny allocator (mallocgcTiny)."""
    return noscan and 0 < size_bytes < TINY_SIZE


def has_malloc_header(size_bytes: int, noscan: bool) -> bool:
    """Whether the object gets an 8 B malloc header (pointerful, small, !heapBitsInSpan)."""
    return (not noscan) and MIN_SIZE_FOR_MALLOC_HEADER < size_bytes <= MAX_SMALL_ALLOC_SIZE


def size_to_class(size_bytes: int, noscan: bool) -> int:
    """The size class mallocgc allocates a size_bytes object in; 0 means large.

    Tiny requests (noscan, < 16 B) report TINY_SIZE_CLASS, the class of the 16 B block they
    are packed into. Pointerful objects over 512 B are looked up with their 8 B header added.
    Raises ValueError for size_bytes < 1 (mallocgc returns &zerobase for 0 without allocating).
    """
    if size_bytes <= 0:
        raise ValueError(f"size_bytes must be >= 1, got {size_bytes}")
    if size_bytes > MAX_SMALL_ALLOC_SIZE:
        return 0
    if noscan:
        if size_bytes < TINY_SIZE:
            return TINY_SIZE_CLASS
    elif size_bytes > MIN_SIZE_FOR_MALLOC_HEADER:
        size_bytes += MALLOC_HEADER_SIZE
    if size_bytes <= SMALL_SIZE_MAX - SMALL_SIZE_DIV:
        return SIZE_TO_CLASS8[(size_bytes + SMALL_SIZE_DIV - 1) >> 3]
    return SIZE_TO_CLASS128[(size_bytes - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) >> 7]


def large_span_bytes(size_bytes: int) -> int:
    """Bytes of the span mallocgcLarge gives an object: size rounded up to whole 8 KiB pages."""
    return (size_bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


def elem_size(size_bytes: int, noscan: bool) -> int:
    """Heap bytes one object occupies: its slot size (header included), or its large span.

    A tiny request reports the 16 B block; how many requests share a block depends on the
    mix (see plan_allocation).
    """
    c = size_to_class(size_bytes, noscan)
    if c == 0:
        return large_span_bytes(size_bytes)
    return CLASS_TO_SIZE[c]


def roundupsize(size_bytes: int, noscan: bool) -> int:
    """msize.go roundupsize: the usable size mallocgc would return for size_bytes.

    That is the slot size minus the malloc header, if any (what append grows slices to).
    """
    if size_bytes > MAX_SMALL_ALLOC_SIZE:
        return large_span_bytes(size_bytes)
    header = MALLOC_HEADER_SIZE if has_malloc_header(size_bytes, noscan) else 0
    req = size_bytes + header
    if req <= SMALL_SIZE_MAX - SMALL_SIZE_DIV:
        c = SIZE_TO_CLASS8[(req + SMALL_SIZE_DIV - 1) >> 3]
    else:
        c = SIZE_TO_CLASS128[(req - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) >> 7]
    return CLASS_TO_SIZE[c] - header


def uses_inline_mark_bits(elem_size_bytes: int) -> bool:
    """gcUsesSpanInlineMarkBits (mgcmark_greenteagc.go): heapBitsInSpan(size) && size >= 16."""
    return TINY_SIZE <= elem_size_bytes <= MIN_SIZE_FOR_MALLOC_HEADER


def objects_per_span(size_class: int, noscan: bool, green_tea: bool = True) -> int:
    """s.nelems as mheap.initSpan sets it for a span of this class.

    With Green Tea (the Go 1.26 default) spans of 16..512 B objects reserve 128 B of inline
    mark bits, and scan spans of objects <= 512 B reserve nbytes/64 for the pointer bitmap.
    Without it, only the pointer bitmap is reserved. Class 0 (large) holds one object.
    """
    if size_class == 0:
        return 1
    size = CLASS_TO_SIZE[size_class]
    nbytes = CLASS_TO_NPAGES[size_class] * PAGE_SIZE
    reserve = 0
    if green_tea and uses_inline_mark_bits(size):
        reserve += SPAN_INLINE_MARK_BITS_SIZE
    if size <= MIN_SIZE_FOR_MALLOC_HEADER and not noscan:
        reserve += nbytes // PTR_SIZE // 8
    return (nbytes - reserve) // size


def span_bytes(size_class: int) -> int:
    """Bytes of one span of a small size class (npages * 8192)."""
    return CLASS_TO_NPAGES[size_class] * PAGE_SIZE


# ---------------------------------------------------------------------------------------
# Tiny allocator packing.


def _tiny_align(size_bytes: int) -> int:
    """mallocgcTiny's alignment of the offset for a size_bytes object (64-bit)."""
    if size_bytes & 7 == 0:
        return 8
    if size_bytes & 3 == 0:
        return 4
    if size_bytes & 1 == 0:
        return 2
    return 1


def tiny_blocks_per_object(sizes_and_probs: Iterable[tuple[int, float]]) -> float:
    """Mean number of new 16 B blocks per tiny request, for i.i.d. sizes from the mix.

    The per-P state is c.tinyoffset (0..16; 16 also stands for "no block yet"). A request of
    size s aligns the offset up (8/4/2 by size); if it still fits, it is packed and the
    offset advances. Otherwise a new block is taken, and it replaces the current one when
    s < tinyoffset (the new block has more room left). The stationary distribution of this
    chain (lazy power iteration, so periodic chains converge) gives the long-run rate.
    """
    mix = [(s, p) for s, p in sizes_and_probs if p > 0.0]
    total = sum(p for _, p in mix)
    if not mix or total <= 0.0:
        return 0.0
    mix = [(s, p / total) for s, p in mix]
    for s, _ in mix:
        if not 0 < s < TINY_SIZE:
            raise ValueError(f"tiny size must be in [1, {TINY_SIZE - 1}], got {s}")
    n = TINY_SIZE + 1
    # trans[off] = list of (next_off, prob, new_block)
    trans: list[list[tuple[int, float, bool]]] = []
    for off in range(n):
        row: list[tuple[int, float, bool]] = []
        for s, p in mix:
            a = _tiny_align(s)
            aligned = (off + a - 1) // a * a
            if off < TINY_SIZE and aligned + s <= TINY_SIZE:
                row.append((aligned + s, p, False))
            else:
                row.append((s if s < off else off, p, True))
        trans.append(row)
    dist = [0.0] * n
    dist[TINY_SIZE] = 1.0
    for _ in range(100000):
        nxt = [0.5 * x for x in dist]
        for off in range(n):
            d = dist[off]
            if d == 0.0:
                continue
            for to, p, _new in trans[off]:
                nxt[to] += 0.5 * d * p
        delta = max(abs(a - b) for a, b in zip(nxt, dist, strict=True))
        dist = nxt
        if delta < 1e-15:
            break
    return sum(dist[off] * p for off in range(n) for _, p, new in trans[off] if new)


# ---------------------------------------------------------------------------------------
# Allocation plans.


class SizeWeight(Protocol):
    """Anything with size_bytes and weight (e.g. simcore.config.ObjectSize)."""

    @property
    def size_bytes(self) -> int: ...

    @property
    def weight(self) -> float: ...


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """Objects of a mix that land in one span class (and, for large objects, one span size).

    object_fraction is the share of all allocation requests of the mix; elem_bytes the heap
    bytes each takes (slot size with header, or the large span); request_bytes the mean
    requested size of those objects; objects_per_span the initSpan (Green Tea) nelems.
    """

    size_class: int
    noscan: bool
    span_class: int
    object_fraction: float
    elem_bytes: int
    request_bytes: float
    span_bytes: int
    objects_per_span: int


@dataclass(frozen=True, slots=True)
class AllocationPlan:
    """Where a mix of object sizes goes.

    entries: the non-tiny requests, by (size_class, noscan, elem_bytes).
    tiny_fraction: share of requests served by the tiny allocator (noscan, < 16 B).
    tiny_objects_per_block: steady-state tiny requests per 16 B block (0.0 without tiny).
    tiny_request_bytes: mean requested size of the tiny requests.
    mean_request_bytes: mean requested bytes per request.
    mean_heap_bytes: mean heap bytes per request (tiny blocks amortised over their objects).
    scan_heap_fraction: share of those heap bytes in scannable (pointerful) objects.
    """

    entries: tuple[PlanEntry, ...]
    tiny_fraction: float
    tiny_objects_per_block: float
    tiny_request_bytes: float
    mean_request_bytes: float
    mean_heap_bytes: float
    scan_heap_fraction: float

    @property
    def tiny_block_fraction(self) -> float:
        """New 16 B tiny blocks per request of the whole mix."""
        if self.tiny_objects_per_block == 0.0:
            return 0.0
        return self.tiny_fraction / self.tiny_objects_per_block


def plan_allocation(
    object_sizes_and_weights: Iterable[tuple[int, float] | SizeWeight],
    scannable_fraction: float,
) -> AllocationPlan:
    """Turn an object-size mix into the span classes mallocgc would use.

    Each size is split into a pointerful share (scannable_fraction) and a noscan share.
    Noscan objects under 16 B go to the tiny allocator; their packing is the steady state of
    tiny_blocks_per_object over the tiny part of the mix.
    """
    if not 0.0 <= scannable_fraction <= 1.0:
        raise ValueError(f"scannable_fraction must be in [0, 1], got {scannable_fraction}")
    pairs: list[tuple[int, float]] = []
    for item in object_sizes_and_weights:
        if isinstance(item, tuple):
            size, weight = item
        else:
            size, weight = item.size_bytes, item.weight
        if size <= 0:
            raise ValueError(f"object size must be >= 1, got {size}")
        if weight < 0.0:
            raise ValueError(f"weight must be >= 0, got {weight}")
        if weight > 0.0:
            pairs.append((int(size), float(weight)))
    total_weight = sum(w for _, w in pairs)
    if total_weight <= 0.0:
        raise ValueError("the object-size mix has no positive weight")

    # (size_class, noscan, elem_bytes) -> [fraction, fraction-weighted request bytes]
    acc: dict[tuple[int, bool, int], list[float]] = {}
    tiny: dict[int, float] = {}
    for size, weight in pairs:
        share = weight / total_weight
        for noscan, frac in ((False, scannable_fraction), (True, 1.0 - scannable_fraction)):
            f = share * frac
            if f <= 0.0:
                continue
            if is_tiny(size, noscan):
                tiny[size] = tiny.get(size, 0.0) + f
                continue
            c = size_to_class(size, noscan)
            eb = large_span_bytes(size) if c == 0 else CLASS_TO_SIZE[c]
            slot = acc.setdefault((c, noscan, eb), [0.0, 0.0])
            slot[0] += f
            slot[1] += f * size

    entries = tuple(
        PlanEntry(
            size_class=c,
            noscan=noscan,
            span_class=span_class(c, noscan),
            object_fraction=f,
            elem_bytes=eb,
            request_bytes=rb / f,
            span_bytes=eb if c == 0 else span_bytes(c),
            objects_per_span=objects_per_span(c, noscan),
        )
        for (c, noscan, eb), (f, rb) in sorted(acc.items())
    )
    tiny_fraction = sum(tiny.values())
    tiny_request = sum(s * f for s, f in tiny.items()) / tiny_fraction if tiny_fraction else 0.0
    blocks = tiny_blocks_per_object(tiny.items()) if tiny else 0.0
    per_block = 1.0 / blocks if blocks > 0.0 else 0.0
    mean_request = sum(e.object_fraction * e.request_bytes for e in entries)
    mean_request += tiny_fraction * tiny_request
    scan_heap = sum(e.object_fraction * e.elem_bytes for e in entries if not e.noscan)
    mean_heap = sum(e.object_fraction * e.elem_bytes for e in entries)
    mean_heap += tiny_fraction * blocks * TINY_SIZE
    return AllocationPlan(
        entries=entries,
        tiny_fraction=tiny_fraction,
        tiny_objects_per_block=per_block,
        tiny_request_bytes=tiny_request,
        mean_request_bytes=mean_request,
        mean_heap_bytes=mean_heap,
        scan_heap_fraction=scan_heap / mean_heap if mean_heap > 0.0 else 0.0,
    )

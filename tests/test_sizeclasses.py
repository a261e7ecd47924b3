"""Tests for simcore.sizeclasses against Go's internal/runtime/gc/sizeclasses.go."""

from __future__ import annotations

import pytest

from simcore.sizeclasses import (
    CLASS_TO_NPAGES,
    CLASS_TO_OBJECTS,
    CLASS_TO_SIZE,
    MAX_SMALL_SIZE,
    NUM_SIZE_CLASSES,
    PAGE_SIZE,
    SIZE_TO_CLASS8,
    SIZE_TO_CLASS128,
    TINY_SIZE,
    TINY_SIZE_CLASS,
    TINY_SPAN_CLASS,
    elem_size,
    has_malloc_header,
    is_tiny,
    large_span_bytes,
    objects_per_span,
    plan_allocation,
    roundupsize,
    size_to_class,
    span_class,
    tiny_blocks_per_object,
)

# The reference list (go-runtime-model.md §3), sizes of classes 1-67.
REFERENCE_SIZES = [
    8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288,
    320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536,
    1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192,
    9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576,
    27264, 28672, 32768,
]  # fmt: skip

# Pages per span: 1 for classes 1-34, then for 35-67 as listed.
REFERENCE_NPAGES = [1] * 34 + [
    2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3,
    10, 7, 4,
]  # fmt: skip

# The "objects" column of sizeclasses.go's comment table.
GO_TABLE_OBJECTS = [
    1024, 512, 341, 256, 170, 128, 102, 85, 73, 64, 56, 51, 46, 42, 39, 36, 34, 32, 28, 25,
    23, 21, 19, 18, 17, 16, 14, 12, 11, 10, 9, 8, 7, 6, 11, 5, 9, 4, 7, 3, 8, 5, 7, 2, 5, 3,
    4, 5, 6, 7, 1, 6, 5, 4, 3, 2, 3, 4, 1, 4, 3, 2, 3, 1, 3, 2, 1,
]  # fmt: skip

# sizeclasses.go SizeToSizeClass8 and SizeToSizeClass128, verbatim.
GO_SIZE_TO_CLASS8 = [
    0, 1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15,
    15, 16, 16, 17, 17, 18, 18, 19, 19, 19, 19, 20, 20, 20, 20, 21, 21, 21, 21, 22, 22, 22,
    22, 23, 23, 23, 23, 24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 27, 27, 27, 27, 27,
    27, 27, 27, 28, 28, 28, 28, 28, 28, 28, 28, 29, 29, 29, 29, 29, 29, 29, 29, 30, 30, 30,
    30, 30, 30, 30, 30, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 32,
    32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32,
]  # fmt: skip
GO_SIZE_TO_CLASS128 = [
    32, 33, 34, 35, 36, 37, 37, 38, 38, 39, 39, 40, 40, 40, 41, 41, 41, 42, 43, 43, 44, 44,
    44, 44, 44, 45, 45, 45, 45, 45, 45, 46, 46, 46, 46, 47, 47, 47, 47, 47, 47, 48, 48, 48,
    49, 49, 50, 51, 51, 51, 51, 51, 51, 51, 51, 51, 51, 52, 52, 52, 52, 52, 52, 52, 52, 52,
    52, 53, 53, 54, 54, 54, 54, 55, 55, 55, 55, 55, 56, 56, 56, 56, 56, 56, 56, 56, 56, 56,
    56, 57, 57, 57, 57, 57, 57, 57, 57, 57, 57, 58, 58, 58, 58, 58, 58, 59, 59, 59, 59, 59,
    59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60,
    60, 60, 60, 60, 60, 61, 61, 61, 61, 61, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 63,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
    65, 65, 65, 65, 65, 65, 65, 65, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 67, 67, 67,
    67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67,
    67, 67, 67, 67, 67, 67, 67,
]  # fmt: skip


def go_size_to_class(size: int, noscan: bool) -> int:
    """mallocgc's class selection transcribed from malloc.go (0 = large; tiny -> class 2)."""
    if size > 32768 - 8:
        return 0
    if noscan and size < 16:
        return 2
    if not noscan and size > 512:
        size += 8
    if size <= 1024 - 8:
        return GO_SIZE_TO_CLASS8[(size + 7) // 8]
    return GO_SIZE_TO_CLASS128[(size - 1024 + 127) // 128]


# -- the table -----------------------------------------------------------------------------


def test_class_table_matches_reference() -> None:
    assert NUM_SIZE_CLASSES == 68
    assert len(CLASS_TO_SIZE) == len(CLASS_TO_NPAGES) == len(CLASS_TO_OBJECTS) == 68
    assert list(CLASS_TO_SIZE[1:]) == REFERENCE_SIZES
    assert list(CLASS_TO_NPAGES[1:]) == REFERENCE_NPAGES
    assert list(CLASS_TO_OBJECTS[1:]) == GO_TABLE_OBJECTS
    assert CLASS_TO_SIZE[0] == CLASS_TO_NPAGES[0] == CLASS_TO_OBJECTS[0] == 0


def test_lookup_tables_match_go() -> None:
    assert list(SIZE_TO_CLASS8) == GO_SIZE_TO_CLASS8
    assert list(SIZE_TO_CLASS128) == GO_SIZE_TO_CLASS128


def test_constants() -> None:
    assert PAGE_SIZE == 8192
    assert MAX_SMALL_SIZE == 32768
    assert TINY_SIZE == 16
    assert TINY_SIZE_CLASS == 2
    assert TINY_SPAN_CLASS == 5
    assert span_class(67, False) == 134 and span_class(67, True) == 135


# -- lookups -------------------------------------------------------------------------------


@pytest.mark.parametrize("c", range(1, NUM_SIZE_CLASSES))
def test_class_boundaries_noscan(c: int) -> None:
    s = CLASS_TO_SIZE[c]
    if TINY_SIZE <= s <= 32760:
        assert size_to_class(s, noscan=True) == c
    if s + 1 <= 32760:
        assert size_to_class(s + 1, noscan=True) == c + 1
    if c > 1:
        prev = CLASS_TO_SIZE[c - 1]
        if prev + 1 >= TINY_SIZE:
            assert size_to_class(prev + 1, noscan=True) == c


@pytest.mark.parametrize("c", range(1, NUM_SIZE_CLASSES))
def test_class_boundaries_pointerful(c: int) -> None:
    s = CLASS_TO_SIZE[c]
    # A pointerful object exactly filling a class: a header pushes it up past 512 B.
    want = c if s <= 512 else c + 1 if c < 67 else 0
    assert size_to_class(s, noscan=False) == want
    # The largest pointerful object that fits class c with its header.
    user = s if s <= 512 else s - 8
    if user <= 32760 and (c == 1 or user > 512 or CLASS_TO_SIZE[c - 1] < user):
        assert size_to_class(user, noscan=False) == c
        if user + 1 <= 32760:
            assert size_to_class(user + 1, noscan=False) == c + 1


def test_every_size_matches_mallocgc() -> None:
    for size in range(1, 40_000):
        for noscan in (False, True):
            assert size_to_class(size, noscan) == go_size_to_class(size, noscan), size


def test_malloc_header_rule() -> None:
    assert size_to_class(520, noscan=False) == CLASS_TO_SIZE.index(576)
    assert size_to_class(520, noscan=True) == CLASS_TO_SIZE.index(576)
    assert size_to_class(508, noscan=False) == CLASS_TO_SIZE.index(512)
    assert size_to_class(512, noscan=False) == CLASS_TO_SIZE.index(512)
    assert size_to_class(513, noscan=False) == CLASS_TO_SIZE.index(576)
    assert size_to_class(568, noscan=False) == CLASS_TO_SIZE.index(576)
    assert size_to_class(569, noscan=False) == CLASS_TO_SIZE.index(640)
    assert size_to_class(576, noscan=True) == CLASS_TO_SIZE.index(576)
    assert size_to_class(1016, noscan=False) == CLASS_TO_SIZE.index(1024)
    assert size_to_class(1017, noscan=False) == CLASS_TO_SIZE.index(1152)
    assert not has_malloc_header(512, noscan=False)
    assert has_malloc_header(513, noscan=False)
    assert not has_malloc_header(520, noscan=True)
    assert elem_size(520, noscan=False) == 576
    assert roundupsize(520, noscan=False) == 568
    assert roundupsize(520, noscan=True) == 576
    assert roundupsize(500, noscan=False) == 512


def test_large_objects() -> None:
    # mallocgc: small means size <= maxSmallSize - mallocHeaderSize, noscan or not.
    assert size_to_class(32760, noscan=True) == 67
    assert size_to_class(32760, noscan=False) == 67  # 32760 + 8 header = 32768
    assert size_to_class(32761, noscan=True) == 0
    assert size_to_class(32761, noscan=False) == 0
    assert size_to_class(32768, noscan=True) == 0
    assert size_to_class(10**9, noscan=False) == 0
    assert large_span_bytes(32761) == 32768
    assert large_span_bytes(32769) == 40960
    assert large_span_bytes(40960) == 40960
    assert large_span_bytes(40961) == 49152
    assert large_span_bytes(1) == 8192
    assert elem_size(32768, noscan=True) == 32768  # a 4-page large span, not class 67
    assert elem_size(32761, noscan=False) == 32768
    assert roundupsize(100_000, noscan=True) == 106_496
    assert objects_per_span(0, noscan=False) == 1


def test_zero_size_rejected() -> None:
    with pytest.raises(ValueError):
        size_to_class(0, noscan=True)


def test_tiny_lookup() -> None:
    for s in range(1, 16):
        assert is_tiny(s, noscan=True)
        assert not is_tiny(s, noscan=False)
        assert size_to_class(s, noscan=True) == TINY_SIZE_CLASS
    assert not is_tiny(16, noscan=True)
    assert size_to_class(16, noscan=True) == 2
    assert size_to_class(12, noscan=False) == 2
    assert size_to_class(4, noscan=False) == 1


def test_objects_per_span_green_tea() -> None:
    # initSpan: 128 B inline mark bits for 16..512 B objects; scan spans of <= 512 B also
    # reserve nbytes/64 for the pointer bitmap.
    assert objects_per_span(1, noscan=True) == 1024
    assert objects_per_span(1, noscan=False) == (8192 - 128) // 8
    assert objects_per_span(2, noscan=True) == (8192 - 128) // 16
    assert objects_per_span(2, noscan=False) == (8192 - 256) // 16
    assert objects_per_span(26, noscan=True) == (8192 - 128) // 512
    assert objects_per_span(26, noscan=False) == (8192 - 256) // 512
    assert objects_per_span(2, noscan=False, green_tea=False) == (8192 - 128) // 16
    assert objects_per_span(2, noscan=True, green_tea=False) == 512
    for c in range(27, NUM_SIZE_CLASSES):
        for noscan in (False, True):
            assert objects_per_span(c, noscan) == CLASS_TO_OBJECTS[c]


# -- tiny packing and plans ----------------------------------------------------------------


def test_tiny_packing_simple_mixes() -> None:
    assert tiny_blocks_per_object([(8, 1.0)]) == pytest.approx(0.5)
    assert tiny_blocks_per_object([(1, 1.0)]) == pytest.approx(1 / 16)
    assert tiny_blocks_per_object([(4, 1.0)]) == pytest.approx(0.25)
    assert tiny_blocks_per_object([(15, 1.0)]) == pytest.approx(1.0)
    # 12 B objects: one per block (the second never fits: 12 + 12 > 16).
    assert tiny_blocks_per_object([(12, 1.0)]) == pytest.approx(1.0)
    # 3 B objects are unaligned: 5 per block.
    assert tiny_blocks_per_object([(3, 1.0)]) == pytest.approx(1 / 5)
    # 6 B objects align to 2: offsets 0, 6 -> 12; 5 fit? 12 + 6 > 16: two per block.
    assert tiny_blocks_per_object([(6, 1.0)]) == pytest.approx(0.5)
    assert tiny_blocks_per_object([]) == 0.0
    with pytest.raises(ValueError):
        tiny_blocks_per_object([(16, 1.0)])


def test_tiny_packing_matches_simulation() -> None:
    """The chain's rate equals a direct simulation of mallocgcTiny on a long sequence."""
    import random

    rng = random.Random(7)
    mix = [(1, 1.0), (5, 2.0), (8, 3.0), (12, 1.0), (2, 1.0)]
    sizes = [s for s, _ in mix]
    weights = [w for _, w in mix]
    off, have, blocks, n = 0, False, 0, 200_000
    for s in rng.choices(sizes, weights, k=n):
        align = 8 if s % 8 == 0 else 4 if s % 4 == 0 else 2 if s % 2 == 0 else 1
        aligned = (off + align - 1) // align * align
        if have and aligned + s <= 16:
            off = aligned + s
            continue
        blocks += 1
        if s < off or not have:
            off, have = s, True
    assert tiny_blocks_per_object(mix) == pytest.approx(blocks / n, rel=0.01)


def test_plan_allocation() -> None:
    plan = plan_allocation([(8, 1.0), (12, 1.0), (520, 1.0), (40_000, 1.0)], 0.5)
    by_key = {(e.size_class, e.noscan, e.elem_bytes): e for e in plan.entries}
    # 8 B: pointerful -> class 1; noscan -> tiny.  12 B: pointerful -> class 2; noscan -> tiny.
    assert by_key[(1, False, 8)].object_fraction == pytest.approx(0.125)
    assert by_key[(2, False, 16)].object_fraction == pytest.approx(0.125)
    assert (1, True, 8) not in by_key
    assert plan.tiny_fraction == pytest.approx(0.25)
    assert plan.tiny_request_bytes == pytest.approx(10.0)
    # 520 B: both go to class 27 (576 B).
    e = by_key[(27, False, 576)]
    assert e.object_fraction == pytest.approx(0.125)
    assert e.request_bytes == pytest.approx(520)
    assert e.span_class == 54 and e.objects_per_span == 14 and e.span_bytes == 8192
    assert by_key[(27, True, 576)].span_class == 55
    # 40000 B: large, 5 pages, scan and noscan alike.
    big = by_key[(0, False, 40_960)]
    assert big.span_bytes == 40_960 and big.objects_per_span == 1
    total = sum(e.object_fraction for e in plan.entries) + plan.tiny_fraction
    assert total == pytest.approx(1.0)
    assert plan.mean_request_bytes == pytest.approx((8 + 12 + 520 + 40_000) / 4)
    blocks = tiny_blocks_per_object([(8, 1.0), (12, 1.0)])
    assert plan.tiny_objects_per_block == pytest.approx(1 / blocks)
    assert plan.tiny_block_fraction == pytest.approx(0.25 * blocks)
    heap = 0.125 * (8 + 16) + 0.25 * (576 + 40_960) + 0.25 * blocks * 16
    assert plan.mean_heap_bytes == pytest.approx(heap)
    scan = 0.125 * (8 + 16 + 576 + 40_960)
    assert plan.scan_heap_fraction == pytest.approx(scan / heap)


def test_plan_allocation_accepts_objects_and_validates() -> None:
    class OS:
        def __init__(self, size_bytes: int, weight: float) -> None:
            self.size_bytes = size_bytes
            self.weight = weight

    plan = plan_allocation([OS(64, 3.0), OS(64, 1.0), (100, 0.0)], 1.0)
    assert len(plan.entries) == 1
    assert plan.entries[0].size_class == 6 and not plan.entries[0].noscan
    assert plan.entries[0].object_fraction == pytest.approx(1.0)
    assert plan.tiny_fraction == 0.0 and plan.tiny_objects_per_block == 0.0
    assert plan.scan_heap_fraction == pytest.approx(1.0)
    with pytest.raises(ValueError):
        plan_allocation([(64, 1.0)], 1.5)
    with pytest.raises(ValueError):
        plan_allocation([(0, 1.0)], 0.5)
    with pytest.raises(ValueError):
        plan_allocation([(64, -1.0)], 0.5)
    with pytest.raises(ValueError):
        plan_allocation([(64, 0.0)], 0.5)

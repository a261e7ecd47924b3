from gosim.v1 import config_pb2 as _config_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SpanKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPAN_KIND_UNSPECIFIED: _ClassVar[SpanKind]
    SPAN_KIND_GOROUTINE: _ClassVar[SpanKind]
    SPAN_KIND_ASSIST: _ClassVar[SpanKind]
    SPAN_KIND_DEDICATED: _ClassVar[SpanKind]
    SPAN_KIND_IDLE_MARK: _ClassVar[SpanKind]
    SPAN_KIND_STW_SWEEP_TERM: _ClassVar[SpanKind]
    SPAN_KIND_MARK: _ClassVar[SpanKind]
    SPAN_KIND_STW_MARK_TERM: _ClassVar[SpanKind]
    SPAN_KIND_FRACTIONAL: _ClassVar[SpanKind]

class TriggerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIGGER_KIND_UNSPECIFIED: _ClassVar[TriggerKind]
    TRIGGER_KIND_HEAP: _ClassVar[TriggerKind]
    TRIGGER_KIND_TIME: _ClassVar[TriggerKind]
    TRIGGER_KIND_CYCLE: _ClassVar[TriggerKind]
SPAN_KIND_UNSPECIFIED: SpanKind
SPAN_KIND_GOROUTINE: SpanKind
SPAN_KIND_ASSIST: SpanKind
SPAN_KIND_DEDICATED: SpanKind
SPAN_KIND_IDLE_MARK: SpanKind
SPAN_KIND_STW_SWEEP_TERM: SpanKind
SPAN_KIND_MARK: SpanKind
SPAN_KIND_STW_MARK_TERM: SpanKind
SPAN_KIND_FRACTIONAL: SpanKind
TRIGGER_KIND_UNSPECIFIED: TriggerKind
TRIGGER_KIND_HEAP: TriggerKind
TRIGGER_KIND_TIME: TriggerKind
TRIGGER_KIND_CYCLE: TriggerKind

class Result(_message.Message):
    __slots__ = ("summary", "latency", "pauses", "sched_latency", "cycles", "series", "seed", "gosim_version", "go_version", "trace", "config")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    PAUSES_FIELD_NUMBER: _ClassVar[int]
    SCHED_LATENCY_FIELD_NUMBER: _ClassVar[int]
    CYCLES_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    GOSIM_VERSION_FIELD_NUMBER: _ClassVar[int]
    GO_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    summary: Summary
    latency: Histogram
    pauses: Histogram
    sched_latency: Histogram
    cycles: _containers.RepeatedCompositeFieldContainer[CycleRecord]
    series: TimeSeries
    seed: int
    gosim_version: str
    go_version: str
    trace: Trace
    config: _config_pb2.SimConfig
    def __init__(self, summary: _Optional[_Union[Summary, _Mapping]] = ..., latency: _Optional[_Union[Histogram, _Mapping]] = ..., pauses: _Optional[_Union[Histogram, _Mapping]] = ..., sched_latency: _Optional[_Union[Histogram, _Mapping]] = ..., cycles: _Optional[_Iterable[_Union[CycleRecord, _Mapping]]] = ..., series: _Optional[_Union[TimeSeries, _Mapping]] = ..., seed: _Optional[int] = ..., gosim_version: _Optional[str] = ..., go_version: _Optional[str] = ..., trace: _Optional[_Union[Trace, _Mapping]] = ..., config: _Optional[_Union[_config_pb2.SimConfig, _Mapping]] = ...) -> None: ...

class TraceSpan(_message.Message):
    __slots__ = ("track", "start_ns", "end_ns", "kind", "goroutine", "cycle")
    TRACK_FIELD_NUMBER: _ClassVar[int]
    START_NS_FIELD_NUMBER: _ClassVar[int]
    END_NS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    GOROUTINE_FIELD_NUMBER: _ClassVar[int]
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    track: int
    start_ns: int
    end_ns: int
    kind: SpanKind
    goroutine: int
    cycle: int
    def __init__(self, track: _Optional[int] = ..., start_ns: _Optional[int] = ..., end_ns: _Optional[int] = ..., kind: _Optional[_Union[SpanKind, str]] = ..., goroutine: _Optional[int] = ..., cycle: _Optional[int] = ...) -> None: ...

class Trace(_message.Message):
    __slots__ = ("start_ns", "end_ns", "spans", "truncated")
    START_NS_FIELD_NUMBER: _ClassVar[int]
    END_NS_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    start_ns: int
    end_ns: int
    spans: _containers.RepeatedCompositeFieldContainer[TraceSpan]
    truncated: bool
    def __init__(self, start_ns: _Optional[int] = ..., end_ns: _Optional[int] = ..., spans: _Optional[_Iterable[_Union[TraceSpan, _Mapping]]] = ..., truncated: _Optional[bool] = ...) -> None: ...

class Histogram(_message.Message):
    __slots__ = ("boundaries_seconds", "counts", "count", "sum_ns", "min_ns", "max_ns")
    BOUNDARIES_SECONDS_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SUM_NS_FIELD_NUMBER: _ClassVar[int]
    MIN_NS_FIELD_NUMBER: _ClassVar[int]
    MAX_NS_FIELD_NUMBER: _ClassVar[int]
    boundaries_seconds: _containers.RepeatedScalarFieldContainer[float]
    counts: _containers.RepeatedScalarFieldContainer[int]
    count: int
    sum_ns: int
    min_ns: int
    max_ns: int
    def __init__(self, boundaries_seconds: _Optional[_Iterable[float]] = ..., counts: _Optional[_Iterable[int]] = ..., count: _Optional[int] = ..., sum_ns: _Optional[int] = ..., min_ns: _Optional[int] = ..., max_ns: _Optional[int] = ...) -> None: ...

class Percentiles(_message.Message):
    __slots__ = ("count", "mean_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MEAN_NS_FIELD_NUMBER: _ClassVar[int]
    P50_NS_FIELD_NUMBER: _ClassVar[int]
    P90_NS_FIELD_NUMBER: _ClassVar[int]
    P99_NS_FIELD_NUMBER: _ClassVar[int]
    P999_NS_FIELD_NUMBER: _ClassVar[int]
    MAX_NS_FIELD_NUMBER: _ClassVar[int]
    count: int
    mean_ns: int
    p50_ns: int
    p90_ns: int
    p99_ns: int
    p999_ns: int
    max_ns: int
    def __init__(self, count: _Optional[int] = ..., mean_ns: _Optional[int] = ..., p50_ns: _Optional[int] = ..., p90_ns: _Optional[int] = ..., p99_ns: _Optional[int] = ..., p999_ns: _Optional[int] = ..., max_ns: _Optional[int] = ...) -> None: ...

class LatencyBreakdown(_message.Message):
    __slots__ = ("running_ns", "runnable_ns", "assist_ns", "stw_ns", "io_ns")
    RUNNING_NS_FIELD_NUMBER: _ClassVar[int]
    RUNNABLE_NS_FIELD_NUMBER: _ClassVar[int]
    ASSIST_NS_FIELD_NUMBER: _ClassVar[int]
    STW_NS_FIELD_NUMBER: _ClassVar[int]
    IO_NS_FIELD_NUMBER: _ClassVar[int]
    running_ns: int
    runnable_ns: int
    assist_ns: int
    stw_ns: int
    io_ns: int
    def __init__(self, running_ns: _Optional[int] = ..., runnable_ns: _Optional[int] = ..., assist_ns: _Optional[int] = ..., stw_ns: _Optional[int] = ..., io_ns: _Optional[int] = ...) -> None: ...

class CycleRecord(_message.Message):
    __slots__ = ("n", "start_ns", "kind", "cpu_percent", "stw_sweep_term_clock_ns", "mark_clock_ns", "stw_mark_term_clock_ns", "stw_sweep_term_cpu_ns", "assist_cpu_ns", "dedicated_cpu_ns", "fractional_cpu_ns", "idle_cpu_ns", "stw_mark_term_cpu_ns", "heap_start_bytes", "heap_end_bytes", "heap_marked_bytes", "heap_goal_bytes", "trigger_bytes", "stacks_bytes", "globals_bytes", "heap_scan_work_bytes", "gomaxprocs", "cons_mark", "limiter_enabled", "stop_ns_sweep_term", "stop_ns_mark_term", "gctrace", "stranded_start_bytes", "stranded_bytes", "stranded_margin_bytes", "stranded_refilled_bytes", "stranded_refilled_span_bytes")
    N_FIELD_NUMBER: _ClassVar[int]
    START_NS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    STW_SWEEP_TERM_CLOCK_NS_FIELD_NUMBER: _ClassVar[int]
    MARK_CLOCK_NS_FIELD_NUMBER: _ClassVar[int]
    STW_MARK_TERM_CLOCK_NS_FIELD_NUMBER: _ClassVar[int]
    STW_SWEEP_TERM_CPU_NS_FIELD_NUMBER: _ClassVar[int]
    ASSIST_CPU_NS_FIELD_NUMBER: _ClassVar[int]
    DEDICATED_CPU_NS_FIELD_NUMBER: _ClassVar[int]
    FRACTIONAL_CPU_NS_FIELD_NUMBER: _ClassVar[int]
    IDLE_CPU_NS_FIELD_NUMBER: _ClassVar[int]
    STW_MARK_TERM_CPU_NS_FIELD_NUMBER: _ClassVar[int]
    HEAP_START_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_END_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_MARKED_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_GOAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_BYTES_FIELD_NUMBER: _ClassVar[int]
    STACKS_BYTES_FIELD_NUMBER: _ClassVar[int]
    GLOBALS_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_SCAN_WORK_BYTES_FIELD_NUMBER: _ClassVar[int]
    GOMAXPROCS_FIELD_NUMBER: _ClassVar[int]
    CONS_MARK_FIELD_NUMBER: _ClassVar[int]
    LIMITER_ENABLED_FIELD_NUMBER: _ClassVar[int]
    STOP_NS_SWEEP_TERM_FIELD_NUMBER: _ClassVar[int]
    STOP_NS_MARK_TERM_FIELD_NUMBER: _ClassVar[int]
    GCTRACE_FIELD_NUMBER: _ClassVar[int]
    STRANDED_START_BYTES_FIELD_NUMBER: _ClassVar[int]
    STRANDED_BYTES_FIELD_NUMBER: _ClassVar[int]
    STRANDED_MARGIN_BYTES_FIELD_NUMBER: _ClassVar[int]
    STRANDED_REFILLED_BYTES_FIELD_NUMBER: _ClassVar[int]
    STRANDED_REFILLED_SPAN_BYTES_FIELD_NUMBER: _ClassVar[int]
    n: int
    start_ns: int
    kind: TriggerKind
    cpu_percent: int
    stw_sweep_term_clock_ns: int
    mark_clock_ns: int
    stw_mark_term_clock_ns: int
    stw_sweep_term_cpu_ns: int
    assist_cpu_ns: int
    dedicated_cpu_ns: int
    fractional_cpu_ns: int
    idle_cpu_ns: int
    stw_mark_term_cpu_ns: int
    heap_start_bytes: int
    heap_end_bytes: int
    heap_marked_bytes: int
    heap_goal_bytes: int
    trigger_bytes: int
    stacks_bytes: int
    globals_bytes: int
    heap_scan_work_bytes: int
    gomaxprocs: int
    cons_mark: float
    limiter_enabled: bool
    stop_ns_sweep_term: int
    stop_ns_mark_term: int
    gctrace: str
    stranded_start_bytes: int
    stranded_bytes: int
    stranded_margin_bytes: int
    stranded_refilled_bytes: int
    stranded_refilled_span_bytes: int
    def __init__(self, n: _Optional[int] = ..., start_ns: _Optional[int] = ..., kind: _Optional[_Union[TriggerKind, str]] = ..., cpu_percent: _Optional[int] = ..., stw_sweep_term_clock_ns: _Optional[int] = ..., mark_clock_ns: _Optional[int] = ..., stw_mark_term_clock_ns: _Optional[int] = ..., stw_sweep_term_cpu_ns: _Optional[int] = ..., assist_cpu_ns: _Optional[int] = ..., dedicated_cpu_ns: _Optional[int] = ..., fractional_cpu_ns: _Optional[int] = ..., idle_cpu_ns: _Optional[int] = ..., stw_mark_term_cpu_ns: _Optional[int] = ..., heap_start_bytes: _Optional[int] = ..., heap_end_bytes: _Optional[int] = ..., heap_marked_bytes: _Optional[int] = ..., heap_goal_bytes: _Optional[int] = ..., trigger_bytes: _Optional[int] = ..., stacks_bytes: _Optional[int] = ..., globals_bytes: _Optional[int] = ..., heap_scan_work_bytes: _Optional[int] = ..., gomaxprocs: _Optional[int] = ..., cons_mark: _Optional[float] = ..., limiter_enabled: _Optional[bool] = ..., stop_ns_sweep_term: _Optional[int] = ..., stop_ns_mark_term: _Optional[int] = ..., gctrace: _Optional[str] = ..., stranded_start_bytes: _Optional[int] = ..., stranded_bytes: _Optional[int] = ..., stranded_margin_bytes: _Optional[int] = ..., stranded_refilled_bytes: _Optional[int] = ..., stranded_refilled_span_bytes: _Optional[int] = ...) -> None: ...

class TimeSeries(_message.Message):
    __slots__ = ("interval_ns", "t_ns", "heap_alloc_bytes", "heap_live_bytes", "heap_goal_bytes", "trigger_bytes", "heap_in_use_bytes", "rss_bytes", "goroutines", "runnable_goroutines", "gc_cpu_fraction", "request_rate_per_s", "gc_running")
    INTERVAL_NS_FIELD_NUMBER: _ClassVar[int]
    T_NS_FIELD_NUMBER: _ClassVar[int]
    HEAP_ALLOC_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_LIVE_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_GOAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_IN_USE_BYTES_FIELD_NUMBER: _ClassVar[int]
    RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    GOROUTINES_FIELD_NUMBER: _ClassVar[int]
    RUNNABLE_GOROUTINES_FIELD_NUMBER: _ClassVar[int]
    GC_CPU_FRACTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_RATE_PER_S_FIELD_NUMBER: _ClassVar[int]
    GC_RUNNING_FIELD_NUMBER: _ClassVar[int]
    interval_ns: int
    t_ns: _containers.RepeatedScalarFieldContainer[int]
    heap_alloc_bytes: _containers.RepeatedScalarFieldContainer[int]
    heap_live_bytes: _containers.RepeatedScalarFieldContainer[int]
    heap_goal_bytes: _containers.RepeatedScalarFieldContainer[int]
    trigger_bytes: _containers.RepeatedScalarFieldContainer[int]
    heap_in_use_bytes: _containers.RepeatedScalarFieldContainer[int]
    rss_bytes: _containers.RepeatedScalarFieldContainer[int]
    goroutines: _containers.RepeatedScalarFieldContainer[int]
    runnable_goroutines: _containers.RepeatedScalarFieldContainer[int]
    gc_cpu_fraction: _containers.RepeatedScalarFieldContainer[float]
    request_rate_per_s: _containers.RepeatedScalarFieldContainer[float]
    gc_running: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, interval_ns: _Optional[int] = ..., t_ns: _Optional[_Iterable[int]] = ..., heap_alloc_bytes: _Optional[_Iterable[int]] = ..., heap_live_bytes: _Optional[_Iterable[int]] = ..., heap_goal_bytes: _Optional[_Iterable[int]] = ..., trigger_bytes: _Optional[_Iterable[int]] = ..., heap_in_use_bytes: _Optional[_Iterable[int]] = ..., rss_bytes: _Optional[_Iterable[int]] = ..., goroutines: _Optional[_Iterable[int]] = ..., runnable_goroutines: _Optional[_Iterable[int]] = ..., gc_cpu_fraction: _Optional[_Iterable[float]] = ..., request_rate_per_s: _Optional[_Iterable[float]] = ..., gc_running: _Optional[_Iterable[bool]] = ...) -> None: ...

class GCCPU(_message.Message):
    __slots__ = ("assist_ns", "dedicated_ns", "fractional_ns", "idle_ns", "pause_ns", "scavenge_ns", "user_ns", "idle_p_ns", "total_ns")
    ASSIST_NS_FIELD_NUMBER: _ClassVar[int]
    DEDICATED_NS_FIELD_NUMBER: _ClassVar[int]
    FRACTIONAL_NS_FIELD_NUMBER: _ClassVar[int]
    IDLE_NS_FIELD_NUMBER: _ClassVar[int]
    PAUSE_NS_FIELD_NUMBER: _ClassVar[int]
    SCAVENGE_NS_FIELD_NUMBER: _ClassVar[int]
    USER_NS_FIELD_NUMBER: _ClassVar[int]
    IDLE_P_NS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_NS_FIELD_NUMBER: _ClassVar[int]
    assist_ns: int
    dedicated_ns: int
    fractional_ns: int
    idle_ns: int
    pause_ns: int
    scavenge_ns: int
    user_ns: int
    idle_p_ns: int
    total_ns: int
    def __init__(self, assist_ns: _Optional[int] = ..., dedicated_ns: _Optional[int] = ..., fractional_ns: _Optional[int] = ..., idle_ns: _Optional[int] = ..., pause_ns: _Optional[int] = ..., scavenge_ns: _Optional[int] = ..., user_ns: _Optional[int] = ..., idle_p_ns: _Optional[int] = ..., total_ns: _Optional[int] = ...) -> None: ...

class OOMKill(_message.Message):
    __slots__ = ("at_ns", "rss_bytes", "limit_bytes", "heap_alloc_bytes", "heap_goal_bytes", "goroutines")
    AT_NS_FIELD_NUMBER: _ClassVar[int]
    RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_ALLOC_BYTES_FIELD_NUMBER: _ClassVar[int]
    HEAP_GOAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    GOROUTINES_FIELD_NUMBER: _ClassVar[int]
    at_ns: int
    rss_bytes: int
    limit_bytes: int
    heap_alloc_bytes: int
    heap_goal_bytes: int
    goroutines: int
    def __init__(self, at_ns: _Optional[int] = ..., rss_bytes: _Optional[int] = ..., limit_bytes: _Optional[int] = ..., heap_alloc_bytes: _Optional[int] = ..., heap_goal_bytes: _Optional[int] = ..., goroutines: _Optional[int] = ...) -> None: ...

class MMUPoint(_message.Message):
    __slots__ = ("window_ns", "utilization")
    WINDOW_NS_FIELD_NUMBER: _ClassVar[int]
    UTILIZATION_FIELD_NUMBER: _ClassVar[int]
    window_ns: int
    utilization: float
    def __init__(self, window_ns: _Optional[int] = ..., utilization: _Optional[float] = ...) -> None: ...

class Summary(_message.Message):
    __slots__ = ("simulated_ns", "requests_arrived", "requests_completed", "throughput_per_s", "latency", "breakdown", "pauses", "gc_cpu", "gc_cpu_fraction", "cycles_total", "cycles_heap", "cycles_forced", "peak_heap_alloc_bytes", "peak_heap_goal_bytes", "peak_rss_bytes", "peak_goroutines", "limiter_enabled_ns", "mmu", "oom", "bytes_allocated", "bytes_freed", "objects_allocated", "objects_freed", "heap_objects", "stranded_regime_cycles", "stranded_edge_cycles")
    SIMULATED_NS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_ARRIVED_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    THROUGHPUT_PER_S_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    BREAKDOWN_FIELD_NUMBER: _ClassVar[int]
    PAUSES_FIELD_NUMBER: _ClassVar[int]
    GC_CPU_FIELD_NUMBER: _ClassVar[int]
    GC_CPU_FRACTION_FIELD_NUMBER: _ClassVar[int]
    CYCLES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CYCLES_HEAP_FIELD_NUMBER: _ClassVar[int]
    CYCLES_FORCED_FIELD_NUMBER: _ClassVar[int]
    PEAK_HEAP_ALLOC_BYTES_FIELD_NUMBER: _ClassVar[int]
    PEAK_HEAP_GOAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    PEAK_RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    PEAK_GOROUTINES_FIELD_NUMBER: _ClassVar[int]
    LIMITER_ENABLED_NS_FIELD_NUMBER: _ClassVar[int]
    MMU_FIELD_NUMBER: _ClassVar[int]
    OOM_FIELD_NUMBER: _ClassVar[int]
    BYTES_ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    BYTES_FREED_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FREED_FIELD_NUMBER: _ClassVar[int]
    HEAP_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    STRANDED_REGIME_CYCLES_FIELD_NUMBER: _ClassVar[int]
    STRANDED_EDGE_CYCLES_FIELD_NUMBER: _ClassVar[int]
    simulated_ns: int
    requests_arrived: int
    requests_completed: int
    throughput_per_s: float
    latency: Percentiles
    breakdown: LatencyBreakdown
    pauses: Percentiles
    gc_cpu: GCCPU
    gc_cpu_fraction: float
    cycles_total: int
    cycles_heap: int
    cycles_forced: int
    peak_heap_alloc_bytes: int
    peak_heap_goal_bytes: int
    peak_rss_bytes: int
    peak_goroutines: int
    limiter_enabled_ns: int
    mmu: _containers.RepeatedCompositeFieldContainer[MMUPoint]
    oom: OOMKill
    bytes_allocated: int
    bytes_freed: int
    objects_allocated: int
    objects_freed: int
    heap_objects: int
    stranded_regime_cycles: int
    stranded_edge_cycles: int
    def __init__(self, simulated_ns: _Optional[int] = ..., requests_arrived: _Optional[int] = ..., requests_completed: _Optional[int] = ..., throughput_per_s: _Optional[float] = ..., latency: _Optional[_Union[Percentiles, _Mapping]] = ..., breakdown: _Optional[_Union[LatencyBreakdown, _Mapping]] = ..., pauses: _Optional[_Union[Percentiles, _Mapping]] = ..., gc_cpu: _Optional[_Union[GCCPU, _Mapping]] = ..., gc_cpu_fraction: _Optional[float] = ..., cycles_total: _Optional[int] = ..., cycles_heap: _Optional[int] = ..., cycles_forced: _Optional[int] = ..., peak_heap_alloc_bytes: _Optional[int] = ..., peak_heap_goal_bytes: _Optional[int] = ..., peak_rss_bytes: _Optional[int] = ..., peak_goroutines: _Optional[int] = ..., limiter_enabled_ns: _Optional[int] = ..., mmu: _Optional[_Iterable[_Union[MMUPoint, _Mapping]]] = ..., oom: _Optional[_Union[OOMKill, _Mapping]] = ..., bytes_allocated: _Optional[int] = ..., bytes_freed: _Optional[int] = ..., objects_allocated: _Optional[int] = ..., objects_freed: _Optional[int] = ..., heap_objects: _Optional[int] = ..., stranded_regime_cycles: _Optional[int] = ..., stranded_edge_cycles: _Optional[int] = ...) -> None: ...

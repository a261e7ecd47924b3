from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Lifetime(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIFETIME_UNSPECIFIED: _ClassVar[Lifetime]
    LIFETIME_REQUEST: _ClassVar[Lifetime]
    LIFETIME_TTL: _ClassVar[Lifetime]
    LIFETIME_FOREVER: _ClassVar[Lifetime]

class DistKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIST_KIND_UNSPECIFIED: _ClassVar[DistKind]
    DIST_KIND_CONSTANT: _ClassVar[DistKind]
    DIST_KIND_EXPONENTIAL: _ClassVar[DistKind]
    DIST_KIND_UNIFORM: _ClassVar[DistKind]
    DIST_KIND_LOGNORMAL: _ClassVar[DistKind]
    DIST_KIND_EMPIRICAL: _ClassVar[DistKind]

class ArrivalProcess(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARRIVAL_PROCESS_UNSPECIFIED: _ClassVar[ArrivalProcess]
    ARRIVAL_PROCESS_POISSON: _ClassVar[ArrivalProcess]
    ARRIVAL_PROCESS_CONSTANT: _ClassVar[ArrivalProcess]
LIFETIME_UNSPECIFIED: Lifetime
LIFETIME_REQUEST: Lifetime
LIFETIME_TTL: Lifetime
LIFETIME_FOREVER: Lifetime
DIST_KIND_UNSPECIFIED: DistKind
DIST_KIND_CONSTANT: DistKind
DIST_KIND_EXPONENTIAL: DistKind
DIST_KIND_UNIFORM: DistKind
DIST_KIND_LOGNORMAL: DistKind
DIST_KIND_EMPIRICAL: DistKind
ARRIVAL_PROCESS_UNSPECIFIED: ArrivalProcess
ARRIVAL_PROCESS_POISSON: ArrivalProcess
ARRIVAL_PROCESS_CONSTANT: ArrivalProcess

class SimConfig(_message.Message):
    __slots__ = ("runtime", "workload", "cost", "duration_ns", "seed", "sample_interval_ns", "warmup_ns", "trace_start_ns", "trace_duration_ns", "trace_max_spans")
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    WORKLOAD_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    DURATION_NS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_INTERVAL_NS_FIELD_NUMBER: _ClassVar[int]
    WARMUP_NS_FIELD_NUMBER: _ClassVar[int]
    TRACE_START_NS_FIELD_NUMBER: _ClassVar[int]
    TRACE_DURATION_NS_FIELD_NUMBER: _ClassVar[int]
    TRACE_MAX_SPANS_FIELD_NUMBER: _ClassVar[int]
    runtime: RuntimeConfig
    workload: Workload
    cost: CostModel
    duration_ns: int
    seed: int
    sample_interval_ns: int
    warmup_ns: int
    trace_start_ns: int
    trace_duration_ns: int
    trace_max_spans: int
    def __init__(self, runtime: _Optional[_Union[RuntimeConfig, _Mapping]] = ..., workload: _Optional[_Union[Workload, _Mapping]] = ..., cost: _Optional[_Union[CostModel, _Mapping]] = ..., duration_ns: _Optional[int] = ..., seed: _Optional[int] = ..., sample_interval_ns: _Optional[int] = ..., warmup_ns: _Optional[int] = ..., trace_start_ns: _Optional[int] = ..., trace_duration_ns: _Optional[int] = ..., trace_max_spans: _Optional[int] = ...) -> None: ...

class RuntimeConfig(_message.Message):
    __slots__ = ("gomaxprocs", "gogc", "gomemlimit_bytes", "container_memory_bytes", "num_cpus")
    GOMAXPROCS_FIELD_NUMBER: _ClassVar[int]
    GOGC_FIELD_NUMBER: _ClassVar[int]
    GOMEMLIMIT_BYTES_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    NUM_CPUS_FIELD_NUMBER: _ClassVar[int]
    gomaxprocs: int
    gogc: int
    gomemlimit_bytes: int
    container_memory_bytes: int
    num_cpus: int
    def __init__(self, gomaxprocs: _Optional[int] = ..., gogc: _Optional[int] = ..., gomemlimit_bytes: _Optional[int] = ..., container_memory_bytes: _Optional[int] = ..., num_cpus: _Optional[int] = ...) -> None: ...

class Workload(_message.Message):
    __slots__ = ("request", "open_loop", "closed_loop", "workers", "baseline_heap", "idle_goroutines", "idle_goroutine_stack_bytes", "globals_bytes", "name")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    OPEN_LOOP_FIELD_NUMBER: _ClassVar[int]
    CLOSED_LOOP_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    BASELINE_HEAP_FIELD_NUMBER: _ClassVar[int]
    IDLE_GOROUTINES_FIELD_NUMBER: _ClassVar[int]
    IDLE_GOROUTINE_STACK_BYTES_FIELD_NUMBER: _ClassVar[int]
    GLOBALS_BYTES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    request: Program
    open_loop: OpenLoop
    closed_loop: ClosedLoop
    workers: _containers.RepeatedCompositeFieldContainer[WorkerGroup]
    baseline_heap: BaselineHeap
    idle_goroutines: int
    idle_goroutine_stack_bytes: int
    globals_bytes: int
    name: str
    def __init__(self, request: _Optional[_Union[Program, _Mapping]] = ..., open_loop: _Optional[_Union[OpenLoop, _Mapping]] = ..., closed_loop: _Optional[_Union[ClosedLoop, _Mapping]] = ..., workers: _Optional[_Iterable[_Union[WorkerGroup, _Mapping]]] = ..., baseline_heap: _Optional[_Union[BaselineHeap, _Mapping]] = ..., idle_goroutines: _Optional[int] = ..., idle_goroutine_stack_bytes: _Optional[int] = ..., globals_bytes: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class Program(_message.Message):
    __slots__ = ("steps", "stack_bytes")
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STACK_BYTES_FIELD_NUMBER: _ClassVar[int]
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    stack_bytes: int
    def __init__(self, steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., stack_bytes: _Optional[int] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("compute", "allocate", "io_wait", "pool_get", "pool_put")
    COMPUTE_FIELD_NUMBER: _ClassVar[int]
    ALLOCATE_FIELD_NUMBER: _ClassVar[int]
    IO_WAIT_FIELD_NUMBER: _ClassVar[int]
    POOL_GET_FIELD_NUMBER: _ClassVar[int]
    POOL_PUT_FIELD_NUMBER: _ClassVar[int]
    compute: Compute
    allocate: Allocate
    io_wait: IOWait
    pool_get: PoolGet
    pool_put: PoolPut
    def __init__(self, compute: _Optional[_Union[Compute, _Mapping]] = ..., allocate: _Optional[_Union[Allocate, _Mapping]] = ..., io_wait: _Optional[_Union[IOWait, _Mapping]] = ..., pool_get: _Optional[_Union[PoolGet, _Mapping]] = ..., pool_put: _Optional[_Union[PoolPut, _Mapping]] = ...) -> None: ...

class Compute(_message.Message):
    __slots__ = ("duration_ns",)
    DURATION_NS_FIELD_NUMBER: _ClassVar[int]
    duration_ns: Distribution
    def __init__(self, duration_ns: _Optional[_Union[Distribution, _Mapping]] = ...) -> None: ...

class Allocate(_message.Message):
    __slots__ = ("bytes", "object_sizes", "scannable_fraction", "lifetime", "ttl_ns")
    BYTES_FIELD_NUMBER: _ClassVar[int]
    OBJECT_SIZES_FIELD_NUMBER: _ClassVar[int]
    SCANNABLE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_FIELD_NUMBER: _ClassVar[int]
    TTL_NS_FIELD_NUMBER: _ClassVar[int]
    bytes: Distribution
    object_sizes: _containers.RepeatedCompositeFieldContainer[ObjectSize]
    scannable_fraction: float
    lifetime: Lifetime
    ttl_ns: int
    def __init__(self, bytes: _Optional[_Union[Distribution, _Mapping]] = ..., object_sizes: _Optional[_Iterable[_Union[ObjectSize, _Mapping]]] = ..., scannable_fraction: _Optional[float] = ..., lifetime: _Optional[_Union[Lifetime, str]] = ..., ttl_ns: _Optional[int] = ...) -> None: ...

class IOWait(_message.Message):
    __slots__ = ("duration_ns",)
    DURATION_NS_FIELD_NUMBER: _ClassVar[int]
    duration_ns: Distribution
    def __init__(self, duration_ns: _Optional[_Union[Distribution, _Mapping]] = ...) -> None: ...

class PoolGet(_message.Message):
    __slots__ = ("pool", "object_bytes", "scannable")
    POOL_FIELD_NUMBER: _ClassVar[int]
    OBJECT_BYTES_FIELD_NUMBER: _ClassVar[int]
    SCANNABLE_FIELD_NUMBER: _ClassVar[int]
    pool: str
    object_bytes: int
    scannable: bool
    def __init__(self, pool: _Optional[str] = ..., object_bytes: _Optional[int] = ..., scannable: _Optional[bool] = ...) -> None: ...

class PoolPut(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: str
    def __init__(self, pool: _Optional[str] = ...) -> None: ...

class ObjectSize(_message.Message):
    __slots__ = ("size_bytes", "weight")
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    size_bytes: int
    weight: float
    def __init__(self, size_bytes: _Optional[int] = ..., weight: _Optional[float] = ...) -> None: ...

class Distribution(_message.Message):
    __slots__ = ("kind", "value", "mean", "low", "high", "median", "sigma", "values", "weights")
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_FIELD_NUMBER: _ClassVar[int]
    SIGMA_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    kind: DistKind
    value: float
    mean: float
    low: float
    high: float
    median: float
    sigma: float
    values: _containers.RepeatedScalarFieldContainer[float]
    weights: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, kind: _Optional[_Union[DistKind, str]] = ..., value: _Optional[float] = ..., mean: _Optional[float] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., median: _Optional[float] = ..., sigma: _Optional[float] = ..., values: _Optional[_Iterable[float]] = ..., weights: _Optional[_Iterable[float]] = ...) -> None: ...

class RatePoint(_message.Message):
    __slots__ = ("at_ns", "rate_per_s")
    AT_NS_FIELD_NUMBER: _ClassVar[int]
    RATE_PER_S_FIELD_NUMBER: _ClassVar[int]
    at_ns: int
    rate_per_s: float
    def __init__(self, at_ns: _Optional[int] = ..., rate_per_s: _Optional[float] = ...) -> None: ...

class OpenLoop(_message.Message):
    __slots__ = ("rate_per_s", "process", "schedule", "interpolate")
    RATE_PER_S_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    INTERPOLATE_FIELD_NUMBER: _ClassVar[int]
    rate_per_s: float
    process: ArrivalProcess
    schedule: _containers.RepeatedCompositeFieldContainer[RatePoint]
    interpolate: bool
    def __init__(self, rate_per_s: _Optional[float] = ..., process: _Optional[_Union[ArrivalProcess, str]] = ..., schedule: _Optional[_Iterable[_Union[RatePoint, _Mapping]]] = ..., interpolate: _Optional[bool] = ...) -> None: ...

class ClosedLoop(_message.Message):
    __slots__ = ("clients", "think_ns")
    CLIENTS_FIELD_NUMBER: _ClassVar[int]
    THINK_NS_FIELD_NUMBER: _ClassVar[int]
    clients: int
    think_ns: Distribution
    def __init__(self, clients: _Optional[int] = ..., think_ns: _Optional[_Union[Distribution, _Mapping]] = ...) -> None: ...

class WorkerGroup(_message.Message):
    __slots__ = ("count", "program", "period_ns")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    PERIOD_NS_FIELD_NUMBER: _ClassVar[int]
    count: int
    program: Program
    period_ns: int
    def __init__(self, count: _Optional[int] = ..., program: _Optional[_Union[Program, _Mapping]] = ..., period_ns: _Optional[int] = ...) -> None: ...

class BaselineHeap(_message.Message):
    __slots__ = ("live_bytes", "object_bytes", "scannable_fraction", "churn_bytes_per_s")
    LIVE_BYTES_FIELD_NUMBER: _ClassVar[int]
    OBJECT_BYTES_FIELD_NUMBER: _ClassVar[int]
    SCANNABLE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    CHURN_BYTES_PER_S_FIELD_NUMBER: _ClassVar[int]
    live_bytes: int
    object_bytes: int
    scannable_fraction: float
    churn_bytes_per_s: float
    def __init__(self, live_bytes: _Optional[int] = ..., object_bytes: _Optional[int] = ..., scannable_fraction: _Optional[float] = ..., churn_bytes_per_s: _Optional[float] = ...) -> None: ...

class CostModel(_message.Message):
    __slots__ = ("alloc_ns_per_object", "alloc_ns_per_byte", "refill_ns", "large_alloc_ns", "heap_grow_ns_per_mib", "scan_ns_per_byte", "large_scan_ns_per_byte", "noscan_mark_fraction", "write_barrier_slowdown", "stw_sweep_term_ns", "stw_mark_term_ns", "stw_per_p_ns", "stop_running_ns", "sweep_ns_per_span", "scavenge_ns_per_page", "goroutine_create_ns", "context_switch_ns", "wakeup_ns", "mark_alloc_slowdown", "wakeup_latency_ns", "wakeup_latency_sigma", "wakeup_latency_tail_fraction", "wakeup_latency_tail_ns", "os_tick_ns", "os_tick_wait_fraction", "runtime_base_bytes", "metadata_fraction")
    ALLOC_NS_PER_OBJECT_FIELD_NUMBER: _ClassVar[int]
    ALLOC_NS_PER_BYTE_FIELD_NUMBER: _ClassVar[int]
    REFILL_NS_FIELD_NUMBER: _ClassVar[int]
    LARGE_ALLOC_NS_FIELD_NUMBER: _ClassVar[int]
    HEAP_GROW_NS_PER_MIB_FIELD_NUMBER: _ClassVar[int]
    SCAN_NS_PER_BYTE_FIELD_NUMBER: _ClassVar[int]
    LARGE_SCAN_NS_PER_BYTE_FIELD_NUMBER: _ClassVar[int]
    NOSCAN_MARK_FRACTION_FIELD_NUMBER: _ClassVar[int]
    WRITE_BARRIER_SLOWDOWN_FIELD_NUMBER: _ClassVar[int]
    STW_SWEEP_TERM_NS_FIELD_NUMBER: _ClassVar[int]
    STW_MARK_TERM_NS_FIELD_NUMBER: _ClassVar[int]
    STW_PER_P_NS_FIELD_NUMBER: _ClassVar[int]
    STOP_RUNNING_NS_FIELD_NUMBER: _ClassVar[int]
    SWEEP_NS_PER_SPAN_FIELD_NUMBER: _ClassVar[int]
    SCAVENGE_NS_PER_PAGE_FIELD_NUMBER: _ClassVar[int]
    GOROUTINE_CREATE_NS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_SWITCH_NS_FIELD_NUMBER: _ClassVar[int]
    WAKEUP_NS_FIELD_NUMBER: _ClassVar[int]
    MARK_ALLOC_SLOWDOWN_FIELD_NUMBER: _ClassVar[int]
    WAKEUP_LATENCY_NS_FIELD_NUMBER: _ClassVar[int]
    WAKEUP_LATENCY_SIGMA_FIELD_NUMBER: _ClassVar[int]
    WAKEUP_LATENCY_TAIL_FRACTION_FIELD_NUMBER: _ClassVar[int]
    WAKEUP_LATENCY_TAIL_NS_FIELD_NUMBER: _ClassVar[int]
    OS_TICK_NS_FIELD_NUMBER: _ClassVar[int]
    OS_TICK_WAIT_FRACTION_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_BASE_BYTES_FIELD_NUMBER: _ClassVar[int]
    METADATA_FRACTION_FIELD_NUMBER: _ClassVar[int]
    alloc_ns_per_object: float
    alloc_ns_per_byte: float
    refill_ns: int
    large_alloc_ns: int
    heap_grow_ns_per_mib: int
    scan_ns_per_byte: float
    large_scan_ns_per_byte: float
    noscan_mark_fraction: float
    write_barrier_slowdown: float
    stw_sweep_term_ns: int
    stw_mark_term_ns: int
    stw_per_p_ns: int
    stop_running_ns: int
    sweep_ns_per_span: int
    scavenge_ns_per_page: int
    goroutine_create_ns: int
    context_switch_ns: int
    wakeup_ns: int
    mark_alloc_slowdown: float
    wakeup_latency_ns: int
    wakeup_latency_sigma: float
    wakeup_latency_tail_fraction: float
    wakeup_latency_tail_ns: int
    os_tick_ns: int
    os_tick_wait_fraction: float
    runtime_base_bytes: int
    metadata_fraction: float
    def __init__(self, alloc_ns_per_object: _Optional[float] = ..., alloc_ns_per_byte: _Optional[float] = ..., refill_ns: _Optional[int] = ..., large_alloc_ns: _Optional[int] = ..., heap_grow_ns_per_mib: _Optional[int] = ..., scan_ns_per_byte: _Optional[float] = ..., large_scan_ns_per_byte: _Optional[float] = ..., noscan_mark_fraction: _Optional[float] = ..., write_barrier_slowdown: _Optional[float] = ..., stw_sweep_term_ns: _Optional[int] = ..., stw_mark_term_ns: _Optional[int] = ..., stw_per_p_ns: _Optional[int] = ..., stop_running_ns: _Optional[int] = ..., sweep_ns_per_span: _Optional[int] = ..., scavenge_ns_per_page: _Optional[int] = ..., goroutine_create_ns: _Optional[int] = ..., context_switch_ns: _Optional[int] = ..., wakeup_ns: _Optional[int] = ..., mark_alloc_slowdown: _Optional[float] = ..., wakeup_latency_ns: _Optional[int] = ..., wakeup_latency_sigma: _Optional[float] = ..., wakeup_latency_tail_fraction: _Optional[float] = ..., wakeup_latency_tail_ns: _Optional[int] = ..., os_tick_ns: _Optional[int] = ..., os_tick_wait_fraction: _Optional[float] = ..., runtime_base_bytes: _Optional[int] = ..., metadata_fraction: _Optional[float] = ...) -> None: ...

import datetime

from gosim.v1 import config_pb2 as _config_pb2
from gosim.v1 import result_pb2 as _result_pb2
from gosim.v1 import simulator_pb2 as _simulator_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AxisScale(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AXIS_SCALE_UNSPECIFIED: _ClassVar[AxisScale]
    AXIS_SCALE_LINEAR: _ClassVar[AxisScale]
    AXIS_SCALE_LOG: _ClassVar[AxisScale]

class Sampling(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SAMPLING_UNSPECIFIED: _ClassVar[Sampling]
    SAMPLING_RANDOM: _ClassVar[Sampling]
    SAMPLING_LATIN_HYPERCUBE: _ClassVar[Sampling]
AXIS_SCALE_UNSPECIFIED: AxisScale
AXIS_SCALE_LINEAR: AxisScale
AXIS_SCALE_LOG: AxisScale
SAMPLING_UNSPECIFIED: Sampling
SAMPLING_RANDOM: Sampling
SAMPLING_LATIN_HYPERCUBE: Sampling

class AxisValue(_message.Message):
    __slots__ = ("int_value", "double_value", "string_value")
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    int_value: int
    double_value: float
    string_value: str
    def __init__(self, int_value: _Optional[int] = ..., double_value: _Optional[float] = ..., string_value: _Optional[str] = ...) -> None: ...

class AxisValues(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[AxisValue]
    def __init__(self, values: _Optional[_Iterable[_Union[AxisValue, _Mapping]]] = ...) -> None: ...

class AxisRange(_message.Message):
    __slots__ = ("start", "stop", "step", "count", "scale")
    START_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    start: float
    stop: float
    step: float
    count: int
    scale: AxisScale
    def __init__(self, start: _Optional[float] = ..., stop: _Optional[float] = ..., step: _Optional[float] = ..., count: _Optional[int] = ..., scale: _Optional[_Union[AxisScale, str]] = ...) -> None: ...

class AxisSample(_message.Message):
    __slots__ = ("low", "high", "scale")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    low: float
    high: float
    scale: AxisScale
    def __init__(self, low: _Optional[float] = ..., high: _Optional[float] = ..., scale: _Optional[_Union[AxisScale, str]] = ...) -> None: ...

class Axis(_message.Message):
    __slots__ = ("path", "name", "values", "range", "sample")
    PATH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    path: str
    name: str
    values: AxisValues
    range: AxisRange
    sample: AxisSample
    def __init__(self, path: _Optional[str] = ..., name: _Optional[str] = ..., values: _Optional[_Union[AxisValues, _Mapping]] = ..., range: _Optional[_Union[AxisRange, _Mapping]] = ..., sample: _Optional[_Union[AxisSample, _Mapping]] = ...) -> None: ...

class SweepSpec(_message.Message):
    __slots__ = ("base", "axes", "replications", "sampling", "samples", "seed")
    BASE_FIELD_NUMBER: _ClassVar[int]
    AXES_FIELD_NUMBER: _ClassVar[int]
    REPLICATIONS_FIELD_NUMBER: _ClassVar[int]
    SAMPLING_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    base: _config_pb2.SimConfig
    axes: _containers.RepeatedCompositeFieldContainer[Axis]
    replications: int
    sampling: Sampling
    samples: int
    seed: int
    def __init__(self, base: _Optional[_Union[_config_pb2.SimConfig, _Mapping]] = ..., axes: _Optional[_Iterable[_Union[Axis, _Mapping]]] = ..., replications: _Optional[int] = ..., sampling: _Optional[_Union[Sampling, str]] = ..., samples: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class Coordinate(_message.Message):
    __slots__ = ("path", "name", "value", "number", "label")
    PATH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    path: str
    name: str
    value: AxisValue
    number: float
    label: str
    def __init__(self, path: _Optional[str] = ..., name: _Optional[str] = ..., value: _Optional[_Union[AxisValue, _Mapping]] = ..., number: _Optional[float] = ..., label: _Optional[str] = ...) -> None: ...

class Metric(_message.Message):
    __slots__ = ("name", "mean", "stddev", "ci_low", "ci_high", "count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    STDDEV_FIELD_NUMBER: _ClassVar[int]
    CI_LOW_FIELD_NUMBER: _ClassVar[int]
    CI_HIGH_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    mean: float
    stddev: float
    ci_low: float
    ci_high: float
    count: int
    def __init__(self, name: _Optional[str] = ..., mean: _Optional[float] = ..., stddev: _Optional[float] = ..., ci_low: _Optional[float] = ..., ci_high: _Optional[float] = ..., count: _Optional[int] = ...) -> None: ...

class Run(_message.Message):
    __slots__ = ("replication", "seed", "summary", "error", "wall_ns")
    REPLICATION_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    WALL_NS_FIELD_NUMBER: _ClassVar[int]
    replication: int
    seed: int
    summary: _result_pb2.Summary
    error: str
    wall_ns: int
    def __init__(self, replication: _Optional[int] = ..., seed: _Optional[int] = ..., summary: _Optional[_Union[_result_pb2.Summary, _Mapping]] = ..., error: _Optional[str] = ..., wall_ns: _Optional[int] = ...) -> None: ...

class SweepPoint(_message.Message):
    __slots__ = ("index", "coordinates", "config", "metrics", "runs", "failed_runs")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    COORDINATES_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    FAILED_RUNS_FIELD_NUMBER: _ClassVar[int]
    index: int
    coordinates: _containers.RepeatedCompositeFieldContainer[Coordinate]
    config: _config_pb2.SimConfig
    metrics: _containers.RepeatedCompositeFieldContainer[Metric]
    runs: _containers.RepeatedCompositeFieldContainer[Run]
    failed_runs: int
    def __init__(self, index: _Optional[int] = ..., coordinates: _Optional[_Iterable[_Union[Coordinate, _Mapping]]] = ..., config: _Optional[_Union[_config_pb2.SimConfig, _Mapping]] = ..., metrics: _Optional[_Iterable[_Union[Metric, _Mapping]]] = ..., runs: _Optional[_Iterable[_Union[Run, _Mapping]]] = ..., failed_runs: _Optional[int] = ...) -> None: ...

class SweepJob(_message.Message):
    __slots__ = ("id", "state", "label", "spec", "create_time", "start_time", "finish_time", "total_points", "completed_points", "total_runs", "failed_runs", "error", "engine", "resumes")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_POINTS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_POINTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RUNS_FIELD_NUMBER: _ClassVar[int]
    FAILED_RUNS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    RESUMES_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: _simulator_pb2.JobState
    label: str
    spec: SweepSpec
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    total_points: int
    completed_points: int
    total_runs: int
    failed_runs: int
    error: str
    engine: str
    resumes: int
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[_simulator_pb2.JobState, str]] = ..., label: _Optional[str] = ..., spec: _Optional[_Union[SweepSpec, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total_points: _Optional[int] = ..., completed_points: _Optional[int] = ..., total_runs: _Optional[int] = ..., failed_runs: _Optional[int] = ..., error: _Optional[str] = ..., engine: _Optional[str] = ..., resumes: _Optional[int] = ...) -> None: ...

class SweepRequest(_message.Message):
    __slots__ = ("spec", "label")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    spec: SweepSpec
    label: str
    def __init__(self, spec: _Optional[_Union[SweepSpec, _Mapping]] = ..., label: _Optional[str] = ...) -> None: ...

class SweepResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: SweepJob
    def __init__(self, job: _Optional[_Union[SweepJob, _Mapping]] = ...) -> None: ...

class GetSweepRequest(_message.Message):
    __slots__ = ("id", "include_points")
    ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_POINTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    include_points: bool
    def __init__(self, id: _Optional[str] = ..., include_points: _Optional[bool] = ...) -> None: ...

class GetSweepResponse(_message.Message):
    __slots__ = ("job", "points")
    JOB_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    job: SweepJob
    points: _containers.RepeatedCompositeFieldContainer[SweepPoint]
    def __init__(self, job: _Optional[_Union[SweepJob, _Mapping]] = ..., points: _Optional[_Iterable[_Union[SweepPoint, _Mapping]]] = ...) -> None: ...

class ListSweepsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSweepsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[SweepJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[SweepJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelSweepRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CancelSweepResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: SweepJob
    def __init__(self, job: _Optional[_Union[SweepJob, _Mapping]] = ...) -> None: ...

class WatchSweepRequest(_message.Message):
    __slots__ = ("id", "skip_completed_points")
    ID_FIELD_NUMBER: _ClassVar[int]
    SKIP_COMPLETED_POINTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    skip_completed_points: bool
    def __init__(self, id: _Optional[str] = ..., skip_completed_points: _Optional[bool] = ...) -> None: ...

class WatchSweepResponse(_message.Message):
    __slots__ = ("job", "point")
    JOB_FIELD_NUMBER: _ClassVar[int]
    POINT_FIELD_NUMBER: _ClassVar[int]
    job: SweepJob
    point: SweepPoint
    def __init__(self, job: _Optional[_Union[SweepJob, _Mapping]] = ..., point: _Optional[_Union[SweepPoint, _Mapping]] = ...) -> None: ...

class SLO(_message.Message):
    __slots__ = ("max_latency_p99_ns", "max_gc_cpu_fraction", "allow_oom", "min_completion_ratio", "conservative")
    MAX_LATENCY_P99_NS_FIELD_NUMBER: _ClassVar[int]
    MAX_GC_CPU_FRACTION_FIELD_NUMBER: _ClassVar[int]
    ALLOW_OOM_FIELD_NUMBER: _ClassVar[int]
    MIN_COMPLETION_RATIO_FIELD_NUMBER: _ClassVar[int]
    CONSERVATIVE_FIELD_NUMBER: _ClassVar[int]
    max_latency_p99_ns: int
    max_gc_cpu_fraction: float
    allow_oom: bool
    min_completion_ratio: float
    conservative: bool
    def __init__(self, max_latency_p99_ns: _Optional[int] = ..., max_gc_cpu_fraction: _Optional[float] = ..., allow_oom: _Optional[bool] = ..., min_completion_ratio: _Optional[float] = ..., conservative: _Optional[bool] = ...) -> None: ...

class MaxRateQuestion(_message.Message):
    __slots__ = ("slo", "start_rate_per_s", "max_rate_per_s", "tolerance")
    SLO_FIELD_NUMBER: _ClassVar[int]
    START_RATE_PER_S_FIELD_NUMBER: _ClassVar[int]
    MAX_RATE_PER_S_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    slo: SLO
    start_rate_per_s: float
    max_rate_per_s: float
    tolerance: float
    def __init__(self, slo: _Optional[_Union[SLO, _Mapping]] = ..., start_rate_per_s: _Optional[float] = ..., max_rate_per_s: _Optional[float] = ..., tolerance: _Optional[float] = ...) -> None: ...

class MinProcsQuestion(_message.Message):
    __slots__ = ("slo", "rate_per_s", "max_gomaxprocs")
    SLO_FIELD_NUMBER: _ClassVar[int]
    RATE_PER_S_FIELD_NUMBER: _ClassVar[int]
    MAX_GOMAXPROCS_FIELD_NUMBER: _ClassVar[int]
    slo: SLO
    rate_per_s: float
    max_gomaxprocs: int
    def __init__(self, slo: _Optional[_Union[SLO, _Mapping]] = ..., rate_per_s: _Optional[float] = ..., max_gomaxprocs: _Optional[int] = ...) -> None: ...

class MinMemoryQuestion(_message.Message):
    __slots__ = ("horizon_ns", "start_bytes", "max_bytes", "granularity_bytes")
    HORIZON_NS_FIELD_NUMBER: _ClassVar[int]
    START_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    GRANULARITY_BYTES_FIELD_NUMBER: _ClassVar[int]
    horizon_ns: int
    start_bytes: int
    max_bytes: int
    granularity_bytes: int
    def __init__(self, horizon_ns: _Optional[int] = ..., start_bytes: _Optional[int] = ..., max_bytes: _Optional[int] = ..., granularity_bytes: _Optional[int] = ...) -> None: ...

class MinGcCpuQuestion(_message.Message):
    __slots__ = ("memory_budget_bytes", "gogc", "gomemlimit", "slo", "refine_rounds")
    MEMORY_BUDGET_BYTES_FIELD_NUMBER: _ClassVar[int]
    GOGC_FIELD_NUMBER: _ClassVar[int]
    GOMEMLIMIT_FIELD_NUMBER: _ClassVar[int]
    SLO_FIELD_NUMBER: _ClassVar[int]
    REFINE_ROUNDS_FIELD_NUMBER: _ClassVar[int]
    memory_budget_bytes: int
    gogc: _containers.RepeatedCompositeFieldContainer[AxisValue]
    gomemlimit: _containers.RepeatedCompositeFieldContainer[AxisValue]
    slo: SLO
    refine_rounds: int
    def __init__(self, memory_budget_bytes: _Optional[int] = ..., gogc: _Optional[_Iterable[_Union[AxisValue, _Mapping]]] = ..., gomemlimit: _Optional[_Iterable[_Union[AxisValue, _Mapping]]] = ..., slo: _Optional[_Union[SLO, _Mapping]] = ..., refine_rounds: _Optional[int] = ...) -> None: ...

class PlanRequest(_message.Message):
    __slots__ = ("base", "replications", "seed", "max_rate", "min_procs", "min_memory", "min_gc_cpu")
    BASE_FIELD_NUMBER: _ClassVar[int]
    REPLICATIONS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    MAX_RATE_FIELD_NUMBER: _ClassVar[int]
    MIN_PROCS_FIELD_NUMBER: _ClassVar[int]
    MIN_MEMORY_FIELD_NUMBER: _ClassVar[int]
    MIN_GC_CPU_FIELD_NUMBER: _ClassVar[int]
    base: _config_pb2.SimConfig
    replications: int
    seed: int
    max_rate: MaxRateQuestion
    min_procs: MinProcsQuestion
    min_memory: MinMemoryQuestion
    min_gc_cpu: MinGcCpuQuestion
    def __init__(self, base: _Optional[_Union[_config_pb2.SimConfig, _Mapping]] = ..., replications: _Optional[int] = ..., seed: _Optional[int] = ..., max_rate: _Optional[_Union[MaxRateQuestion, _Mapping]] = ..., min_procs: _Optional[_Union[MinProcsQuestion, _Mapping]] = ..., min_memory: _Optional[_Union[MinMemoryQuestion, _Mapping]] = ..., min_gc_cpu: _Optional[_Union[MinGcCpuQuestion, _Mapping]] = ...) -> None: ...

class PlanStep(_message.Message):
    __slots__ = ("point", "feasible", "reason", "step")
    POINT_FIELD_NUMBER: _ClassVar[int]
    FEASIBLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    point: SweepPoint
    feasible: bool
    reason: str
    step: int
    def __init__(self, point: _Optional[_Union[SweepPoint, _Mapping]] = ..., feasible: _Optional[bool] = ..., reason: _Optional[str] = ..., step: _Optional[int] = ...) -> None: ...

class PlanAnswer(_message.Message):
    __slots__ = ("found", "answer", "at_answer", "neighbour", "bracket_pass", "bracket_fail", "replications", "evaluated", "explanation", "question", "total_runs")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    AT_ANSWER_FIELD_NUMBER: _ClassVar[int]
    NEIGHBOUR_FIELD_NUMBER: _ClassVar[int]
    BRACKET_PASS_FIELD_NUMBER: _ClassVar[int]
    BRACKET_FAIL_FIELD_NUMBER: _ClassVar[int]
    REPLICATIONS_FIELD_NUMBER: _ClassVar[int]
    EVALUATED_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RUNS_FIELD_NUMBER: _ClassVar[int]
    found: bool
    answer: _containers.RepeatedCompositeFieldContainer[Coordinate]
    at_answer: PlanStep
    neighbour: PlanStep
    bracket_pass: float
    bracket_fail: float
    replications: int
    evaluated: _containers.RepeatedCompositeFieldContainer[PlanStep]
    explanation: str
    question: str
    total_runs: int
    def __init__(self, found: _Optional[bool] = ..., answer: _Optional[_Iterable[_Union[Coordinate, _Mapping]]] = ..., at_answer: _Optional[_Union[PlanStep, _Mapping]] = ..., neighbour: _Optional[_Union[PlanStep, _Mapping]] = ..., bracket_pass: _Optional[float] = ..., bracket_fail: _Optional[float] = ..., replications: _Optional[int] = ..., evaluated: _Optional[_Iterable[_Union[PlanStep, _Mapping]]] = ..., explanation: _Optional[str] = ..., question: _Optional[str] = ..., total_runs: _Optional[int] = ...) -> None: ...

class PlanResponse(_message.Message):
    __slots__ = ("step", "answer")
    STEP_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    step: PlanStep
    answer: PlanAnswer
    def __init__(self, step: _Optional[_Union[PlanStep, _Mapping]] = ..., answer: _Optional[_Union[PlanAnswer, _Mapping]] = ...) -> None: ...

import datetime

from gosim.v1 import config_pb2 as _config_pb2
from gosim.v1 import result_pb2 as _result_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState

class SimulateRequest(_message.Message):
    __slots__ = ("config",)
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: _config_pb2.SimConfig
    def __init__(self, config: _Optional[_Union[_config_pb2.SimConfig, _Mapping]] = ...) -> None: ...

class SimulateResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _result_pb2.Result
    def __init__(self, result: _Optional[_Union[_result_pb2.Result, _Mapping]] = ...) -> None: ...

class StreamSimulateRequest(_message.Message):
    __slots__ = ("config",)
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: _config_pb2.SimConfig
    def __init__(self, config: _Optional[_Union[_config_pb2.SimConfig, _Mapping]] = ...) -> None: ...

class StreamSimulateResponse(_message.Message):
    __slots__ = ("progress", "cycle", "result")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    progress: Progress
    cycle: _result_pb2.CycleRecord
    result: _result_pb2.Result
    def __init__(self, progress: _Optional[_Union[Progress, _Mapping]] = ..., cycle: _Optional[_Union[_result_pb2.CycleRecord, _Mapping]] = ..., result: _Optional[_Union[_result_pb2.Result, _Mapping]] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("simulated_ns", "duration_ns", "cycles", "requests_completed", "fraction", "elapsed_ns", "eta_ns")
    SIMULATED_NS_FIELD_NUMBER: _ClassVar[int]
    DURATION_NS_FIELD_NUMBER: _ClassVar[int]
    CYCLES_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_NS_FIELD_NUMBER: _ClassVar[int]
    ETA_NS_FIELD_NUMBER: _ClassVar[int]
    simulated_ns: int
    duration_ns: int
    cycles: int
    requests_completed: int
    fraction: float
    elapsed_ns: int
    eta_ns: int
    def __init__(self, simulated_ns: _Optional[int] = ..., duration_ns: _Optional[int] = ..., cycles: _Optional[int] = ..., requests_completed: _Optional[int] = ..., fraction: _Optional[float] = ..., elapsed_ns: _Optional[int] = ..., eta_ns: _Optional[int] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "state", "label", "config", "create_time", "start_time", "finish_time", "progress", "error", "attempts", "result")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: JobState
    label: str
    config: _config_pb2.SimConfig
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    progress: Progress
    error: str
    attempts: int
    result: _result_pb2.Result
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., label: _Optional[str] = ..., config: _Optional[_Union[_config_pb2.SimConfig, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., error: _Optional[str] = ..., attempts: _Optional[int] = ..., result: _Optional[_Union[_result_pb2.Result, _Mapping]] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("config", "label")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    config: _config_pb2.SimConfig
    label: str
    def __init__(self, config: _Optional[_Union[_config_pb2.SimConfig, _Mapping]] = ..., label: _Optional[str] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "states")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[JobState]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[JobState, str]]] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class WatchJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class GetModelInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetModelInfoResponse(_message.Message):
    __slots__ = ("gosim_version", "go_version", "default_cost_model", "default_config", "limits")
    GOSIM_VERSION_FIELD_NUMBER: _ClassVar[int]
    GO_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_COST_MODEL_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_CONFIG_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    gosim_version: str
    go_version: str
    default_cost_model: _config_pb2.CostModel
    default_config: _config_pb2.SimConfig
    limits: ServerLimits
    def __init__(self, gosim_version: _Optional[str] = ..., go_version: _Optional[str] = ..., default_cost_model: _Optional[_Union[_config_pb2.CostModel, _Mapping]] = ..., default_config: _Optional[_Union[_config_pb2.SimConfig, _Mapping]] = ..., limits: _Optional[_Union[ServerLimits, _Mapping]] = ...) -> None: ...

class ServerLimits(_message.Message):
    __slots__ = ("max_duration_ns", "max_expected_events", "max_expected_requests", "max_gomaxprocs", "max_goroutines", "max_concurrent_jobs", "max_message_bytes", "max_series_samples", "max_wall_time_ns", "workers", "max_trace_spans", "max_sweep_points", "max_sweep_runs")
    MAX_DURATION_NS_FIELD_NUMBER: _ClassVar[int]
    MAX_EXPECTED_EVENTS_FIELD_NUMBER: _ClassVar[int]
    MAX_EXPECTED_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    MAX_GOMAXPROCS_FIELD_NUMBER: _ClassVar[int]
    MAX_GOROUTINES_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_JOBS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_SERIES_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    MAX_WALL_TIME_NS_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    MAX_TRACE_SPANS_FIELD_NUMBER: _ClassVar[int]
    MAX_SWEEP_POINTS_FIELD_NUMBER: _ClassVar[int]
    MAX_SWEEP_RUNS_FIELD_NUMBER: _ClassVar[int]
    max_duration_ns: int
    max_expected_events: int
    max_expected_requests: int
    max_gomaxprocs: int
    max_goroutines: int
    max_concurrent_jobs: int
    max_message_bytes: int
    max_series_samples: int
    max_wall_time_ns: int
    workers: int
    max_trace_spans: int
    max_sweep_points: int
    max_sweep_runs: int
    def __init__(self, max_duration_ns: _Optional[int] = ..., max_expected_events: _Optional[int] = ..., max_expected_requests: _Optional[int] = ..., max_gomaxprocs: _Optional[int] = ..., max_goroutines: _Optional[int] = ..., max_concurrent_jobs: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., max_series_samples: _Optional[int] = ..., max_wall_time_ns: _Optional[int] = ..., workers: _Optional[int] = ..., max_trace_spans: _Optional[int] = ..., max_sweep_points: _Optional[int] = ..., max_sweep_runs: _Optional[int] = ...) -> None: ...

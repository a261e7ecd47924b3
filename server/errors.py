"""gRPC error statuses with google.rpc details (the rich error model).

Every error the service returns on purpose goes through here, so the codes and details are
consistent:

- INVALID_ARGUMENT carries a google.rpc.BadRequest whose field_violations name each bad field
  by its path in the request ("config.workload.open_loop.rate_per_s") with the reason;
- RESOURCE_EXHAUSTED carries a google.rpc.QuotaFailure whose violation subject is the limit's
  name ("max_duration_ns", as in ServerLimits) and says why.

The details travel in the `grpc-status-details-bin` trailer (grpcio-status's rpc_status);
clients read them with grpc_status.rpc_status.from_call(error). ServiceError is raised by the
service's layers and turned into a status by the servicer's error wrapper (server/servicer.py),
which uses abort() below.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

# Longest reason text put in a status (a client's field values can make reasons long).
_MAX_TEXT = 2000


class ServiceError(Exception):
    """An error to return to the client with `code`, a message and google.rpc details."""

    def __init__(self, code: grpc.StatusCode, message: str,
                 details: list[any_pb2.Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message[:_MAX_TEXT]
        self.details = details or []

    def to_status(self) -> grpc.Status:
        st = status_pb2.Status(code=_CODE_NUMBERS[self.code], message=self.message)
        st.details.extend(self.details)
        return rpc_status.to_status(st)


_CODE_NUMBERS = {c: c.value[0] for c in grpc.StatusCode}


def _pack(msg: object) -> any_pb2.Any:
    a = any_pb2.Any()
    a.Pack(msg)  # type: ignore[arg-type]
    return a


def invalid_argument(violations: list[tuple[str, str]],
                     summary: str = "invalid request") -> ServiceError:
    """INVALID_ARGUMENT with one BadRequest field violation per (field_path, reason)."""
    br = error_details_pb2.BadRequest()
    for path, reason in violations:
        br.field_violations.add(field=path[:_MAX_TEXT], description=reason[:_MAX_TEXT])
    text = "; ".join(f"{p}: {r}" for p, r in violations[:10])
    if len(violations) > 10:
        text += f"; and {len(violations) - 10} more"
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, f"{summary}: {text}", [_pack(br)])


def resource_exhausted(limit: str, message: str) -> ServiceError:
    """RESOURCE_EXHAUSTED naming the limit (subject) in a QuotaFailure."""
    qf = error_details_pb2.QuotaFailure()
    qf.violations.add(subject=limit, description=message[:_MAX_TEXT])
    return ServiceError(grpc.StatusCode.RESOURCE_EXHAUSTED, f"limit {limit}: {message}",
                        [_pack(qf)])


def not_found(what: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.NOT_FOUND, what)


def internal(message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.INTERNAL, message)


async def abort(context: grpc.aio.ServicerContext, err: ServiceError) -> None:
    """Abort the RPC with err's status and details (raises, as context.abort does)."""
    st = err.to_status()
    await context.abort(st.code, st.details, st.trailing_metadata)


assert grpc.StatusCode.INVALID_ARGUMENT.value[0] == code_pb2.INVALID_ARGUMENT

"""Bearer-token authentication: a grpc.aio server interceptor.

When the server has a token (the GOSIM_TOKEN environment variable or --token-file), every call
must carry the metadata `authorization: Bearer <token>`; a call without it, or with another
token, is answered UNAUTHENTICATED before it reaches a servicer. The standard health service
(grpc.health.v1.Health) stays open so load balancers and orchestrators can probe the server
without a secret. The comparison is constant-time (hmac.compare_digest).

The interceptor sees the method's real handler (from `continuation`) and returns a handler of
the same shape (unary-unary or unary-stream) that aborts, so clients get a clean status for
every method kind.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

OPEN_PREFIXES = ("/grpc.health.v1.Health/",)


def token_from(env: dict[str, str], token_file: str | None) -> str | None:
    """The token: the file's content (stripped) if given, else $GOSIM_TOKEN, else None.
    Raises ValueError for an empty token (which would accept everyone)."""
    if token_file:
        with open(token_file, encoding="utf-8") as f:
            token = f.read().strip()
        if not token:
            raise ValueError(f"the token file {token_file} is empty")
        return token
    value = env.get("GOSIM_TOKEN")
    if value is None:
        return None
    token = value.strip()
    if not token:
        raise ValueError("GOSIM_TOKEN is set but empty")
    return token


class TokenAuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def _ok(self, metadata: Any) -> bool:
        for key, value in metadata or ():
            if key == "authorization":
                got = value.encode() if isinstance(value, str) else bytes(value)
                return hmac.compare_digest(got, self._expected)
        return False

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        method = details.method or ""
        if handler is None or method.startswith(OPEN_PREFIXES) or self._ok(
                details.invocation_metadata):
            return handler
        return _refusing(handler)


_MESSAGE = "missing or invalid bearer token (metadata 'authorization: Bearer <token>')"


def _refusing(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same kind as `handler` that answers UNAUTHENTICATED."""

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, _MESSAGE)

    async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, _MESSAGE)
        yield None  # pragma: no cover - makes this an async generator

    async def stream_in(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, _MESSAGE)

    async def stream_both(requests: Any, context: grpc.aio.ServicerContext
                          ) -> AsyncIterator[Any]:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, _MESSAGE)
        yield None  # pragma: no cover

    deser, ser = handler.request_deserializer, handler.response_serializer
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(unary, deser, ser)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(stream, deser, ser)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(stream_in, deser, ser)
    return grpc.stream_stream_rpc_method_handler(stream_both, deser, ser)

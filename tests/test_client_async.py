"""The asyncio client (clients.aio.AsyncClient) against an in-process server running the real
engine: concurrent simulations, streams, jobs, errors and cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import grpc
import pytest
from server_helpers import REAL, long_config, small_config, start_server, wait_until

import simcore
from clients.aio import AsyncClient
from clients.client import GosimError, JobState, Progress
from server import convert
from server.app import BackgroundServer


@pytest.fixture(scope="module")
def bg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    server = start_server(tmp_path_factory.mktemp("data"), target=REAL, workers=2)
    yield server
    server.stop()


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_concurrent_simulations(bg: BackgroundServer) -> None:
    configs = [convert.config_from_proto(small_config(0.5, rate=r)) for r in (100, 200, 300)]

    async def main() -> list[simcore.Result]:
        async with AsyncClient(bg.target) as c:
            return list(await asyncio.gather(*(c.simulate(cfg) for cfg in configs)))

    results = run(main())
    assert [r == simcore.simulate(cfg) for r, cfg in zip(results, configs, strict=True)] == [
        True, True, True]


def test_stream_and_on_progress(bg: BackgroundServer) -> None:
    async def main() -> tuple[list[object], list[Progress], simcore.Result]:
        async with AsyncClient(bg.target) as c:
            events = [e async for e in c.stream(small_config(1.0))]
            seen: list[Progress] = []
            result = await c.simulate(small_config(0.5), on_progress=seen.append)
            return events, seen, result

    events, seen, result = run(main())
    assert isinstance(events[0], Progress) and isinstance(events[-1], simcore.Result)
    assert tuple(e for e in events if isinstance(e, simcore.CycleRecord)) == events[-1].cycles
    assert seen and result.summary.simulated_ns == 5 * 10**8


def test_jobs(bg: BackgroundServer) -> None:
    async def main() -> None:
        async with AsyncClient(bg.target) as c:
            job = await c.submit(small_config(0.5), label="async")
            assert job.label == "async"
            updates = [j async for j in c.watch(job.id)]
            assert updates[-1].state is JobState.SUCCEEDED
            assert isinstance(updates[-1].result, simcore.Result)
            got = await c.get(job.id)
            assert got.result == updates[-1].result
            page = await c.list(states=["succeeded"], page_size=100)
            assert job.id in [j.id for j in page.jobs]
            long = await c.submit(long_config())
            assert (await c.cancel(long.id)).state is JobState.CANCELLED
            assert (await c.wait(long.id)).state is JobState.CANCELLED
            info = await c.model_info()
            assert info.limits["workers"] == 2

    run(main())


def test_errors(bg: BackgroundServer) -> None:
    bad = small_config()
    bad.runtime.gomaxprocs = 0
    bad.runtime.gogc = -7

    async def main() -> None:
        async with AsyncClient(bg.target) as c:
            with pytest.raises(GosimError) as e:
                await c.simulate(bad)
            assert e.value.code is grpc.StatusCode.INVALID_ARGUMENT
            assert {v.field for v in e.value.field_violations} == {
                "config.runtime.gomaxprocs", "config.runtime.gogc"}
            with pytest.raises(GosimError) as e:
                [x async for x in c.stream(bad)]
            assert len(e.value.field_violations) == 2
            with pytest.raises(GosimError) as e:
                await c.get("nope")
            assert e.value.code is grpc.StatusCode.NOT_FOUND

    run(main())


def test_cancelling_the_task_cancels_the_simulation(bg: BackgroundServer) -> None:
    assert bg.server is not None and bg.server._executor is not None
    ex = bg.server._executor
    wait_until(lambda: ex.busy() == 0, 10)

    async def main() -> None:
        async with AsyncClient(bg.target) as c:
            task = asyncio.create_task(c.simulate(long_config()))
            for _ in range(200):
                if ex.busy() == 1:
                    break
                await asyncio.sleep(0.05)
            assert ex.busy() == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    run(main())
    wait_until(lambda: ex.busy() == 0, 10)

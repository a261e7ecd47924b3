"""Admission: the boundary every simulation request passes before any work is done.

admit_config() turns the request's SimConfig proto into a validated simcore.SimConfig
(server/convert.py: conversion problems and simcore.validate violations, all of them) and
checks it against the server's limits (server/limits.py). It raises ServiceError:
INVALID_ARGUMENT with BadRequest field violations whose paths are relative to the request
("config.runtime.gomaxprocs"), or RESOURCE_EXHAUSTED naming the limit.

Slots counts simulations admitted at once (running or waiting for a worker) across Simulate,
StreamSimulate and queued or running jobs, against max_concurrent_jobs. It is only touched from
the server's event loop thread, so it needs no lock.
"""

from __future__ import annotations

import simcore
from gosim.v1 import config_pb2
from server import convert, errors, limits


def admit_config(msg: config_pb2.SimConfig, lim: limits.Limits,
                 field: str = "config") -> simcore.SimConfig:
    """Validate and size-check a config from a request (see the module doc)."""
    try:
        cfg = convert.config_from_proto(msg)
    except simcore.ConfigError as e:
        raise errors.invalid_argument(convert.prefix_violations(e.violations, field),
                                      "invalid simulation config") from None
    try:
        limits.check(cfg, lim)
    except limits.LimitExceeded as e:
        raise errors.resource_exhausted(e.limit, str(e)) from None
    return cfg


class Slots:
    """A counter of admitted simulations with a ceiling (max_concurrent_jobs)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def acquire(self) -> None:
        """Take a slot or raise RESOURCE_EXHAUSTED."""
        if self.used >= self.limit:
            raise errors.resource_exhausted(
                "max_concurrent_jobs",
                f"{self.used} simulations are already admitted, the server limit "
                f"max_concurrent_jobs={self.limit}; retry later")
        self.used += 1

    def force(self) -> None:
        """Take a slot even above the ceiling (jobs recovered at startup were admitted before)."""
        self.used += 1

    def release(self) -> None:
        self.used = max(0, self.used - 1)

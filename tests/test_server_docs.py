"""The request bodies of the grpcurl examples in docs/api.md are valid requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.protobuf import json_format

from gosim.v1 import simulator_pb2
from server.admission import admit_config
from server.limits import Limits

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
EXAMPLE = re.compile(r"-d '(\{.*?\})'\s*\\?\s*\S+\s+([\w.]+)/(\w+)", re.S)


def examples() -> list[tuple[str, str, str]]:
    found = EXAMPLE.findall(DOC.read_text())
    assert len(found) >= 8
    return found


@pytest.mark.parametrize(("body", "service", "method"), examples())
def test_doc_example_parses(body: str, service: str, method: str) -> None:
    if service != "gosim.v1.SimulatorService":
        return
    request_type = getattr(simulator_pb2, f"{method}Request")
    req = json_format.Parse(body, request_type())
    if req.DESCRIPTOR.fields_by_name.get("config") is None:
        return
    if req.config.runtime.HasField("gomaxprocs") and req.config.runtime.gomaxprocs == 0:
        return  # the documented bad request
    admit_config(req.config, Limits(workers=1))  # valid and within the default limits

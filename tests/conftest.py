"""Fixtures shared by every test layer.

`platform` is the whole local platform (moto, tables, handlers, gateway) started once per session, without
its background scheduler (tests run jobs explicitly). `client` talks to it as an HTTP client would, through
the same dispatch the local server uses, without a socket. `rt` is a runtime on the platform's environment,
as a function would have (its own clients), for tests that call the layer's use cases and stores directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sas_common.runtime import Runtime
from sas_local.platform import LocalPlatform, running
from support import Client


@pytest.fixture(scope="session")
def platform() -> Iterator[LocalPlatform]:
    with running(seed=True, run_schedules=False) as started:
        yield started


@pytest.fixture
def client(platform: LocalPlatform) -> Client:
    return Client(platform)


@pytest.fixture
def rt(platform: LocalPlatform) -> Runtime:
    return platform.runtime

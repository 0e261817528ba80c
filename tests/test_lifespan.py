"""What the app sets on the interpreter while it serves (the threads' switch interval, the
collector's thresholds) is given back when it stops, and when its start-up fails."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

import sanquan.app
from sanquan.app import GC_THRESHOLDS, SWITCH_INTERVAL, create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost

pytestmark = pytest.mark.engine_independent

OUTSIDE = (0.004, (600, 9, 8))
"""Settings no service would choose, so that finding them again means they were restored."""


@pytest.fixture
def outside() -> Iterator[None]:
    was = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(OUTSIDE[0])
    gc.set_threshold(*OUTSIDE[1])
    yield
    sys.setswitchinterval(was[0])
    gc.set_threshold(*was[1])


def interpreter() -> tuple[float, tuple[int, ...]]:
    return round(sys.getswitchinterval(), 6), gc.get_threshold()


def test_serving_sets_the_interpreter_and_stopping_gives_it_back(
    outside: None, settings: Settings, host: PluginHost
) -> None:
    with TestClient(create_app(settings, host)) as client:
        assert client.get("/healthz").status_code == 200
        assert interpreter() == (SWITCH_INTERVAL, GC_THRESHOLDS)
    assert interpreter() == OUTSIDE


def test_a_start_up_that_fails_gives_the_interpreter_back(
    outside: None, settings: Settings, host: PluginHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("a mapper that cannot be configured")

    monkeypatch.setattr(sanquan.app, "configure_mappers", broken)
    with pytest.raises(RuntimeError, match="cannot be configured"):  # noqa: SIM117
        with TestClient(create_app(settings, host)):
            pass
    assert interpreter() == OUTSIDE


def test_the_worker_threads_end_with_the_app(settings: Settings, host: PluginHost) -> None:
    """Each app's pool of worker threads goes when its lifespan ends (a test session makes
    hundreds of apps; their idle threads stayed until the process exited)."""

    def workers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("sanquan-worker")}

    before = workers()
    with TestClient(create_app(settings, host)) as client:
        answered = client.post("/graphql", json={"query": "{ __typename }"})
        assert answered.status_code in (200, 401)
        started = workers() - before
        assert started, "the request ran in no worker thread"
    for thread in started:
        thread.join(10)
    assert [t.name for t in started if t.is_alive()] == []

"""What the app sets on the interpreter while it serves (the threads' switch interval, the
collector's thresholds) is given back when it stops, and when its start-up fails."""

from __future__ import annotations

import gc
import sys
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

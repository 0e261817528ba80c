"""The load test's users (``bench/locustfile.py``) for a few seconds against a real server on
loopback, so that the load test cannot rot between its runs: every kind of user makes its
requests, none fails, and every acknowledged submission is what the database holds.

However slow the machine, each user finishes what it does on start (the commission's
calendar, tables and results; a school's sessions and scores) and its first task (a
reviewer's first draft) before Locust stops it, so every kind of request is made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan.api.ids import parse_id
from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from sanquan.review.models import Score
from tests.conftest import SCHOOLS, World
from tests.flows import open_session
from tests.loopback import served
from tests.test_review_flow import run_full_session

LOCUSTFILE = Path(__file__).parents[1] / "bench" / "locustfile.py"
NAMES = {"submit draft", "sessions", "own scores", "results", "rotation", "tables"}


@pytest.mark.engine_independent
def test_every_kind_of_user_runs_without_errors(
    world: World, settings: Settings, host: PluginHost, db: Session, tmp_path: Path
) -> None:
    concluded = run_full_session(world)
    session_id = open_session(world, [SCHOOLS[s] for s in ("pku", "buaa", "bnu")], quarter="2027Q2")
    tokens = world.tokens
    slots = [
        {"token": tokens["pku"], "school": SCHOOLS["pku"], "source": "SELF"},
        {"token": tokens["pku"], "school": SCHOOLS["buaa"], "source": "PEER"},
        {"token": tokens["expert1"], "school": SCHOOLS["bnu"], "source": "EXPERT"},
    ]
    plan = {
        "session": session_id,
        "concluded": [concluded],
        "slots": slots,
        "schools": [{"token": tokens["pku"], "code": SCHOOLS["pku"]}],
        "experts": [tokens["expert2"]],
        "commission": [tokens["admin"], tokens["viewer"]],
        "quarter": "2027Q1",
        "cycle": "2027Q1",
        "acknowledged": str(tmp_path / "acknowledged.jsonl"),
        "arrival_window": 1.0,  # 12 users at 12/s: one batch, spread over a second
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    with served(create_app(settings, host)) as base:
        done = subprocess.run(  # noqa: PLW1510 - the status is checked below
            [
                *(sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"),
                *("--users", "12", "--spawn-rate", "12", "--run-time", "6s"),
                *("--stop-timeout", "60"),  # each user ends its start and its first task
                *("--host", base, "--json-file", str(tmp_path / "locust"), "--skip-log"),
            ],
            env={**os.environ, "SANQUAN_LOAD_PLAN": str(tmp_path / "plan.json")},
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    # Locust's final statistics: its CSV is written before the users it stops have ended
    # their last requests, so on a slow machine it misses some of them; the JSON is written
    # after every user has stopped.
    entries = json.loads((tmp_path / "locust.json").read_text(encoding="utf-8"))
    rows = {entry["name"]: entry for entry in entries}
    assert set(rows) >= NAMES, sorted(rows)
    assert all(entry["num_failures"] == 0 for entry in entries), rows
    acknowledged = [
        json.loads(line) for line in Path(plan["acknowledged"]).read_text().splitlines()
    ]
    assert {ack["slot"] for ack in acknowledged} == {0, 1, 2}
    last = {ack["slot"]: ack for ack in sorted(acknowledged, key=lambda a: a["round"])}
    key = parse_id(session_id, "ReviewSession")
    stored = set(db.scalars(select(Score.value).where(Score.session_id == key)))
    assert stored == {ack["value"] for ack in last.values()}

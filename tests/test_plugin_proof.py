"""Proof that plugins need no core change: a brand-new plugin package, written by the
scaffold outside the repository, installed by pip, picked up by a restarted server, and used
to score a session end to end.

The package goes into a site directory of its own on the server's ``PYTHONPATH``, not into
the shared environment: tests running beside this one list the installed plugins, and must
not see it come and go."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sanquan.config import Settings
from sanquan_sdk.scaffold import write_plugin
from tests.conftest import SCHOOLS, World
from tests.serving import free_port, start

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


@pytest.fixture
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The scaffolded package's folder and the site directory it is installed in."""
    root = write_plugin("proof-set", tmp_path_factory.mktemp("outside"))
    site = tmp_path_factory.mktemp("site")
    subprocess.run(
        [*PIP, "install", "--no-deps", "--no-build-isolation", "--target", str(site), str(root)],
        check=True,
        capture_output=True,
    )
    return root, site


@pytest.mark.engine_independent
def test_a_new_plugin_package_scores_a_session(
    installed_plugin: tuple[Path, Path], world: World, settings: Settings
) -> None:
    root, site = installed_plugin
    # The generated package's own tests pass with the SDK's test kit.
    own_tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        check=False,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert own_tests.returncode == 0, own_tests.stdout
    assert "3 passed" in own_tests.stdout

    port = free_port()
    env = {"SANQUAN_DATABASE_URL": settings.database_url, "PATH": "", "PYTHONPATH": str(site)}
    server = start(env, port)
    try:
        run_session(f"http://127.0.0.1:{port}/graphql", world)
    finally:
        server.kill()
        server.wait()


def run_session(url: str, world: World) -> None:
    def call(who: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = httpx.post(
            url,
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {world.tokens[who]}"},
            timeout=10,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    sets = call("viewer", "{ indicatorSets { key provider } }")["indicatorSets"]
    assert {"key": "proof-set", "provider": "sanquan-plugin-proof-set"} in sets
    codes = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]
    created = call(
        "admin",
        "mutation($i: CreateReviewSessionInput!) { createReviewSession(input: $i) "
        "{ reviewSession { id indicatorSetVersion } userErrors { code } } }",
        {
            "i": {
                "quarter": "2027Q3",
                "institutionCodes": codes,
                "indicatorSet": {"key": "proof-set"},
            }
        },
    )["createReviewSession"]
    assert created["userErrors"] == []
    session_id = created["reviewSession"]["id"]
    call(
        "admin",
        "mutation($i: AppointExpertsInput!) { appointExperts(input: $i) { userErrors { code } } }",
        {"i": {"sessionId": session_id, "expertIds": world.expert_ids}},
    )
    call(
        "admin",
        "mutation($id: ID!) { openReviewSession(input: {sessionId: $id}) { userErrors { code } } }",
        {"id": session_id},
    )

    submit = (
        "mutation($i: SubmitScoresInput!) { submitScores(input: $i) "
        "{ changedCount userErrors { code } } }"
    )

    def score(who: str, subject: str, source: str, value: float) -> None:
        entry = {"indicator": "Q01", "value": value, "evidence": "自评报告"}
        result = call(
            who,
            submit,
            {
                "i": {
                    "sessionId": session_id,
                    "institutionCode": SCHOOLS[subject],
                    "source": source,
                    "scores": [entry],
                }
            },
        )["submitScores"]
        assert result == {"changedCount": 1, "userErrors": []}

    schools = ["thu", "ruc", "ustb"]
    for reviewer in schools:
        for subject in schools:
            score(reviewer, subject, "SELF" if reviewer == subject else "PEER", 80.0)
    for expert in [k for k in world.tokens if k.startswith("expert")]:
        for subject in schools:
            score(expert, subject, "EXPERT", 70.0)
    concluded = call(
        "admin",
        f'mutation {{ concludeReviewSession(input: {{sessionId: "{session_id}"}}) '
        "{ reviewSession { results { overallIndex } } userErrors { message } } }",
    )["concludeReviewSession"]
    assert concluded["userErrors"] == []
    # 0.2 × 80 + 0.3 × 80 + 0.5 × 70 = 75
    assert [r["overallIndex"] for r in concluded["reviewSession"]["results"]] == [
        pytest.approx(75.0)
    ] * 3

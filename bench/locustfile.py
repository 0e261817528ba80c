"""The load test's users (Locust), as a review quarter looks to the service: reviewers
submitting (drafts, then the final scores, then changes), schools and experts reading their
sessions, and the commission reading scoreboards, the rotation calendar and the
responsibility tables. ``bench/load.py`` builds the state they need, writes it to the file
named by ``SANQUAN_LOAD_PLAN`` and runs them headless.

Every request that gets GraphQL ``errors`` or ``userErrors`` counts as a failure. Every
acknowledged submission is appended to the plan's ``acknowledged`` file, so that the runner
can check afterwards that none was lost: each reviewer user owns one (reviewer, school,
source) slot, so the last one acknowledged is what the database must hold.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["SANQUAN_LOAD_PLAN"]).read_text())
EVIDENCE_FOR_SELF = {f"T{n:02d}" for n in range(11, 18)}

SUBMIT = """mutation Submit($in: SubmitScoresInput!) {
  submitScores(input: $in) { changedCount userErrors { field code message } } }"""
SESSIONS = """query Sessions { reviewSessions(first: 20) {
  nodes { id title quarter status institutions { code name } } } }"""
OWN_SCORES = """query Own($id: ID!, $code: String!) { reviewSession(id: $id) {
  scores(institutionCode: $code, source: SELF, first: 200) {
    totalCount nodes { indicator value status } } } }"""
RESULTS = """query Results($id: ID!) { reviewSession(id: $id) { status results {
  rank overallIndex institution { code name }
  indicators { indicator selfValue peerMean expertMean combined peerCount expertCount } } } }"""
CALENDAR = """query Calendar($start: Quarter!) {
  rotation(start: $start) {
    start end
    quarters { quarter sessions { id title status institutions { code name } } }
    unscheduled { code name }
  }
  overdueInstitutions { institution { code name } lastReview dueBy } }"""
TABLES = """query Tables($quarter: Quarter!) { plans { key title document owner
  tasks { id number title section assignments { lead unit { id name fullName } }
    progress(quarter: $quarter) { unit { id } status text reportedAt } }
  tasksWithoutReport(quarter: $quarter) { number } } }"""


def _slots() -> Iterator[tuple[int, dict[str, Any]]]:
    yield from enumerate(PLAN["slots"])


SLOTS = _slots()


def acknowledge(line: dict[str, Any]) -> None:
    """Append one acknowledged submission to the plan's file (Locust's users share one
    thread, so lines never interleave)."""
    with Path(PLAN["acknowledged"]).open("a", encoding="utf-8") as file:
        file.write(json.dumps(line) + "\n")


class GraphQLUser(HttpUser):
    """A client with one bearer token, posting GraphQL documents."""

    abstract = True
    wait_time = between(0.5, 1.5)
    token = ""

    def arrive(self) -> None:
        """Wait a moment drawn from the plan's arrival window before the first request.

        Locust starts users in batches, ``floor(spawn rate)`` of them in the same
        millisecond once a second, and each opens with a request at once: at 10 users/s
        that is ten first requests together, two of them commission users opening with
        three heavy reads in a row, every second of the ramp. People opening their pages
        at ten a second arrive spread over that second; this spreads each batch over the
        interval between batches, which is what the spawn rate says.
        """
        gevent.sleep(random.uniform(0.0, PLAN["arrival_window"]))

    def graphql(self, name: str, query: str, variables: dict[str, Any]) -> Any:
        # The request's kind leads its X-Request-Id, so that bench/load.py finds the
        # server's own time for each kind in its access log (Locust's figures include the
        # wait of a client sharing the cores).
        identifier = f"{name.replace(' ', '_')}.{uuid.uuid4().hex[:16]}"
        with self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}", "X-Request-Id": identifier},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            body = response.json()
            if body.get("errors"):
                response.failure(body["errors"][0].get("message", "error"))
                return None
            data = body["data"]
            payload = next(iter(data.values()))
            if isinstance(payload, dict) and payload.get("userErrors"):
                response.failure(payload["userErrors"][0]["code"])
                return None
            return data


class Reviewer(GraphQLUser):
    """One reviewer scoring one school: two drafts, the final scores, then changes."""

    weight = 5

    def on_start(self) -> None:
        self.arrive()
        taken = next(SLOTS, None)
        if taken is None:  # more reviewers than slots: this one only reads
            self.slot, self.entry = -1, {}
            self.token = PLAN["commission"][1]
            return
        self.slot, self.entry = taken
        self.token = self.entry["token"]
        self.round = 0

    @task
    def submit(self) -> None:
        if self.slot < 0:
            self.graphql("sessions", SESSIONS, {})
            return
        final = self.round >= 2
        name = "submit draft" if not final else "submit final" if self.round == 2 else "resubmit"
        value = float(40 + (self.round * 7 + self.slot) % 60)
        scores = []
        for n in range(1, 21):
            score: dict[str, Any] = {"indicator": f"T{n:02d}", "value": value}
            if self.entry["source"] == "SELF" and score["indicator"] in EVIDENCE_FOR_SELF:
                score["evidence"] = f"佐证 {self.round}"
            scores.append(score)
        variables = {
            "in": {
                "sessionId": PLAN["session"],
                "institutionCode": self.entry["school"],
                "source": self.entry["source"],
                "scores": scores,
                "final": final,
            }
        }
        if self.graphql(name, SUBMIT, variables) is not None:
            acknowledge({"slot": self.slot, "round": self.round, "value": value, "final": final})
            self.round += 1


class School(GraphQLUser):
    """A school's representative looking at its sessions and its self-evaluation."""

    weight = 2

    def on_start(self) -> None:
        self.arrive()
        school = random.choice(PLAN["schools"])
        self.token, self.code = school["token"], school["code"]
        self.sessions()
        self.own_scores()

    @task(2)
    def sessions(self) -> None:
        self.graphql("sessions", SESSIONS, {})

    @task(1)
    def own_scores(self) -> None:
        self.graphql("own scores", OWN_SCORES, {"id": PLAN["session"], "code": self.code})


class Expert(GraphQLUser):
    """An expert looking at the sessions it sits on and the last results."""

    weight = 1

    def on_start(self) -> None:
        self.arrive()
        self.token = random.choice(PLAN["experts"])

    @task(2)
    def sessions(self) -> None:
        self.graphql("sessions", SESSIONS, {})

    @task(1)
    def results(self) -> None:
        self.graphql("results", RESULTS, {"id": random.choice(PLAN["concluded"])})


class Commission(GraphQLUser):
    """The commission (ADMIN or VIEWER) reading scoreboards, the rotation and the tables."""

    weight = 2

    def on_start(self) -> None:
        """The dashboard opens on the calendar; the tables and a session's results are a
        page away."""
        self.arrive()
        self.token = random.choice(PLAN["commission"])
        self.rotation()
        self.tables()
        self.results()

    @task(4)
    def results(self) -> None:
        self.graphql("results", RESULTS, {"id": random.choice(PLAN["concluded"])})

    @task(1)
    def rotation(self) -> None:
        self.graphql("rotation", CALENDAR, {"start": PLAN["cycle"]})

    @task(1)
    def tables(self) -> None:
        self.graphql("tables", TABLES, {"quarter": PLAN["quarter"]})

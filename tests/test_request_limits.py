"""No single request can keep the service from answering others (R23): execution runs off
the event loop under a deadline, and oversized or over-costly requests are refused before
they are parsed or converted."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
from graphql import (
    get_introspection_query,
    get_named_type,
    get_nullable_type,
    is_interface_type,
    is_list_type,
    is_object_type,
    parse,
    validate,
)
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from sanquan.api import cost
from sanquan.api.deadline import Deadline, aborted, enforce, postgresql_options, running_until
from sanquan.api.schema import build_schema
from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.db import make_engine
from sanquan.plugins.host import PluginHost
from sanquan.review.models import Score
from sanquan_sdk import IndicatorSet, ScoreProblem, ScoreValue, hookimpl
from tests.conftest import SCHOOLS, Api, World
from tests.flows import RESULTS, SUBMIT, open_session, scores_for
from tests.loopback import served

THREE = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]

BOARD = """results { institution { code name } overallIndex rank
  indicators { indicator title selfValue peerMean expertMean combined peerCount expertCount } }"""
"""A session's results, as a scoreboard asks for them: about 2,000 fields."""
CYCLE = "{ plans { tasks { units { tasks { units { tasks { units { name } } } } } } } }"
"""Within the depth limit, and about 50 million fields if it ran."""


class Slow:
    """A plugin whose validation burns the CPU for a while on one indicator: the worst
    kind of slow request, since a busy thread holds the interpreter lock in turns."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        if score.indicator == "T01":
            until = time.monotonic() + self.seconds
            while time.monotonic() < until:
                sum(range(1000))
        return None


def peer_scores(session_id: str) -> dict[str, Any]:
    return {
        "input": {
            "sessionId": session_id,
            "institutionCode": SCHOOLS["ruc"],
            "source": "PEER",
            "scores": scores_for("PEER", 70),
        }
    }


def stored_scores(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Score)) or 0


@pytest.fixture
def slow_server(settings: Settings, world: World) -> Iterator[tuple[str, str]]:
    """The service on loopback with a plugin that makes one submission take 1.5 s, and
    the open session to submit it to."""
    session_id = open_session(world, THREE)
    host = PluginHost.discover(extra=[Slow(1.5)])
    with served(create_app(settings, host)) as base:
        yield base, session_id


def test_a_slow_request_does_not_hold_up_the_others(
    slow_server: tuple[str, str], world: World, db: Session
) -> None:
    base, session_id = slow_server
    school = {"Authorization": f"Bearer {world.tokens['thu']}"}
    viewer = {"Authorization": f"Bearer {world.tokens['viewer']}"}
    slow: dict[str, Any] = {}

    def submit_slowly() -> None:
        response = httpx.post(
            f"{base}/graphql",
            json={"query": SUBMIT, "variables": peer_scores(session_id)},
            headers=school,
            timeout=30,
        )
        slow["finished"] = time.monotonic()
        slow["body"] = response.json()

    worker = threading.Thread(target=submit_slowly)
    worker.start()
    answered: list[tuple[float, float]] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        time.sleep(0.3)  # the submission is in its plugin by now
        while worker.is_alive() and len(answered) < 10:
            started = time.monotonic()
            assert client.get("/healthz").json() == {"status": "ok"}
            small = client.post("/graphql", json={"query": "{ viewer { name } }"}, headers=viewer)
            assert small.json() == {"data": {"viewer": {"name": "viewer"}}}
            answered.append((started, time.monotonic()))
    worker.join()
    assert slow["body"]["data"]["submitScores"]["changedCount"] == 20
    during = [done for _, done in answered if done < slow["finished"]]
    latencies = sorted(round((done - started) * 1000) for started, done in answered)
    print(f"health check + small query while a 1.5 s request ran: {latencies} ms")
    # With execution on the event loop, nothing at all is answered until the slow request
    # is done; the figures themselves are measured in bench/stall.py, not asserted here.
    assert len(during) >= 3, latencies
    assert stored_scores(db) == 20


def test_a_request_past_its_deadline_is_stopped_and_changes_nothing(
    settings: Settings, world: World, db: Session
) -> None:
    session_id = open_session(world, THREE)
    hurried = replace(settings, request_timeout=0.5)
    host = PluginHost.discover(extra=[Slow(1.0)])
    with TestClient(create_app(hurried, host)) as client:
        for language, words in (("zh", "时限"), ("en", "took longer than 0.5 s")):
            body = Api(client, world.tokens["thu"], language).raw(SUBMIT, peer_scores(session_id))
            assert body["data"] == {"submitScores": None}
            [error] = body["errors"]
            assert error["extensions"] == {"code": "REQUEST_TIMEOUT", "requestId": ANY}
            assert words in error["message"]
    assert stored_scores(db) == 0


def test_a_client_that_hangs_up_stops_its_request(
    slow_server: tuple[str, str], world: World, db: Session
) -> None:
    base, session_id = slow_server
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{base}/graphql",
            json={"query": SUBMIT, "variables": peer_scores(session_id)},
            headers={"Authorization": f"Bearer {world.tokens['thu']}"},
            timeout=0.5,
        )
    time.sleep(2.0)  # past the plugin's 1.5 s: a request left running would have stored
    assert stored_scores(db) == 0


def test_a_long_statement_is_interrupted_at_the_deadline(database_url: str) -> None:
    """SQLite's progress handler and PostgreSQL's statement_timeout, each on its engine."""
    postgres = not database_url.startswith("sqlite")
    engine = make_engine(
        database_url, **({"connect_args": postgresql_options(0.3)} if postgres else {})
    )
    enforce(engine)
    endless = (
        "SELECT pg_sleep(5)"
        if postgres
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 200000000) "
        "SELECT max(i) FROM n"
    )
    with running_until(Deadline(0.3)), engine.connect() as connection:
        with pytest.raises(Exception) as raised:
            connection.execute(text(endless))
        stopped = aborted(raised.value)
        assert stopped is not None, raised.value
        assert stopped.code == "REQUEST_TIMEOUT"
    engine.dispose()


# --- cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        CYCLE,
        "{ plans { tasks { plan { tasks { plan { tasks { plan { tasks { title } } } } } } } } }",
        "{ " + " ".join(f'r{i}: reviewSession(id: "1") {{ {BOARD} }}' for i in range(30)) + " }",
        "query { ...A } fragment A on Query { a: plans { ...B } b: plans { ...B } } "
        "fragment B on WorkPlan { x: tasks { ...C } y: tasks { ...C } } "
        "fragment C on Task { p: units { ...D } q: units { ...D } } "
        "fragment D on ResponsibleUnit { tasks { number title } }",
    ],
    ids=["units-cycle", "plan-cycle", "30-results", "fragments"],
)
@pytest.mark.engine_independent
def test_a_query_over_the_cost_limit_is_refused_before_it_runs(world: World, query: str) -> None:
    for language, words in (("zh", "超过上限 50000"), ("en", "over the limit of 50000")):
        body = world.api("viewer", language).raw(query)
        assert "data" not in body, "refused before execution"
        [error] = body["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert error["extensions"]["limit"] == 50_000
        assert error["extensions"]["cost"] > 50_000
        assert words in error["message"]
        assert str(error["extensions"]["cost"]) in error["message"]


def test_ordinary_heavy_reads_stay_within_the_cost_limit(world: World) -> None:
    viewer = world.api("viewer")
    unit = """{ responsibleUnits(name: "市教委") { tasks { number title
      assignments { lead unit { name } } progress { status text } } } }"""
    assert viewer(unit)["responsibleUnits"][0]["tasks"]
    assert viewer(RESULTS, {"id": "1"}) == {"reviewSession": None}
    sheet = """query($id: ID!) { reviewSession(id: $id) { scores(first: 200) { nodes { id
      indicator source value reported comment evidence status updatedAt
      institution { code name } } } } }"""
    assert world.api("admin")(sheet, {"id": "1"}) == {"reviewSession": None}
    costs = {name: price(query) for name, query in (("unit", unit), ("sheet", sheet))}
    assert all(c < 50_000 for c in costs.values()), costs


def price(query: str) -> int:

    errors = validate(build_schema()._schema, parse(query), [cost.max_cost(0)])
    return int(errors[0].extensions["cost"])  # type: ignore[index]


def test_the_cost_of_a_query_multiplies_by_list_lengths() -> None:
    assert price("{ viewer { name } }") == 2
    assert price("{ plans { key } }") == 1 + 5 * 1
    assert price('{ tasks(plan: "x") { units { name } } }') == 1 + 25 * (1 + 10 * 1)
    paged = "{ institutions(first: 7) { totalCount edges { node { code name } } } }"
    assert price(paged) == 1 + 7 * (1 + (1 + 1 * (1 + 2)))
    assert price("query($n: Int) { institutions(first: $n) { edges { cursor } } }") == 1 + 200 * 2
    assert price("{ institutions(last: 3) { nodes { code } } }") == 1 + 3 * 2
    assert price('{ nodes(ids: ["a"]) { id } }') == 1 + 100


def test_every_list_of_objects_has_a_length_to_price_it_by() -> None:
    """A new list field must come with a considered length, not a silent default."""
    schema = build_schema()._schema
    unpriced, known = [], set()
    for type_ in schema.type_map.values():
        if not is_object_type(type_) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():  # type: ignore[attr-defined]
            inner = get_nullable_type(field.type)
            item = get_named_type(inner)
            if not is_list_type(inner) or not (is_object_type(item) or is_interface_type(item)):
                continue
            key = f"{type_.name}.{name}"
            known.add(key)
            in_connection = type_.name.endswith("Connection") and name in cost.PAGED_BY_PARENT
            paged = "first" in field.args or in_connection
            if not (paged or name == "userErrors" or key in cost.LIST_LENGTHS):
                unpriced.append(key)
    assert unpriced == []
    assert set(cost.LIST_LENGTHS) - known == set(), "lengths for lists that do not exist"


# --- size ---------------------------------------------------------------------------------


def post(world: World, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return world.client.post(
        "/graphql",
        content=content,
        headers={
            "Authorization": f"Bearer {world.tokens['thu']}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )


def refusal(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert "data" not in body, "refused before execution"
    [error] = body["errors"]
    return response.status_code, error["extensions"]["code"], error["message"]


@pytest.mark.engine_independent
def test_a_body_over_the_limit_is_refused_with_413(world: World, db: Session) -> None:
    session_id = open_session(world, THREE)
    body = variables_of([{"indicator": "T01", "value": 1}] * 200_000, session_id)
    assert len(body) > 5_000_000
    status, code, message = refusal(post(world, body))
    assert (status, code) == (413, "REQUEST_TOO_LARGE")
    assert "1048576" in message

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    chunked = world.client.post(
        "/graphql",
        content=chunks(),
        headers={
            "Authorization": f"Bearer {world.tokens['thu']}",
            "Content-Type": "application/json",
        },
    )
    assert refusal(chunked)[:2] == (413, "REQUEST_TOO_LARGE")
    assert stored_scores(db) == 0


def variables_of(scores: list[dict[str, Any]], session_id: str = "1") -> bytes:

    return json.dumps(
        {
            "query": SUBMIT,
            "variables": {
                "input": {
                    "sessionId": session_id,
                    "institutionCode": SCHOOLS["ruc"],
                    "source": "PEER",
                    "scores": scores,
                }
            },
        },
    ).encode()


@pytest.mark.parametrize(
    ("scores", "code", "where"),
    [
        ([{"indicator": "T01", "value": 1}] * 10_001, "INPUT_TOO_LARGE", "variables.input.scores"),
        (
            [{"indicator": "T01", "value": 1, "comment": "x" * 600_001}],
            "INPUT_TOO_LARGE",
            "variables.input.scores.0.comment",
        ),
    ],
    ids=["long-list", "long-text"],
)
@pytest.mark.engine_independent
def test_raw_variables_are_bounded_before_conversion(
    world: World, db: Session, scores: list[dict[str, Any]], code: str, where: str
) -> None:
    session_id = open_session(world, THREE)
    status, got, message = refusal(post(world, variables_of(scores, session_id)))
    assert (status, got) == (400, code)
    assert where in message
    assert stored_scores(db) == 0


LONG_NUMBER = (
    b'{"query": "query($v: Int) { viewer { name } }", "variables": {"v": 1' + b"0" * 5000 + b"}}"
)
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"query": "{ viewer { name } }", "x": "\xff\xfe"}', "UTF-8"),
        (b'{"query": "{ viewer { name } }"', "body"),
        (b'{"query": "{ viewer { name } }", "variables": {"v": NaN}}', "NaN"),
        (
            b'{"query": "{ viewer { name } }", "variables": {"v": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}}",
            "body",
        ),
    ],
    ids=["invalid-utf8", "truncated", "nan", "deep-nesting"],
)
@pytest.mark.engine_independent
def test_a_body_that_is_not_json_is_a_400_in_json(
    world: World, content: bytes, problem: str
) -> None:
    status, code, message = refusal(post(world, content))
    assert (status, code) == (400, "INVALID_BODY")
    assert problem in message


@pytest.mark.engine_independent
def test_deeply_nested_variables_are_refused(world: World) -> None:
    nested: Any = "x"
    for _ in range(40):
        nested = [nested]

    body = json.dumps({"query": "{ viewer { name } }", "variables": {"v": nested}}).encode()
    assert refusal(post(world, body))[:2] == (400, "INPUT_TOO_LARGE")


@pytest.mark.engine_independent
def test_a_lone_surrogate_never_breaks_an_answer(world: World) -> None:
    """In the document it is refused; in a value that an error quotes back, the answer is
    still JSON (ASCII-escaped), never a server error."""
    query = json.dumps({"query": '{ institution(code: "\ud800") { name } }'}).encode()
    assert refusal(post(world, query))[:2] == (400, "INVALID_TEXT")
    quoted = json.dumps(
        {
            "query": "query($r: Role) { accounts(role: $r) { totalCount } }",
            "variables": {"r": "\ud800"},
        }
    ).encode()
    answer = post(world, quoted, {"Authorization": f"Bearer {world.tokens['admin']}"})
    assert answer.status_code == 200
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "\ud800" in error["message"]


@pytest.mark.engine_independent
def test_nested_fragment_spreads_are_measured_once_each(world: World) -> None:
    """Each fragment spreads the one before twice: 900 bytes that expand to four million
    fields. Measured fragment by fragment, the document is refused at once; walked spread
    by spread (as strawberry's depth and alias limiters did) it held a worker for 18 s."""
    fragments = ["fragment F0 on Query { __typename }"] + [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 23)
    ]
    aliased = ["fragment A0 on Query { a: viewer { name } }"] + [
        f"fragment A{i} on Query {{ ...A{i - 1} ...A{i - 1} }}" for i in range(1, 23)
    ]
    deep = "query { ...A22 } " + " ".join(aliased)
    bomb = "query { ...F22 } " + " ".join(fragments)
    assert world.api("viewer").raw(bomb)["errors"][0]["extensions"]["cost"] == 2**22
    [too_many] = world.api("viewer").raw(deep)["errors"][:1]
    assert too_many["extensions"] == {
        "code": "TOO_MANY_ALIASES",
        "aliases": 2**22,
        "limit": 30,
        "requestId": ANY,
    }


@pytest.mark.engine_independent
def test_introspection_is_priced_so_that_copies_of_it_are_refused(
    settings: Settings, host: PluginHost, world: World
) -> None:
    whole = get_introspection_query(descriptions=True)
    assert 10_000 < price(whole) < 12_500, "one whole introspection is allowed"
    copies = "{ " + " ".join(f"s{i}: __schema {{ types {{ name }} }}" for i in range(6)) + " }"
    assert price(copies) > 50_000
    opened = replace(settings, introspection=True)
    with TestClient(create_app(opened, host)) as client:
        api = Api(client, world.tokens["viewer"])
        assert api(whole)["__schema"]["queryType"]["name"] == "Query"
        [error] = api.raw(copies)["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        ({"query": "{ viewer { name } }", "operationName": "Nope"}, "UNKNOWN_OPERATION", "Nope"),
        ({"query": "fragment X on Query { __typename }"}, "UNKNOWN_OPERATION", "operationName"),
        ({"query": "subscription { viewer { name } }"}, "SUBSCRIPTION_OVER_HTTP", "subscriptions"),
        ({}, "INVALID_BODY", "a number too long"),
    ],
    ids=["unknown-operation", "no-operation", "subscription", "long-number"],
)
def test_a_request_that_names_no_runnable_operation_is_a_400(
    world: World, caplog: pytest.LogCaptureFixture, payload: dict[str, Any], code: str, words: str
) -> None:
    content = json.dumps(payload).encode() if code != "INVALID_BODY" else LONG_NUMBER
    answer = post(world, content, {"Accept-Language": "en"})
    status, got, message = refusal(answer)
    assert (status, got) == (400, code)
    assert words in message
    assert "digits" not in message and "sys." not in message, "no interpreter wording"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]

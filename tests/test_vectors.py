"""The vector forms of results and submissions (``ReviewSession.scoreboard``,
``SubmitScoresInput.vector``) say exactly what the object forms say, follow corrections,
and obey the same rules; and the executor's fast path for lists of scalars answers as
graphql-core's own completion does."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_schema, execute, parse
from graphql.execution import Executor

from sanquan.api.execution import ScalarListExecution
from tests.conftest import SCHOOLS, World
from tests.flows import RESULTS, SUBMIT, open_session, scores_for, submit
from tests.test_blind_review_and_audit import CORRECT, scores_seen
from tests.test_review_flow import SESSION, run_full_session

SCOREBOARD = """
query($id: ID!) {
  reviewSession(id: $id) {
    scoreboard {
      indicators titles
      rows {
        institution { code name }
        overallIndex rank
        selfValues peerMeans expertMeans combined peerCounts expertCounts
      }
    }
  }
}"""

COLUMNS = {
    "selfValues": "selfValue",
    "peerMeans": "peerMean",
    "expertMeans": "expertMean",
    "combined": "combined",
    "peerCounts": "peerCount",
    "expertCounts": "expertCount",
}


def as_results(scoreboard: dict[str, Any]) -> list[dict[str, Any]]:
    """The scoreboard turned back into the object form of ``results``."""
    return [
        {
            "institution": row["institution"],
            "overallIndex": row["overallIndex"],
            "rank": row["rank"],
            "indicators": [
                {
                    "indicator": code,
                    "title": title,
                    **{name: row[vector][i] for vector, name in COLUMNS.items()},
                }
                for i, (code, title) in enumerate(
                    zip(scoreboard["indicators"], scoreboard["titles"], strict=True)
                )
            ],
        }
        for row in scoreboard["rows"]
    ]


def both_forms(world: World, session_id: str) -> tuple[Any, Any]:
    viewer = world.api("viewer")
    results = viewer(RESULTS, {"id": session_id})["reviewSession"]["results"]
    scoreboard = viewer(SCOREBOARD, {"id": session_id})["reviewSession"]["scoreboard"]
    return results, scoreboard


def test_the_scoreboard_is_the_results_as_vectors(world: World) -> None:
    session_id = run_full_session(world, conclude=False)
    assert both_forms(world, session_id) == (None, None)  # nothing before the conclusion
    world.api("admin")(
        "mutation($id: ID!) { concludeReviewSession(input: {sessionId: $id}) { userErrors "
        "{ code } } }",
        {"id": session_id},
    )
    results, scoreboard = both_forms(world, session_id)
    assert [r["institution"]["code"] for r in results] == [SCHOOLS[s] for s in SESSION]
    assert scoreboard["indicators"] == [f"T{n:02d}" for n in range(1, 21)]
    assert all(len(row["combined"]) == 20 for row in scoreboard["rows"])
    assert as_results(scoreboard) == results


def test_the_scoreboard_follows_a_correction(world: World) -> None:
    session_id = run_full_session(world)
    [score] = [
        s
        for s in scores_seen(world, "admin", session_id, SCHOOLS["thu"])
        if s["source"] == "SELF" and s["indicator"] == "T01"
    ]
    _, before = both_forms(world, session_id)
    correction = {"input": {"scoreId": score["id"], "value": 40, "reason": "核实"}}
    assert world.api("admin")(CORRECT, correction)["correctScore"]["userErrors"] == []
    results, after = both_forms(world, session_id)
    assert as_results(after) == results
    thu_before, thu_after = before["rows"][0], after["rows"][0]
    assert (thu_before["selfValues"][0], thu_after["selfValues"][0]) == (90.0, 40.0)
    assert thu_after["combined"][0] == pytest.approx(thu_before["combined"][0] - 0.2 * 50)
    assert after["rows"][1:] == before["rows"][1:]  # the other schools keep their figures


def submit_vector(world: World, who: str, session_id: str, vector: dict[str, Any]) -> Any:
    return world.api(who, "en")(
        SUBMIT,
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["ruc"],
                "source": "EXPERT",
                "vector": vector,
            }
        },
    )["submitScores"]


def test_a_vector_stores_what_the_list_of_scores_stores(world: World) -> None:
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    values = [60.0 + n for n in range(20)]
    codes = [f"T{n:02d}" for n in range(1, 21)]
    comments = [f"第 {n} 项" for n in range(20)]
    stored = submit_vector(
        world, "expert1", session_id, {"indicators": codes, "values": values, "comments": comments}
    )
    assert stored["userErrors"] == []
    assert stored["changedCount"] == 20
    assert [(s["indicator"], s["value"]) for s in stored["scores"]] == list(
        zip(codes, values, strict=True)
    )
    # The same scores as a list of ScoreInput change nothing: they are what was stored.
    same = scores_for("EXPERT", dict(zip(codes, values, strict=True)))
    for entry, comment in zip(same, comments, strict=True):
        entry["comment"] = comment
    again = submit(world.api("expert1"), session_id, "ruc", "EXPERT", same)
    assert (again["userErrors"], again["changedCount"]) == ([], 0)
    # And one changed value by vector is one change, audited like any other.
    values[4] = 99.0
    changed = submit_vector(
        world, "expert1", session_id, {"indicators": codes, "values": values, "comments": comments}
    )
    assert (changed["userErrors"], changed["changedCount"]) == ([], 1)
    [seen] = [
        s
        for s in scores_seen(world, "admin", session_id, SCHOOLS["ruc"])
        if s["indicator"] == "T05"
    ]
    assert seen["value"] == 99.0


def test_a_vector_is_refused_whole_with_the_list_and_position_at_fault(world: World) -> None:
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    codes = [f"T{n:02d}" for n in range(1, 21)]
    good = [70.0] * 20

    def refused(vector: dict[str, Any]) -> list[tuple[list[str], str]]:
        payload = submit_vector(world, "expert1", session_id, vector)
        assert payload["changedCount"] == 0 and payload["scores"] == []
        return [(e["field"], e["code"]) for e in payload["userErrors"]]

    assert refused({"indicators": codes, "values": good[:19], "comments": ["x"]}) == [
        (["vector", "values"], "INVALID_VALUE"),
        (["vector", "comments"], "INVALID_VALUE"),
    ]
    out_of_scale = [*good[:3], 101.0, *good[4:]]
    assert refused({"indicators": codes, "values": out_of_scale}) == [
        (["vector", "values", "3"], "OUT_OF_SCALE")
    ]
    unknown = [*codes[:19], "T99"]
    assert refused({"indicators": unknown, "values": good}) == [
        (["vector", "indicators", "19"], "UNKNOWN_INDICATOR")
    ]
    assert refused({"indicators": [], "values": []}) == [
        (["vector", "indicators"], "EMPTY_SUBMISSION")
    ]
    both = world.api("expert1")(
        SUBMIT,
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["ruc"],
                "source": "EXPERT",
                "scores": [{"indicator": "T01", "value": 70}],
                "vector": {"indicators": codes, "values": good},
            }
        },
    )["submitScores"]
    assert [(e["field"], e["code"]) for e in both["userErrors"]] == [(["vector"], "INVALID_VALUE")]
    # Nothing of the refused submissions was stored.
    assert scores_seen(world, "expert1", session_id, SCHOOLS["ruc"]) == []


def test_a_vector_keeps_blind_review_and_the_reviewer_rules(world: World) -> None:
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    codes = [f"T{n:02d}" for n in range(1, 21)]
    # A school may not send expert scores, whatever their form.
    refused = world.api("thu")(
        SUBMIT,
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["ruc"],
                "source": "EXPERT",
                "vector": {"indicators": codes, "values": [70.0] * 20},
            }
        },
    )["submitScores"]
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_A_REVIEWER"]
    assert (
        submit_vector(world, "expert1", session_id, {"indicators": codes, "values": [70.0] * 20})[
            "userErrors"
        ]
        == []
    )
    # Before the conclusion another expert sees none of them.
    assert scores_seen(world, "expert2", session_id, SCHOOLS["ruc"]) == []


SDL = """
type Query {
  floats: [Float]
  strictFloats: [Float!]
  ints: [Int!]!
  names: [String]
  nested: [[Float]]
}"""


@pytest.mark.parametrize(
    "root",
    [
        {"floats": [1.5, None, 2], "strictFloats": [1.0, 2.0], "ints": [1, 2, 3]},
        {"strictFloats": [1.0, None], "ints": [1, 2]},  # a null where none may be
        {"floats": [1.0, "abc"], "ints": [2**40]},  # values the scalars refuse
        {"names": ["a", 1, True], "ints": [1], "nested": [[1.0, None], None]},
        {"floats": [float("inf")], "ints": []},
    ],
)
def test_the_fast_path_answers_as_graphql_core_does(root: dict[str, Any]) -> None:
    schema = build_schema(SDL)
    document = parse("{ floats strictFloats ints names nested }")
    answers = [
        execute(schema, document, root_value=root, executor_class=kind)
        for kind in (Executor, ScalarListExecution)
    ]
    plain, fast = answers
    assert fast.data == plain.data
    assert [(e.message, e.path) for e in fast.errors or ()] == [
        (e.message, e.path) for e in plain.errors or ()
    ]

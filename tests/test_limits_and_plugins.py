"""Request limits (R23), introspection switch, and a plugin failing inside a hook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from unittest.mock import ANY

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from sanquan.review.models import Score
from sanquan_sdk import Aggregation, IndicatorSet, ScoreProblem, ScoreValue, Source, hookimpl
from tests.conftest import SCHOOLS, Api, World
from tests.flows import CONCLUDE, open_session, scores_for, submit
from tests.test_blind_review_and_audit import CORRECT, scores_seen
from tests.test_review_flow import run_full_session

THREE = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]


@pytest.mark.engine_independent
def test_alias_count_is_limited(world: World) -> None:
    aliases = "".join(f"b{i}: viewer {{ name }} " for i in range(40))
    body = world.api("viewer", "en").raw("{ " + aliases + "}")
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "TOO_MANY_ALIASES",
        "aliases": 40,
        "limit": 30,
        "requestId": ANY,
    }
    assert error["message"] == "the query uses 40 aliases, over the limit of 30"


@pytest.mark.engine_independent
def test_query_depth_is_limited(settings: Settings, host: PluginHost, world: World) -> None:
    deep = (
        "{ reviewSessions { edges { node { indicatorSet { dimensions { indicators "
        "{ scale { minimum } } } } } } } }"
    )
    assert world.api("viewer")(deep) == {"reviewSessions": {"edges": []}}
    shallow = replace(settings, max_depth=5)
    with TestClient(create_app(shallow, host)) as client:
        body = Api(client, world.tokens["viewer"]).raw(deep)
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "QUERY_TOO_DEEP",
        "depth": 7,
        "limit": 5,
        "requestId": ANY,
    }
    assert error["message"] == "查询嵌套 7 层,超过上限 5 层"


@pytest.mark.engine_independent
def test_introspection_can_be_switched_off(
    settings: Settings, host: PluginHost, world: World
) -> None:
    """Off by default (R23); a deployment that wants it says so."""
    query = "{ __schema { queryType { name } } }"
    refused = world.api("viewer").raw(query)["errors"]
    assert {e["extensions"]["code"] for e in refused} == {"INTROSPECTION_DISABLED"}
    assert "自省" in refused[0]["message"]
    hint = world.api("viewer").raw("{ reviewSesion(id: 1) { id } }")
    assert "Did you mean" not in hint["errors"][0]["message"]
    opened = replace(settings, introspection=True)
    with TestClient(create_app(opened, host)) as client:
        api = Api(client, world.tokens["viewer"])
        assert api(query) == {"__schema": {"queryType": {"name": "Query"}}}
        assert "Did you mean" in api.raw("{ reviewSesion(id: 1) { id } }")["errors"][0]["message"]


class Exploding:
    """Raises for every set: its own bug, which must not be pinned on the set's plugin."""

    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        if score.indicator == "T05":
            raise ZeroDivisionError("bug in a plugin")
        return None


class Picky:
    """Refuses T05 of every set with a rule of its own."""

    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        if score.indicator == "T05":
            return [ScoreProblem("value", "STEP_OF_5", "T05 只接受 5 的倍数")]
        return None


class Garbled:
    """Answers T05 with something that is not a list of problems."""

    @hookimpl
    def sanquan_validate_score(self, indicator_set: IndicatorSet, score: ScoreValue) -> object:
        return "不合格" if score.indicator == "T05" else None


@pytest.mark.parametrize(
    ("plugin", "code"),
    [(Exploding(), "PLUGIN_FAILED"), (Picky(), "PLUGIN_RULE"), (Garbled(), "PLUGIN_FAILED")],
)
def test_a_validation_hook_is_answered_for_by_its_own_plugin(
    settings: Settings, world: World, db: Session, plugin: object, code: str
) -> None:
    session_id = open_session(world, THREE)
    host = PluginHost.discover(extra=[plugin])
    culprit = type(plugin).__name__
    with TestClient(create_app(settings, host)) as client:
        api = Api(client, world.tokens["thu"])
        result = submit(api, session_id, "ruc", "PEER", scores_for("PEER", 70))
        [error] = result["userErrors"]
        assert error["code"] == code
        assert error["field"][:2] == ["scores", "4"]
        assert culprit in error["message"]
        assert "sanquan-plugin-beijing" not in error["message"]
        assert "ZeroDivisionError" not in error["message"]
        english = Api(client, world.tokens["thu"], "en")
        again = submit(english, session_id, "ruc", "PEER", scores_for("PEER", 70))
        assert culprit in again["userErrors"][0]["message"]
        # The service stays up and other work goes on.
        assert api("{ viewer { name } }") == {"viewer": {"name": "thu"}}
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Score)) == 0


class Recording:
    """Finds nothing, and remembers every score it was asked about."""

    def __init__(self) -> None:
        self.seen: list[ScoreValue] = []

    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        self.seen.append(score)
        return None


@pytest.mark.engine_independent
def test_no_plugin_checks_the_scores_of_a_reviewer_the_session_refuses(
    settings: Settings, world: World, db: Session
) -> None:
    """The plugins check a submission's scores only once its reviewer may submit them:
    nobody refused (a school or expert not the session's, a school scoring one outside
    it, a concluded session) has plugin code run on what it sent, nor a failing plugin
    logged on its account."""
    session_id = open_session(world, THREE, experts=world.expert_ids[:5])
    recording = Recording()
    host = PluginHost.discover(extra=[recording])
    refused = [
        ("bnu", "ruc", "PEER", "NOT_A_REVIEWER"),
        ("expert6", "ruc", "EXPERT", "NOT_A_REVIEWER"),
        ("thu", "bnu", "PEER", "NOT_IN_SESSION"),
        ("thu", "ruc", "SELF", "SELF_OTHER_SCHOOL"),
        ("thu", "thu", "PEER", "PEER_OWN_SCHOOL"),
        ("expert_pku", "ruc", "EXPERT", "NOT_A_REVIEWER"),
    ]
    with TestClient(create_app(settings, host)) as client:
        for who, school, source, code in refused:
            result = submit(
                Api(client, world.tokens[who]), session_id, school, source, scores_for(source, 70)
            )
            assert [e["code"] for e in result["userErrors"]] == [code], (who, school, source)
        assert recording.seen == []
        accepted = submit(
            Api(client, world.tokens["thu"]), session_id, "ruc", "PEER", scores_for("PEER", 70)
        )
        assert accepted["userErrors"] == []
        assert {(s.subject, s.source) for s in recording.seen} == {(SCHOOLS["ruc"], Source.PEER)}
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Score)) == len(scores_for("PEER", 70))


class ExplodingCounted(Exploding):
    """Raises on T05, as :class:`Exploding`, and counts the scores it was asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        self.asked.append(score.indicator)
        return super().sanquan_validate_score(indicator_set, score)


@pytest.mark.engine_independent
def test_a_plugin_failing_on_a_submission_runs_and_is_logged_once(
    settings: Settings, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A plugin that fails on a score is asked about it once: its failure, found before
    the session's lock is taken, is what the submission answers, not a second run under
    the lock (where a slow plugin would hold up every writer), and the log has it once."""
    session_id = open_session(world, THREE)
    plugin = ExplodingCounted()
    host = PluginHost.discover(extra=[plugin])
    with TestClient(create_app(settings, host)) as client:
        api = Api(client, world.tokens["thu"])
        result = submit(api, session_id, "ruc", "PEER", scores_for("PEER", 70))
    [error] = result["userErrors"]
    assert (error["code"], error["field"][:2]) == ("PLUGIN_FAILED", ["scores", "4"])
    assert plugin.asked == ["T01", "T02", "T03", "T04", "T05"]
    failures = [r for r in caplog.records if "failed in sanquan_validate_score" in r.message]
    assert len(failures) == 1


class StepsOfFive:
    """The example of ``sanquan_validate_score``'s reference documentation, as written."""

    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        if indicator_set.key == "beijing-sanquan" and score.value % 5:
            return [ScoreProblem("value", "NOT_A_MULTIPLE_OF_5", "use steps of 5")]
        return None


def test_a_plugins_own_rule_reaches_the_reviewer_in_its_words(
    settings: Settings, world: World, db: Session
) -> None:
    # R12 with a rule of the plugin's own: its field, its message, under the plugin's name.
    session_id = open_session(world, THREE)
    host = PluginHost.discover(extra=[StepsOfFive()])
    with TestClient(create_app(settings, host)) as client:
        thu = Api(client, world.tokens["thu"], "en")
        entries = scores_for("PEER", 70)
        entries[2]["value"], entries[7]["value"] = 72, 67.5
        refused = submit(thu, session_id, "ruc", "PEER", entries)
        rule = {"code": "PLUGIN_RULE", "message": "plugin StepsOfFive: use steps of 5"}
        assert refused["userErrors"] == [
            {"field": ["scores", "2", "value"], **rule},
            {"field": ["scores", "7", "value"], **rule},
        ]
        assert count_scores(db) == 0
        accepted = submit(thu, session_id, "ruc", "PEER", scores_for("PEER", 70))
        assert (accepted["userErrors"], accepted["changedCount"]) == ([], 20)
    assert count_scores(db) == 20


def count_scores(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Score)) or 0


class RaisingAggregation:
    """Its aggregation raises for every set."""

    @hookimpl
    def sanquan_aggregate(
        self, indicator_set: IndicatorSet, scores: Sequence[ScoreValue], weights: object
    ) -> Aggregation | None:
        raise KeyError("bug in a plugin")


class WrongAggregation:
    """Its aggregation answers with a plain dict instead of an Aggregation."""

    @hookimpl
    def sanquan_aggregate(self, indicator_set: IndicatorSet) -> object:
        return {"overall": 100}


@pytest.mark.parametrize("plugin", [RaisingAggregation(), WrongAggregation()])
def test_a_failing_aggregation_leaves_the_session_open_and_names_its_plugin(
    settings: Settings, world: World, plugin: object
) -> None:
    session_id = run_full_session(world, conclude=False)
    culprit = type(plugin).__name__
    status = "query($id: ID!) { reviewSession(id: $id) { status } }"
    with TestClient(create_app(settings, PluginHost.discover(extra=[plugin]))) as client:
        for language, says in [("zh", "仍在进行"), ("en", "stays open")]:
            admin = Api(client, world.tokens["admin"], language)
            payload = admin(CONCLUDE, {"id": session_id})["concludeReviewSession"]
            [error] = payload["userErrors"]
            assert error["code"] == "PLUGIN_FAILED"
            assert error["field"] == ["sessionId"]
            assert culprit in error["message"]
            assert says in error["message"]
            assert "提交" not in error["message"]
            assert "submission" not in error["message"]
            assert "sanquan-plugin-beijing" not in error["message"]
    admin = world.api("admin")
    assert admin(status, {"id": session_id})["reviewSession"] == {"status": "OPEN"}
    # Without the faulty plugin the same session concludes; a correction then meets it again.
    assert admin(CONCLUDE, {"id": session_id})["concludeReviewSession"]["userErrors"] == []

    def thu_self_t01() -> dict[str, Any]:
        [score] = [
            s
            for s in scores_seen(world, "admin", session_id, SCHOOLS["thu"])
            if s["source"] == "SELF" and s["indicator"] == "T01"
        ]
        return score

    score = thu_self_t01()
    correction = {"input": {"scoreId": score["id"], "value": 80, "reason": "核实"}}
    with TestClient(create_app(settings, PluginHost.discover(extra=[plugin]))) as client:
        refused = Api(client, world.tokens["admin"])(CORRECT, correction)["correctScore"]
    [error] = refused["userErrors"]
    assert (error["code"], error["field"]) == ("PLUGIN_FAILED", ["scoreId"])
    assert culprit in error["message"]
    assert "更正未保存" in error["message"]
    assert thu_self_t01()["value"] == score["value"]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.engine_independent
def test_indicator_sets_are_listed_with_structure(world: World, language: str) -> None:
    data = world.api("viewer", language)(
        "{ indicatorSets { key version provider dimensions { code weight "
        "indicators { code title weight scale { minimum maximum } sources "
        "evidenceRequiredFor } } } }"
    )
    [beijing] = [s for s in data["indicatorSets"] if s["key"] == "beijing-sanquan"]
    assert beijing["version"] == "2019.1"
    assert beijing["provider"] == "sanquan-plugin-beijing"
    assert [d["weight"] for d in beijing["dimensions"]] == [50.0, 35.0, 15.0]
    t11 = beijing["dimensions"][1]["indicators"][0]
    assert t11["title"] == "深化党建引领的长效育人机制"
    assert t11["evidenceRequiredFor"] == ["SELF"]
    assert t11["scale"] == {"minimum": 0.0, "maximum": 100.0}


@pytest.mark.engine_independent
def test_document_size_is_limited(settings: Settings, host: PluginHost, world: World) -> None:
    small = replace(settings, max_tokens=50)
    query = "{ viewer { " + "name " * 60 + "} }"
    with TestClient(create_app(small, host)) as client:
        api = Api(client, world.tokens["viewer"])
        body = api.raw(query)
        assert "more than 50 tokens" in body["errors"][0]["message"]
        # the same document again: the cache must not let it through
        assert "more than 50 tokens" in api.raw(query)["errors"][0]["message"]
        assert api("{ viewer { name } }") == {"viewer": {"name": "viewer"}}


class LowScoresNeedAComment:
    """A rule of the plugin's own that reads the score's comment: below 60, say why."""

    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        if score.value < 60 and not score.comment.strip():
            return [ScoreProblem("comment", "LOW_NEEDS_COMMENT", "低于 60 分须说明理由")]
        return None


SUBMIT_WITH_CODES = """mutation($in: SubmitScoresInput!) { submitScores(input: $in) {
  changedCount userErrors { field code pluginCode message } } }"""


def test_a_plugins_own_code_reaches_user_errors_as_the_test_kit_reports_it(
    settings: Settings, world: World, db: Session
) -> None:
    """The plugin's verdict is the same under the SDK's test kit and through GraphQL: the
    same score, comment included, refused with the plugin's own code (in ``pluginCode``
    beside ``PLUGIN_RULE``), or accepted."""
    from sanquan_beijing import plugin as beijing
    from sanquan_sdk.testing import manager_for, score

    rule = LowScoresNeedAComment()
    kit = manager_for(beijing, rule)
    assert score(kit, "beijing-sanquan", "T03", value=55).codes == ["LOW_NEEDS_COMMENT"]
    assert score(kit, "beijing-sanquan", "T03", value=55, comment="未开展").ok
    session_id = open_session(world, THREE)
    with TestClient(create_app(settings, PluginHost.discover(extra=[rule]))) as client:
        thu = Api(client, world.tokens["thu"])
        entries = scores_for("PEER", 70)
        entries[2]["value"] = 55
        wanted = {"sessionId": session_id, "institutionCode": SCHOOLS["ruc"], "source": "PEER"}
        refused = thu(SUBMIT_WITH_CODES, {"in": {**wanted, "scores": entries, "final": True}})
        assert refused["submitScores"]["userErrors"] == [
            {
                "field": ["scores", "2", "comment"],
                "code": "PLUGIN_RULE",
                "pluginCode": "LOW_NEEDS_COMMENT",
                "message": "插件 LowScoresNeedAComment:低于 60 分须说明理由",
            }
        ]
        assert count_scores(db) == 0
        entries[2]["comment"] = "未开展"
        accepted = thu(SUBMIT_WITH_CODES, {"in": {**wanted, "scores": entries, "final": True}})
        assert accepted["submitScores"] == {"changedCount": 20, "userErrors": []}
    assert count_scores(db) == 20

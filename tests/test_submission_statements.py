"""What a submission costs the database does not grow with its scores, and the rows it
writes past SQLAlchemy's row-by-row parameter building read back exactly as the ORM's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from sanquan.api.ids import parse_id
from sanquan.config import Settings
from sanquan.db import make_engine, make_session_factory
from sanquan.errors import DomainErrors
from sanquan.limits import COMMENT_LENGTH
from sanquan.plugins.host import PluginHost
from sanquan.review import scoring
from sanquan.review.models import Score, ScoreRevision, ScoreStatus
from sanquan_sdk import Source
from tests.conftest import SCHOOLS, World
from tests.flows import INDICATORS, open_session
from tests.test_concurrency import principal

TODAY = date.today()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    made = make_engine(settings.database_url)
    yield made
    made.dispose()


@pytest.fixture
def session_id(world: World) -> int:
    """An open session of 清华大学, 中国人民大学 and 北京科技大学."""
    opened = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")])
    return parse_id(opened, "ReviewSession")


def statements_of(
    engine: Engine, host: PluginHost, expert: int, session_id: int, values: dict[str, float]
) -> tuple[int, int]:
    """The statements one expert's submission of ``values`` to 中国人民大学 sends,
    committed, and the number of scores it changed."""
    sent: list[str] = []

    def seen(*args: object) -> None:
        sent.append(str(args[2]))

    sessions: sessionmaker[Session] = make_session_factory(engine)
    entries = [scoring.ScoreEntry(code, value) for code, value in values.items()]
    submission = scoring.Submission(session_id, SCHOOLS["ruc"], Source.EXPERT, entries)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with sessions() as db:
            outcome = scoring.submit_scores(
                db, host, principal(db, expert), submission, today=TODAY
            )
            db.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return len(sent), outcome.changed


def test_a_submission_sends_as_many_statements_for_18_scores_as_for_2(
    world: World, engine: Engine, host: PluginHost, session_id: int
) -> None:
    expert = parse_id(world.expert_ids[0], "Account")
    few, many = INDICATORS[:2], INDICATORS[2:]
    first_few = statements_of(engine, host, expert, session_id, dict.fromkeys(few, 70.0))
    first_many = statements_of(engine, host, expert, session_id, dict.fromkeys(many, 70.0))
    again_few = statements_of(engine, host, expert, session_id, dict.fromkeys(few, 71.0))
    again_many = statements_of(engine, host, expert, session_id, dict.fromkeys(many, 71.0))
    assert (len(few), len(many)) == (2, 18)
    assert [changed for _, changed in (first_few, first_many, again_few, again_many)] == [
        2,
        18,
        2,
        18,
    ]
    assert first_few[0] == first_many[0]
    assert again_few[0] == again_many[0]
    # a first submission also reads back the ids of the scores it created
    assert first_many[0] == again_many[0] + 1


def test_scores_and_audit_rows_written_in_bulk_read_back_as_the_orm_writes_them(
    world: World, engine: Engine, host: PluginHost, session_id: int
) -> None:
    expert = parse_id(world.expert_ids[0], "Account")
    before = datetime.now(UTC)
    statements_of(engine, host, expert, session_id, {"T01": 70.0, "T02": 80.5})
    statements_of(engine, host, expert, session_id, {"T01": 75.0, "T02": 80.5})
    after = datetime.now(UTC)
    with make_session_factory(engine)() as db:
        scores = {
            s.indicator_code: s
            for s in db.scalars(select(Score).where(Score.session_id == session_id))
        }
        revisions = db.scalars(
            select(ScoreRevision)
            .where(ScoreRevision.score_id.in_([s.id for s in scores.values()]))
            .order_by(ScoreRevision.id)
        ).all()
    assert {code: s.value for code, s in scores.items()} == {"T01": 75.0, "T02": 80.5}
    for score in scores.values():
        assert score.status is ScoreStatus.SUBMITTED
        assert score.source is Source.EXPERT
        assert score.reviewer_key == f"expert:{expert}"
        assert score.reviewer_account_id == expert
        assert score.reviewer_institution_id is None
        assert score.submitted_by_id == expert
        assert score.updated_at.tzinfo is UTC
        assert before <= score.updated_at <= after
    t01 = scores["T01"].id
    assert [
        (r.score_id, r.old_value, r.new_value, r.old_status, r.new_status) for r in revisions
    ] == [
        (t01, None, 70.0, None, ScoreStatus.SUBMITTED),
        (scores["T02"].id, None, 80.5, None, ScoreStatus.SUBMITTED),
        (t01, 70.0, 75.0, ScoreStatus.SUBMITTED, ScoreStatus.SUBMITTED),
    ]
    latest = revisions[-1]
    assert latest.changed_by_id == expert
    assert latest.changed_at == scores["T01"].updated_at
    assert (latest.new_comment, latest.new_evidence, latest.reason) == ("", "", "")


def test_the_domain_function_reports_a_bad_comment_and_bad_evidence_together(
    world: World, engine: Engine, host: PluginHost, session_id: int
) -> None:
    """``submit_scores``'s own text check, for callers that do not pass the GraphQL edge
    (which refuses the same first): every bad text of a submission is reported at once,
    each at its field, and nothing is stored (R12)."""
    expert = parse_id(world.expert_ids[0], "Account")
    bad = scoring.ScoreEntry(
        INDICATORS[0], 70.0, comment="评" * (COMMENT_LENGTH + 1), evidence="seen\x00"
    )
    entries = [bad, scoring.ScoreEntry(INDICATORS[1], 70.0)]
    submission = scoring.Submission(session_id, SCHOOLS["ruc"], Source.EXPERT, entries)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    with sessions() as db, pytest.raises(DomainErrors) as refused:
        scoring.submit_scores(db, host, principal(db, expert), submission, today=TODAY)
    fields = [tuple(error.field) for error in refused.value.errors]
    assert fields == [("scores", 0, "comment"), ("scores", 0, "evidence")]
    with sessions() as db:
        stored = db.scalars(select(Score).where(Score.session_id == session_id)).all()
    assert stored == []

"""Two writers at once, as two server processes would be: a score cannot land in a session
being concluded, and two representatives editing one score keep the audit chain whole."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sanquan.api.ids import parse_id
from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import Principal, create_account
from sanquan.config import Settings
from sanquan.db import make_engine, make_session_factory
from sanquan.plugins.host import PluginHost
from sanquan.review import conclusion, scoring
from sanquan.review.models import IndicatorOutcome, Score, ScoreRevision
from sanquan_sdk import Source
from tests.conftest import SCHOOLS, World
from tests.flows import open_session, scores_for, submit
from tests.test_review_flow import run_full_session

TODAY = date.today()


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def principal(db: Session, account_id: int) -> Principal:
    account = db.get(Account, account_id)
    assert account is not None
    return Principal(account.id, account.name, account.role, account.institution_id)


def paused_after(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> tuple[threading.Event, threading.Event]:
    """Make ``scoring.<name>`` stop, once, in the thread called "paused" until released."""
    reached, release = threading.Event(), threading.Event()
    original: Callable[..., object] = getattr(scoring, name)

    def pausing(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)
        if threading.current_thread().name == "paused" and not reached.is_set():
            reached.set()
            release.wait(20)
        return result

    monkeypatch.setattr(scoring, name, pausing)
    return reached, release


def resubmit(
    sessions: sessionmaker[Session],
    host: PluginHost,
    account_id: int,
    session_id: int,
    subject: str,
    source: Source,
    value: float,
) -> None:
    entries = [scoring.ScoreEntry(f"T{n:02d}", value, evidence="佐证") for n in range(1, 21)]
    with sessions() as db:
        submission = scoring.Submission(session_id, SCHOOLS[subject], source, entries)
        scoring.submit_scores(db, host, principal(db, account_id), submission, today=TODAY)
        db.commit()


def test_conclusion_waits_for_a_submission_in_flight(
    world: World,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_id = parse_id(run_full_session(world, conclude=False), "ReviewSession")
    reached, release = paused_after(monkeypatch, "check_open")
    writer = threading.Thread(
        target=resubmit,
        args=(sessions, host, world.account_ids["thu"], session_id, "ruc", Source.PEER, 10.0),
        name="paused",
    )
    writer.start()
    assert reached.wait(20)

    def conclude() -> None:
        with sessions() as db:
            conclusion.conclude_session(db, host, session_id)
            db.commit()

    concluder = threading.Thread(target=conclude)
    concluder.start()
    concluder.join(1.0)
    assert concluder.is_alive(), "conclusion went ahead while a submission was being checked"
    release.set()
    writer.join(20)
    concluder.join(20)
    with sessions() as db:
        ruc = db.scalar(
            select(Score.subject_id).where(Score.source == Source.PEER, Score.value == 10.0)
        )
        peer_mean = db.scalar(
            select(IndicatorOutcome.peer_mean).where(
                IndicatorOutcome.institution_id == ruc, IndicatorOutcome.indicator_code == "T01"
            )
        )
    # ruc's peers: 清华 now 10, 北京科技大学 74 → the results include the submission.
    assert peer_mean == pytest.approx(42.0)


def test_two_representatives_editing_one_score_keep_the_audit_chain(
    world: World,
    db: Session,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_id = parse_id(
        open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")]), "ReviewSession"
    )
    second = create_account(
        db, name="thu-2", role=Role.INSTITUTION, institution_code=SCHOOLS["thu"]
    )
    db.commit()
    submit(world.api("thu"), str(session_id), "thu", "SELF", scores_for("SELF", 90.0))
    reached, release = paused_after(monkeypatch, "problems_of")
    first = threading.Thread(
        target=resubmit,
        args=(sessions, host, world.account_ids["thu"], session_id, "thu", Source.SELF, 91.0),
        name="paused",
    )
    first.start()
    assert reached.wait(20)
    other = threading.Thread(
        target=resubmit,
        args=(sessions, host, second.id, session_id, "thu", Source.SELF, 92.0),
    )
    other.start()
    other.join(1.0)
    release.set()
    first.join(20)
    other.join(20)
    with sessions() as check:
        score_id = check.scalar(
            select(Score.id).where(Score.indicator_code == "T01", Score.source == Source.SELF)
        )
        chain = [
            (r.old_value, r.new_value)
            for r in check.scalars(
                select(ScoreRevision)
                .where(ScoreRevision.score_id == score_id)
                .order_by(ScoreRevision.id)
            )
        ]
    assert chain == [(None, 90.0), (90.0, 91.0), (91.0, 92.0)]

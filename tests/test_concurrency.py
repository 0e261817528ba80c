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
from sanquan.errors import DomainError, ErrorCode
from sanquan.institutions.models import Institution
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


def conclude_in(
    sessions: sessionmaker[Session], host: PluginHost, session_id: int
) -> threading.Thread:
    """Conclude the session from another thread, started and given a second to finish."""

    def conclude() -> None:
        with sessions() as db:
            conclusion.conclude_session(db, host, session_id)
            db.commit()

    concluder = threading.Thread(target=conclude)
    concluder.start()
    concluder.join(1.0)
    return concluder


def ruc_peer_mean(sessions: sessionmaker[Session]) -> float | None:
    """The concluded results' peer mean of 中国人民大学 on T01."""
    with sessions() as db:
        ruc = db.scalar(select(Institution.id).where(Institution.code == SCHOOLS["ruc"]))
        return db.scalar(
            select(IndicatorOutcome.peer_mean).where(
                IndicatorOutcome.institution_id == ruc, IndicatorOutcome.indicator_code == "T01"
            )
        )


def test_conclusion_waits_for_a_submission_in_flight(
    world: World,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_id = parse_id(run_full_session(world, conclude=False), "ReviewSession")
    # paused while writing, the session's lock held
    reached, release = paused_after(monkeypatch, "_write")
    writer = threading.Thread(
        target=resubmit,
        args=(sessions, host, world.account_ids["thu"], session_id, "ruc", Source.PEER, 10.0),
        name="paused",
    )
    writer.start()
    assert reached.wait(20)
    concluder = conclude_in(sessions, host, session_id)
    assert concluder.is_alive(), "conclusion went ahead while a submission was being stored"
    release.set()
    writer.join(20)
    concluder.join(20)
    # ruc's peers: 清华 now 10, 北京科技大学 74 → the results include the submission.
    assert ruc_peer_mean(sessions) == pytest.approx(42.0)


def test_a_submission_checked_before_a_conclusion_is_refused_after_it(
    world: World,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scores are checked before the session's lock is taken; a conclusion that
    commits meanwhile is seen under the lock, and the submission is refused whole."""
    session_id = parse_id(run_full_session(world, conclude=False), "ReviewSession")
    reached, release = paused_after(monkeypatch, "problems_of")
    refused: list[BaseException] = []

    def paused_resubmit() -> None:
        try:
            resubmit(sessions, host, world.account_ids["thu"], session_id, "ruc", Source.PEER, 10.0)
        except DomainError as error:
            refused.append(error)

    writer = threading.Thread(target=paused_resubmit, name="paused")
    writer.start()
    assert reached.wait(20)
    concluder = conclude_in(sessions, host, session_id)
    assert not concluder.is_alive(), "a submission being checked held up the conclusion"
    release.set()
    writer.join(20)
    assert [getattr(e, "code", e) for e in refused] == [ErrorCode.SESSION_CONCLUDED]
    with sessions() as db:
        assert db.scalar(select(Score.id).where(Score.value == 10.0)) is None
    # the results as concluded: 清华 still 70, 北京科技大学 74
    assert ruc_peer_mean(sessions) == pytest.approx(72.0)


@pytest.mark.parametrize(
    ("pause", "values"),
    [
        # paused under the lock, after reading the scores it changes: the other waits
        ("_write", [90.0, 91.0, 92.0]),
        # paused checking its scores, before the lock: the other goes first
        ("problems_of", [90.0, 92.0, 91.0]),
    ],
)
def test_two_representatives_editing_one_score_keep_the_audit_chain(
    pause: str,
    values: list[float],
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
    reached, release = paused_after(monkeypatch, pause)
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
    # each revision starts from the value the one before it left
    assert chain == list(zip([None, *values], values, strict=False))

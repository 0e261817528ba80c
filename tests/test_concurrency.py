"""Two writers at once, as two server processes would be: a score cannot land in a session
being concluded, and two representatives editing one score keep the audit chain whole."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from sanquan.api.ids import parse_id
from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import Principal, create_account
from sanquan.config import Settings
from sanquan.db import make_engine, make_session_factory
from sanquan.errors import DomainError, DomainErrors, ErrorCode
from sanquan.institutions.models import Institution
from sanquan.plugins.host import PluginHost
from sanquan.review import conclusion, scoring
from sanquan.review.models import IndicatorOutcome, Score, ScoreRevision, ScoreStatus
from sanquan_sdk import Source
from tests.conftest import SCHOOLS, World
from tests.flows import APPOINT, open_session, scores_for, submit
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
    final: bool = True,
) -> None:
    entries = [scoring.ScoreEntry(f"T{n:02d}", value, evidence="佐证") for n in range(1, 21)]
    with sessions() as db:
        submission = scoring.Submission(session_id, SCHOOLS[subject], source, entries, final)
        scoring.submit_scores(db, host, principal(db, account_id), submission, today=TODAY)
        db.commit()


def paused_writer(
    sessions: sessionmaker[Session],
    host: PluginHost,
    account_id: int,
    session_id: int,
    subject: str,
    source: Source,
    value: float,
    final: bool = True,
) -> tuple[threading.Thread, list[str]]:
    """:func:`resubmit` started in the thread "paused"; the codes of the errors that
    refuse it are collected in the list returned."""
    refused: list[str] = []

    def run() -> None:
        try:
            resubmit(sessions, host, account_id, session_id, subject, source, value, final)
        except DomainError as error:
            refused.append(error.code)
        except DomainErrors as several:
            refused.extend(e.code for e in several.errors)

    writer = threading.Thread(target=run, name="paused")
    writer.start()
    return writer, refused


def conclude_in(
    sessions: sessionmaker[Session], host: PluginHost, session_id: int, wait: float
) -> threading.Thread:
    """Conclude the session from another thread, started and given ``wait`` seconds to
    finish. A writer paused by :func:`paused_after` lets go after 20 s: a conclusion it
    held up is still waiting after 15, however loaded the machine."""

    def conclude() -> None:
        with sessions() as db:
            conclusion.conclude_session(db, host, session_id)
            db.commit()

    concluder = threading.Thread(target=conclude)
    concluder.start()
    concluder.join(wait)
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
    concluder = conclude_in(sessions, host, session_id, 1.0)
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
    writer, refused = paused_writer(
        sessions, host, world.account_ids["thu"], session_id, "ruc", Source.PEER, 10.0
    )
    assert reached.wait(20)
    concluder = conclude_in(sessions, host, session_id, 15.0)
    assert not concluder.is_alive(), "a submission being checked held up the conclusion"
    release.set()
    writer.join(20)
    assert refused == [ErrorCode.SESSION_CONCLUDED]
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
    if pause == "problems_of":
        # the first, paused before its lock, holds nothing: the other finishes meanwhile
        other.join(15)
        assert not other.is_alive(), "a submission being checked held up another"
    else:
        other.join(1.0)  # time to reach the lock the first holds
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


def test_an_expert_removed_from_the_panel_while_checking_is_refused(
    world: World,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An expert's scores checked while on the panel are refused when the panel has
    changed by the time the session's lock is taken: nothing of them is stored."""
    session = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")])
    session_id = parse_id(session, "ReviewSession")
    expert = world.account_ids["expert1"]
    reached, release = paused_after(monkeypatch, "problems_of")
    writer, refused = paused_writer(sessions, host, expert, session_id, "ruc", Source.EXPERT, 70.0)
    assert reached.wait(20)
    panel = [i for i in world.expert_ids if i != str(expert)]
    appointed = world.api("admin")(APPOINT, {"input": {"sessionId": session, "expertIds": panel}})
    assert appointed["appointExperts"]["userErrors"] == []
    release.set()
    writer.join(20)
    assert refused == [ErrorCode.NOT_A_REVIEWER]
    with sessions() as db:
        assert db.scalar(select(Score.id).where(Score.reviewer_account_id == expert)) is None


def test_a_draft_checked_before_a_final_is_stored_is_refused_after_it(
    world: World,
    db: Session,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A draft checked while the school had no scores, stored after another representative
    submitted the same scores as final: every score is ALREADY_SUBMITTED, and the final
    scores stay as they were."""
    session_id = parse_id(
        open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")]), "ReviewSession"
    )
    second = create_account(
        db, name="thu-2", role=Role.INSTITUTION, institution_code=SCHOOLS["thu"]
    )
    db.commit()
    reached, release = paused_after(monkeypatch, "problems_of")
    thu = world.account_ids["thu"]
    writer, refused = paused_writer(
        sessions, host, thu, session_id, "thu", Source.SELF, 91.0, False
    )
    assert reached.wait(20)
    resubmit(sessions, host, second.id, session_id, "thu", Source.SELF, 92.0)
    release.set()
    writer.join(20)
    assert refused == [ErrorCode.ALREADY_SUBMITTED] * 20
    with sessions() as check:
        stored = check.execute(
            select(Score.value, Score.status).where(Score.session_id == session_id)
        )
        assert {tuple(row) for row in stored} == {(92.0, ScoreStatus.SUBMITTED)}


def test_postgresql_transactions_read_what_was_committed_before_their_locks(
    database_url: str,
) -> None:
    """A submission reads its session again once it holds the lock a conclusion or a panel
    change waits for; under REPEATABLE READ it would read its first snapshot again and
    miss them. The service's transactions are READ COMMITTED even where the server's
    default is not."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs the service's reads outside a transaction until it writes")
    stricter = {"options": "-c default_transaction_isolation=repeatable\\ read"}
    engine = make_engine(database_url, connect_args=stricter)
    with engine.connect() as connection:
        assert connection.scalar(text("SHOW default_transaction_isolation")) == ("repeatable read")
        assert connection.scalar(text("SHOW transaction_isolation")) == "read committed"
    engine.dispose()

"""Two writers at once, as two server processes would be: a score cannot land in a session
being concluded, and two representatives editing one score keep the audit chain whole."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial

import pytest
from sqlalchemy import Engine, select, text
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


def engine_name(sessions: sessionmaker[Session]) -> str:
    bind = sessions.kw["bind"]
    assert isinstance(bind, Engine)
    return bind.dialect.name


def paused_writer(write: Callable[[], None]) -> tuple[threading.Thread, list[str]]:
    """``write`` (a :func:`resubmit`) started in the thread "paused"; the codes of the
    errors that refuse it are collected in the list returned."""
    refused: list[str] = []

    def run() -> None:
        try:
            write()
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


def with_second_representative(world: World, db: Session) -> tuple[int, Account]:
    """An open session of 清华, 人大 and 北京科技大学, and a second account for 清华."""
    session_id = parse_id(
        open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")]), "ReviewSession"
    )
    second = create_account(
        db, name="thu-2", role=Role.INSTITUTION, institution_code=SCHOOLS["thu"]
    )
    db.commit()
    return session_id, second


UNDER_THE_LOCK = ["_checked", "_write"]
"""Where a submission is paused with the session's lock held: its scores checked against
the session as the lock found it, and written."""


@pytest.mark.parametrize("pause", UNDER_THE_LOCK)
def test_conclusion_waits_for_a_submission_in_flight(
    pause: str,
    world: World,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_id = parse_id(run_full_session(world, conclude=False), "ReviewSession")
    reached, release = paused_after(monkeypatch, pause)
    thu = world.account_ids["thu"]
    writer, refused = paused_writer(
        partial(resubmit, sessions, host, thu, session_id, "ruc", Source.PEER, 10.0)
    )
    assert reached.wait(20)
    concluder = conclude_in(sessions, host, session_id, 1.0)
    assert concluder.is_alive(), "conclusion went ahead while a submission was in flight"
    release.set()
    writer.join(20)
    concluder.join(20)
    assert refused == []
    # ruc's peers: 清华 now 10, 北京科技大学 74 → the results include the submission.
    assert ruc_peer_mean(sessions) == pytest.approx(42.0)


@pytest.mark.parametrize("pause", UNDER_THE_LOCK)
def test_two_representatives_editing_one_score_keep_the_audit_chain(
    pause: str,
    world: World,
    db: Session,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_id, second = with_second_representative(world, db)
    submit(world.api("thu"), str(session_id), "thu", "SELF", scores_for("SELF", 90.0))
    reached, release = paused_after(monkeypatch, pause)
    thu = world.account_ids["thu"]
    first, _ = paused_writer(
        partial(resubmit, sessions, host, thu, session_id, "thu", Source.SELF, 91.0)
    )
    assert reached.wait(20)
    other = threading.Thread(
        target=resubmit,
        args=(sessions, host, second.id, session_id, "thu", Source.SELF, 92.0),
    )
    other.start()
    # Both engines hold the first's locks while it writes. While it checks its scores,
    # SQLite holds its one write lock; PostgreSQL holds a shared lock on the session and
    # has yet to lock the scores it will change, so the other goes first.
    goes_first = pause == "_checked" and engine_name(sessions) == "postgresql"
    other.join(15.0 if goes_first else 1.0)
    assert other.is_alive() is not goes_first
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
    values = [90.0, 92.0, 91.0] if goes_first else [90.0, 91.0, 92.0]
    assert chain == list(zip([None, *values], values, strict=False))


def thu_score_of_ruc(sessions: sessionmaker[Session]) -> float | None:
    """清华's stored peer score of 中国人民大学 on T01."""
    with sessions() as db:
        return db.scalar(
            select(Score.value).where(
                Score.indicator_code == "T01",
                Score.source == Source.PEER,
                Score.subject_id
                == select(Institution.id)
                .where(Institution.code == SCHOOLS["ruc"])
                .scalar_subquery(),
                Score.reviewer_institution_id
                == select(Institution.id)
                .where(Institution.code == SCHOOLS["thu"])
                .scalar_subquery(),
            )
        )


def test_a_conclusion_while_scores_are_evaluated_before_the_lock_refuses_them(
    world: World,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A submission's scores go through the plugins before it takes the session's lock
    (what they check does not change with the session): a conclusion meanwhile goes
    ahead, and the submission, checking the session again under the lock, is refused
    whole, its scores neither stored nor in the results."""
    session_id = parse_id(run_full_session(world, conclude=False), "ReviewSession")
    before = thu_score_of_ruc(sessions)
    reached, release = paused_after(monkeypatch, "_evaluated_early")
    thu = world.account_ids["thu"]
    writer, refused = paused_writer(
        partial(resubmit, sessions, host, thu, session_id, "ruc", Source.PEER, 10.0)
    )
    assert reached.wait(20)
    concluder = conclude_in(sessions, host, session_id, 20.0)
    assert not concluder.is_alive(), "a conclusion waited for scores not yet locked"
    release.set()
    writer.join(20)
    assert refused == [ErrorCode.SESSION_CONCLUDED]
    assert before is not None and thu_score_of_ruc(sessions) == before
    assert ruc_peer_mean(sessions) != pytest.approx(42.0)  # 42 had the 10 been counted


def test_an_expert_removed_while_scores_are_evaluated_before_the_lock_is_refused(
    world: World,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The panel is read again under the lock: an expert removed while the plugins
    checked the scores is refused, and stores nothing."""
    session = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")])
    session_id = parse_id(session, "ReviewSession")
    expert = world.account_ids["expert1"]
    reached, release = paused_after(monkeypatch, "_evaluated_early")
    writer, refused = paused_writer(
        partial(resubmit, sessions, host, expert, session_id, "ruc", Source.EXPERT, 70.0)
    )
    assert reached.wait(20)
    panel = [i for i in world.expert_ids if i != str(expert)]
    answer = world.api("admin")(APPOINT, {"input": {"sessionId": session, "expertIds": panel}})
    assert answer["appointExperts"]["userErrors"] == []
    release.set()
    writer.join(20)
    assert refused == [ErrorCode.NOT_A_REVIEWER]
    with sessions() as db:
        assert db.scalar(select(Score.id).where(Score.reviewer_account_id == expert)) is None


def test_a_panel_change_waits_for_an_experts_submission_being_checked(
    world: World,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An expert's scores are checked with the session's lock held: the expert's removal
    from the panel waits for them, so a score is never checked against a panel that has
    changed by the time it is stored, and then finds the expert has scored."""
    session = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")])
    session_id = parse_id(session, "ReviewSession")
    expert = world.account_ids["expert1"]
    reached, release = paused_after(monkeypatch, "_checked")
    writer, refused = paused_writer(
        partial(resubmit, sessions, host, expert, session_id, "ruc", Source.EXPERT, 70.0)
    )
    assert reached.wait(20)
    panel = [i for i in world.expert_ids if i != str(expert)]
    answers: list[object] = []

    def appoint() -> None:
        answers.append(
            world.api("admin")(APPOINT, {"input": {"sessionId": session, "expertIds": panel}})
        )

    appointing = threading.Thread(target=appoint)
    appointing.start()
    appointing.join(1.0)
    assert appointing.is_alive(), "the panel changed under a submission being checked"
    release.set()
    writer.join(20)
    appointing.join(20)
    assert refused == []
    with sessions() as db:
        assert db.scalar(select(Score.id).where(Score.reviewer_account_id == expert))
    (answer,) = answers
    assert isinstance(answer, dict)
    assert [e["code"] for e in answer["appointExperts"]["userErrors"]] == ["EXPERT_HAS_SCORES"]


def test_a_draft_being_checked_and_a_final_of_the_same_school(
    world: World,
    db: Session,
    sessions: sessionmaker[Session],
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two representatives of one school, a draft being checked when the other sends the
    final scores. On SQLite the draft holds the write lock: the final waits, then replaces
    it. On PostgreSQL the draft holds a shared lock on the session and no score yet: the
    final goes first, and the draft, reading the scores under their lock, is refused as
    ALREADY_SUBMITTED, whole. Either way the final scores are what is stored."""
    session_id, second = with_second_representative(world, db)
    reached, release = paused_after(monkeypatch, "_checked")
    thu = world.account_ids["thu"]
    writer, refused = paused_writer(
        partial(resubmit, sessions, host, thu, session_id, "thu", Source.SELF, 91.0, False)
    )
    assert reached.wait(20)
    final = threading.Thread(
        target=resubmit, args=(sessions, host, second.id, session_id, "thu", Source.SELF, 92.0)
    )
    final.start()
    goes_first = engine_name(sessions) == "postgresql"
    final.join(15.0 if goes_first else 1.0)
    assert final.is_alive() is not goes_first
    release.set()
    writer.join(20)
    final.join(20)
    assert refused == ([ErrorCode.ALREADY_SUBMITTED] * 20 if goes_first else [])
    with sessions() as check:
        stored = check.execute(
            select(Score.value, Score.status).where(Score.session_id == session_id)
        )
        assert {tuple(row) for row in stored} == {(92.0, ScoreStatus.SUBMITTED)}


def test_postgresql_transactions_read_what_was_committed_before_their_locks(
    database_url: str,
) -> None:
    """A submission reads its session once it holds the lock a conclusion or a panel
    change waits for, after its token was read in the same transaction; under REPEATABLE
    READ it would read the snapshot of that first statement and miss what committed in
    between. The service's transactions are READ COMMITTED even where the server's
    default is not."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs the service's reads outside a transaction until it writes")
    stricter = {"options": "-c default_transaction_isolation=repeatable\\ read"}
    engine = make_engine(database_url, connect_args=stricter)
    with engine.connect() as connection:
        assert connection.scalar(text("SHOW default_transaction_isolation")) == ("repeatable read")
        assert connection.scalar(text("SHOW transaction_isolation")) == "read committed"
    engine.dispose()

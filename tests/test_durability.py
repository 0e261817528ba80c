"""No acknowledged write is ever lost, and none is half-applied (Storage; R12, R13): reviewers
submit concurrently to the real server while it is killed with SIGKILL, a few times over;
after each restart every acknowledged submission is there, whole, with its audit trail.

What a SIGKILL can show, and what it cannot. It stops the server at any instruction, with
requests in flight, so it proves that an answer goes out only after its commit, that one
submission is one transaction, and that the audit history commits with the scores. It
cannot show a missing fsync: the operating system's page cache outlives the process, so a
commit that reached only the cache still reads back; only a power loss (or a machine stopped
without flushing) would show that. :func:`test_commits_wait_for_the_disk` checks instead the
settings that make a commit wait for the disk. On PostgreSQL only the service is killed,
never the database server.
"""

from __future__ import annotations

import itertools
import random
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.orm import Session, aliased

from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import issue_token
from sanquan.db import make_engine, make_session_factory
from sanquan.institutions.models import Institution
from sanquan.review.models import ReviewSession, Score, ScoreRevision, ScoreStatus
from tests.flows import INDICATORS, SUBMIT, read_all, scores_for
from tests.serving import free_port, graphql, start

SESSION = 2
"""The demo's open session: four schools, a panel of seven experts."""
SEED = 2027
ROUNDS = 2
"""Kills in a row: the second falls on a server that restarted from the first kill's
database, which is what a third, at another random point, only repeated."""
KILL_AFTER = (0.5, 1.5)
"""Seconds of submitting before each kill, drawn from the seeded generator."""
MAX_PER_WRITER = 400
"""A bound on each writer's submissions per round, should the kill come late."""
DRAFT_SHARE = 0.3

Indicator = tuple[str, float, str, str]
"""One stored score: indicator, value, comment, status."""
State = frozenset[Indicator]
"""What one reviewer has stored for one school."""


@dataclass(frozen=True)
class Pair:
    """A reviewer and the school they score: the reviewer named as ADMIN reads them, by the
    school's code for a self or peer score and by name for an expert."""

    reviewer: str
    subject: str
    source: str


@dataclass(frozen=True)
class Sent:
    """One submission, its number encoded in every value and comment."""

    number: int
    pair: Pair
    final: bool

    @property
    def value(self) -> float:
        return 50.0 + self.number % 50

    @property
    def comment(self) -> str:
        return f"第{self.number}次提交"

    @property
    def status(self) -> str:
        return ScoreStatus.SUBMITTED if self.final else ScoreStatus.DRAFT

    def variables(self) -> dict[str, object]:
        scores = scores_for(self.pair.source, self.value)
        return {
            "input": {
                "sessionId": str(SESSION),
                "institutionCode": self.pair.subject,
                "source": self.pair.source,
                "scores": [{**entry, "comment": self.comment} for entry in scores],
                "final": self.final,
            }
        }

    def state(self) -> State:
        return frozenset((code, self.value, self.comment, self.status) for code in INDICATORS)


class Outcome(Enum):
    ACKNOWLEDGED = "200, no errors, no userErrors"
    REFUSED = "userErrors: nothing stored (R12)"
    UNANSWERED = "in flight when the server died: stored whole or not at all"
    NOT_SENT = "no connection: the server never saw it"
    FAILED = "an error answer"


@dataclass
class Writer:
    """One reviewer submitting full score sheets, one after another, to the schools they
    may score: drafts at first, then finals (a final cannot go back to a draft)."""

    token: str
    pairs: list[Pair]
    finalised: set[Pair]
    rng: random.Random
    log: list[tuple[Sent, Outcome]] = field(default_factory=list)

    def run(self, port: int, numbers: Iterator[int], answered: threading.Event) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            for _ in range(MAX_PER_WRITER):
                pair = self.rng.choice(self.pairs)
                final = pair in self.finalised or self.rng.random() > DRAFT_SHARE
                if final:
                    self.finalised.add(pair)
                sent = Sent(next(numbers), pair, final)  # next() of a count is atomic
                try:
                    response = client.post(
                        "/graphql",
                        json={"query": SUBMIT, "variables": sent.variables()},
                        timeout=15,
                    )
                except httpx.ConnectError:
                    self.log.append((sent, Outcome.NOT_SENT))
                    return
                except httpx.TransportError:
                    self.log.append((sent, Outcome.UNANSWERED))
                    return
                outcome = outcome_of(response)
                self.log.append((sent, outcome))
                if outcome is Outcome.ACKNOWLEDGED:
                    answered.set()


def outcome_of(response: httpx.Response) -> Outcome:
    if response.status_code != 200:
        return Outcome.FAILED
    body = response.json()
    if body.get("errors") or body["data"]["submitScores"] is None:
        return Outcome.FAILED
    if body["data"]["submitScores"]["userErrors"]:
        return Outcome.REFUSED
    return Outcome.ACKNOWLEDGED


def writers(url: str) -> list[Writer]:
    """A writer for each representative of the session's schools and each expert of its
    panel, with a fresh token; what each pair holds already counts as final."""
    with opened(url) as db:
        session = db.get_one(ReviewSession, SESSION)
        schools = [m.institution for m in session.members]
        accounts = [
            *db.scalars(
                select(Account).where(
                    Account.role == Role.INSTITUTION,
                    Account.institution_id.in_([school.id for school in schools]),
                )
            ),
            *(member.account for member in session.panel),
        ]
        finalised = {
            pair
            for pair, state in stored(db).items()
            if any(status == ScoreStatus.SUBMITTED for *_, status in state)
        }
        found = []
        for index, account in enumerate(sorted(accounts, key=lambda a: a.id)):
            pairs = [pair_of(account, school) for school in schools]
            mine = [pair for pair in pairs if pair is not None]
            token = issue_token(db, account)
            found.append(Writer(token, mine, finalised & set(mine), random.Random(SEED + index)))
        db.commit()
    return found


@contextmanager
def opened(url: str) -> Iterator[Session]:
    """The database behind the server, read directly."""
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        yield db
    engine.dispose()


def pair_of(account: Account, school: Institution) -> Pair | None:
    if account.role is Role.EXPERT:
        if account.institution_id == school.id:
            return None  # conflict of interest (R11)
        return Pair(account.name, school.code, "EXPERT")
    assert account.institution is not None
    source = "SELF" if account.institution_id == school.id else "PEER"
    return Pair(account.institution.code, school.code, source)


def stored(db: Session) -> dict[Pair, State]:
    """Every reviewer's scores in the session, read from the database."""
    subject = aliased(Institution)
    reviewer = aliased(Institution)
    expert = aliased(Account)
    rows = db.execute(
        select(Score, subject.code, reviewer.code, expert.name)
        .join(subject, subject.id == Score.subject_id)
        .outerjoin(reviewer, reviewer.id == Score.reviewer_institution_id)
        .outerjoin(expert, expert.id == Score.reviewer_account_id)
        .where(Score.session_id == SESSION)
    )
    found: dict[Pair, set[Indicator]] = defaultdict(set)
    for score, code, school, name in rows:
        pair = Pair(school or name, code, score.source)
        found[pair].add((score.indicator_code, score.value, score.comment, score.status))
    return {pair: frozenset(state) for pair, state in found.items()}


def audit_problems(db: Session) -> list[str]:
    """Scores whose history does not end at, or does not chain to, the stored score."""
    problems = []
    history: dict[int, list[ScoreRevision]] = defaultdict(list)
    for revision in db.scalars(
        select(ScoreRevision)
        .join(Score, Score.id == ScoreRevision.score_id)
        .where(Score.session_id == SESSION)
        .order_by(ScoreRevision.id)
    ):
        history[revision.score_id].append(revision)
    for score in db.scalars(select(Score).where(Score.session_id == SESSION)):
        revisions = history[score.id]
        chain = [(None, None, None)] + [
            (r.new_value, r.new_comment, r.new_status) for r in revisions
        ]
        olds = [(r.old_value, r.old_comment, r.old_status) for r in revisions]
        if chain[-1] != (score.value, score.comment, score.status) or olds != chain[:-1]:
            problems.append(f"score {score.id}: history {chain[1:]} for {score.value}")
    return problems


def comments(state: State) -> set[str]:
    return {comment for _, _, comment, _ in state}


def half_applied(state: State) -> bool:
    """Some indicators from one of our submissions and some from elsewhere, or missing."""
    held = comments(state)
    ours = {comment for comment in held if comment.endswith("次提交")}
    return bool(ours) and (len(held) > 1 or len(state) != len(INDICATORS))


def check_stored(url: str, expected: dict[Pair, set[State]]) -> dict[Pair, State]:
    """What the database holds, checked against the candidates of each pair."""
    with opened(url) as db:
        found = stored(db)
        problems = audit_problems(db)
    broken = {pair: sorted(state) for pair, state in found.items() if half_applied(state)}
    assert not broken, f"half-applied submissions: {broken}"
    lost = {
        pair: (comments(found.get(pair, frozenset())), [comments(c) for c in candidates])
        for pair, candidates in expected.items()
        if found.get(pair, frozenset()) not in candidates
    }
    assert not lost, f"neither the last acknowledged nor a later in-flight submission: {lost}"
    assert not problems, f"audit history out of step with the scores: {problems[:5]}"
    return found


def graphql_view(port: int, admin: str, schools: set[str]) -> tuple[dict[Pair, State], list[str]]:
    """What ADMIN reads through GraphQL, and the scores whose last revision is not them;
    a school at a time, as the query's cost allows."""
    query = """query($id: ID!, $code: String!, $after: String) { reviewSession(id: $id) {
        scores(institutionCode: $code, first: 200, after: $after) {
            pageInfo { hasNextPage endCursor }
            nodes {
            indicator value comment status source institution { code }
            reviewerInstitution { code } reviewerExpert { name }
            history { newValue newComment newStatus } } } } }"""
    found: dict[Pair, set[Indicator]] = defaultdict(set)
    out_of_step = []

    def api(document: str, variables: dict[str, Any] | None = None) -> Any:
        body: Any = graphql(port, admin, document, variables or {})
        assert "errors" not in body, body["errors"]
        return body["data"]

    for code in sorted(schools):
        variables = {"id": str(SESSION), "code": code}
        for score in read_all(api, query, variables, "reviewSession", "scores"):
            reviewer = score["reviewerInstitution"] or score["reviewerExpert"]
            name = reviewer.get("code") or reviewer["name"]
            pair = Pair(name, score["institution"]["code"], score["source"])
            held = (score["indicator"], score["value"], score["comment"], score["status"])
            found[pair].add(held)
            last = score["history"][-1]
            if (last["newValue"], last["newComment"], last["newStatus"]) != held[1:]:
                out_of_step.append(f"{pair} {held}: {last}")
    return {pair: frozenset(state) for pair, state in found.items()}, out_of_step


def kill_while_submitting(
    env: dict[str, str], team: list[Writer], delay: float, numbers: Iterator[int]
) -> list[tuple[Sent, Outcome]]:
    """One round: the writers submit until the server is killed, ``delay`` seconds after
    its first acknowledgement; their logs, in order."""
    port = free_port()
    process = start(env, port)
    for writer in team:
        writer.log = []
    answered = threading.Event()
    threads = [
        threading.Thread(target=w.run, args=(port, numbers, answered), daemon=True) for w in team
    ]
    for thread in threads:
        thread.start()
    answered.wait(timeout=15)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads), "a writer did not stop"
    return [entry for writer in team for entry in writer.log]


def test_acknowledged_submissions_survive_kills_whole(
    env: dict[str, str], demo_tokens: dict[str, str]
) -> None:
    """Every reviewer of the demo's open session submits while the server is killed, twice
    (:data:`ROUNDS`); each restart finds the last acknowledged submission of every pair, or
    one sent later, whole and with its history, and ADMIN reads the same through GraphQL."""
    url = env["SANQUAN_DATABASE_URL"]
    team = writers(url)
    assert len(team) >= 8
    expected = {pair: {state} for pair, state in check_stored(url, {}).items()}
    for writer in team:
        for pair in writer.pairs:
            expected.setdefault(pair, {frozenset()})
    rng = random.Random(SEED)
    numbers = itertools.count(1)
    in_flight = 0
    for round_ in range(1, ROUNDS + 1):
        log = kill_while_submitting(env, team, rng.uniform(*KILL_AFTER), numbers)
        outcomes = [outcome for _, outcome in log]
        acknowledged = outcomes.count(Outcome.ACKNOWLEDGED)
        in_flight += outcomes.count(Outcome.UNANSWERED)
        print(
            f"round {round_}: {acknowledged} acknowledged, "
            f"{outcomes.count(Outcome.UNANSWERED)} in flight at the kill"
        )
        assert acknowledged > 0
        assert not {Outcome.FAILED, Outcome.REFUSED} & set(outcomes), log
        for sent, outcome in log:
            if outcome is Outcome.ACKNOWLEDGED:
                expected[sent.pair] = {sent.state()}
            elif outcome is Outcome.UNANSWERED:
                expected[sent.pair].add(sent.state())
        found = check_stored(url, expected)
        expected = {pair: {found.get(pair, frozenset())} for pair in expected}
    assert in_flight > 0, "no submission was in flight at any kill: nothing was tested"

    port = free_port()
    process = start(env, port)
    try:
        admin = demo_tokens["SANQUAN_ADMIN_TOKEN"]
        seen, out_of_step = graphql_view(port, admin, {pair.subject for pair in expected})
    finally:
        process.kill()
        process.wait()
    assert seen == found
    assert not out_of_step, out_of_step[:5]


def test_commits_wait_for_the_disk(database_url: str) -> None:
    """The settings that a SIGKILL cannot test: a commit returns only once it is on disk."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert connection.scalar(text("PRAGMA synchronous")) == 2  # FULL
        else:
            assert connection.scalar(text("SHOW synchronous_commit")) == "on"
            assert connection.scalar(text("SHOW fsync")) == "on"
    engine.dispose()

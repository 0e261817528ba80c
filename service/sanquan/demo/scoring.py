"""Demo sessions scored the way reviewers score: each school's scores drawn from a seeded
generator around its own "true" level, the self-evaluation a little generous, as it tends
to be, so that results and diagnoses look like a real quarter's rather than noise."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from sanquan.auth.models import Account
from sanquan.auth.tokens import principal_of
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter
from sanquan.review.models import ReviewSession
from sanquan.review.scoring import ScoreEntry, Submission, submit_scores
from sanquan.review.sessions import SessionSpec, appoint_experts, create_session, open_session
from sanquan.timeutil import beijing_today
from sanquan_sdk import IndicatorSet, Source

SET_KEY = "beijing-sanquan"


@dataclass
class Scorer:
    """What scoring a demo session needs: the plugins, the set, the seeded generator."""

    db: Session
    host: PluginHost
    indicator_set: IndicatorSet
    rng: random.Random

    def open(
        self,
        quarter: Quarter,
        codes: tuple[str, ...],
        experts: list[Account],
        deadlines: dict[Source, date] | None = None,
    ) -> ReviewSession:
        """A session of ``codes`` in ``quarter`` with ``experts`` as its panel, opened."""
        session = create_session(
            self.db,
            self.host,
            SessionSpec(
                quarter=quarter,
                institution_codes=codes,
                indicator_set_key=SET_KEY,
                min_experts=5,
                deadlines=deadlines or {},
            ),
            today=beijing_today(),
        )
        appoint_experts(self.db, session.id, [e.id for e in experts])
        return open_session(self.db, session.id)

    def score(
        self,
        session: ReviewSession,
        codes: tuple[str, ...],
        reps: dict[str, Account],
        experts: list[Account],
    ) -> None:
        """Final scores on ``codes`` from the representatives in ``reps`` (themselves and
        their peers among ``codes``) and from ``experts`` (not on their own school)."""
        rng = self.rng
        indicators = list(self.indicator_set.indicators)
        levels = {code: rng.uniform(68, 88) for code in codes}
        truth = {
            (code, i.code): min(97.0, max(50.0, level + rng.gauss(0, 6)))
            for code, level in levels.items()
            for i in indicators
        }

        def entries(code: str, source: Source, bias: float, noise: float) -> list[ScoreEntry]:
            return [
                ScoreEntry(
                    indicator=i.code,
                    value=round(
                        min(100.0, max(0.0, truth[(code, i.code)] + bias + rng.gauss(0, noise))) * 2
                    )
                    / 2,
                    evidence=f"{i.code} 自评报告及佐证材料"
                    if source in i.evidence_required
                    else "",
                )
                for i in indicators
                if source in i.sources
            ]

        def submit(
            account: Account, subject: str, source: Source, bias: float, noise: float
        ) -> None:
            submit_scores(
                self.db,
                self.host,
                principal_of(account),
                Submission(session.id, subject, source, entries(subject, source, bias, noise)),
                today=beijing_today(),
            )

        for code, rep in reps.items():
            for subject in codes:
                if subject == code:
                    submit(rep, subject, Source.SELF, 5.0, 3.0)
                else:
                    submit(rep, subject, Source.PEER, 0.0, 3.0)
        for expert in experts:
            for subject in codes:
                if expert.institution is None or expert.institution.code != subject:
                    submit(expert, subject, Source.EXPERT, -1.0, 4.0)

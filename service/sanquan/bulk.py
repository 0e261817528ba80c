"""Writing many rows of one statement in one ``executemany``, straight to the driver.

Why: SQLAlchemy builds every row's parameters on its own (``construct_params`` and each
column type's bind processor, row after row), which for a 50-score submission cost more
than the database's work on the rows. A :class:`BulkStatement` compiles its Core statement
once per dialect with SQLAlchemy's own compiler, runs the same column types' bind
processors (so a stored value is exactly what SQLAlchemy would have stored), but runs them
once for the values that every row shares, and hands the driver plain tuples or dicts.
The statement still goes through the session's connection, inside its transaction, with
the engine's events (statement counting, logging) as for any other.

Rows come as tuples in the order of the statement's declared ``columns``, as a domain
builds them, not as a dict each: for a submission's 100 rows, building and reading a dict
a row was a tenth of the domain function's time. How a row's values land in the driver's
parameters is worked out once per dialect and set of shared names (:class:`_Plan`), so
each row costs one C-level pick of its values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Insert, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    """A statement as one dialect's driver takes it: its SQL, its parameters' names in
    the driver's order, and their bind processors."""

    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: Mapping[str, Processor]


@dataclass(frozen=True)
class _Plan:
    """How the rows of one call become the driver's parameters: each row's values that
    need a bind processor (by position in the row), then ``pick`` of the row followed by
    the shared values, in the driver's order."""

    processed: tuple[tuple[int, Processor], ...]
    pick: Callable[[Sequence[Any]], Any]
    shared: tuple[str, ...]

    def parameters(
        self, compiled: _Compiled, rows: Sequence[Sequence[Any]], shared: tuple[Any, ...]
    ) -> list[Any]:
        pick, processed = self.pick, self.processed
        if processed:
            rows = [_processed(row, processed) for row in rows]
        picked = [pick((*row, *shared)) for row in rows]
        if compiled.positional:
            return picked
        return [dict(zip(compiled.names, values, strict=True)) for values in picked]


def _processed(row: Sequence[Any], processed: tuple[tuple[int, Processor], ...]) -> list[Any]:
    values = list(row)
    for index, processor in processed:
        values[index] = processor(values[index])
    return values


class BulkStatement:
    """An ``INSERT`` or ``UPDATE`` whose every parameter is a named ``bindparam`` (typed by
    its column), sent with many rows at once; each row gives ``columns`` in that order.

    >>> from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert
    >>> t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("s", String))
    >>> add = BulkStatement(insert(t).values(id=bindparam("id"), s=bindparam("s")), ("id",))
    >>> from sqlalchemy import create_engine
    >>> engine = create_engine("sqlite://")
    >>> t.metadata.create_all(engine)
    >>> with Session(engine) as db:
    ...     add.execute(db, [(1,), (2,)], shared={"s": "x"})
    ...     db.execute(t.select().order_by(t.c.id)).all()
    [(1, 'x'), (2, 'x')]
    """

    def __init__(self, statement: Insert | Update, columns: Sequence[str]) -> None:
        self.statement = statement
        self.columns = tuple(columns)
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}
        self._plans: dict[tuple[str, str, str, tuple[str, ...]], _Plan] = {}

    def execute(
        self,
        db: Session,
        rows: Sequence[Sequence[Any]],
        shared: Mapping[str, Any] | None = None,
    ) -> None:
        """Send ``rows`` (each a value for every one of ``columns``) in one
        ``executemany`` on ``db``'s connection; ``shared`` holds the values of the other
        parameters, the same for every row."""
        if not rows:
            return
        shared = shared or {}
        connection = db.connection()
        dialect = connection.dialect
        compiled = self._for(dialect)
        plan = self._plan(dialect, compiled, tuple(shared))
        processors = compiled.processors
        done = tuple(
            processors[name](shared[name]) if name in processors else shared[name]
            for name in plan.shared
        )
        connection.exec_driver_sql(compiled.sql, plan.parameters(compiled, rows, done))

    def _plan(self, dialect: Dialect, compiled: _Compiled, shared: tuple[str, ...]) -> _Plan:
        key = (dialect.name, dialect.driver, dialect.paramstyle, shared)
        found = self._plans.get(key)
        if found is None:
            given = {name: index for index, name in enumerate(self.columns)}
            offset = len(self.columns)
            positions = {**given, **{name: offset + n for n, name in enumerate(shared)}}
            missing = [name for name in compiled.names if name not in positions]
            if missing:
                raise KeyError(f"no value for {', '.join(missing)}")
            order = [positions[name] for name in compiled.names]
            # itemgetter of one position gives the value itself, not a tuple of one
            pick = itemgetter(*order) if len(order) > 1 else lambda row: (row[order[0]],)
            processed = tuple(
                (index, compiled.processors[name])
                for name, index in given.items()
                if name in compiled.processors
            )
            found = _Plan(processed, pick, shared)
            self._plans[key] = found
        return found

    def _for(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._compiled.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            positional = bool(compiled.positional)
            names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
            processors = {}
            for name in names:
                processor = compiled.binds[name].type._cached_bind_processor(dialect)
                if processor is not None:
                    processors[name] = processor
            found = _Compiled(compiled.string, names, positional, processors)
            self._compiled[key] = found
        return found

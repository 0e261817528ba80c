"""Property-based fuzzing of every GraphQL input against the running app (R12, R22–R24).

The strategies are read off the schema: each mutation's input object and each root query
field's arguments (and the arguments of the fields selected below it), type by type, with
the bounds the schema declares. Values are well typed or hostile — control characters,
lone surrogates, texts at and past their bound, extreme numbers, ids that are no rows,
quarters and dates far away, long lists, missing or mistyped fields — and mixed with the
prepared world's real ids and codes so that some requests reach deep into the domain.
Whatever is sent, as whoever: no 5xx, JSON back, no internal error and nothing logged as
one, nothing in the answer that reveals the implementation, and a refused mutation leaves
every table as it was.
"""

from __future__ import annotations

import builtins
import logging
import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy.exc
from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    Undefined,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanquan.api.bounds import limit_of
from sanquan.api.cost import max_cost
from sanquan.api.schema import build_schema
from sanquan.config import Settings
from sanquan.limits import Limit
from sanquan.timeutil import current_quarter
from tests.conftest import SCHOOLS
from tests.flows import INDICATORS
from tests.prepared import GONE, KEPT, KEPT_CSV, PLAN_KEY, Prepared, changed_tables, fingerprint

SCHEMA = build_schema(Settings(database_url="sqlite://", introspection=True))._schema

CALLERS = ["admin", "admin", "admin", "admin", "thu", "expert1", "viewer", "unit"]
"""Who sends: the commission most often, since most mutations are its own."""

Json = Any
Strategy = st.SearchStrategy[Json]
Definition = GraphQLArgument | GraphQLInputField


# What must never reach a client (R24): traces, paths, exception names, SQL.
EXCEPTION_NAMES = sorted(
    {
        name
        for module in (builtins, sqlalchemy.exc)
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and name.endswith(("Error", "Exception"))
    }
)
LEAK = re.compile(
    "|".join(
        [
            r"Traceback",
            r'File "',
            r"\.py\b",
            r"site-packages",
            r"sqlalchemy",
            r"psycopg",
            r"sqlite3",
            r"SELECT ",
            r"INSERT ",
            r"UPDATE ",
            r"<[\w.]+ object at 0x",
            rf"\b(?:{'|'.join(EXCEPTION_NAMES)})\b",
        ]
    )
)


# Hostile values, by kind. None of the texts spells anything LEAK looks for.
PLAIN_CHARACTERS = "北京大学长 az09-_."
ODD_CHARACTERS = (
    "北京大学长 aZ09-_.,;'\"\\/\n\r\t\x00\x01\x1b\x7f\x85\u2028\ufeff\ud800\udfff🎓é\u0301"
)
WRONG_TYPES: list[Json] = [None, 0, -1, 2**64, 1e308, "", "x", True, [], [None], {}, {"a": 1}]
BAD_IDS = ["0", "-1", "2147483647", "2147483648", "9223372036854775807", "abc", "", "1.5", "1e3"]
BAD_QUARTERS = ["2199Q4", "27Q1", "2027Q5", "2027Q0", "0000Q1", "9999Q4", "2027q1", "", "Q1"]
BAD_QUARTERS += ["2027Q\ud800", "２０２７Q1", "-2027Q1", "2000Q1", "1970Q1"]
DATES = ["2027-03-31", "2027-06-30", "9999-12-31", "0001-01-01", "1970-01-01", "2027-02-30"]
DATES += ["2027-13-01", "not a date", "", "2027-03-31T00:00:00", "+2027-03-31", "2027-3-1"]
FLOATS = [0.0, -0.0, 0.1, 59.5, 80.0, 100.0, 100.5, -1.0, 1e308, -1e308, 5e-324, 2.0**63]
INTEGERS = [0, 1, -1, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63 - 1, -(2**63), 2**64]


def odd_text(limit: Limit | None) -> Strategy:
    """Plain texts, texts with odd characters, and texts exactly at and one past the
    declared length."""
    plain = st.text(alphabet=PLAIN_CHARACTERS, max_size=12)
    choices = [plain, plain, st.text(alphabet=ODD_CHARACTERS, max_size=12)]
    if limit is not None and limit.length is not None:
        at = limit.length
        choices += [
            st.sampled_from(["长", "x", "🎓", "\x00"]).map(lambda c: c * at),
            st.sampled_from(["长", "x"]).map(lambda c: c * (at + 1)),
        ]
    return st.one_of(*choices)


def real_quarters() -> list[str]:
    today = current_quarter()
    return [str(today), str(today.next()), "2027Q1", "2027Q2", "2027Q3", "2028Q1", "2029Q4"]


@dataclass(frozen=True)
class Pools:
    """Real ids and codes of the prepared world, by what an input's name says it holds."""

    ids: dict[str, list[str]]
    texts: dict[str, list[str]]

    def ids_for(self, name: str) -> list[str]:
        return next((v for k, v in self.ids.items() if k in name.lower()), self.ids[""])

    def texts_for(self, name: str) -> list[str]:
        return next((v for k, v in self.texts.items() if k == name), [])


def pools_of(prepared: Prepared) -> Pools:
    ids = prepared.ids
    accounts = prepared.world.account_ids
    sessions = [ids[k] for k in ("concluded", "open", "draft", "unopened")]
    findings = [ids["open_item"], ids["done_item"]]
    experts = [str(accounts[f"expert{n}"]) for n in range(1, 7)] + [str(accounts["expert_pku"])]
    # Accounts no caller signs in with: switching them off leaves every caller able to ask.
    bystanders = [str(accounts[k]) for k in ("expert5", "expert6", "bnu")] + [ids["other_unit"]]
    codes = [*SCHOOLS.values(), KEPT, GONE, "4111099999", "411101000", "0000000000"]
    return Pools(
        ids={
            "session": sessions,
            "finding": findings,
            "plan": [ids["plan"]],
            "score": [ids["self_score"]],
            "expert": experts,
            "account": bystanders,
            "": sessions + findings + [ids["plan"], ids["self_score"]],
        },
        texts={
            "code": codes,
            "institutionCode": codes,
            "institutionCodes": codes,
            "priorities": codes,
            "plan": [PLAN_KEY, "jingjiaozufa-2019-4"],
            "indicator": [*INDICATORS, "T21", "t01"],
            "key": ["beijing-sanquan", "beijing"],
            "version": ["2019.1", "9999"],
            "unit": ["市教委", "不存在的单位"],
            "unitName": ["市教委"],
            "name": ["市教委", "新大学"],
            "level": ["优秀", "良好", "A"],
            "csv": [KEPT_CSV, "code,name\n", "code,name\n4111099904,新学院\n", "\ufeffa\n\x00"],
        },
    )


@dataclass(frozen=True)
class Values:
    """Strategies for the values of one input type. ``typed`` ones fit the schema's types,
    so that they pass variable coercion and reach the resolvers (their texts, numbers and
    ids are still hostile); the others also break types: wrong kinds, unknown enum values,
    integers past 32 bits, required fields left out, unknown fields added."""

    pools: Pools
    typed: bool

    def of(self, kind: GraphQLInputType, definition: Definition | None, name: str) -> Strategy:
        limit = limit_of(definition) if definition is not None else None
        if isinstance(kind, GraphQLNonNull):
            kind = kind.of_type
        if isinstance(kind, GraphQLList):
            values = self.list_of(kind.of_type, definition, name, limit)
        elif isinstance(kind, GraphQLEnumType):
            values = st.sampled_from(list(kind.values) + ([] if self.typed else ["BOGUS", "x"]))
        elif isinstance(kind, GraphQLInputObjectType):
            values = self.input_object(kind)
        else:
            assert isinstance(kind, GraphQLScalarType)
            values = self.scalar(kind, name, limit)
        if self.typed:
            return values
        return st.one_of(values, values, values, st.sampled_from(WRONG_TYPES))

    def list_of(
        self, item: GraphQLInputType, definition: Definition | None, name: str, limit: Limit | None
    ) -> Strategy:
        """A few items mostly; now and then as many as allowed, or one more."""
        items = self.of(item, definition, name)
        most = limit.items if limit and limit.items else 100
        full = st.tuples(items, st.sampled_from([most, most + 1])).map(lambda t: [t[0]] * t[1])
        few = st.lists(items, max_size=4)
        return st.one_of(few, few, few, few, full)

    def input_object(self, kind: GraphQLInputObjectType) -> Strategy:
        @st.composite
        def fields(draw: st.DrawFn) -> dict[str, Json]:
            value: dict[str, Json] = {}
            for name, field in kind.fields.items():
                if draw(self.present(field.type, field.default_value)):
                    value[name] = draw(self.of(field.type, field, name))
            if not self.typed and draw(st.integers(0, 9)) == 0:
                value["notAField"] = 1
            return value

        return fields()

    def present(self, kind: GraphQLInputType, default: Any) -> st.SearchStrategy[bool]:
        """Whether to send a field or variable: a required one nearly always (always when
        typed), an optional one half the time."""
        if isinstance(kind, GraphQLNonNull) and default is Undefined:
            return st.just(True) if self.typed else st.integers(0, 9).map(lambda n: n > 0)
        return st.booleans()

    def scalar(self, kind: GraphQLScalarType, name: str, limit: Limit | None) -> Strategy:
        if kind is GraphQLID:
            real = st.sampled_from(self.pools.ids_for(name))
            return st.one_of(real, real, st.sampled_from(BAD_IDS))
        if kind is GraphQLString:
            known = self.pools.texts_for(name)
            if not known:
                return odd_text(limit)
            return st.one_of(st.sampled_from(known), st.sampled_from(known), odd_text(limit))
        if kind is GraphQLInt:
            return self.integer(limit)
        if kind is GraphQLFloat:
            return st.one_of(
                st.sampled_from(FLOATS), st.floats(allow_nan=False, allow_infinity=False)
            )
        if kind is GraphQLBoolean:
            return st.booleans()
        if kind.name == "Quarter":
            real = st.sampled_from(real_quarters())
            return st.one_of(real, real, real, st.sampled_from(BAD_QUARTERS))
        if kind.name == "Date":
            return st.sampled_from(DATES[:5] if self.typed else DATES)
        raise AssertionError(f"no strategy for the scalar {kind.name}")

    def integer(self, limit: Limit | None) -> Strategy:
        """Inside the declared range, at and just past its ends, and the extremes."""
        extremes = [n for n in INTEGERS if not self.typed or -(2**31) <= n < 2**31]
        edges = (
            []
            if limit is None
            else [b + d for b in (limit.low, limit.high) if b for d in (-1, 0, 1)]
        )
        choices = [st.sampled_from(extremes + edges), st.integers(-5, 30)]
        if limit is not None and limit.low is not None and limit.high is not None:
            choices += [st.integers(limit.low, limit.high)] * 2
        return st.one_of(*choices)


VariableTypes = dict[str, tuple[GraphQLInputType, Definition, str]]
"""Variable name -> (its type, the argument it feeds, that argument's name)."""


@dataclass(frozen=True)
class Operation:
    """One root field as a document, and the variables it takes."""

    name: str
    document: str
    variables: VariableTypes
    is_mutation: bool

    def variables_from(self, pools: Pools) -> Strategy:
        """Two in three requests well typed, the others not."""
        return st.one_of(
            self._variables(Values(pools, typed=True)),
            self._variables(Values(pools, typed=True)),
            self._variables(Values(pools, typed=False)),
        )

    def _variables(self, values: Values) -> Strategy:
        @st.composite
        def draw_variables(draw: st.DrawFn) -> dict[str, Json]:
            return {
                variable: draw(values.of(kind, definition, name))
                for variable, (kind, definition, name) in self.variables.items()
                if draw(values.present(kind, Undefined))
            }

        return draw_variables()


def selection(
    kind: GraphQLObjectType | GraphQLInterfaceType,
    prefix: str,
    variables: VariableTypes,
    depth: int,
) -> str:
    """Every leaf of ``kind`` and, ``depth`` levels down, of the objects it holds; fields
    with arguments take them as variables named after their path."""
    parts = []
    for name, field in kind.fields.items():
        target = get_named_type(field.type)
        if is_leaf_type(target):
            parts.append(name + with_arguments(field, f"{prefix}_{name}", variables))
        elif depth > 0 and isinstance(target, GraphQLObjectType | GraphQLInterfaceType):
            arguments = with_arguments(field, f"{prefix}_{name}", variables)
            below = selection(target, f"{prefix}_{name}", variables, depth - 1)
            parts.append(f"{name}{arguments} {below}")
    return "{ " + " ".join(parts) + " }"


def with_arguments(field: GraphQLField, prefix: str, variables: VariableTypes) -> str:
    if not field.args:
        return ""
    for name, argument in field.args.items():
        # A variable may leave out an argument that has a default, if it may be null.
        kind = argument.type
        if isinstance(kind, GraphQLNonNull) and argument.default_value is not Undefined:
            kind = kind.of_type
        variables[f"{prefix}_{name}"] = (kind, argument, name)
    return "(" + ", ".join(f"{name}: ${prefix}_{name}" for name in field.args) + ")"


def operation(name: str, field: GraphQLField, is_mutation: bool, depth: int) -> Operation:
    variables: VariableTypes = {}
    arguments = with_arguments(field, name, variables)
    target = get_named_type(field.type)
    assert isinstance(target, GraphQLObjectType | GraphQLInterfaceType)
    below = selection(target, name, variables, depth)
    declared = ", ".join(f"${v}: {kind}" for v, (kind, _, _) in variables.items())
    keyword = "mutation" if is_mutation else "query"
    head = f"{keyword}({declared})" if declared else keyword
    return Operation(name, f"{head} {{ {name}{arguments} {below} }}", variables, is_mutation)


def deepest_affordable(name: str, field: GraphQLField, is_mutation: bool) -> Operation:
    """The operation selecting as deep as the service's cost limit lets it, at most two
    levels of objects below the root field."""
    for depth in (2, 1):
        candidate = operation(name, field, is_mutation, depth)
        if not validate(SCHEMA, parse(candidate.document), [max_cost(COST_LIMIT)]):
            return candidate
    return operation(name, field, is_mutation, 0)


COST_LIMIT = Settings(database_url="sqlite://").max_cost
OPERATIONS = [
    deepest_affordable(name, field, is_mutation)
    for root, is_mutation in ((SCHEMA.mutation_type, True), (SCHEMA.query_type, False))
    if root is not None
    for name, field in root.fields.items()
]

EXAMPLES = {True: 12, False: 6}
"""Examples per mutation and per query field, on each engine: about 40 s for both."""


def assert_no_leak(text: str) -> None:
    found = LEAK.search(text)
    assert found is None, f"the answer reveals {found.group()!r}: {text[:2000]}"


def refused(body: dict[str, Json], name: str) -> bool:
    if body.get("errors"):
        return True
    payload = (body.get("data") or {}).get(name) or {}
    return bool(payload.get("userErrors"))


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_any_input_is_answered_cleanly(
    prepared: Prepared, caplog: pytest.LogCaptureFixture, op: Operation
) -> None:
    pools = pools_of(prepared)

    @settings(
        max_examples=EXAMPLES[op.is_mutation],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        who=st.sampled_from(CALLERS),
        language=st.sampled_from(["zh", "en"]),
        variables=op.variables_from(pools),
    )
    def answered_cleanly(who: str, language: str, variables: dict[str, Json]) -> None:
        caplog.clear()
        before = fingerprint(prepared.db) if op.is_mutation else {}
        with caplog.at_level(logging.ERROR):
            response = prepared.world.api(who, language).post(op.document, variables)
        assert response.status_code < 500, response.text
        body = response.json()
        assert isinstance(body, dict)
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
        assert "INTERNAL_SERVER_ERROR" not in codes, body
        assert_no_leak(response.text)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        if op.is_mutation and refused(body, op.name):
            assert changed_tables(before, prepared.db) == [], f"refused, yet it wrote: {body}"

    answered_cleanly()

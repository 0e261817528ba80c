"""Shared fixtures: every end-to-end test runs on SQLite and on PostgreSQL, through the real
ASGI app over HTTP, with a fresh migrated database each time.

Each database is a clone of a template built once per engine and session: an empty migrated
one, or, for a test that asks for the ``world``, one holding the world already, or, for one
that asks for ``demo_tokens``, one that ``sanquan demo`` loaded (a file copy on SQLite,
``CREATE DATABASE … TEMPLATE`` on PostgreSQL). A test marked ``engine_independent`` exercises
no storage behaviour and runs on SQLite only."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from sanquan.app import create_app
from sanquan.auth.models import Role
from sanquan.auth.tokens import create_account, issue_token
from sanquan.config import LOOPBACK_HOSTS, Settings, sqlite_url
from sanquan.db import make_engine, make_session_factory
from sanquan.institutions.service import load_beijing
from sanquan.migrate import upgrade
from sanquan.plugins.host import PluginHost
from sanquan.tables.service import import_plans
from tests.postgres_server import (
    SHARED_SERVER,
    PostgresServer,
    create_database,
    drop_database,
    encode,
    fresh_database,
    postgresql_server,
    shared_server,
)
from tests.serving import demo_database, load_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.browser import Demo, Tab
    from tests.prepared import Prepared

__all__ = ["postgresql_server"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    engine.dispose()
    return path


RUN_SERVER = pytest.StashKey[ExitStack]()
RUN_SERVER_STARTED = pytest.StashKey[PostgresServer | None]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """In pytest-xdist's controller, before each worker starts: the run's one PostgreSQL
    server (started for the first worker, unless ``-m`` leaves PostgreSQL out), passed on
    to the worker (:func:`tests.postgres_server.postgresql_server`)."""
    config = node.config
    if RUN_SERVER_STARTED not in config.stash:
        stack = config.stash[RUN_SERVER] = ExitStack()
        wanted = "not postgresql" not in (config.getoption("markexpr") or "")
        config.stash[RUN_SERVER_STARTED] = shared_server(stack) if wanted else None
    server = config.stash[RUN_SERVER_STARTED]
    if server is not None:
        node.workerinput[SHARED_SERVER] = encode(server)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run's server stops once every worker is done."""
    if RUN_SERVER in config.stash:
        config.stash[RUN_SERVER].close()


def built_once(
    tmp_path_factory: pytest.TempPathFactory,
    server: PostgresServer,
    name: str,
    template: str | None,
    fill: Callable[[str], Any],
) -> Any:
    """The database ``name`` on ``server``, cloned from ``template`` and filled by
    ``fill(url)`` once for every worker of the run sharing the server: the first to come
    builds it, the others wait for it. What ``fill`` returned (JSON), for each of them."""
    shared = shared_directory(tmp_path_factory) / f"postgresql-{server.port}"
    shared.mkdir(exist_ok=True)
    record = shared / f"{name}.json"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            url = create_database(server, name, template)
            try:
                built = fill(url)
            except BaseException:
                drop_database(server, name)
                raise
            record.write_text(json.dumps(built))
    return json.loads(record.read_text())


def migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_template(
    postgresql_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> str:
    built_once(tmp_path_factory, postgresql_server, "sanquan_template", None, migrate)
    return "sanquan_template"


@dataclass(frozen=True)
class Seed:
    """What a world's database does not tell: its tokens (stored only as hashes) and the ids
    of its accounts, the same in every clone of the template."""

    tokens: dict[str, str]
    account_ids: dict[str, int]


@dataclass(frozen=True)
class WorldTemplate:
    """A database holding the :class:`World`, to clone: a file path on SQLite, a database
    name on PostgreSQL."""

    database: str
    seed: Seed


@pytest.fixture(scope="session")
def sqlite_world_template(sqlite_template: Path) -> WorldTemplate:
    path = sqlite_template.with_name("world.sqlite3")
    shutil.copy(sqlite_template, path)
    return WorldTemplate(str(path), populate(sqlite_url(path)))


@pytest.fixture(scope="session")
def postgresql_world_template(
    postgresql_server: PostgresServer,
    postgresql_template: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> WorldTemplate:
    def fill(url: str) -> dict[str, Any]:
        return asdict(populate(url))

    seed = built_once(
        tmp_path_factory, postgresql_server, "sanquan_world", postgresql_template, fill
    )
    return WorldTemplate("sanquan_world", Seed(**seed))


@dataclass(frozen=True)
class DemoTemplate:
    """A database ``sanquan demo`` loaded, to clone (a file path on SQLite, a database name
    on PostgreSQL), and the directory of its ``demo-tokens.env`` and printed ``demo.out``."""

    database: str
    directory: Path


def shared_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory all of a run's workers share (the base of their temporary ones)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """The run's demo, loaded once for every worker (and the browser tests' ``demo``)."""
    directory = demo_database(shared_directory(tmp_path_factory) / "demo")
    return DemoTemplate(str(directory / "sanquan.sqlite3"), directory)


@pytest.fixture(scope="session")
def postgresql_demo_template(
    postgresql_server: PostgresServer,
    postgresql_template: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> DemoTemplate:
    """The run's demo on PostgreSQL, loaded once for every worker sharing the server."""
    directory = shared_directory(tmp_path_factory) / f"demo-postgresql-{postgresql_server.port}"

    def fill(url: str) -> None:
        directory.mkdir(exist_ok=True)
        load_demo(url, directory)

    built_once(tmp_path_factory, postgresql_server, "sanquan_demo", postgresql_template, fill)
    return DemoTemplate("sanquan_demo", directory)


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test on a database runs on each engine, unless it is engine-independent."""
    if "database_url" in metafunc.fixturenames:
        independent = metafunc.definition.get_closest_marker("engine_independent")
        metafunc.parametrize("database_url", ENGINES[:1] if independent else ENGINES, indirect=True)


STARTED_FIRST = (
    "test_durability.py::test_acknowledged_submissions_survive_kills_whole",
    "test_backup.py::test_backup_under_load_keeps_every_acknowledged_score",
    "test_workers.py::test_writers_on_different_processes_keep_the_invariants",
    "test_live_progress.py::test_two_processes_hear_each_other_through_postgresql",
    "test_workers.py::test_sigterm_lets_the_requests_in_flight_finish",
    "test_backup.py::test_postgresql_dump_and_restore_as_the_readme_says",
    "test_plugin_proof.py::test_a_new_plugin_package_scores_a_session",
    "test_plugin_host.py::test_serve_refuses_two_plugins_offering_one_set_before_serving",
    "test_plugin_host.py::test_a_new_plugin_in_its_named_folder_passes_its_tests_and_mypy_before_it_is_installed",
    "test_server.py::test_acknowledged_scores_survive_a_killed_server",
    "test_server.py::test_an_export_link_downloads_over_loopback_as_the_cli_writes_it",
)
"""The longest tests (processes killed and restarted, packages installed, a solver run from
the command line): a test named here that is gone or renamed is simply not moved."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, longest of all first: pytest-xdist deals tests out in this
    order, so a worker that drew one near the end would keep the run waiting long after
    the others ran dry."""

    def rank(item: pytest.Item) -> int:
        name = item.nodeid.split("[")[0]
        found = [index for index, test in enumerate(STARTED_FIRST) if name.endswith(test)]
        return found[0] if found else len(STARTED_FIRST)

    items.sort(key=rank)


def engine_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@contextmanager
def migrated_database(
    request: pytest.FixtureRequest,
    engine: str,
    directory: Path,
    *,
    world: bool = False,
    demo: bool = False,
) -> Iterator[str]:
    """A fresh, migrated database on ``engine`` (``sqlite`` in ``directory``, or
    ``postgresql``), copied from the session's template: the one holding the world when
    ``world``, the demo when ``demo``, else the empty one."""
    assert not (world and demo), "a test's database holds the world or the demo, not both"
    holding = "_world_template" if world else "_demo_template" if demo else ""
    template = request.getfixturevalue(f"{engine}{holding or '_template'}")
    name = template.database if holding else str(template)
    if engine == "sqlite":
        path = directory / "sanquan.sqlite3"
        shutil.copy(name, path)
        yield sqlite_url(path)
        return
    with fresh_database(request.getfixturevalue("postgresql_server"), name) as url:
        yield url


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on each engine; holding the world already when the test
    asks for the ``world``, the demo when it asks for ``demo_tokens``."""
    world = "world" in request.fixturenames
    demo = "demo_tokens" in request.fixturenames
    with migrated_database(request, request.param, tmp_path, world=world, demo=demo) as url:
        yield url


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a ``sanquan`` command on the test's database."""
    return {
        **os.environ,
        "SANQUAN_DATABASE_URL": database_url,
        "SANQUAN_DATA_DIR": str(tmp_path),
    }


@pytest.fixture
def demo_tokens(
    request: pytest.FixtureRequest, env: dict[str, str], tmp_path: Path
) -> dict[str, str]:
    """``sanquan demo`` loaded into the test's database (a clone of the engine's demo
    template, see :func:`database_url`), its ``demo-tokens.env`` in the test's data
    directory: its printed tokens by variable."""
    template = request.getfixturevalue(f"{engine_of(env['SANQUAN_DATABASE_URL'])}_demo_template")
    assert "(已结束)" in (template.directory / "demo.out").read_text()
    tokens = shutil.copy(template.directory / "demo-tokens.env", tmp_path / "demo-tokens.env")
    lines = Path(tokens).read_text().split()
    return dict(line.split("=", 1) for line in lines)


@pytest.fixture(scope="session")
def host() -> PluginHost:
    return PluginHost.discover()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return settings_for(database_url, tmp_path)


def settings_for(database_url: str, directory: Path) -> Settings:
    """The production defaults, answering to the host name of Starlette's TestClient too."""
    return Settings(
        database_url=database_url,
        data_dir=directory,
        allowed_hosts=("testserver", *LOOPBACK_HOSTS),
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    """Direct access to the test's database, for arranging and checking state."""
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


class GraphQLError(AssertionError):
    pass


@dataclass
class Api:
    """A GraphQL client over HTTP for one token."""

    client: TestClient
    token: str | None
    language: str = "zh"

    def post(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """Post as JSON with ASCII escapes, the way a client sends a lone surrogate."""
        headers = {"Accept-Language": self.language, "Content-Type": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps({"query": query, "variables": variables or {}})
        return self.client.post("/graphql", content=body, headers=headers)

    def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(query, variables)
        body: dict[str, Any] = response.json()
        return body

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of a request that must not produce GraphQL errors."""
        body = self.raw(query, variables)
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        data: dict[str, Any] = body["data"]
        return data


@dataclass
class World:
    """The Beijing pool, an account of each role, representatives of five schools and
    seven experts (one affiliated with 北京大学), each with a token."""

    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    expert_ids: list[str] = field(default_factory=list)
    account_ids: dict[str, int] = field(default_factory=dict)

    def api(self, who: str, language: str = "zh") -> Api:
        return Api(self.client, self.tokens[who], language)

    def anonymous(self) -> Api:
        return Api(self.client, None)


SCHOOLS = {
    "pku": "4111010001",  # 北京大学
    "ruc": "4111010002",  # 中国人民大学
    "thu": "4111010003",  # 清华大学
    "ustb": "4111010008",  # 北京科技大学
    "bnu": "4111010027",  # 北京师范大学
    "buaa": "4111010006",  # 北京航空航天大学
}
EXPERTS = {f"expert{i}": None for i in range(1, 7)} | {"expert_pku": SCHOOLS["pku"]}


@pytest.fixture
def world(request: pytest.FixtureRequest, settings: Settings, host: PluginHost) -> Iterator[World]:
    """The :class:`World`, its database cloned from the session's template."""
    template = request.getfixturevalue(f"{engine_of(settings.database_url)}_world_template")
    with served_world(settings, host, template.seed) as served:
        yield served


def populate(url: str) -> Seed:
    """Put the world's rows into the database at ``url``."""
    engine = make_engine(url)
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    with make_session_factory(engine)() as db:
        load_beijing(db)
        import_plans(db)

        def add(key: str, role: Role, code: str | None = None, unit: str | None = None) -> None:
            account = create_account(db, name=key, role=role, institution_code=code, unit_name=unit)
            tokens[key] = issue_token(db, account)
            ids[key] = account.id

        add("admin", Role.ADMIN)
        add("viewer", Role.VIEWER)
        add("unit", Role.UNIT, unit="市教委")
        for key, code in SCHOOLS.items():
            add(key, Role.INSTITUTION, code)
        for key, code in EXPERTS.items():
            add(key, Role.EXPERT, code)
        db.commit()
    engine.dispose()
    return Seed(tokens=tokens, account_ids=ids)


@contextmanager
def served_world(settings: Settings, host: PluginHost, seed: Seed) -> Iterator[World]:
    """The :class:`World` whose rows are in the database of ``settings``, served by an app."""
    app = create_app(settings, host)
    with TestClient(app) as client:
        yield World(
            client=client,
            tokens=dict(seed.tokens),
            expert_ids=[str(seed.account_ids[k]) for k in EXPERTS],
            account_ids=dict(seed.account_ids),
        )


@pytest.fixture(scope="module", params=ENGINES)
def prepared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, host: PluginHost
) -> Iterator[Prepared]:
    """The world of :mod:`tests.prepared`, built once per engine for each module using it."""
    from tests.prepared import prepare  # it builds on this module's world

    directory: Path = tmp_path_factory.mktemp("prepared")
    template = request.getfixturevalue(f"{request.param}_world_template")
    with migrated_database(request, request.param, directory, world=True) as url:
        engine = make_engine(url)
        settings = settings_for(url, directory)
        with (
            make_session_factory(engine)() as db,
            served_world(settings, host, template.seed) as world,
        ):
            yield prepare(world, db)
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium under Playwright, one per worker (:mod:`tests.browser`)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import chromium_path, launch

    chromium_path()  # skip here, or fail under CI, before starting anything
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``sanquan demo``, loaded once a run and served by each worker on loopback."""
    from tests.browser import demo_served

    shared = shared_directory(tmp_path_factory)
    with demo_served(shared / "demo", tmp_path_factory.mktemp("demo")) as served:
        yield served


@pytest.fixture
def tab(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A fresh browser tab whose requests stay on 127.0.0.1 and whose console stays clean,
    screenshot kept (:class:`tests.browser.Tab`)."""
    from tests.browser import Tab

    opened = Tab.open(browser, request.node.name)
    yield opened
    opened.close()

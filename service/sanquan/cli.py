"""The ``sanquan`` command: serve, migrate, demo data, tokens, plugins, schema export."""

from __future__ import annotations

import os
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import Principal, principal_of
from sanquan.config import SettingError, Settings
from sanquan.db import make_engine, make_session_factory
from sanquan.errors import DomainError, DomainErrors
from sanquan.exports.formats import ExportFormat
from sanquan.exports.service import ExportKind
from sanquan.findings.models import ItemStatus
from sanquan.institutions.models import Institution
from sanquan.rotation.model import DEFAULTS

if TYPE_CHECKING:
    from sanquan.plugins.host import PluginHost

app = typer.Typer(
    help="sanquan: Beijing 三全育人 quarterly reviews over GraphQL.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold tokens
)
token_app = typer.Typer(help="Manage bearer tokens.", no_args_is_help=True)
schedule_app = typer.Typer(help="The three-year rotation.", no_args_is_help=True)
tables_app = typer.Typer(help="Responsibility tables (一张表).", no_args_is_help=True)
plugins_app = typer.Typer(help="Indicator-set plugins.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(plugins_app, name="plugins")
app.add_typer(schedule_app, name="schedule")
app.add_typer(tables_app, name="tables")
console = Console(soft_wrap=True)  # long URLs and tokens must stay on one line
problems = Console(stderr=True, soft_wrap=True)


def _plugin_host() -> PluginHost:
    """The installed plugins. Each that failed to load is said once on stderr (it is left
    out and the others work, so the command goes on); two offering one set stop the
    command in one line, as which of them a session scores against must not be left to
    chance."""
    from sanquan.plugins.host import PluginConflict, PluginHost

    try:
        host = PluginHost.discover()
    except PluginConflict as error:
        problems.print(error.message(), style="red", markup=False)
        raise typer.Exit(2) from None
    for failure in host.failures:
        problems.print(failure, style="red", markup=False)
    return host


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def _database(settings: Settings) -> Session:
    """A session on a database at the current schema; otherwise say what to run."""
    import sanquan.models  # noqa: F401  (every table, so that foreign keys resolve)
    from sanquan.migrate import is_current

    engine = make_engine(settings.database_url)
    if not is_current(engine):
        console.print(
            f"[red]the database {_safe(settings.database_url)} is not at the current schema: "
            "run `sanquan migrate` first[/red]"
        )
        raise typer.Exit(2)
    return make_session_factory(engine)()


@app.command()
def migrate() -> None:
    """Bring the database to the current schema."""
    from sanquan.migrate import upgrade

    settings = _settings()
    upgrade(make_engine(settings.database_url))
    console.print(f"database is current: {_safe(settings.database_url)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the GraphQL API (migrating the database first).

    One process per command: with PostgreSQL, run several behind a proxy. (uvicorn's own
    multi-worker mode leaves Nagle's algorithm on and adds ~40 ms to every response.)
    ``X-Forwarded-*`` headers are believed only from ``SANQUAN_TRUSTED_PROXIES``, and no
    ``Server`` header names the software.

    The plugins are loaded first, so that a conflict between them stops the command before
    the database is touched or an address is announced."""
    import uvicorn

    from sanquan.api.persisted import TrustedDocumentsError, load_manifest
    from sanquan.app import create_app
    from sanquan.migrate import upgrade

    settings = _settings()
    plugins = _plugin_host()
    if settings.trusted_documents is not None:
        try:
            load_manifest(settings.trusted_documents)
        except TrustedDocumentsError as error:
            problems.print(f"[red]SANQUAN_TRUSTED_DOCUMENTS: {error}[/red]")
            raise typer.Exit(2) from None
    upgrade(make_engine(settings.database_url))
    console.print(f"sanquan on http://{host}:{port}/graphql  ({_safe(settings.database_url)})")
    uvicorn.run(
        partial(create_app, settings, plugins),
        factory=True,
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
    )


@app.command()
def demo(
    reset: Annotated[bool, typer.Option(help="Start from an empty database.")] = True,
    yes: Annotated[
        bool, typer.Option("--yes", help="Allow wiping a database that is not SQLite.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address the demo will be served on.")] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(help="Port the demo will be served on: refuse, changing nothing, if taken."),
    ] = None,
) -> None:
    """Load the demo: the 92 Beijing institutions, accounts, a history of sessions, findings
    and progress reports; print tokens.

    It empties the database first, so on anything but the embedded SQLite file it asks for
    ``--yes``: a demo must never wipe a production PostgreSQL by accident. Given the port it
    will be served on, it refuses before touching anything while that port is taken, most
    likely by a demo still serving this very database with the tokens it printed."""
    from sanquan.demo import load_demo
    from sanquan.migrate import downgrade, upgrade

    if port is not None and _taken(host, port):
        problems.print(
            f"[red]端口 {host}:{port} 已被占用,可能是仍在运行的演示服务:数据库和令牌都未改动。"
            "请先停止它(在其终端按 Ctrl-C)再运行;要同时运行第二个演示,请另用数据目录和端口"
            "(SANQUAN_DATA_DIR=var/demo2 make demo PORT=8001)。[/red]",
        )
        raise typer.Exit(2)
    settings = _settings()
    if reset and not settings.database_url.startswith("sqlite") and not yes:
        console.print(
            f"[red]refusing to empty {_safe(settings.database_url)}: add --yes if you mean it[/red]"
        )
        raise typer.Exit(2)
    engine = make_engine(settings.database_url)
    if reset:
        downgrade(engine)
    upgrade(engine)
    with console.status("loading demo data…"), make_session_factory(engine)() as db:
        result = load_demo(db, _plugin_host())
        db.commit()
    console.print("demo tokens (send as 'Authorization: Bearer <token>'):")
    lines = []
    for role, (name, token) in result.tokens.items():
        console.print(f"  {role:<12} {token}  [dim]{name}[/dim]", soft_wrap=True)
        lines.append(f"SANQUAN_{role}_TOKEN={token}")
    tokens_file = settings.data_dir / "demo-tokens.env"
    tokens_file.parent.mkdir(parents=True, exist_ok=True)
    tokens_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    console.print(f"tokens also written to {tokens_file}")
    concluded = ", ".join(map(str, result.concluded))
    opened = ", ".join(map(str, result.open))
    console.print(f"review sessions: {concluded} (concluded), {opened} (open)")
    console.print(f"rotation of this cycle adopted: {result.planned} more sessions planned")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="ADMIN, INSTITUTION, EXPERT, UNIT or VIEWER.")],
    name: Annotated[str, typer.Option(help="Who holds it.")],
    institution: Annotated[
        str | None, typer.Option(help="School code (INSTITUTION) or affiliation (EXPERT).")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="Responsible unit (UNIT), e.g. 市教委.")] = None,
    unit_owner: Annotated[
        str, typer.Option(help="The school a UNIT's unit belongs to; omit for a municipal one.")
    ] = "",
) -> None:
    """Create an account and print its token (shown once; only a hash is kept)."""
    from sanquan.auth.tokens import create_account, issue_token

    try:
        parsed = Role(role.upper())
    except ValueError:
        raise typer.BadParameter(f"unknown role {role!r}", param_hint="--role") from None
    with _database(_settings()) as db:
        try:
            account = create_account(
                db,
                name=name,
                role=parsed,
                institution_code=institution,
                unit_name=unit,
                unit_owner=unit_owner,
            )
        except DomainError as error:
            console.print(f"[red]{error.message()}[/red]")
            raise typer.Exit(2) from None
        token = issue_token(db, account)
        db.commit()
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token to revoke, as it was printed.")],
) -> None:
    """Revoke a token: requests bearing it are refused from now on."""
    from sanquan.auth.tokens import revoke_token

    with _database(_settings()) as db:
        if not revoke_token(db, token):
            console.print("[red]no such active token[/red]")
            raise typer.Exit(2)
        db.commit()
    console.print("revoked")


@tables_app.command("import")
def tables_import(
    plan: Annotated[
        list[str] | None,
        typer.Option(help="Key of a shipped plan; repeat for several. Default: every one."),
    ] = None,
) -> None:
    """Import (or refresh) shipped plans with their tasks and units: 京教组发[2019]3号 and a
    school's 22 ideology-work measures. A bad unit name in any of them imports nothing."""
    from sanquan.tables.service import import_plans
    from sanquan.tables.shipped import UnknownPlanKeys, shipped_plans

    try:
        sources = shipped_plans(plan or None)
    except UnknownPlanKeys as error:
        raise typer.BadParameter(str(error), param_hint="--plan") from None
    with _database(_settings()) as db:
        try:
            plans = import_plans(db, sources)
        except DomainError as error:
            console.print(f"[red]{error.message()}[/red]")
            raise typer.Exit(2) from None
        db.commit()
        for imported in plans:
            console.print(
                f"{imported.key} ({imported.document}): {len(imported.tasks)} tasks imported"
            )


class ExportName(StrEnum):
    """The exports by the names the command line uses."""

    PLAN_TABLE = "plan-table"
    UNIT_TABLE = "unit-table"
    SCORES = "scores"
    RESULTS = "results"
    RECTIFICATION = "rectification"


EXPORT_KINDS = {
    ExportName.PLAN_TABLE: ExportKind.PLAN_TABLE,
    ExportName.UNIT_TABLE: ExportKind.UNIT_TABLE,
    ExportName.SCORES: ExportKind.SCORE_SHEET,
    ExportName.RESULTS: ExportKind.SESSION_RESULTS,
    ExportName.RECTIFICATION: ExportKind.RECTIFICATION_LIST,
}


@app.command()
def export(
    kind: Annotated[ExportName, typer.Argument(help="What to export.")],
    plan: Annotated[str | None, typer.Option(help="plan-table: the plan key.")] = None,
    unit: Annotated[str | None, typer.Option(help="unit-table: the unit's name.")] = None,
    unit_owner: Annotated[
        str, typer.Option(help="unit-table: the school owning the unit; none: municipal.")
    ] = "",
    session: Annotated[int | None, typer.Option(help="scores, results: the session id.")] = None,
    quarter: Annotated[
        str | None, typer.Option(help="Progress quarter of the tables, e.g. 2026Q4.")
    ] = None,
    institution: Annotated[
        str | None, typer.Option(help="rectification: one school's code.")
    ] = None,
    status: Annotated[
        ItemStatus | None, typer.Option(help="rectification: one status only.")
    ] = None,
    overdue: Annotated[bool, typer.Option(help="rectification: only overdue items.")] = False,
    export_format: Annotated[
        ExportFormat,
        typer.Option("--format", case_sensitive=False, help="xlsx or csv.", show_default="xlsx"),
    ] = ExportFormat.XLSX,
    output: Annotated[
        Path | None, typer.Option(help="File to write; named after the export by default.")
    ] = None,
) -> None:
    """Export a table for Excel (.xlsx, or CSV in UTF-8), as the commission sees it."""
    from sanquan.exports.formats import render
    from sanquan.exports.service import ExportRequest, build, parameter_problems
    from sanquan.quarter import Quarter, QuarterError
    from sanquan.timeutil import current_quarter

    try:
        progress_quarter = str(Quarter.parse(quarter)) if quarter else None
    except QuarterError as error:
        raise typer.BadParameter(str(error), param_hint="--quarter") from None
    wanted = ExportRequest(
        kind=EXPORT_KINDS[kind],
        plan=plan,
        unit=unit,
        unit_owner=unit_owner,
        session_id=session,
        quarter=progress_quarter,
        institution_code=institution,
        status=status,
        only_overdue=overdue,
    )
    missing, unused = parameter_problems(wanted)
    for name in missing:
        console.print(f"[red]{OPTIONS[name]}: sanquan export {kind.value} 必须指定此选项[/red]")
    for name in unused:
        console.print(f"[red]{OPTIONS[name]}: sanquan export {kind.value} 不使用此选项[/red]")
    if missing or unused:
        raise typer.Exit(2)
    with _database(_settings()) as db:
        try:
            table = build(db, _plugin_host(), _command_line_admin(db), wanted, current_quarter())
        except (DomainError, DomainErrors) as refused:
            errors = refused.errors if isinstance(refused, DomainErrors) else [refused]
            for each in errors:
                console.print(f"[red]{each.message()}[/red]")
            raise typer.Exit(2) from None
        db.commit()  # the command line's own account, made on first use
    target = output or Path(table.name + export_format.suffix)
    target.write_bytes(render(table, export_format))
    console.print(f"wrote {target} ({len(table.rows)} rows)")


OPTIONS = {
    "plan": "--plan",
    "unit": "--unit",
    "unit_owner": "--unit-owner",
    "session_id": "--session",
    "quarter": "--quarter",
    "institution_code": "--institution",
    "status": "--status",
    "only_overdue": "--overdue",
}
"""Export parameters → this command's options, so that errors name what the user typed."""


@plugins_app.command("list")
def plugins_list() -> None:
    """Installed plugins with their versions, sets and hooks; fails if any did not load."""
    host = _plugin_host()
    table = Table(title="sanquan plugins")
    for column in ("distribution", "version", "indicator sets", "hooks"):
        table.add_column(column)
    for info in host.plugins:
        sets = ", ".join(f"{k} {v}" for k, v in info.sets)
        table.add_row(info.distribution, info.version, sets, ", ".join(info.hooks))
    console.print(table)
    if host.failures:
        raise typer.Exit(2)


@plugins_app.command("new")
def plugins_new(
    name: Annotated[str, typer.Argument(help="The set's key, e.g. my-set.")],
    directory: Annotated[Path, typer.Option(help="Where to write the package.")] = Path(),
) -> None:
    """Write a working plugin package to start from (one indicator, entry point, tests)."""
    from sanquan_sdk.scaffold import write_plugin

    try:
        root = write_plugin(name, directory)
    except (ValueError, FileExistsError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    console.print(f"wrote {root}; next: pip install {root} and restart the service")


@schedule_app.command("plan")
def schedule_plan(
    start: Annotated[str, typer.Option(help="First quarter of the cycle, e.g. 2027Q1.")],
    sessions_per_quarter: Annotated[
        int | None,
        typer.Option(
            help="Sessions each quarter (k). Default: the fewest that hold the pool (2 for 92).",
            show_default=False,
        ),
    ] = DEFAULTS.sessions_per_quarter,
    policy: Annotated[
        str, typer.Option(help="mix or group categories.")
    ] = DEFAULTS.policy.value.lower(),
    panel_size: Annotated[
        int, typer.Option(help="Experts per session; 0 for none.")
    ] = DEFAULTS.panel_size,
    save: Annotated[bool, typer.Option(help="Keep the plan as a draft to adopt.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Plan a cycle over the active pool and print it, quarters as rows."""
    import json

    from sanquan.quarter import Quarter, QuarterError
    from sanquan.rotation.model import Policy
    from sanquan.rotation.service import PlanOptions, compute, make_draft

    try:
        first = Quarter.parse(start)
    except QuarterError as error:
        raise typer.BadParameter(str(error), param_hint="--start") from None
    try:
        chosen = Policy(policy.upper())
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--policy") from None
    options = PlanOptions(
        start=first,
        sessions_per_quarter=sessions_per_quarter,
        policy=chosen,
        panel_size=panel_size,
    )
    with _database(_settings()) as db:
        try:
            with console.status("planning…", spinner="dots"):
                host = _plugin_host()
                planned = compute(db, host, options)
                draft = make_draft(db, host, _command_line_admin(db), options) if save else None
                db.commit()
        except DomainError as error:
            console.print(f"[red]{error.message()}[/red]")
            raise typer.Exit(2) from None
        rows = db.execute(select(Institution.code, Institution.name))
        names = {code: name for code, name in rows}
    sessions = planned.plan.sessions
    panels = {(p.quarter, p.index): p.expert_ids for p in planned.panels}
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "quarter": str(s.quarter),
                        "index": s.index,
                        "institutions": list(s.codes),
                        "panel": list(panels.get((s.quarter, s.index), ())),
                    }
                    for s in sessions
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table(title=f"rotation {first} – {first.plus(11)}")
    table.add_column("quarter")
    for index in range(planned.plan.request.sessions_per_quarter):
        table.add_column(f"session {index + 1}")
    for quarter in sorted({s.quarter for s in sessions}):
        row = [s for s in sessions if s.quarter == quarter]
        table.add_row(str(quarter), *("、".join(names[c] for c in s.codes) for s in row))
    console.print(table)
    if draft is not None:
        console.print(
            f"saved as draft plan {draft.id}; adopt it with the adoptRotationPlan mutation"
        )


def _command_line_admin(db: Session) -> Principal:
    """The account that plans made from the command line are recorded under."""
    name = "命令行(sanquan CLI)"
    account = db.scalar(select(Account).where(Account.name == name, Account.role == Role.ADMIN))
    if account is None:
        account = Account(name=name, role=Role.ADMIN)
        db.add(account)
        db.flush()
    return principal_of(account)


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path("schema.graphql"),
) -> None:
    """Write the GraphQL schema (SDL) that ``schema.graphql`` holds."""
    from sanquan.api.schema import print_schema

    output.write_text(print_schema(), encoding="utf-8")
    console.print(f"wrote {output}")


def _taken(host: str, port: int) -> bool:
    """Whether a server listens on ``host:port``: binding as uvicorn does (reusing an address
    in TIME_WAIT) fails only then."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


def _safe(url: str) -> str:
    """The database URL without its password, for printing."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    os.environ.setdefault("PYTHONUTF8", "1")
    app()

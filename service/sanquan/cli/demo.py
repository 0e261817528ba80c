"""``sanquan demo``: the demo data loaded into a fresh database, and its tokens printed."""

from __future__ import annotations

from sanquan.cli import messages as m
from sanquan.cli.core import Command, Integer, Refused, option
from sanquan.cli.output import say, working
from sanquan.cli.root import root


@root.command("demo", cls=Command, help=m.DEMO_HELP)
@option("--reset/--no-reset", default=True, show_default=True, help=m.RESET_HELP)
@option("--yes", is_flag=True, help=m.YES_HELP)
@option("--host", default="127.0.0.1", show_default=True, metavar=m.ADDRESS, help=m.DEMO_HOST_HELP)
@option("--port", type=Integer(0), default=None, metavar=m.PORT, help=m.DEMO_PORT_HELP)
def demo(reset: bool, yes: bool, host: str, port: int | None) -> None:
    """A demo must never wipe a production PostgreSQL by accident, nor the data and tokens
    of a demo still serving: both are refused before anything is touched."""
    from sanquan.cli.context import plugin_host, safe, settings
    from sanquan.db import make_engine, make_session_factory
    from sanquan.demo import load_demo
    from sanquan.migrate import downgrade, upgrade

    if port is not None and _taken(host, port):
        raise Refused(m.PORT_TAKEN.format(host=host, port=port), code="PORT_TAKEN")
    current = settings()
    if reset and not current.database_url.startswith("sqlite") and not yes:
        raise Refused(m.WOULD_EMPTY.format(url=safe(current.database_url)), code="NEEDS_YES")
    engine = make_engine(current.database_url)
    if reset:
        downgrade(engine)
    upgrade(engine)
    with working(m.LOADING_DEMO), make_session_factory(engine)() as db:
        result = load_demo(db, plugin_host())
        db.commit()
    say(m.DEMO_TOKENS)
    lines = []
    for role, (name, token) in result.tokens.items():
        say(f"  {role:<12} {token}  {name}")
        lines.append(f"SANQUAN_{role}_TOKEN={token}")
    tokens_file = current.data_dir / "demo-tokens.env"
    tokens_file.parent.mkdir(parents=True, exist_ok=True)
    tokens_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    say(m.TOKENS_WRITTEN.format(path=tokens_file))
    say(
        m.DEMO_SESSIONS.format(
            concluded=", ".join(map(str, result.concluded)),
            open=", ".join(map(str, result.open)),
        )
    )
    say(m.DEMO_ROTATION.format(count=result.planned))


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

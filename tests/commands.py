"""The ``sanquan`` command run in the test's own process, for tests about what a command
says and does rather than about its process: the same ``sanquan.cli.main`` (language
choice, parsing, refusals, output), without the Python start and the imports that each
``python -m sanquan`` pays (seconds of CPU on a loaded machine). Every command is still run
as a real process by at least one test (:data:`tests.serving.SANQUAN`)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from unittest import mock

import click
from click.testing import CliRunner

from sanquan.cli import main, root

PIPED_COLUMNS = "80"
"""The width a piped process falls back to, given here whenever the caller gives none: the
test's own terminal, if it has one, must not decide."""


def in_process(args: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``sanquan ARGS`` with ``env`` as its whole environment, run here; what a
    :func:`subprocess.run` with ``capture_output=True, text=True`` would give."""
    forget_help_options(root)
    environment = {"COLUMNS": PIPED_COLUMNS, **env}
    with (
        mock.patch.dict(os.environ, environment, clear=True),
        CliRunner().isolation() as (stdout, stderr, _),
    ):
        # Click's runner fixes the width at 80; a process takes it from the terminal's size
        # (COLUMNS here), less a margin. The runner puts its own value back afterwards.
        click.formatting.FORCED_WIDTH = None
        status: int | str | None = 0
        try:
            main(list(args))
        except SystemExit as done:
            status = done.code
    assert isinstance(status, int), status
    return subprocess.CompletedProcess(
        list(args), status, stdout.getvalue().decode(), stderr.getvalue().decode()
    )


def forget_help_options(command: click.Command) -> None:
    """Click makes a command's ``--help`` option, its help in the language of the time, on
    first use and keeps it; a new process starts without, and so does each run here."""
    command._help_option = None
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            forget_help_options(sub)

"""Stops a throwaway PostgreSQL server once the test process that started it is gone.

``pg_ctl start`` detaches the server, so a test run killed outright (SIGKILL, or a crash
before its fixtures are torn down) would leave it running. The run starts this script in a
session of its own with the read end of a pipe as standard input and keeps the write end:
when the run ends, however it ends, the kernel closes the write end and the read below
returns. The server is then stopped (immediately: its databases are throwaway) and its
directories removed; after an orderly teardown they are gone already and nothing is done.

Usage: ``python postgres_watchdog.py PG_CTL DATADIR DIRECTORY...``
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    pg_ctl, datadir, *directories = argv
    sys.stdin.buffer.read()
    if Path(datadir).is_dir():
        subprocess.run(
            [pg_ctl, "stop", "-D", datadir, "-m", "immediate", "-w"],
            check=False,
            capture_output=True,
        )
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

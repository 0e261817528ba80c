"""Mutation testing of the modules that hold the rules, with cosmic-ray: a periodic check, not
part of CI (see tests/MUTATION.md for the last run and its survivors).

Each module of ``mutation/config.toml`` is mutated in place, one mutant at a time, and its fast
test selection run on SQLite against each mutant; a mutant that no test fails *survives*.
The sessions (SQLite files of cosmic-ray's) are kept in ``mutation/sessions/``, so an
interrupted run resumes where it stopped::

    .venv/bin/python mutation/run.py visibility conclusion   # new or resumed sessions
    .venv/bin/python mutation/run.py --fresh visibility      # start that module again
    .venv/bin/python mutation/run.py --recheck visibility    # survivors again, after new tests
    .venv/bin/python mutation/run.py --wide visibility       # survivors against wider tests
    .venv/bin/python mutation/run.py --report                # counts and survivors only

A mutant is written into the work tree while its tests run; an interrupted run puts the file
back, but a killed one may not: the run refuses to start on a target that differs from git.
"""

from __future__ import annotations

import argparse
import re
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "mutation" / "config.toml"
SESSIONS = ROOT / "mutation" / "sessions"


def load_config(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


def command(settings: dict[str, Any], tests: list[str]) -> str:
    """The test command, as one string: cosmic-ray splits it with shlex."""
    return shlex.join([sys.executable, "-m", "pytest", *settings["pytest"], *tests])


def baseline(test_command: str) -> float:
    """Seconds the selection takes on the unmutated code; it must pass."""
    start = time.monotonic()
    done = subprocess.run(
        shlex.split(test_command), check=False, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"the selection fails without a mutant:\n{done.stdout[-3000:]}")
    return time.monotonic() - start


def refuse_if_changed(path: str) -> None:
    if subprocess.run(["git", "diff", "--quiet", "--", path], check=False, cwd=ROOT).returncode:
        sys.exit(f"{path} differs from git (a mutant left by a killed run? git checkout {path})")


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so cosmic-ray puts the mutated file back."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def initialise(db: Any, path: str, exclude: Iterable[str]) -> None:
    """Every mutant of ``path``; those of the excluded operators marked skipped."""
    from cosmic_ray.commands import init
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    init([Path(path)], db, {})
    excluded = re.compile("|".join(f"(?:{e})$" for e in exclude))
    skipped = WorkResult(output="excluded operator", worker_outcome=WorkerOutcome.SKIPPED)
    for item in list(db.pending_work_items):
        if excluded.match(item.mutations[0].operator_name):
            db.set_result(item.job_id, skipped)


def execute(db: Any, items: list[Any], test_command: str, timeout: float) -> None:
    from cosmic_ray.mutating import mutate_and_test

    for n, item in enumerate(items, 1):
        result = mutate_and_test(item.mutations, test_command, timeout)
        db.set_result(item.job_id, result)
        print(f"\r  {n}/{len(items)} {verdict(result):9}", end="", flush=True)
    print()


def verdict(result: Any) -> str:
    if result.worker_outcome.value == "skipped":
        return "skipped"
    if result.test_outcome is None:
        return f"error ({result.worker_outcome.value})"
    if result.test_outcome.value == "killed" and result.output == "timeout":
        return "timeout"
    return str(result.test_outcome.value)


def survivors(db: Any) -> list[Any]:
    return [item for item, result in db.completed_work_items if verdict(result) == "survived"]


def describe(item: Any, result: Any) -> str:
    """``file:line  function  operator  old → new`` for a survivor."""
    mutation = item.mutations[0]
    lines = (result.diff or "").splitlines()
    old = next((x[1:].strip() for x in lines if x.startswith("-") and x[:3] != "---"), "")
    new = next((x[1:].strip() for x in lines if x.startswith("+") and x[:3] != "+++"), "")
    operator = mutation.operator_name.removeprefix("core/")
    where = f"{mutation.module_path}:{mutation.start_pos[0]}"
    return f"{where}  {mutation.definition_name}  {operator}\n    - {old}\n    + {new}"


def report(name: str, db: Any, seconds: float | None) -> None:
    counts = Counter(verdict(result) for _, result in db.completed_work_items)
    pending = db.num_work_items - db.num_results
    run = sum(counts.values()) - counts["skipped"] + pending
    summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
    took = f"; {seconds / 60:.1f} min" if seconds is not None else ""
    print(f"{name}: {run} mutants run ({summary}; {pending} pending){took}")
    survived = [(i, r) for i, r in db.completed_work_items if verdict(r) == "survived"]
    found = sorted(
        survived,
        key=lambda pair: (pair[0].mutations[0].start_pos, pair[0].mutations[0].operator_name),
    )
    text = "\n".join(describe(item, result) for item, result in found)
    (SESSIONS / f"{name}.survivors.txt").write_text(text + "\n")
    if text:
        print(text)


def run_module(name: str, module: dict[str, Any], settings: dict[str, Any], args: Any) -> None:
    from cosmic_ray.work_db import WorkDB, use_db

    path, session = module["path"], SESSIONS / f"{name}.sqlite"
    if args.report:
        if not session.exists():
            print(f"{name}: not run")
            return
        with use_db(session, mode=WorkDB.Mode.open) as db:
            report(name, db, None)
        return
    refuse_if_changed(path)
    tests = module["wide"] if args.wide else [*module.get("kills", []), *module["tests"]]
    test_command = command(settings, tests)
    seconds = baseline(test_command)
    timeout = max(settings["timeout-minimum"], seconds * settings["timeout-factor"])
    print(f"{name}: {path}, baseline {seconds:.1f} s, timeout {timeout:.0f} s")
    start = time.monotonic()
    if args.fresh:
        session.unlink(missing_ok=True)
    with use_db(session) as db, terminated_as_interrupt():
        if not db.num_work_items:
            initialise(db, path, settings["exclude-operators"])
        items = survivors(db) if args.recheck or args.wide else list(db.pending_work_items)
        execute(db, items, test_command, timeout)
        report(name, db, time.monotonic() - start)
    refuse_if_changed(path)


def main() -> None:
    config = load_config(CONFIG)
    modules: dict[str, Any] = config["modules"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(modules)}")
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--fresh", action="store_true", help="discard the sessions, start anew")
    again.add_argument("--recheck", action="store_true", help="run the survivors again")
    again.add_argument("--wide", action="store_true", help="survivors against the wide tests")
    again.add_argument("--report", action="store_true", help="counts and survivors, no run")
    args = parser.parse_args()
    if unknown := set(args.modules) - set(modules):
        parser.error(f"no such module in {CONFIG.name}: {', '.join(sorted(unknown))}")
    SESSIONS.mkdir(exist_ok=True)
    for name in args.modules or modules:
        run_module(name, modules[name], config["settings"], args)


if __name__ == "__main__":
    main()

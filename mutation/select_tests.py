"""Choose each module's fast test selection for mutation testing from per-test coverage.

Runs the SQLite half of the suite once with every test's lines of the target modules recorded
(kept in ``mutation/sessions/coverage.json``; ``--reuse`` reads it instead), then picks for
each module, greedily by lines covered per second, tests until every covered line is run by
three of them (or by all that reach it). A test of the module's ``wide`` files counts at a
third of its time, as those files assert the module's rules; tests slower than
``--max-seconds`` are left out. Prints the ``tests`` lists to paste into
``mutation/config.toml``, the module's own files first (pytest runs them in that order, and
stops at the first failure):

    .venv/bin/python mutation/select_tests.py > selection.toml

A selection found this way runs every line the suite reaches, but need not assert on it: a
survivor is first retried against every test that reaches its line (``run.py --wide``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from run import CONFIG, ROOT, SESSIONS, load_config

MEASURED = SESSIONS / "coverage.json"

PLUGIN = """
import json, os, time
import coverage

worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
out = os.environ["MUTATION_COVERAGE_DIR"]
cov = coverage.Coverage(
    include=json.loads(os.environ["MUTATION_TARGETS"]), data_file=f"{out}/.coverage.{worker}"
)
cov.start()
started, durations = {}, {}

def pytest_runtest_protocol(item, nextitem):
    cov.switch_context(item.nodeid)
    started[item.nodeid] = time.perf_counter()

def pytest_runtest_logfinish(nodeid, location):
    if nodeid in started:
        durations[nodeid] = time.perf_counter() - started.pop(nodeid)
    cov.switch_context("")

def pytest_unconfigure(config):
    cov.stop()
    cov.save()
    with open(f"{out}/durations.{worker}.json", "w") as f:
        json.dump(durations, f)
"""


Measured = tuple[dict[str, dict[str, set[int]]], dict[str, float]]


def measure(targets: list[str], directory: Path) -> Measured:
    """Lines of each target reached by each test, and each test's seconds (setup included)."""
    import coverage

    (directory / "mutation_coverage.py").write_text(PLUGIN)
    env = {
        "PYTHONPATH": str(directory),
        "MUTATION_COVERAGE_DIR": str(directory),
        "MUTATION_TARGETS": json.dumps([f"*/{t}" for t in targets]),
    }
    command = [sys.executable, "-m", "pytest", "-p", "mutation_coverage", "-n", "2", "-q"]
    command += ["-m", "not postgresql", "-p", "no:cacheprovider", "tests"]
    subprocess.run(command, cwd=ROOT, env={**_environ(), **env}, check=True)
    lines: dict[str, dict[str, set[int]]] = {t: defaultdict(set) for t in targets}
    for part in directory.glob(".coverage.*"):
        data = coverage.CoverageData(basename=str(part))
        data.read()
        for measured in data.measured_files():
            target = next(t for t in targets if measured.endswith(t))
            for line, contexts in data.contexts_by_lineno(measured).items():
                for test in filter(None, contexts):
                    lines[target][test].add(line)
    durations: dict[str, float] = {}
    for part in directory.glob("durations.*.json"):
        durations.update(json.loads(part.read_text()))
    return lines, durations


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def choose(
    reached: dict[str, set[int]],
    durations: dict[str, float],
    own_files: list[str],
    depth: int,
    max_seconds: float,
) -> list[str]:
    """Tests until each line is run by ``depth`` of them, cheapest coverage first."""
    candidates = {t: ls for t, ls in reached.items() if durations.get(t, max_seconds) < max_seconds}

    def own(test: str) -> bool:
        return test.split("::", maxsplit=1)[0] in own_files

    def cost(test: str) -> float:
        return durations[test] / (3 if own(test) else 1) + 0.05

    wanted = Counter(line for ls in candidates.values() for line in ls)
    wanted = Counter({line: min(depth, n) for line, n in wanted.items()})
    chosen: list[str] = []
    while +wanted:
        best = max(
            (t for t in candidates if t not in chosen),
            key=lambda t: sum(1 for line in candidates[t] if wanted[line]) / cost(t),
        )
        chosen.append(best)
        wanted.subtract({line: 1 for line in candidates[best] if wanted[line]})
    return sorted(chosen, key=lambda t: (not own(t), t))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=4.0)
    parser.add_argument("--reuse", action="store_true", help=f"read {MEASURED.name} again")
    args = parser.parse_args()
    modules = load_config(CONFIG)["modules"]
    targets = [m["path"].removeprefix("service/") for m in modules.values()]
    if not args.reuse:
        with tempfile.TemporaryDirectory() as directory:
            lines, durations = measure(targets, Path(directory))
        SESSIONS.mkdir(exist_ok=True)
        sets = {t: {test: sorted(ls) for test, ls in tests.items()} for t, tests in lines.items()}
        MEASURED.write_text(json.dumps({"lines": sets, "durations": durations}))
    measured = json.loads(MEASURED.read_text())
    durations = measured["durations"]
    for name, module in modules.items():
        target = module["path"].removeprefix("service/")
        reached = {test: set(ls) for test, ls in measured["lines"].get(target, {}).items()}
        tests = choose(reached, durations, module["wide"], args.depth, args.max_seconds)
        seconds = sum(durations[t] for t in tests)
        everything = sum(durations.get(t, 0.0) for t in reached)
        print(f"\n[modules.{name}]  # {len(tests)} of {len(reached)} tests reaching it: ", end="")
        print(f"{seconds:.1f} s of {everything:.1f} s")
        print("tests = [")
        for test in tests:
            print(f"    {json.dumps(test, ensure_ascii=False)},")
        print("]")


if __name__ == "__main__":
    main()

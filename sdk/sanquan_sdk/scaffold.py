"""Writing a working plugin package to start from: one indicator, its entry point, its
tests against the test kit, and a README. The target is the set's key (the package goes
to ``DIRECTORY/sanquan-plugin-KEY``) or the package's folder itself:

::

    python -m sanquan_sdk.scaffold my-set --directory ~/src
    python -m sanquan_sdk.scaffold ~/src/sanquan-plugin-my-set
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{distribution}"
version = "0.1.0"
description = "The {key} indicator set for sanquan"
requires-python = ">=3.11"
dependencies = ["sanquan-sdk>=0.1"]

[project.entry-points."sanquan.plugins"]
{entry} = "{package}.plugin"

[tool.setuptools.packages.find]
include = ["{package}*"]

[tool.pytest.ini_options]
# The tests import the package from this folder, installed or not.
pythonpath = ["."]
testpaths = ["tests"]

[tool.mypy]
strict = true
files = ["{package}", "tests"]
"""

PLUGIN = '''\
"""The {key} indicator set. Change the dimensions and indicators to your set's; the SDK
checks the set when it is built (codes unique, weights adding up to 100, …)."""

from __future__ import annotations

from sanquan_sdk import Dimension, Indicator, IndicatorSet, NumericScale, Source, hookimpl

KEY = "{key}"
VERSION = "1"


def indicator_set() -> IndicatorSet:
    return IndicatorSet(
        key=KEY,
        version=VERSION,
        title="{key}",
        dimensions=(
            Dimension(
                code="D1",
                title="第一部分",
                indicators=(
                    Indicator(
                        code="Q01",
                        title="示例指标",
                        weight=100.0,
                        scale=NumericScale(0, 100),
                        evidence_required=frozenset({{Source.SELF}}),
                    ),
                ),
            ),
        ),
    )


@hookimpl
def sanquan_indicator_sets() -> list[IndicatorSet]:
    return [indicator_set()]
'''

TESTS = '''\
"""The plugin against the hook contract, with the SDK's test kit: no service needed."""

from sanquan_sdk import Source
from sanquan_sdk.testing import check_plugin, score

from {package} import plugin


def test_plugin_keeps_the_hook_contract() -> None:
    [indicator_set] = check_plugin(plugin)
    assert (indicator_set.key, indicator_set.version) == ("{key}", "1")


def test_values_on_the_scale_are_accepted() -> None:
    assert score(plugin, "{key}", "Q01", value=80).ok


def test_out_of_scale_and_missing_evidence_are_refused() -> None:
    assert [p.code for p in score(plugin, "{key}", "Q01", value=120).problems] == ["OUT_OF_SCALE"]
    missing = score(plugin, "{key}", "Q01", value=80, source=Source.SELF)
    assert [p.code for p in missing.problems] == ["EVIDENCE_REQUIRED"]
'''

README = """\
# {distribution}

The `{key}` indicator set for sanquan. Edit `{package}/plugin.py`, run the tests with
`pytest tests`, then install the package next to the service (`pip install .`) and restart
it: `sanquan plugins list` and the `indicatorSets` query show the set.
"""


class ScaffoldError(ValueError):
    """Why no package was written: ``reason`` is ``name`` (not a set key) or ``exists``
    (the folder is there); ``params`` name the culprit for a caller's own wording."""

    def __init__(self, reason: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params


PREFIX = "sanquan-plugin-"


def names(name: str) -> dict[str, str]:
    """The distribution, package, entry-point and set names derived from ``name``."""
    if not NAME.fullmatch(name):
        raise ScaffoldError(
            "name",
            f"{name!r}: use lower-case letters, digits and single hyphens, starting with a letter",
            name=name,
        )
    snake = name.replace("-", "_")
    return {
        "key": name,
        "distribution": f"{PREFIX}{name}",
        "package": f"sanquan_{snake}",
        "entry": snake,
    }


def target(name: str, directory: Path) -> tuple[str, Path]:
    """The set key and the package's folder for ``name``: a key (``my-set``) goes to
    ``directory/sanquan-plugin-my-set``; a folder (a path, or a name starting with
    ``sanquan-plugin-``) is used as it is, and its name, without that prefix, is the key.

    >>> target("my-set", Path("src"))
    ('my-set', PosixPath('src/sanquan-plugin-my-set'))
    >>> target("src/sanquan-plugin-my-set", Path("elsewhere"))
    ('my-set', PosixPath('src/sanquan-plugin-my-set'))
    >>> target("./my-set", Path())
    ('my-set', PosixPath('my-set'))
    """
    if "/" in name or os.sep in name:
        folder = Path(name).expanduser()
    elif name.startswith(PREFIX):
        folder = directory / name
    else:
        return name, directory / f"{PREFIX}{name}"
    return folder.name.removeprefix(PREFIX), folder


def write_plugin(name: str, directory: Path = Path()) -> Path:
    """Write the package for ``name`` (a set key or the package's folder, see
    :func:`target`) and return its folder; an existing folder is never overwritten."""
    key, root = target(name, directory)
    values = names(key)
    if root.exists():
        raise ScaffoldError(
            "exists", f"{root} exists; choose another name or directory", root=str(root)
        )
    package = root / values["package"]
    (root / "tests").mkdir(parents=True)
    package.mkdir()
    files = {
        root / "pyproject.toml": PYPROJECT,
        root / "README.md": README,
        package / "__init__.py": '"""The {key} indicator set for sanquan."""\n',
        package / "plugin.py": PLUGIN,
        # named after the package, so that several plugins' tests can run in one pytest run
        root / "tests" / f"test_{values['package']}.py": TESTS,
    }
    for path, template in files.items():
        path.write_text(template.format(**values), encoding="utf-8")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a new sanquan indicator-set plugin.")
    parser.add_argument(
        "name", help="the set's key (my-set) or the package's folder (~/src/sanquan-plugin-my-set)"
    )
    parser.add_argument(
        "--directory", type=Path, default=Path(), help="where a package named by its key goes"
    )
    args = parser.parse_args(argv)
    try:
        root = write_plugin(args.name, args.directory)
    except ScaffoldError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {root}; next: cd {root} && pytest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

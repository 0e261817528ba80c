"""The files the pages use, as the package holds them: our own under ``static/``, the vendored
libraries under ``static/vendor/<package>/<version>/`` as ``vendor.json`` records them
(``scripts/vendor.py`` refreshes both from the npm registry)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

WEB = Path(__file__).parent
STATIC = WEB / "static"
VENDOR = STATIC / "vendor"
TEMPLATES = WEB / "templates"
MANIFEST = WEB / "vendor.json"

VENDOR_REFERENCE = re.compile(r"@vendor/(?P<package>[a-z0-9-]+)/(?P<file>[A-Za-z0-9_.-]+)")
"""How a page names a vendored file without its version: ``@vendor/echarts/echarts.min.js``."""


@dataclass(frozen=True)
class Vendored:
    """One vendored package: its pinned version, licence, and each file's SHA-256."""

    name: str
    version: str
    license: str
    files: dict[str, str]

    @property
    def folder(self) -> Path:
        return VENDOR / self.name / self.version

    def url(self, file: str) -> str:
        """The file's address relative to the service's root: its path names the version,
        so a browser may keep it for good."""
        if file not in self.files:
            raise LookupError(f"{self.name}@{self.version} vendors no {file}")
        return f"static/vendor/{self.name}/{self.version}/{file}"


@cache
def vendored() -> dict[str, Vendored]:
    """The manifest, by package name."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {
        name: Vendored(name, entry["version"], entry["license"], dict(entry["files"]))
        for name, entry in manifest.items()
    }


def mismatches() -> list[str]:
    """What differs between the vendored files and the manifest: a changed, missing or
    unlisted file each make a line; none when they agree."""
    problems: list[str] = []
    listed: set[Path] = set()
    for package in vendored().values():
        for file, digest in package.files.items():
            path = package.folder / file
            listed.add(path)
            if not path.is_file():
                problems.append(f"{package.name}: {file} is missing")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                problems.append(f"{package.name}: {file} differs from its checksum")
    problems += [
        f"{path.relative_to(VENDOR)} is not in the manifest"
        for path in sorted(VENDOR.rglob("*"))
        if path.is_file() and path not in listed
    ]
    return problems


def render(text: str) -> str:
    """``text`` with every ``@vendor/<package>/<file>`` replaced by the file's versioned address.

    >>> render('<script src="@vendor/react/react.production.min.js">')  # doctest: +ELLIPSIS
    '<script src="static/vendor/react/.../react.production.min.js">'
    """
    packages = vendored()

    def address(found: re.Match[str]) -> str:
        package = packages.get(found["package"])
        if package is None:
            raise LookupError(f"{found[0]}: no package {found['package']} is vendored")
        return package.url(found["file"])

    return VENDOR_REFERENCE.sub(address, text)


@cache
def page(name: str) -> str:
    """The HTML page ``templates/<name>.html``, its vendored files named by version."""
    return render((TEMPLATES / f"{name}.html").read_text(encoding="utf-8"))

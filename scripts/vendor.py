"""Refresh the vendored browser libraries from the npm registry, by hand (never at install).

Each package below is fetched at its pinned version with ``npm pack`` (so npm's own registry
settings apply, a mirror among them), checked against the registry's integrity hash, and only
the files the pages use are copied, with the package's licence files beside them, to
``service/sanquan/web/static/vendor/<package>/<version>/``. Whatever else is there is removed.
``service/sanquan/web/vendor.json`` then records each file's SHA-256, which the test suite
checks the served files against.

    python scripts/vendor.py            # fetch the pins below and rewrite the manifest
    python scripts/vendor.py --check    # fetch them and say whether the vendored files match

To move to a newer release, change its version below, run the script, and look at the pages
(``make demo``) and the browser tests before committing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "service" / "sanquan" / "web"
VENDOR = WEB / "static" / "vendor"
MANIFEST = WEB / "vendor.json"


@dataclass(frozen=True)
class Pin:
    """A package at one version, and the files taken from it: path in the package, as served."""

    name: str
    version: str
    files: dict[str, str]
    why: str


PINS = (
    Pin(
        "react",
        "18.3.1",
        {"umd/react.production.min.js": "react.production.min.js", "LICENSE": "LICENSE"},
        "GraphiQL's UI library; 18 is the last release with a browser (UMD) build.",
    ),
    Pin(
        "react-dom",
        "18.3.1",
        {"umd/react-dom.production.min.js": "react-dom.production.min.js", "LICENSE": "LICENSE"},
        "React's DOM renderer, at React's version.",
    ),
    Pin(
        "graphiql",
        "3.9.0",
        {
            "graphiql.min.js": "graphiql.min.js",
            "graphiql.min.css": "graphiql.min.css",
            "LICENSE": "LICENSE",
        },
        "The IDE at /graphql. 3.x is the last line whose browser build stands alone on React 18 "
        "(4.x deprecated it, 5.x removed it); its stylesheet carries its fonts.",
    ),
    Pin(
        "echarts",
        "6.1.0",
        {
            "dist/echarts.min.js": "echarts.min.js",
            "LICENSE": "LICENSE",
            "NOTICE": "NOTICE",
            "licenses/LICENSE-d3": "LICENSE-d3",
        },
        "The dashboard's charts; its Chinese and English locales are built in.",
    ),
    Pin(
        "graphql-ws",
        "6.4.2",
        {"umd/graphql-ws.min.js": "graphql-ws.min.js", "LICENSE.md": "LICENSE"},
        "The dashboard's live views: the graphql-transport-ws client (reconnection with "
        "backoff, keep-alive), the one the service's protocol is named after.",
    ),
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pack(pin: Pin, into: Path) -> tuple[Path, str]:
    """The package's tarball, downloaded by npm, and its registry integrity (``sha512-…``)."""
    done = subprocess.run(
        ["npm", "pack", f"{pin.name}@{pin.version}", "--json", "--pack-destination", str(into)],
        capture_output=True,
        text=True,
        check=True,
    )
    [packed] = json.loads(done.stdout)
    tarball = into / packed["filename"]
    integrity: str = packed["integrity"]
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{pin.name}@{pin.version}: the tarball does not match {integrity}")
    return tarball, integrity


def extract(pin: Pin, tarball: Path, target: Path) -> dict[str, object]:
    """Copy the pinned files out of ``tarball`` into ``target``: the package's manifest entry."""
    target.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        package = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
        if package["version"] != pin.version:
            raise SystemExit(f"{pin.name}: npm gave {package['version']}, not {pin.version}")
        for inside, served in pin.files.items():
            member = archive.extractfile(f"package/{inside}")
            if member is None:
                raise SystemExit(f"{pin.name}@{pin.version} has no file {inside}")
            (target / served).write_bytes(member.read())
    return {
        "version": pin.version,
        "license": package.get("license", ""),
        "integrity": "",
        "why": pin.why,
        "files": {served: sha256(target / served) for served in sorted(pin.files.values())},
    }


def refresh(staging: Path) -> dict[str, object]:
    """Every pin fetched and extracted under ``staging``; the manifest describing them."""
    manifest: dict[str, object] = {}
    for pin in PINS:
        tarball, integrity = pack(pin, staging)
        entry = extract(pin, tarball, staging / "vendor" / pin.name / pin.version)
        entry["integrity"] = integrity
        manifest[pin.name] = entry
        tarball.unlink()
        print(f"{pin.name}@{pin.version}: {', '.join(pin.files.values())}")
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, change nothing")
    check = parser.parse_args().check
    with tempfile.TemporaryDirectory() as temporary:
        staging = Path(temporary)
        manifest = refresh(staging)
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        if check:
            same = MANIFEST.exists() and MANIFEST.read_text() == text
            print("the vendored files match their pins" if same else "out of date: run me")
            return 0 if same else 1
        shutil.rmtree(VENDOR, ignore_errors=True)
        shutil.copytree(staging / "vendor", VENDOR)
        MANIFEST.write_text(text)
    print(f"wrote {VENDOR.name}/ and {MANIFEST.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

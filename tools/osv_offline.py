"""Offline fallback of `make audit`: match requirements.lock against a local copy of an
OSV advisory database (e.g. a checkout of https://github.com/pypa/advisory-database).

For machines that reach neither api.osv.dev nor PyPI's per-version JSON API. Its result
is only as current as the copy: say so wherever you quote it (docs/SECURITY.md does).

Usage (PyYAML and packaging from .venv)::

    .venv/bin/python tools/osv_offline.py --db ../advisory-database/vulns \\
        --lock requirements.lock --ignore tools/audit-ignore.txt [--json out.json]

Exit code 0 only when every finding is in the ignore file, as with `make audit`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` of every ``name==version`` line."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def _v(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def affected(version: str, entry: dict[str, Any]) -> bool:
    """Whether ``version`` falls in one OSV ``affected`` entry (versions list or ranges)."""
    if version in (entry.get("versions") or []):
        return True
    current = _v(version)
    if current is None:
        return False
    for rng in entry.get("ranges") or []:
        if rng.get("type") != "ECOSYSTEM":
            continue
        lower: Version | None = None
        inside = False
        for event in rng.get("events") or []:
            if "introduced" in event:
                lower = _v(str(event["introduced"])) or Version("0")
                inside = current >= lower
            elif "fixed" in event and lower is not None:
                fixed = _v(str(event["fixed"]))
                if inside and fixed is not None and current < fixed:
                    return True
                inside = False
            elif "last_affected" in event and lower is not None:
                last = _v(str(event["last_affected"]))
                if inside and last is not None and current <= last:
                    return True
                inside = False
        if inside:  # introduced without an end: every later version
            return True
    return False


@dataclass
class Finding:
    """One advisory that affects one pinned package."""

    package: str
    version: str
    id: str
    aliases: list[str]
    fixed: list[str]
    summary: str


def _load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def scan(db: Path, pins: dict[str, str]) -> list[Finding]:
    """Every advisory under ``db`` (``<package>/<id>.yaml|json``) that affects a pin."""
    findings = []
    for folder in sorted(p for p in db.iterdir() if p.is_dir()):
        if canonical(folder.name) not in pins:
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.json")]):
            adv = _load(path)
            if adv.get("withdrawn"):
                continue
            for entry in adv.get("affected") or []:
                pkg = entry.get("package") or {}
                name = canonical(str(pkg.get("name", "")))
                if pkg.get("ecosystem") != "PyPI" or name not in pins:
                    continue
                if affected(pins[name], entry):
                    fixed = sorted(
                        {
                            str(e["fixed"])
                            for r in entry.get("ranges") or []
                            for e in r.get("events") or []
                            if "fixed" in e
                        }
                    )
                    summary = str(adv.get("summary") or adv.get("details") or "")
                    findings.append(
                        Finding(
                            name,
                            pins[name],
                            str(adv["id"]),
                            list(adv.get("aliases") or []),
                            fixed,
                            " ".join(summary.split())[:160],
                        )
                    )
                    break
    return findings


def main(argv: list[str] | None = None) -> int:
    """Prints the findings; 1 when one is not in the ignore file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="OSV folder: <package>/<id>.yaml")
    parser.add_argument("--lock", type=Path, default=Path("requirements.lock"))
    parser.add_argument("--ignore", type=Path, default=Path("tools/audit-ignore.txt"))
    parser.add_argument("--json", type=Path, help="write the findings as JSON")
    args = parser.parse_args(argv)
    pins = read_lock(args.lock)
    ignored = {
        line.split()[0]
        for line in args.ignore.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    findings = scan(args.db, pins)
    open_findings = [
        f for f in findings if f.id not in ignored and not ignored.intersection(f.aliases)
    ]
    for f in findings:
        mark = "accepted" if f not in open_findings else "OPEN"
        fixed = ", ".join(f.fixed) or "no fix"
        print(f"{mark:8} {f.package} {f.version}: {f.id} ({', '.join(f.aliases)}) fixed in {fixed}")
    print(
        f"offline audit: {len(pins)} packages, {len(findings)} finding(s) in "
        f"{len({f.package for f in findings})} package(s), {len(open_findings)} not explained"
    )
    if args.json:
        args.json.write_text(json.dumps([f.__dict__ for f in findings], indent=1))
    return 1 if open_findings else 0


if __name__ == "__main__":
    sys.exit(main())

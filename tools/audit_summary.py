"""Summary of a pip-audit JSON report: packages audited, skipped, findings by package.

Usage: ``python tools/audit_summary.py var/reports/audit.json tools/audit-ignore.txt``
(run by tools/audit.sh with .venv-audit's Python; standard library only).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def ignored_ids(path: Path) -> list[str]:
    """The vulnerability ids of the ignore file (first word of each non-comment line)."""
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            ids.append(line.split()[0])
    return ids


def main(report: str, ignore_file: str) -> int:
    """Prints the summary; 1 when the report is missing or unreadable."""
    try:
        data = json.loads(Path(report).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"audit summary: no report ({type(exc).__name__})")
        return 1
    deps = data.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    findings = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])]
    print(
        f"audit summary: {len(audited)} packages audited, {len(skipped)} skipped, "
        f"{len(findings)} unexplained finding(s), "
        f"{len(ignored_ids(Path(ignore_file)))} accepted in {ignore_file}"
    )
    for name, version, vuln in findings:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix"
        aliases = ", ".join(vuln.get("aliases") or [])
        print(f"  {name} {version}: {vuln['id']} ({aliases}) fixed in: {fixes}")
    for dep in skipped[:10]:
        print(f"  skipped {dep['name']}: {dep['skip_reason']}")
    if len(skipped) > 10:
        print(f"  … and {len(skipped) - 10} more skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

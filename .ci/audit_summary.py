"""Reads pip-audit's JSON report: exits 1 naming each vulnerable package and its advisories,
and says how many locked releases could not be looked up (so a blind audit is never silent)."""

import json
import sys

report_path, audit_status = sys.argv[1], int(sys.argv[2])
try:
    with open(report_path) as report_file:
        dependencies = json.load(report_file)["dependencies"]
except (OSError, ValueError, KeyError) as error:
    sys.exit(f"pip-audit failed (exit {audit_status}) and wrote no report: {error}")

vulnerable = [d for d in dependencies if d.get("vulns")]
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
        aliases = ", ".join(vuln.get("aliases") or [])
        print(
            f"pip-audit: {dependency['name']} {dependency['version']} is affected by "
            f"{vuln['id']} ({aliases}); fixed in: {fixes}"
        )
skipped = [d for d in dependencies if "skip_reason" in d]
audited = len(dependencies) - len(skipped)
print(f"pip-audit: {audited} of {len(dependencies)} locked releases looked up")
if skipped:
    print(
        f"pip-audit: WARNING: {len(skipped)} releases could not be looked up, so their "
        f"vulnerabilities are unknown (first: {skipped[0]['skip_reason']})"
    )
if vulnerable:
    sys.exit(1)
if audit_status != 0:
    sys.exit(f"pip-audit exited {audit_status} without naming a vulnerability")

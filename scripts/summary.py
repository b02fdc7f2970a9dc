"""Turn trial's closing line into 'N passed, N failed' (what CI reads)."""

import re
import sys

text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
status = int(sys.argv[2])
counts = {}
match = re.findall(r"^(PASSED|FAILED) \(([^)]*)\)\s*$", text, re.M)
if match:
    for part in match[-1][1].split(","):
        name, _, value = part.strip().partition("=")
        counts[name] = int(value)
passed = counts.get("successes", 0) + counts.get("expectedFailures", 0)
failed = counts.get("failures", 0) + counts.get("errors", 0) + counts.get("unexpectedSuccesses", 0)
if not match or (status != 0 and failed == 0):
    failed += 1
print(f"{passed} passed, {failed} failed, {counts.get('skips', 0)} skipped")
sys.exit(0 if status == 0 and failed == 0 and passed > 0 else 1)

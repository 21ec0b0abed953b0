"""Fails when a dependency offers no permissive licence (the project is Apache-2.0 OR MIT
and takes no copyleft code). Reads `cargo metadata` JSON on standard input."""
import json
import re
import sys

ALLOWED = {
    "MIT", "Apache-2.0", "BSD-1-Clause", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "ISC", "Zlib",
    "Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "BSL-1.0", "PostgreSQL", "CC0-1.0",
    "Apache-2.0 WITH LLVM-exception", "OFL-1.1",
}


def permissive(expression: str) -> bool:
    expression = expression.replace("/", " OR ")
    parts = [p.strip(" ()") for p in re.split(r"\bAND\b", expression)]
    return bool(expression) and all(
        any(choice.strip(" ()") in ALLOWED for choice in re.split(r"\bOR\b", part)) for part in parts
    )


bad = [
    f"{p['name']} {p['version']}: {p.get('license') or 'no licence'}"
    for p in json.load(sys.stdin)["packages"]
    if not permissive(p.get("license") or "")
]
if bad:
    sys.exit("dependencies without a permissive licence:\n  " + "\n  ".join(bad))
print("all dependencies are under permissive licences")

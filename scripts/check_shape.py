#!/usr/bin/python3
"""Guards the shape of sim/ (docs/ARCHITECTURE.md): which module may include which, and how
long a source file may grow.

    scripts/check_shape.py [ROOT]     check the tree at ROOT (default: the repository)
    scripts/check_shape.py --self-test

A module is a folder sim/<module>/. A file in it may include project headers ("sim/<m>/...")
only from the modules ALLOWED lists for it, so dependencies point one way: core is the bottom,
cli the top. A file under sim/ over MAX_LINES lines is an error too (functions are bounded by
clang-tidy's readability-function-size, see .clang-tidy). Exit status 1 lists every violation as
path:line: reason.
"""
import pathlib
import re
import sys
import tempfile

ALLOWED = {
    "core": set(),
    "analytic": {"core"},
    "model": {"core"},
    "metrics": {"core", "model"},
    "scenario": {"core", "model"},
    "study": {"core", "analytic", "model", "metrics", "scenario"},
    "cli": {"core", "analytic", "model", "metrics", "scenario", "study"},
}
MAX_LINES = 700
SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".cc"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"sim/([A-Za-z0-9_]+)/')


def violations(root):
    found = []
    sim = root / "sim"
    for path in sorted(sim.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        rel = path.relative_to(root)
        module = rel.parts[1]
        if module not in ALLOWED:
            found.append(f"{rel}:1: module sim/{module} is not in scripts/check_shape.py's "
                         f"dependency table; add it there and to docs/ARCHITECTURE.md")
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = match.group(1)
            if target != module and target not in ALLOWED[module]:
                allowed = ", ".join(sorted(ALLOWED[module])) or "nothing of the project"
                found.append(f"{rel}:{number}: sim/{module} includes sim/{target}; "
                             f"it may include only {allowed}")
        if len(lines) > MAX_LINES:
            found.append(f"{rel}:{MAX_LINES + 1}: {len(lines)} lines, over the limit of "
                         f"{MAX_LINES}; split it by concern")
    return found


def self_test():
    """The check must be able to fail: a tree with one upward include, one unknown module and
    one long file gives exactly those three violations; the same tree fixed gives none."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "sim/core").mkdir(parents=True)
        (root / "sim/model").mkdir(parents=True)
        (root / "sim/extra").mkdir(parents=True)
        (root / "sim/core/a.hpp").write_text('#include <vector>\n#include "sim/model/b.hpp"\n')
        (root / "sim/model/b.hpp").write_text('#include "sim/core/a.hpp"\n' +
                                             "// x\n" * MAX_LINES)
        (root / "sim/extra/c.cpp").write_text("\n")
        got = violations(root)
        expected_prefixes = ["sim/core/a.hpp:2: sim/core includes sim/model",
                             "sim/extra/c.cpp:1: module sim/extra",
                             f"sim/model/b.hpp:{MAX_LINES + 1}: {MAX_LINES + 1} lines"]
        if len(got) != 3 or not all(g.startswith(e) for g, e in zip(got, expected_prefixes)):
            print("self-test failed, got:\n  " + "\n  ".join(got))
            return 1
        (root / "sim/core/a.hpp").write_text("#include <vector>\n")
        (root / "sim/model/b.hpp").write_text('#include "sim/core/a.hpp"\n')
        (root / "sim/extra/c.cpp").unlink()
        (root / "sim/extra").rmdir()
        if violations(root):
            print("self-test failed: a clean tree reported " + "; ".join(violations(root)))
            return 1
    print("check_shape self-test: ok")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(argv[1]) if len(argv) > 1 else pathlib.Path(__file__).resolve().parent.parent
    found = violations(root)
    for line in found:
        print(line)
    if found:
        print(f"check_shape: {len(found)} violation(s)")
        return 1
    count = sum(1 for p in (root / "sim").rglob("*") if p.suffix in SOURCE_SUFFIXES)
    print(f"check_shape: {count} files under sim/, dependencies one way, none over {MAX_LINES} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Writes phone_holds' upgrade scripts from hand-written deltas (CONTRIBUTING.md: a schema change).

    python3 scripts/upgrade_script.py 0.12.0 0.13.0   writes sql/phone_holds--0.12.0--0.13.0.sql
    python3 scripts/upgrade_script.py --check         fails when a committed script differs from
                                                      what this writes (tests/e2e/tests/upgrade_scripts.rs)

Every plain-SQL object lives once, in its file under sql/ (the files src/lib.rs names in
extension_sql_file!, in that order, which is the order CREATE EXTENSION runs them). A release
hand-writes only what it changes that CREATE OR REPLACE cannot say, in sql/updates/<from>--<to>.sql:
ALTERs, DROPs, the CREATE FUNCTION ... 'MODULE_PATHNAME' lines of new C functions, grants. The
script is that delta, then every statement of the object files that <from>'s install script
(frozen in tests/e2e/fixtures/phone_holds--<from>.sql) does not contain word for word: a changed
or new function or procedure as CREATE OR REPLACE, a changed comment as it is.

A changed statement of any other kind (a table, an index, a DO block, a grant) cannot be run
again as it stands, so the generator refuses it unless the delta says it wrote that change
itself, with a line `-- handled: <file> [<file> ...]` naming the object file. The delta may place
the generated statements with a line `-- @objects`; without one they follow it.

Scripts of releases before the scheme began (0.12.0 and earlier) were written by hand and are
left as users' packages carry them. A generated script is released once its <to>'s install script
is frozen too: from then on the object files move on without it, so --check no longer writes it
again but proves it still is its delta, then statements each found word for word in <to>'s
frozen install script (with CREATE for CREATE OR REPLACE): what a fresh install of <to> made.
"""

import difflib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = ROOT / "sql"
UPDATES = SQL / "updates"
FIXTURES = ROOT / "tests" / "e2e" / "fixtures"

ROUTINE = re.compile(r"CREATE\s+(FUNCTION|PROCEDURE)\b", re.IGNORECASE)
COMMENT_ON = re.compile(r"COMMENT\s+ON\b", re.IGNORECASE)


def fail(message):
    print(f"upgrade_script.py: {message}", file=sys.stderr)
    sys.exit(2)


def object_files():
    """The object files in the order CREATE EXTENSION runs them."""
    lib = (ROOT / "src" / "lib.rs").read_text()
    return re.findall(r'extension_sql_file!\("\.\./sql/([a-z_]+\.sql)"', lib)


def statements(text):
    """Splits SQL into top-level statements, each with the comment lines just above it.

    Knows what hides a semicolon: quoted strings, quoted names, dollar quotes and comments."""
    out, start, i, n = [], 0, 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("--", i):
            i = text.find("\n", i)
            i = n if i < 0 else i + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c in "'\"":
            i += 1
            while i < n:
                if text[i] == c:
                    if i + 1 < n and text[i + 1] == c:
                        i += 2
                        continue
                    break
                i += 1
            i += 1
        elif c == "$" and (m := re.match(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$", text[i:])):
            tag = m.group(0)
            end = text.find(tag, i + len(tag))
            if end < 0:
                fail(f"unterminated dollar quote {tag}")
            i = end + len(tag)
        elif c == ";":
            out.append(text[start : i + 1])
            start = i + 1
            i += 1
        else:
            i += 1
    if text[start:].strip() and any(not l.strip().startswith("--") for l in text[start:].splitlines() if l.strip()):
        fail("SQL after the last semicolon")
    return [split_comment(s) for s in out]


def split_comment(statement):
    """(the comment lines above the statement, the statement itself), blank lines trimmed."""
    lines = statement.strip("\n").split("\n")
    k = 0
    while k < len(lines) and (not lines[k].strip() or lines[k].lstrip().startswith("--")):
        k += 1
    comment = "\n".join(l for l in lines[:k]).strip("\n")
    return comment, "\n".join(lines[k:])


def generate(old, new):
    delta_path = UPDATES / f"{old}--{new}.sql"
    baseline_path = FIXTURES / f"phone_holds--{old}.sql"
    if not delta_path.exists():
        fail(f"{delta_path.relative_to(ROOT)} is missing: write what {new} changes there first")
    if not baseline_path.exists():
        fail(f"{baseline_path.relative_to(ROOT)} is missing: freeze {old}'s install script there first (CONTRIBUTING.md)")
    delta = delta_path.read_text()
    baseline = baseline_path.read_text()
    files = object_files()
    handled = {f for line in delta.splitlines() if line.startswith("-- handled:") for f in line.split(":", 1)[1].split()}
    unknown = handled - set(files)
    if unknown:
        fail(f"{delta_path.name} handles {sorted(unknown)}, which are not object files")

    generated, sources = [], []
    for name in files:
        changed = [(c, s) for c, s in statements((SQL / name).read_text()) if s not in baseline]
        if not changed or name in handled:
            continue
        sources.append(f"sql/{name}")
        for comment, statement in changed:
            if ROUTINE.match(statement):
                statement = ROUTINE.sub(lambda m: f"CREATE OR REPLACE {m.group(1).upper()}", statement, count=1)
            elif not COMMENT_ON.match(statement):
                first = statement.splitlines()[0]
                fail(
                    f"sql/{name} changed since {old} in a statement that cannot be run again as it stands "
                    f"({first.strip()!r}): write that change in {delta_path.relative_to(ROOT)} and add the "
                    f"line '-- handled: {name}' to it"
                )
            generated.append((f"{comment}\n" if comment else "") + statement)

    header = (
        f"-- GENERATED by scripts/upgrade_script.py {old} {new}: do not edit. It is\n"
        f"-- sql/updates/{old}--{new}.sql, then the statements of the object files that {old}'s install\n"
        f"-- script does not contain ({', '.join(sources) if sources else 'none'}).\n\n"
    )
    objects = "\n\n".join(generated)
    if objects:
        objects = f"{MARKER}{old} ----\n\n{objects}\n"
    body = delta.replace("-- @objects\n", objects) if "-- @objects\n" in delta else delta.rstrip("\n") + "\n\n" + objects
    return header + body.rstrip("\n") + "\n"


MARKER = "-- ---- generated: what changed in sql/ since "


def released_problems(old, new, committed):
    """What is wrong with the committed script of a released <to> (see the module's comment)."""
    if not committed.startswith(f"-- GENERATED by scripts/upgrade_script.py {old} {new}:"):
        return ["it does not start with the generator's header"]
    delta = (UPDATES / f"{old}--{new}.sql").read_text().replace("-- @objects\n", "")
    body = committed.split("\n\n", 1)[1]
    problems = [] if body.startswith(delta.rstrip("\n")) else [f"it does not begin with sql/updates/{old}--{new}.sql"]
    if MARKER in committed:
        installed = (FIXTURES / f"phone_holds--{new}.sql").read_text()
        objects = committed.split(MARKER, 1)[1].split("\n", 1)[1]
        for comment, statement in statements(objects):
            as_installed = re.sub(r"CREATE OR REPLACE (FUNCTION|PROCEDURE)", r"CREATE \1", statement, count=1)
            if as_installed not in installed:
                problems.append(f"{statement.splitlines()[0].strip()!r} is not what {new}'s install script has")
    return problems


def releases():
    """Every (from, to) with a delta, as named by sql/updates/."""
    pairs = []
    for path in sorted(UPDATES.glob("*--*.sql")):
        old, new = path.stem.split("--")
        pairs.append((old, new))
    return pairs


def main(argv):
    if argv == ["--check"]:
        stale = []
        for old, new in releases():
            target = SQL / f"phone_holds--{old}--{new}.sql"
            committed = target.read_text() if target.exists() else ""
            if (FIXTURES / f"phone_holds--{new}.sql").exists():
                for problem in released_problems(old, new, committed):
                    stale.append(target.name)
                    print(f"upgrade_script.py: released {target.name}: {problem}")
                continue
            made = generate(old, new)
            if made != committed:
                stale.append(target.name)
                sys.stdout.writelines(difflib.unified_diff(committed.splitlines(True), made.splitlines(True), f"committed {target.name}", "generated"))
        if stale:
            print(f"upgrade_script.py: {', '.join(stale)} differ from what the generator writes: run python3 scripts/upgrade_script.py <from> <to>", file=sys.stderr)
            return 1
        released = sum((FIXTURES / f"phone_holds--{new}.sql").exists() for _, new in releases())
        print(f"upgrade_script.py: {len(releases())} generated upgrade scripts match their deltas ({released} released: checked against their install scripts)")
        return 0
    if len(argv) != 2:
        fail("usage: upgrade_script.py <from> <to> | --check")
    old, new = argv
    target = SQL / f"phone_holds--{old}--{new}.sql"
    target.write_text(generate(old, new))
    print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

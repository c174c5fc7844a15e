"""One way to write a file whole: :mod:`gradlab.atomic`. A guard over src/gradlab: no other
module renames a temporary file onto its target (``os.replace``, ``os.rename``,
``Path.replace``/``Path.rename``, ``shutil.move``), makes its own temporary files to do so
(``tempfile.mkstemp``, ``NamedTemporaryFile``), or writes a file whole in place
(``Path.write_text``/``write_bytes``); they call ``atomic_write`` / ``atomic_open``.

Streams that grow while a run goes on (a CSV log appended each epoch, TensorBoard events, a
lock file) are not whole-file writes and are not what this guards.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "gradlab"

ALLOWED = {
    "atomic.py",  # the one writer
}

FUNCTIONS = {
    ("os", "replace"), ("os", "rename"), ("os", "renames"), ("shutil", "move"),
    ("tempfile", "mkstemp"), ("tempfile", "NamedTemporaryFile"),
}  # fmt: skip
METHODS = {"write_text", "write_bytes"}


def _offences(tree) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, owner = node.func.attr, node.func.value
        if isinstance(owner, ast.Name) and (owner.id, name) in FUNCTIONS:
            found.append((node.lineno, f"{owner.id}.{name}"))
        elif name in METHODS:
            found.append((node.lineno, f".{name}()"))
        elif name in ("replace", "rename") and len(node.args) == 1 and not node.keywords:
            # str.replace takes two arguments; Path.replace(target) / Path.rename(target) one
            found.append((node.lineno, f".{name}(target)"))
    return found


def test_files_are_written_through_atomic_only():
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative in ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        bad += [f"src/gradlab/{relative}:{line}: {what}" for line, what in _offences(tree)]
    assert not bad, "write files through gradlab.atomic instead:\n" + "\n".join(bad)


def test_the_guard_sees_each_form():
    source = (
        "import os, shutil, tempfile\n"
        "os.replace(a, b)\nshutil.move(a, b)\ntempfile.mkstemp()\n"
        "p.write_text('x')\np.replace(q)\n'abc'.replace('a', 'b')\n"
    )
    lines = [line for line, _ in _offences(ast.parse(source))]
    assert lines == [2, 3, 4, 5, 6]

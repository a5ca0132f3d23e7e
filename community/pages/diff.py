"""Line-by-line differences between two texts of a page, for the revision page. Plain data:
the template prints each line as text (escaped), inside <del> or <ins>."""

import difflib
from dataclasses import dataclass

CONTEXT_LINES = 3


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "removed" (only in the old text) or "added" (only in the new one)
    text: str
    old_number: int | None  # the line's number in the old text (None: an added line)
    new_number: int | None  # … and in the new one (None: a removed line)


def line_diff(old: str, new: str, context: int = CONTEXT_LINES) -> list[list[Line]]:
    """The changed stretches of `new` against `old`, each with `context` unchanged lines
    around it; empty when the texts are the same."""
    a, b = old.splitlines(), new.splitlines()
    if a == b:
        return []
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        lines: list[Line] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [Line("same", a[i], i + 1, j1 + (i - i1) + 1) for i in range(i1, i2)]
                continue
            lines += [Line("removed", a[i], i + 1, None) for i in range(i1, i2)]
            lines += [Line("added", b[j], None, j + 1) for j in range(j1, j2)]
        hunks.append(lines)
    return hunks

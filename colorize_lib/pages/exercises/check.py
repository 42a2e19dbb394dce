"""``Check``: what every checker returns (true when passed, with a message for the reader)."""

from __future__ import annotations

import dataclasses
import textwrap

WIDTH = 80  # characters a line: a checker's message stays inside the book's column


@dataclasses.dataclass(frozen=True)
class Check:
    """The outcome of a checker: ``passed`` and a message for the reader."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        """``PASS: ...`` or ``FAIL: ...``, wrapped at ``WIDTH`` characters (the hint included)."""
        text = ("PASS: " if self.passed else "FAIL: ") + self.message
        return "\n".join(
            textwrap.fill(line, WIDTH, subsequent_indent="  ") if line.strip() else line
            for line in text.splitlines()
        )

    __repr__ = __str__

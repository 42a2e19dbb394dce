"""``Check``: what every checker returns (true when passed, with a message for the reader)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Check:
    """The outcome of a checker: ``passed`` and a message for the reader."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return ("PASS: " if self.passed else "FAIL: ") + self.message

    __repr__ = __str__

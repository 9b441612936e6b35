"""The seeded draws behind every demo decision: weighted tables, slots and stable hashes."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from typing import Final, Generic, TypeVar

_MASK64: Final = (1 << 64) - 1

_T = TypeVar("_T")


class Weighted(Generic[_T]):
    """A weighted choice table drawn from with one integer."""

    __slots__ = ("cumulative", "total", "values")

    def __init__(self, pairs: Sequence[tuple[_T, int]]) -> None:
        self.values = tuple(value for value, _ in pairs)
        running = 0
        cumulative = []
        for _, weight in pairs:
            running += weight
            cumulative.append(running)
        self.cumulative = tuple(cumulative)
        self.total = running

    def draw(self, slot: int) -> _T:
        return self.values[bisect.bisect_right(self.cumulative, (slot * self.total) >> SLOT_BITS)]


SLOT_BITS: Final = 16
SLOT_RANGE: Final = 1 << SLOT_BITS


def pick(options: Sequence[_T], slot: int) -> _T:
    return options[(slot * len(options)) >> SLOT_BITS]


def chance(share: float) -> int:
    """The slot values below which an event of probability `share` happens."""
    return int(share * SLOT_RANGE)


def splitmix64(value: int) -> int:
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def stable_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")

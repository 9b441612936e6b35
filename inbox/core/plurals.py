"""Counts as people read them: "1 thread", "3 threads", "1 reply", "2 replies"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` with `noun` in the number it needs ("1 thread", "1,204 threads"); `plural` is
    the other form when adding an "s" would be wrong ("reply", "replies")."""
    word = noun if count == 1 else (plural or f"{noun}s")
    return f"{count:,} {word}"

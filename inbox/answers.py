"""Prepared answers as stored: `canned_response` rows to and from library answers, and finding them.

The library (`canned_responses`) reads, writes and matches answers; this module keeps them in the
database, so the service, the outbox and the CLI share one reading of a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, update

from inbox.core.errors import InvalidInput, NotFound
from inbox.core.models import CannedResponse, Item

if TYPE_CHECKING:
    from canned_responses.library import CannedResponse as PreparedAnswer
    from canned_responses.library import LoadProblem
    from canned_responses.matcher import Matcher

_canned = CannedResponse.__table__
_item = Item.__table__


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A prepared answer as kept in the database, with the id outgoing rows refer to."""

    id: int
    answer: PreparedAnswer
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerMatch:
    """A prepared answer found for a query or a customer's message, scored 0 to 100."""

    answer: StoredAnswer
    score: float


@dataclass(frozen=True, slots=True)
class AnswerImport:
    """What importing a directory of prepared answers changed, and the files it could not read."""

    added: int
    updated: int
    unchanged: int
    problems: tuple[LoadProblem, ...]


def answer_from_row(row: Any) -> PreparedAnswer:
    """The prepared answer stored in a `canned_response` row."""
    from canned_responses.library import CannedResponse as PreparedAnswer

    return PreparedAnswer(
        shortcode=row.shortcode,
        title=row.title,
        body=row.body,
        tags=tuple(row.tags or ()),
        language=row.language,
        variants=dict(row.variants or {}),
        needs_approval=row.needs_approval,
    )


def load_answer(connection: Connection, canned_response_id: int) -> PreparedAnswer:
    """A stored prepared answer by id; NotFound if there is none."""
    row = connection.execute(select(_canned).where(_canned.c.id == canned_response_id)).first()
    if row is None:
        raise NotFound(f"no prepared answer {canned_response_id} (`inbox canned list`)")
    return answer_from_row(row)


def _canned_values(answer: PreparedAnswer) -> dict[str, Any]:
    """The canned_response columns of a prepared answer, but its shortcode and time."""
    return {
        "title": answer.title,
        "body": answer.body,
        "variants": dict(answer.variants),
        "tags": list(answer.tags),
        "language": answer.language,
        "needs_approval": answer.needs_approval,
    }


def canned_responses(connection: Connection) -> list[StoredAnswer]:
    """Every prepared answer, in shortcode order."""
    rows = connection.execute(select(_canned).order_by(_canned.c.shortcode)).all()
    return [StoredAnswer(row.id, answer_from_row(row), row.updated_at) for row in rows]


def canned_response(connection: Connection, reference: str | int) -> StoredAnswer:
    """One prepared answer by id or shortcode."""
    for stored in canned_responses(connection):
        if str(reference) in (str(stored.id), stored.answer.shortcode):
            return stored
    raise NotFound(f"no prepared answer {reference!r} (`inbox canned list` shows them)")


def load_directory(directory: Path | str) -> tuple[list[PreparedAnswer], list[LoadProblem]]:
    """The prepared answers of a directory of Markdown files, and the files it could not read."""
    from canned_responses.library import load_library

    try:
        answers, problems = load_library(directory)
    except NotADirectoryError as error:
        raise InvalidInput(str(error)) from None
    return answers, problems


def import_canned(
    connection: Connection,
    answers: Iterable[PreparedAnswer],
    problems: Sequence[LoadProblem],
    *,
    now: datetime,
) -> AnswerImport:
    """Add or update `answers` by shortcode; `problems` are files they could not be read from."""
    added = updated = unchanged = 0
    known = {row.shortcode: row for row in connection.execute(select(_canned))}
    for answer in answers:
        values = _canned_values(answer)
        previous = known.get(answer.shortcode)
        if previous is None:
            connection.execute(
                _canned.insert().values(shortcode=answer.shortcode, updated_at=now, **values)
            )
            added += 1
        elif answer_from_row(previous) != answer:
            connection.execute(
                update(_canned).where(_canned.c.id == previous.id).values(updated_at=now, **values)
            )
            updated += 1
        else:
            unchanged += 1
    return AnswerImport(added, updated, unchanged, tuple(problems))


def export_canned(stored: Iterable[StoredAnswer], directory: Path | str) -> list[Path]:
    """Write every prepared answer to `<shortcode>.md` in `directory`."""
    from canned_responses.library import export_library

    return export_library((each.answer for each in stored), directory)


def save_canned(connection: Connection, response: PreparedAnswer, *, now: datetime) -> StoredAnswer:
    """Add a prepared answer, or replace the one that has its shortcode."""
    values = {**_canned_values(response), "updated_at": now}
    previous_id = connection.execute(
        select(_canned.c.id).where(_canned.c.shortcode == response.shortcode)
    ).scalar()
    if previous_id is None:
        connection.execute(_canned.insert().values(shortcode=response.shortcode, **values))
    else:
        connection.execute(update(_canned).where(_canned.c.id == previous_id).values(**values))
    row = connection.execute(select(_canned).where(_canned.c.shortcode == response.shortcode)).one()
    return StoredAnswer(row.id, answer_from_row(row), row.updated_at)


class AnswerFinder:
    """Finds prepared answers for a typed query or a customer's message.

    It keeps the matcher over the library it last saw and builds a new one only when the
    library changed (counted, newest id and newest edit), so typing stays fast.
    """

    def __init__(self) -> None:
        self._matcher: tuple[tuple[Any, ...], Matcher, dict[str, StoredAnswer]] | None = None

    def _answer_matcher(self, connection: Connection) -> tuple[Matcher, dict[str, StoredAnswer]]:
        """The matcher over the current library, rebuilt only when the library changed."""
        key = tuple(
            connection.execute(
                select(func.count(), func.max(_canned.c.id), func.max(_canned.c.updated_at))
            ).one()
        )
        if self._matcher is None or self._matcher[0] != key:
            from canned_responses.matcher import Matcher

            stored = {answer.answer.shortcode: answer for answer in canned_responses(connection)}
            self._matcher = (key, Matcher(answer.answer for answer in stored.values()), stored)
        return self._matcher[1], self._matcher[2]

    def match(self, connection: Connection, query: str, limit: int = 10) -> list[AnswerMatch]:
        """The prepared answers an agent most likely means by a typed query, best first."""
        matcher, stored = self._answer_matcher(connection)
        return [
            AnswerMatch(stored[found.response.shortcode], found.score)
            for found in matcher.match(query, limit)
        ]

    def suggest(self, connection: Connection, thread_id: int, limit: int = 5) -> list[AnswerMatch]:
        """The prepared answers that best fit a thread's latest inbound message."""
        latest = connection.execute(
            select(_item.c.text)
            .where(_item.c.thread_id == thread_id, _item.c.direction == "in")
            .order_by(_item.c.created_at.desc(), _item.c.id.desc())
            .limit(1)
        ).scalar()
        if latest is None:
            return []
        matcher, stored = self._answer_matcher(connection)
        return [
            AnswerMatch(stored[found.response.shortcode], found.score)
            for found in matcher.suggest(latest, limit)
        ]

"""What stops a message going out as it is: a code a front end decides on, and the
sentence people read; `SendRefused`, the error that carries them out of a queueing call.

A front end branches on `SendProblem.code` and only shows `SendProblem.text`, so the
wording can change without changing what the screens do.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from inbox.core.errors import InvalidInput


class ProblemCode(enum.StrEnum):
    """One kind of problem that stops a message from being queued."""

    EMPTY = "empty"
    """There is no text to send."""
    UNFILLED_VARIABLE = "unfilled_variable"
    """A `{variable}` has no value for this target and no fallback."""
    TOO_LONG = "too_long"
    """The text is longer than the channel allows; nothing is cut."""
    ACCOUNT_DISABLED = "account_disabled"
    """The account it would go out from is disabled."""
    REPLIES_NOT_ALLOWED = "replies_not_allowed"
    """The platform does not let the inbox answer in threads."""
    DMS_NOT_ALLOWED = "dms_not_allowed"
    """The platform does not let the inbox send direct messages."""
    POSTS_NOT_ALLOWED = "posts_not_allowed"
    """The platform does not let the inbox publish a post of its own (a statement)."""
    NO_RECIPIENT = "no_recipient"
    """A direct message has no known author to go to."""
    REPLY_WINDOW_CLOSED = "reply_window_closed"
    """The platform's window for private replies after the customer's last message has passed."""
    THREAD_CHANGED = "thread_changed"
    """A new message or someone else's answer arrived since the person opened the thread."""
    ANOTHER_REPLY_ON_ITS_WAY = "another_reply_on_its_way"
    """A colleague's reply to the same thread is already queued or being sent."""
    ALREADY_REPLYING = "already_replying"
    """The person's own reply to the same thread is still on its way; a second one needs a yes."""
    NO_ADAPTER = "no_adapter"
    """This installation has no adapter for the target's platform."""


@dataclass(frozen=True, slots=True)
class SendProblem:
    """One problem that stops a message: its kind, and the sentence that explains it."""

    code: ProblemCode
    text: str


class SendRefused(InvalidInput):
    """A message was not queued because of these problems; the message reads as their sentences.

    A front end decides on `codes` (or `has`), never on the message.
    """

    def __init__(self, message: str, problems: Sequence[SendProblem]) -> None:
        super().__init__(message)
        self.problems = tuple(problems)

    @property
    def codes(self) -> frozenset[ProblemCode]:
        """The kinds of problem that stopped the message."""
        return frozenset(problem.code for problem in self.problems)

    def has(self, code: ProblemCode) -> bool:
        """True when a problem of this kind stopped the message."""
        return code in self.codes

    def only(self, code: ProblemCode) -> bool:
        """True when this kind of problem, and no other, stopped the message."""
        return self.codes == {code}

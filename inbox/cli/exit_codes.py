"""The exit status of every `inbox` command, and the one mapping from error to status.

README.md's table lists the same codes; `tests/inbox/test_cli_conventions.py` checks that
the two agree. Scripts branch on these numbers, so a code never changes its meaning.
"""

from __future__ import annotations

OK = 0
"""Everything asked for was done."""
FAILED = 1
"""The command ran, but part of the work failed: a thread of several was not changed, a
send failed, an account could not be polled, a file could not be written."""
INVALID = 2
"""The command line or a value on it makes no sense (argparse's own code for usage
errors), or the config file is broken."""
NOT_FOUND = 3
"""No such thread, account, person, message, incident, ..."""
REFUSED = 4
"""The acting person's role does not allow it."""
CONFLICT = 5
"""Sensible, but the state stands in the way: it exists already, it was decided already,
your earlier reply is still on its way."""
UNAVAILABLE = 6
"""The database or the OS keyring cannot be used: not there yet, locked, outdated,
unreachable."""
INTERRUPTED = 130
"""128 + SIGINT: Ctrl-C."""
CLOSED_PIPE = 141
"""128 + SIGPIPE: what the shell reports for `cat`, `seq` or `git` when the reader of their
output (`| head`) goes away; 0 would tell a script the whole output was delivered."""

MEANINGS: dict[int, str] = {
    OK: "ok",
    FAILED: "partly failed: it ran, but some of the work was not done (a thread of several "
    "not changed, a send or a poll that failed)",
    INVALID: "invalid input: a usage error, a value that makes no sense, a broken config file",
    NOT_FOUND: "not found: no such thread, account, person, message or incident",
    REFUSED: "refused: your role does not allow it",
    CONFLICT: "conflict: it exists already, was decided already, or a reply is on its way",
    UNAVAILABLE: "unavailable: no database there yet, or it or the OS keyring cannot be used",
    INTERRUPTED: "interrupted (Ctrl-C)",
    CLOSED_PIPE: "the reader of the output went away (`| head`)",
}
"""Each code in a phrase, as README.md's exit-code table and `inbox --help` say it."""


def exit_code(error: BaseException) -> int | None:
    """The status for `error`, by the nearest class in its ancestry that has one; None for
    an error that is not meant for people (a bug, shown with its traceback)."""
    from sqlalchemy.exc import SQLAlchemyError

    from inbox.core import errors

    by_class: dict[type[BaseException], int] = {
        errors.Conflict: CONFLICT,
        errors.NotFound: NOT_FOUND,
        errors.PermissionDenied: REFUSED,
        errors.InvalidInput: INVALID,
        errors.ConfigError: INVALID,
        errors.DatabaseError: UNAVAILABLE,
        errors.CredentialStoreUnavailable: UNAVAILABLE,
        errors.InboxError: FAILED,
        SQLAlchemyError: UNAVAILABLE,
    }
    from inbox.outbox.drafts import ANSWERING_CODES
    from inbox.outbox.problems import ProblemCode, SendRefused

    # Refused because of someone's action on the thread (or the person's earlier reply),
    # rather than because of the message itself.
    conflicts = ANSWERING_CODES | {ProblemCode.THREAD_CHANGED}
    if isinstance(error, SendRefused) and error.codes and error.codes <= conflicts:
        return CONFLICT
    for cls in type(error).__mro__:
        if cls in by_class:
            return by_class[cls]
    return None

"""Errors the backend raises for people to read; the CLI and TUI show their message as is.

::

    InboxError
    ├── ConfigError              the config file is missing a piece or is malformed
    ├── CredentialStoreUnavailable  no OS keyring to keep secrets in
    ├── DatabaseError            the database cannot be opened or used
    │   ├── DatabaseMissing      no database file there yet (nothing was created)
    │   ├── SchemaOutdated       older than the code: run `inbox db upgrade`
    │   └── SchemaTooNew         newer than the code: upgrade the program
    ├── NotFound                 no such account, agent, thread, ...
    ├── PermissionDenied         the acting person's role does not allow it
    └── InvalidInput             a value a person typed does not make sense
        └── Conflict             sensible, but the thing's state stands in the way: it exists
                                 already, was decided already, another reply is on its way

The command line turns each into one exit status (`inbox.cli.exit_codes`).
"""


class InboxError(Exception):
    """Base of the errors whose message is meant for a person."""


class ConfigError(InboxError):
    """The config file cannot be used."""


class CredentialStoreUnavailable(InboxError):
    """There is no OS keyring to keep secrets in."""


class DatabaseError(InboxError):
    """The database cannot be opened or used."""


class DatabaseMissing(DatabaseError):
    """A command that only reads found no database file where it was pointed."""


class SchemaOutdated(DatabaseError):
    """The database's schema is older than the code."""


class SchemaTooNew(DatabaseError):
    """The database's schema is newer than the code."""


class NotFound(InboxError):
    """Something named does not exist."""


class PermissionDenied(InboxError):
    """The acting person's role does not allow the action."""


class InvalidInput(InboxError):
    """A value given by a person does not make sense."""


class Conflict(InvalidInput):
    """The request makes sense, but the state of the thing it names stands in the way.

    An InvalidInput too, so a front end that shows bad input shows this the same way.
    """

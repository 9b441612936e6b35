"""Secrets in the OS keyring, and nowhere else.

One keyring entry per account, named by (platform, handle), holding a small JSON object
(token, refresh token, ...). The values never reach the database, a log line, an
exception message or the screen: errors here name the account, never the secret.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping

from inbox.core.errors import CredentialStoreUnavailable

SERVICE = "social-inbox"

_NO_KEYRING_HELP = (
    "no OS keyring is available to keep account secrets in ({reason}). "
    "On a desktop, unlock or install the Secret Service (gnome-keyring or KWallet); "
    "on a headless server, install `keyrings.cryptfile` and set "
    "PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring"
)


def _entry_name(platform: str, handle: str) -> str:
    return f"{platform}/{handle}"


def _keyring():
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise CredentialStoreUnavailable(_NO_KEYRING_HELP.format(reason="none was found"))
    return keyring


class CredentialStore:
    """Reads and writes account secrets in the OS keyring."""

    def get(self, platform: str, handle: str) -> dict[str, str] | None:
        """The secret of an account, or None when none is stored."""
        keyring = _keyring()
        try:
            stored = keyring.get_password(SERVICE, _entry_name(platform, handle))
        except keyring.errors.KeyringError as error:
            raise CredentialStoreUnavailable(
                _NO_KEYRING_HELP.format(reason=type(error).__name__)
            ) from None
        if stored is None:
            return None
        try:
            secret = json.loads(stored)
        except ValueError:
            raise CredentialStoreUnavailable(
                f"the keyring entry for {platform} {handle} is not readable; "
                f"`inbox accounts login {shlex.quote(handle)}` stores it again"
            ) from None
        return {str(key): str(value) for key, value in secret.items()}

    def set(self, platform: str, handle: str, secret: Mapping[str, str]) -> None:
        """Store (or replace) the secret of an account."""
        keyring = _keyring()
        try:
            keyring.set_password(SERVICE, _entry_name(platform, handle), json.dumps(dict(secret)))
        except keyring.errors.KeyringError as error:
            raise CredentialStoreUnavailable(
                _NO_KEYRING_HELP.format(reason=type(error).__name__)
            ) from None

    def delete(self, platform: str, handle: str) -> None:
        """Forget the secret of an account; nothing happens when none is stored."""
        keyring = _keyring()
        try:
            keyring.delete_password(SERVICE, _entry_name(platform, handle))
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as error:
            raise CredentialStoreUnavailable(
                _NO_KEYRING_HELP.format(reason=type(error).__name__)
            ) from None

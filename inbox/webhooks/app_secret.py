"""The Meta app secret and the verify token, kept in this machine's OS keyring.

Meta signs every delivery with the app secret (`X-Hub-Signature-256`); the verify token is
what the app dashboard sends once, when someone sets the callback URL. Both live in one
keyring entry, beside the accounts' secrets: never in the config, the database, a log
line or a command line. `inbox webhooks secret` stores them; `inbox webhooks serve`
refuses to start without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox.core.credentials import CredentialStore

KEYRING_PLATFORM = "meta-webhooks"
"""The keyring entry is named like an account's: `meta-webhooks/app`."""

KEYRING_NAME = "app"

MISSING = (
    "the Meta app secret and the webhook verify token are not in this machine's keyring; "
    "`inbox webhooks secret` stores them (the app secret is under App settings > Basic in "
    "the Meta app dashboard)"
)
"""Why `inbox webhooks serve` does not start, in plain words."""


@dataclass(frozen=True, slots=True)
class WebhookSecrets:
    """What checks that a request comes from Meta: the app secret that signs deliveries,
    and the verify token that answers the dashboard's handshake."""

    app_secret: str
    verify_token: str

    def __repr__(self) -> str:
        return "WebhookSecrets([redacted])"


def load_secrets(credentials: CredentialStore) -> WebhookSecrets | None:
    """The secrets this machine's keyring holds, or None when either is missing."""
    stored = credentials.get(KEYRING_PLATFORM, KEYRING_NAME) or {}
    app_secret, verify_token = stored.get("app_secret"), stored.get("verify_token")
    if not app_secret or not verify_token:
        return None
    return WebhookSecrets(app_secret=app_secret, verify_token=verify_token)


def store_secrets(credentials: CredentialStore, secrets: WebhookSecrets) -> None:
    """Keep `secrets` in the keyring, replacing what was there."""
    credentials.set(
        KEYRING_PLATFORM,
        KEYRING_NAME,
        {"app_secret": secrets.app_secret, "verify_token": secrets.verify_token},
    )

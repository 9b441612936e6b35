"""`inbox webhooks`: take Meta's webhooks (Facebook Pages, Instagram) as they happen.

`secret` keeps the Meta app secret and the verify token in this machine's OS keyring;
`serve` runs the server Meta delivers to, behind an HTTPS reverse proxy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inbox.cli.main import Context

_SERVE_DESCRIPTION = (
    "Take Meta's webhooks for the connected Facebook Pages and Instagram accounts: the "
    "dashboard's verification handshake, and deliveries (Page feed comments, Messenger, "
    "Instagram comments, mentions and messages) checked against X-Hub-Signature-256 before "
    "they are read, then stored once through the same ingest as polling. Meta requires "
    "HTTPS with a valid certificate: put a reverse proxy (Caddy, nginx) in front and set "
    "the callback URL https://YOUR-HOST/webhooks/meta in the Meta app dashboard (README, "
    "'Webhooks'). Keep `inbox worker` running too: polling is the backfill after a gap and "
    "the fallback while no webhook arrives. One line per event on stderr (JSON when stderr "
    "is not a terminal). SIGTERM or SIGINT stops it cleanly."
)

_SECRET_DESCRIPTION = (
    "Store the Meta app secret (App settings > Basic in the Meta app dashboard: it signs "
    "every delivery) and the verify token (any text you choose and also type into the "
    "dashboard's webhook settings) in this machine's OS keyring. Both are asked for without "
    "echo; an empty verify token makes one and prints it once. Run it on the machine that "
    "runs `inbox webhooks serve`; nothing goes to the config or the database."
)


def register(commands: Any) -> None:
    """Add `inbox webhooks serve` and `inbox webhooks secret`."""
    from inbox.webhooks import DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT

    group = commands.add_parser(
        "webhooks",
        help="take Meta's webhooks (Facebook Pages, Instagram) as they happen",
        description="The webhook server Meta delivers to, and the secrets it checks with.",
    ).add_subparsers(dest="webhooks_command", metavar="ACTION", required=True)

    serve = group.add_parser(
        "serve", help="run the webhook server until stopped", description=_SERVE_DESCRIPTION
    )
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}; the reverse proxy forwards here)",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on; 0 takes a free one (default: {DEFAULT_PORT})",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="BYTES",
        help=f"larger deliveries are refused with 413 (default: {DEFAULT_MAX_BODY_BYTES})",
    )
    serve.add_argument(
        "--log-format",
        choices=("auto", "json", "text"),
        default="auto",
        help="json: one JSON object per line; text: short lines for people; auto (the "
        "default): text on a terminal, JSON otherwise",
    )
    serve.set_defaults(handler=cmd_webhooks_serve)

    secret = group.add_parser(
        "secret",
        help="store the Meta app secret and the verify token in the OS keyring",
        description=_SECRET_DESCRIPTION,
    )
    secret.set_defaults(handler=cmd_webhooks_secret)


def cmd_webhooks_serve(context: Context) -> int:
    """Run the webhook server until SIGTERM or SIGINT; 0 after a clean stop."""
    import asyncio

    from inbox.cli import exit_codes
    from inbox.core.errors import ConfigError, InvalidInput, PermissionDenied
    from inbox.webhooks.app_secret import MISSING, load_secrets
    from inbox.webhooks.server import serve
    from inbox.worker import log_lines
    from inbox.worker.process import RememberingCredentials

    options = context.options
    if not 0 <= options.port <= 65535:
        raise InvalidInput(f"--port is 0 to 65535, not {options.port}")
    if options.max_body_bytes < 1:
        raise InvalidInput("--max-body-bytes is a positive number of bytes")
    redactor = log_lines.Redactor()
    credentials = RememberingCredentials(redactor)
    secrets = load_secrets(credentials)
    if secrets is None:
        raise ConfigError(MISSING)
    redactor.remember([secrets.app_secret, secrets.verify_token])
    engine = context.engine()
    person = context.service(engine, identity_required=False).connected_as_person()
    if person is not None:
        raise PermissionDenied(
            f"the webhook server stores what arrives from the platforms, which {person}'s "
            "own login may not; connect it as the database's owner or a login in the "
            "inbox_worker group (docs/deployment.md)"
        )
    installed = log_lines.install(options.log_format, redactor)
    try:
        asyncio.run(
            serve(
                engine,
                context.config,
                credentials,
                secrets,
                host=options.host,
                port=options.port,
                max_body_bytes=options.max_body_bytes,
            )
        )
    finally:
        installed.restore()
        engine.dispose()
    return exit_codes.OK


def cmd_webhooks_secret(context: Context) -> int:
    """Ask for the app secret and the verify token, without echo, and keep them."""
    import getpass
    import secrets as tokens

    from inbox.core.credentials import CredentialStore
    from inbox.core.errors import InvalidInput
    from inbox.webhooks.app_secret import WebhookSecrets, store_secrets

    app_secret = getpass.getpass("Meta app secret: ").strip()
    if not app_secret or any(character.isspace() for character in app_secret):
        raise InvalidInput("the app secret is one word (App settings > Basic); nothing stored")
    verify_token = getpass.getpass("verify token (empty: make one): ").strip()
    made = not verify_token
    if made:
        verify_token = tokens.token_urlsafe(24)
    elif not verify_token.isprintable() or any(character.isspace() for character in verify_token):
        raise InvalidInput("the verify token is one word of printable text; nothing stored")
    store_secrets(CredentialStore(), WebhookSecrets(app_secret, verify_token))
    if made:
        print(f"verify token (type it into the Meta app dashboard): {verify_token}")
    print(
        "stored the Meta app secret and the verify token in this machine's keyring; "
        "`inbox webhooks serve` uses them"
    )
    return 0

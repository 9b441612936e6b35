"""`inbox accounts`: connect, log in again, enable, disable, set up and remove accounts.

Secrets are asked for (or got through the platform's login flow), checked against the
platform and kept in this machine's OS keyring; never printed, never in the database.
A removed account keeps its history, and adding it again brings it back.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from inbox.cli import with_change_format, with_format

if TYPE_CHECKING:
    from datetime import datetime

    from inbox.cli.main import Context
    from inbox.store.accounts import AccountSummary

LIST_COLUMNS = [
    "id",
    "platform",
    "handle",
    "enabled",
    "health",
    "last_success",
    "last_error",
    "next_poll",
    "open_threads",
]
ERROR_WIDTH = 60
"""Characters of the last error a table shows; JSON and CSV have all of it."""


class TerminalPrompt:
    """A platform's login flow talking to the person at the terminal."""

    def show(self, text: str) -> None:
        """Print a line of the flow (an address to open, what to do next), cleaned for display."""
        from inbox.core.sanitize import for_display

        print(for_display(text))

    def ask(self, question: str, *, secret: bool = False) -> str:
        """Read an answer; a secret one is not echoed."""
        import getpass

        return getpass.getpass(f"{question}: ") if secret else input(f"{question}: ")


def _said(identity: str | None) -> str:
    """Who the platform says an account is, safe to print (its words are untrusted)."""
    from inbox.core.sanitize import name_for_display

    return name_for_display(identity or "", 200)


def verification_client():
    """The HTTP client logins and checks use; tests hand in their own transport."""
    import httpx

    return httpx.AsyncClient(timeout=httpx.Timeout(20.0))


# -- listing ----------------------------------------------------------------------------


def _local(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


def next_poll_text(account: AccountSummary, now: datetime) -> str:
    """When the account is polled next, in words for a table."""
    if account.removed_at is not None:
        return "removed"
    if not account.enabled:
        return "disabled"
    if account.needs_login:
        return f"after `inbox accounts login {account.id}`"
    if account.next_poll_at is None or account.next_poll_at <= now:
        return "next sync"
    return _local(account.next_poll_at)


def _enabled_text(account: AccountSummary) -> str:
    if account.removed_at is not None:
        return "removed"
    return "yes" if account.enabled else "no"


def _list_record(account: AccountSummary, now: datetime, *, table: bool) -> dict[str, Any]:
    def when(moment: datetime | None) -> str | None:
        if table:
            return _local(moment)
        return None if moment is None else moment.isoformat()

    error = account.last_error
    if table and error:
        from inbox.core.sanitize import first_line

        error = first_line(error, ERROR_WIDTH)
    return {
        "id": account.id,
        "platform": account.platform,
        "handle": account.handle,
        "enabled": _enabled_text(account),
        "health": account.health,
        "last_success": when(account.last_success_at),
        "last_error": error,
        "last_error_at": when(account.last_error_at),
        "next_poll": next_poll_text(account, now) if table else when(account.next_poll_at),
        "polled": account.polled,
        "open_threads": account.open_threads,
        "detail": account.health_detail,
        "removed_at": when(account.removed_at),
    }


def cmd_accounts_list(context: Context) -> int:
    from inbox.cli.main import emit

    service = context.service(create=False, identity_required=False)
    now = service.clock()
    found = service.list_accounts(include_removed=context.options.all)
    table = context.options.format == "table"
    rows = [_list_record(account, now, table=table) for account in found]
    columns = LIST_COLUMNS if table else [*LIST_COLUMNS, "polled", "detail", "removed_at"]
    emit(
        rows,
        columns,
        context.options.format,
        empty="no accounts yet (`inbox accounts add PLATFORM HANDLE` connects one)",
    )
    if not rows:
        context.note_database()
    return 0


# -- connecting -------------------------------------------------------------------------


def _assignments(settings: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    if settings is None:
        return []
    if isinstance(settings, Mapping):
        return [f"{name}={'' if value is None else value}" for name, value in settings.items()]
    return list(settings)


def connect_account(
    context: Context,
    platform: str,
    handle: str,
    *,
    base_url: str | None = None,
    name: str | None = None,
    manual: bool = False,
    no_check: bool = False,
    settings: Mapping[str, Any] | Sequence[str] | None = None,
) -> int:
    """Connect an account the way `inbox accounts add` does; returns the exit status.

    The platform's login flow (or, `manual`, its fields asked for), the secret checked
    unless `no_check`, the account stored (a removed one brought back, its history kept),
    the secret kept in the keyring. `settings` are the platform's options, as a mapping
    or `name=value` words, checked before anything is asked.
    """
    from inbox.cli.main import emit_change, say_along
    from inbox.core.access import Action
    from inbox.core.credentials import CredentialStore
    from inbox.core.errors import Conflict
    from inbox.store.accounts import parse_settings, platform_class

    handle = handle.strip()
    adapter = platform_class(platform)
    service = context.service()
    service.require(Action.MANAGE_ACCOUNTS)
    chosen = parse_settings(platform, _assignments(settings))
    chosen = {key: value for key, value in chosen.items() if value is not None}
    before = service.account_named(platform, handle)
    if before is not None and before.removed_at is None:
        raise Conflict(
            f"{platform} {handle} is already connected (account {before.id}); "
            f"`inbox accounts login {before.id}` logs it in again"
        )
    obtained = service.obtain_credential(
        platform,
        handle,
        TerminalPrompt(),
        base_url=base_url or (before.base_url if before else None),
        settings={**(dict(before.settings) if before else {}), **chosen},
        manual=manual,
        check=not no_check,
        client_factory=verification_client,
    )
    if obtained.secret is not None:
        if no_check:
            say_along(context, "not checked against the platform (--no-check)")
        elif obtained.checked:
            say_along(context, f"the credentials work: {_said(obtained.identity)}")
        else:
            say_along(context, f"{_said(obtained.identity)}, stored as given")
    account_id = service.add_account(
        platform, handle, base_url=base_url, display_name=name, settings=chosen or None
    )
    if obtained.secret is not None:
        CredentialStore().set(platform, handle, obtained.secret)
    if before is not None:
        from inbox.core.plurals import counted

        sentence = (
            f"brought back {platform} {handle} as account {account_id}, its history kept "
            f"({counted(before.open_threads, 'open thread')})"
        )
    else:
        sentence = f"connected {platform} {handle} as account {account_id}"
    emit_change(
        context,
        sentence,
        {
            "id": account_id,
            "platform": platform,
            "handle": handle,
            "base_url": base_url,
            "checked": obtained.checked,
            "restored": before is not None,
            "settings": chosen,
            "needs_credential": adapter.needs_credential,
        },
    )
    return 0


def cmd_accounts_add(context: Context) -> int:
    options = context.options
    return connect_account(
        context,
        options.platform,
        options.handle,
        base_url=options.base_url,
        name=options.name,
        manual=options.manual,
        no_check=options.no_check,
        settings=options.set or None,
    )


def cmd_accounts_login(context: Context) -> int:
    from inbox.cli.main import emit_change, say_along

    options = context.options
    service = context.service()
    login = service.log_in_account(
        options.account,
        TerminalPrompt(),
        manual=options.manual,
        check=not options.no_check,
        client_factory=verification_client,
    )
    account = login.account
    if options.no_check:
        say_along(context, "not checked against the platform (--no-check)")
    elif login.identity is not None:
        say_along(context, f"the credentials work: {_said(login.identity)}")
    sentence = (
        f"logged in {account.platform} {account.handle} (account {account.id}) again; "
        f"it is {account.health}"
    )
    if not account.enabled:
        sentence += f", but disabled: `inbox accounts enable {account.id}` polls it"
    else:
        sentence += " and is polled at the next sync"
    emit_change(
        context,
        sentence,
        {
            "id": account.id,
            "platform": account.platform,
            "handle": account.handle,
            "health": account.health,
            "enabled": account.enabled,
            "checked": login.checked,
        },
    )
    return 0


def _cmd_set_enabled(context: Context, enabled: bool) -> int:
    from inbox.cli.main import emit_change

    change = context.service().set_account_enabled(context.options.account, enabled)
    account = change.account
    named = f"{account.platform} {account.handle} (account {account.id})"
    if not change.changed:
        sentence = f"{named} is already {'enabled' if enabled else 'disabled'}"
    elif enabled and account.needs_login:
        sentence = (
            f"enabled {named}; its platform refused its credentials, so it is polled after "
            f"`inbox accounts login {account.id}`"
        )
    elif enabled:
        sentence = f"enabled {named}; it is polled at the next sync"
    else:
        sentence = (
            f"disabled {named}: not polled, nothing sent from it, its threads stay "
            f"(`inbox accounts enable {account.id}` turns it back on)"
        )
    emit_change(
        context,
        sentence,
        {
            "id": account.id,
            "platform": account.platform,
            "handle": account.handle,
            "enabled": account.enabled,
            "changed": change.changed,
        },
    )
    return 0


def cmd_accounts_enable(context: Context) -> int:
    return _cmd_set_enabled(context, True)


def cmd_accounts_disable(context: Context) -> int:
    return _cmd_set_enabled(context, False)


def cmd_accounts_settings(context: Context) -> int:
    from inbox.cli.main import emit, emit_change
    from inbox.store.accounts import settings_fields

    options = context.options
    service = context.service(create=not options.assignments)
    if options.assignments:
        change = service.change_account_settings(options.account, options.assignments)
        account = change.account
        said = ", ".join(options.assignments)
        sentence = (
            f"set {said} on {account.platform} {account.handle} (account {account.id})"
            if change.changed
            else f"nothing changed: {account.platform} {account.handle} already has {said}"
        )
        emit_change(
            context,
            sentence,
            {"id": account.id, "changed": change.changed, "settings": dict(account.settings)},
        )
        return 0
    account = service.find_account(options.account)
    declared = settings_fields(account.platform)
    rows = [
        {
            "setting": setting.name,
            "value": account.settings.get(setting.name),
            "default": setting.default,
            "meaning": setting.help
            + (f" ({', '.join(setting.choices)})" if setting.choices else ""),
        }
        for setting in declared
    ]
    emit(
        rows,
        ["setting", "value", "default", "meaning"],
        options.format,
        empty=f"{account.platform} has no settings to change",
    )
    return 0


def cmd_accounts_remove(context: Context) -> int:
    from inbox.cli.main import emit_change
    from inbox.core.credentials import CredentialStore
    from inbox.store.accounts import platform_class

    options = context.options
    account = context.service().remove_account(options.account, purge=options.purge)
    had_secret = platform_class(account.platform).needs_credential
    if had_secret:
        CredentialStore().delete(account.platform, account.handle)
    named = f"{account.platform} {account.handle}"
    if options.purge:
        sentence = f"removed {named} and everything it brought in"
    else:
        secret = "its secret deleted from this machine's keyring, " if had_secret else ""
        sentence = (
            f"removed {named} (account {account.id}): not polled or listed, {secret}"
            f"its threads kept; `inbox accounts add {account.platform} {account.handle}` "
            "brings it back (`--purge` deletes its history too)"
        )
    record = {
        "id": account.id,
        "platform": account.platform,
        "handle": account.handle,
        "removed": "purged" if options.purge else "removed",
    }
    emit_change(context, sentence, record)
    return 0


# -- the parser -------------------------------------------------------------------------


def platforms_text() -> str:
    """The platforms this version knows, one line."""
    from adapters.registry import platform_names

    return f"platforms: {', '.join(platform_names())}"


def settings_text() -> str:
    """Every platform's settings, as `--help` lists them."""
    from adapters.registry import adapter_class, platform_names

    lines = ["settings (NAME=VALUE; an empty VALUE goes back to the default):"]
    for platform in platform_names():
        declared = adapter_class(platform).settings_fields
        if not declared:
            continue
        lines.append(f"  {platform}:")
        lines.extend(f"    {setting.name}: {setting.describe()}" for setting in declared)
    return "\n".join(lines)


class HelpWithPlatforms(argparse.Action):
    """`-h` that ends with what the registry knows (the platforms, their settings), looked
    up only when asked, so building the parser does not import the adapters."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        self.settings = kwargs.pop("settings", False)
        self.platforms = kwargs.pop("platforms", True)
        super().__init__(option_strings, dest=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        parts = [platforms_text()] if self.platforms else []
        if self.settings:
            parts.append(settings_text())
        import shutil
        import textwrap

        width = min(shutil.get_terminal_size().columns, 100) - 2
        parser.description = textwrap.fill(parser.description or "", width)
        parser.epilog = "\n\n".join(parts)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.print_help()
        parser.exit()


def _with_help(parser: argparse.ArgumentParser, **what: bool) -> None:
    parser.add_argument(
        "-h", "--help", action=HelpWithPlatforms, help="show this help and exit", **what
    )


def register(commands: Any) -> None:
    """Add `accounts list|add|login|enable|disable|settings|remove` to the `inbox` command."""
    accounts = commands.add_parser(
        "accounts", help="connected platform accounts: connect, log in, settings"
    ).add_subparsers(dest="accounts_command", metavar="ACTION", required=True)

    listing = accounts.add_parser(
        "list",
        help="list accounts: health, last success, last error, next poll",
        description="The connected accounts: whether each is enabled, its health, when a "
        "poll last landed, the last error and when it is polled next.",
    )
    listing.add_argument("--all", action="store_true", help="removed accounts too")
    with_format(listing)
    listing.set_defaults(handler=cmd_accounts_list)

    add = accounts.add_parser(
        "add",
        help="connect an account (secrets go to the OS keyring)",
        description="Connect an account; what the platform needs is asked for, checked "
        "against the platform and kept in the OS keyring. Adding a removed account again "
        "brings it back with its history.",
        add_help=False,
    )
    _with_help(add, settings=True)
    add.add_argument("platform", metavar="PLATFORM", help="a platform name (listed below)")
    add.add_argument("handle", metavar="HANDLE", help="the brand's handle on that platform")
    add.add_argument(
        "--base-url", help="instance, PDS or server address where the platform has several"
    )
    add.add_argument("--name", help="display name for the account")
    _login_options(add)
    add.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="a platform setting (listed below); repeat for several",
    )
    with_change_format(add)
    add.set_defaults(handler=cmd_accounts_add)

    login = accounts.add_parser(
        "login",
        help="log an account in again (after the platform refused its credentials)",
        description="Log an account in again with the platform's login flow (or, --manual, "
        "by typing its secret); the secret is checked, kept in this machine's keyring, the "
        "account is healthy again at once and the sync polls it at its next heartbeat.",
    )
    login.add_argument("account", help="account id, handle, or PLATFORM:HANDLE")
    _login_options(login)
    with_change_format(login)
    login.set_defaults(handler=cmd_accounts_login)

    for action, handler, words in (
        ("enable", cmd_accounts_enable, "poll an account and send from it again"),
        ("disable", cmd_accounts_disable, "stop polling an account and sending from it"),
    ):
        command = accounts.add_parser(action, help=words, description=words[0].upper() + words[1:])
        command.add_argument("account", help="account id, handle, or PLATFORM:HANDLE")
        with_change_format(command)
        command.set_defaults(handler=handler)

    settings = accounts.add_parser(
        "settings",
        help="show or set an account's platform settings",
        description="Show an account's settings, or set them with NAME=VALUE (an empty "
        "VALUE goes back to the default). Each platform's settings are listed below.",
        add_help=False,
    )
    _with_help(settings, platforms=False, settings=True)
    settings.add_argument("account", help="account id, handle, or PLATFORM:HANDLE")
    settings.add_argument("assignments", nargs="*", metavar="NAME=VALUE", help="settings to change")
    with_format(settings)
    settings.set_defaults(handler=cmd_accounts_settings)

    remove = accounts.add_parser(
        "remove",
        help="stop syncing an account, its history kept",
        description="Stop syncing an account and list it no more; its threads stay, its "
        "secret is deleted from this machine's keyring, and `inbox accounts add` with the "
        "same platform and handle brings it back.",
    )
    remove.add_argument("account", help="account id, handle, or PLATFORM:HANDLE")
    remove.add_argument("--purge", action="store_true", help="also delete its threads and messages")
    with_change_format(remove)
    remove.set_defaults(handler=cmd_accounts_remove)


def _login_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--manual",
        action="store_true",
        help="type the token or password yourself instead of the platform's login flow",
    )
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="store the credentials without checking them against the platform",
    )

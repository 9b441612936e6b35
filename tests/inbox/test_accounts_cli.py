"""`inbox accounts` as an admin uses it: log in again, enable, disable, settings, remove, list.

The login test plays each real platform against its fake from the adapter contract suite:
a stored secret the platform refuses marks the account `auth_expired` and the sync skips
it; `accounts login --manual` makes it healthy at once and the next sync lands its items.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.registry import adapter_class, platform_names
from inbox.cli.main import main
from inbox.core.credentials import CredentialStore
from inbox.core.database import open_engine
from inbox.core.models import AccountHealth, Event
from inbox.runtime import adapter_factory
from inbox.store.ingest import Store
from inbox.sync.engine import SyncEngine
from tests.support.items import item


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def listed(capsys, db: str, *extra: str) -> list[dict[str, Any]]:
    status, out, err = run(capsys, "--db", db, "accounts", "list", "--format", "json", *extra)
    assert status == 0, err
    return json.loads(out)


def event_types(db: str) -> list[str]:
    engine = open_engine(db)
    with engine.connect() as connection:
        types = connection.execute(select(Event.__table__.c.type).order_by("id")).scalars().all()
    engine.dispose()
    return list(types)


# -- logging in again after the platform refused the token, on every platform ---------------


@dataclass
class Scene:
    """One platform's account, its fake server, and the secret it takes."""

    handle: str
    good: dict[str, str]
    """The credential the fake accepts, by field."""
    server: Callable[[], Any]
    base_url: str | None = None
    settings: list[str] = field(default_factory=list)
    mail: bool = False
    """The fake is an IMAP/SMTP mailbox rather than an HTTP handler."""


def _mastodon() -> Any:
    from tests.adapters.harness_mastodon import FakeMastodon

    return FakeMastodon()


def _bluesky() -> Any:
    from tests.support.fake_bluesky import FakePds

    return FakePds().handle


def _reddit() -> Any:
    from tests.adapters.harness_reddit import FakeReddit

    return FakeReddit()


def _x() -> Any:
    from tests.adapters.harness_x import FakeX

    return FakeX()


def _facebook() -> Any:
    from tests.adapters.harness_facebook import FakeGraph

    return FakeGraph()


def _instagram() -> Any:
    from tests.adapters.harness_instagram import FakeGraph

    return FakeGraph()


def _youtube() -> Any:
    from tests.adapters.harness_youtube import FakeYouTube

    return FakeYouTube()


def _linkedin() -> Any:
    from tests.adapters.harness_linkedin import FakeLinkedIn

    return FakeLinkedIn()


def _mail() -> Any:
    from tests.support.fake_mail import FakeMailbox

    return FakeMailbox()


def _scenes() -> dict[str, Scene]:
    from tests.adapters.harness_facebook import CREDENTIAL as FACEBOOK
    from tests.adapters.harness_instagram import CREDENTIAL as INSTAGRAM
    from tests.adapters.harness_linkedin import CREDENTIAL as LINKEDIN
    from tests.adapters.harness_mastodon import TOKEN
    from tests.adapters.harness_reddit import CREDENTIAL as REDDIT
    from tests.adapters.harness_x import CREDENTIAL as X
    from tests.adapters.harness_youtube import CREDENTIAL as YOUTUBE
    from tests.support.fake_bluesky import APP_PASSWORD
    from tests.support.fake_mail import PASSWORD

    return {
        "mastodon": Scene(
            "@brand@social.example",
            {"access_token": TOKEN},
            _mastodon,
            base_url="https://social.example",
        ),
        "bluesky": Scene(
            "brand.example.com",
            {"app_password": APP_PASSWORD},
            _bluesky,
            base_url="https://entryway.example.com",
        ),
        "reddit": Scene("u/BrandCare", dict(REDDIT), _reddit),
        "x": Scene("@BrandCare", dict(X), _x),
        "facebook": Scene(
            "brandcare",
            {"access_token": FACEBOOK["access_token"]},
            _facebook,
            settings=[f"page_id={FACEBOOK['page_id']}"],
        ),
        "instagram": Scene("@brandcare", dict(INSTAGRAM), _instagram),
        "youtube": Scene("Brand Care", dict(YOUTUBE), _youtube),
        "linkedin": Scene(
            "Brand Care",
            {"access_token": LINKEDIN["access_token"]},
            _linkedin,
            settings=["organization_id=2414183"],
        ),
        "email": Scene(
            "support@example.test",
            {"password": PASSWORD},
            _mail,
            base_url="imap://imap.example.test:143",
            settings=["smtp_url=smtp://smtp.example.test:25", "page_size=2"],
            mail=True,
        ),
    }


NEEDING_A_SECRET = sorted(name for name in platform_names() if adapter_class(name).needs_credential)


def test_every_platform_that_needs_a_secret_has_a_login_scene():
    assert sorted(_scenes()) == NEEDING_A_SECRET


def _answer_with(monkeypatch, answers: dict[str, str]) -> None:
    """getpass answers each credential field's question from `answers`."""
    by_question = {f"{name.replace('_', ' ')}: ": value for name, value in answers.items()}
    monkeypatch.setattr("getpass.getpass", lambda question: by_question[question])


def _sync(db: str, handler: Any) -> Any:
    engine = open_engine(db)
    sync = SyncEngine(Store(engine), adapter_factory(CredentialStore()))

    async def once() -> Any:
        transport = httpx.MockTransport(handler or (lambda request: httpx.Response(404)))
        async with httpx.AsyncClient(transport=transport) as client:
            return await sync.run_once(client)

    try:
        return asyncio.run(once())
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("platform", NEEDING_A_SECRET)
def test_accounts_login_after_an_expired_token_makes_the_account_polled_again(
    capsys, monkeypatch, database_url, isolated_machine, platform
):
    scene = _scenes()[platform]
    fake = scene.server()
    handler = None
    if scene.mail:
        monkeypatch.setattr("adapters.email.adapter._default_imap", fake.imap)
        monkeypatch.setattr("adapters.email.adapter._default_smtp", fake.smtp)
    else:
        handler = fake
        monkeypatch.setattr(
            "inbox.cli.accounts.verification_client",
            lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        )
    db = database_url
    expired = {name: f"expired-{name}" for name in scene.good}
    _answer_with(monkeypatch, expired)
    where = ["--base-url", scene.base_url] if scene.base_url else []
    sets = [word for setting in scene.settings for word in ("--set", setting)]
    status, _, err = run(
        capsys, "--db", db, "accounts", "add", platform, scene.handle, "--manual", "--no-check",
        *where, *sets,
    )  # fmt: skip
    assert status == 0, err

    refused = _sync(db, handler)
    assert refused.new_items == 0 and any(stream.needs_login for stream in refused.streams)
    [account] = listed(capsys, db)
    assert (account["health"], account["polled"], account["next_poll"]) == (
        "auth_expired",
        False,
        None,
    )
    assert "refused" in account["last_error"]
    _, table, _ = run(capsys, "--db", db, "accounts", "list")
    assert f"after `inbox accounts login {account['id']}`" in table
    assert _sync(db, handler).streams == [], "the sync skips an account that needs a login"

    _answer_with(monkeypatch, scene.good)
    status, out, err = run(capsys, "--db", db, "accounts", "login", scene.handle, "--manual")

    assert status == 0, err
    assert "the credentials work" in out and "again; it is ok" in out
    assert not any(value in out + err for value in scene.good.values())
    stored = json.loads(isolated_machine.entries[("social-inbox", f"{platform}/{scene.handle}")])
    assert stored == scene.good
    [account] = listed(capsys, db)
    assert (account["health"], account["polled"]) == ("ok", True)
    assert "account.logged_in" in event_types(db)

    polled = _sync(db, handler)
    assert polled.new_items > 0, [stream.error for stream in polled.streams]
    [account] = listed(capsys, db)
    assert account["health"] == "ok" and account["last_success"] is not None
    assert account["next_poll"] is not None


def test_a_refused_login_stores_nothing_and_leaves_the_account_needing_one(
    capsys, monkeypatch, db, isolated_machine
):
    from tests.adapters.harness_mastodon import FakeMastodon

    fake = FakeMastodon()
    monkeypatch.setattr(
        "inbox.cli.accounts.verification_client",
        lambda: httpx.AsyncClient(transport=httpx.MockTransport(fake)),
    )
    _answer_with(monkeypatch, {"access_token": "old"})
    run(
        capsys, "--db", db, "accounts", "add", "mastodon", "@b@social.example", "--manual",
        "--no-check", "--base-url", "https://social.example",
    )  # fmt: skip
    _sync(db, fake)

    status, _, err = run(capsys, "--db", db, "accounts", "login", "@b@social.example", "--manual")

    assert status == 2
    assert "Mastodon refused these credentials" in err and "nothing was stored" in err
    assert "old" not in err
    assert listed(capsys, db)[0]["health"] == "auth_expired"
    assert "account.logged_in" not in event_types(db)


# -- the other commands ---------------------------------------------------------------------


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'inbox.db'}"


def _brand(capsys, db: str, platform: str = "demo-x", handle: str = "@brand") -> int:
    status, out, err = run(capsys, "--db", db, "accounts", "add", platform, handle)
    assert status == 0, err
    return int(out.rsplit(" ", 1)[1])


def _threads(db: str, account_id: int, count: int) -> None:
    from adapters.base import AccountRef

    engine = open_engine(db)
    account = AccountRef(id=account_id, platform="demo-x", handle="@brand")
    Store(engine).ingest(account, "mentions", [item(str(n), f"t{n}") for n in range(count)], None)
    engine.dispose()


@pytest.mark.postgres
def test_removed_then_added_again_keeps_its_threads(capsys, database_url, isolated_machine):
    db = database_url
    account_id = _brand(capsys, db)
    _threads(db, account_id, 3)

    status, out, _ = run(capsys, "--db", db, "accounts", "remove", "@brand")
    assert status == 0 and "its threads kept" in out and "accounts add demo-x @brand" in out
    assert "secret" not in out, "a demo account has no secret to delete"
    assert listed(capsys, db) == []
    [removed] = listed(capsys, db, "--all")
    assert removed["enabled"] == "removed" and removed["removed_at"] is not None
    assert json.loads(run(capsys, "--db", db, "threads", "list", "--format", "json")[1])

    status, out, err = run(capsys, "--db", db, "accounts", "add", "demo-x", "@brand")

    assert status == 0, err
    assert f"brought back demo-x @brand as account {account_id}, its history kept" in out
    assert "3 open threads" in out
    [back] = listed(capsys, db)
    assert (back["id"], back["enabled"], back["open_threads"]) == (account_id, "yes", 3)
    assert "account.restored" in event_types(db)


def test_a_connected_account_added_again_is_told_how_to_log_in(capsys, db):
    account_id = _brand(capsys, db)
    status, _, err = run(capsys, "--db", db, "accounts", "add", "demo-x", "@brand")
    assert status == 5
    assert f"already connected (account {account_id})" in err
    assert f"`inbox accounts login {account_id}`" in err


def test_remove_deletes_the_secret_and_a_removed_account_is_not_changed(
    capsys, db, monkeypatch, isolated_machine
):
    _answer_with(monkeypatch, {"access_token": "tok"})
    run(
        capsys, "--db", db, "accounts", "add", "mastodon", "@b@s.example", "--manual",
        "--no-check", "--base-url", "https://s.example",
    )  # fmt: skip
    assert ("social-inbox", "mastodon/@b@s.example") in isolated_machine.entries

    status, out, _ = run(capsys, "--db", db, "accounts", "remove", "1")

    assert status == 0 and "its secret deleted from this machine's keyring" in out
    assert ("social-inbox", "mastodon/@b@s.example") not in isolated_machine.entries
    for command in (["login", "1"], ["enable", "1"], ["settings", "1", "reply_visibility=direct"]):
        status, _, err = run(capsys, "--db", db, "accounts", *command)
        assert status == 2, command
        assert "was removed; `inbox accounts add mastodon @b@s.example` brings it back" in err
    status, _, err = run(capsys, "--db", db, "accounts", "remove", "1")
    assert status == 5 and "already removed; `--purge`" in err
    status, out, _ = run(capsys, "--db", db, "accounts", "remove", "1", "--purge")
    assert status == 0 and "everything it brought in" in out
    assert listed(capsys, db, "--all") == []


def test_disable_and_enable_stop_and_start_polling(capsys, db):
    account_id = _brand(capsys, db)
    engine = open_engine(db)
    sync = SyncEngine(Store(engine), adapter_factory(None))

    status, out, _ = run(capsys, "--db", db, "accounts", "disable", "@brand")
    assert status == 0 and "not polled, nothing sent from it" in out
    assert sync.enabled_accounts() == []
    assert listed(capsys, db)[0]["enabled"] == "no"
    assert "disabled" in run(capsys, "--db", db, "accounts", "list")[1]
    status, out, _ = run(capsys, "--db", db, "accounts", "disable", "@brand")
    assert status == 0 and "already disabled" in out

    status, out, _ = run(capsys, "--db", db, "accounts", "enable", str(account_id))
    assert status == 0 and "polled at the next sync" in out
    assert [account.id for account in sync.enabled_accounts()] == [account_id]
    engine.dispose()
    assert event_types(db)[-2:] == ["account.disabled", "account.enabled"]


def test_enabling_an_account_that_needs_a_login_says_so(capsys, db):
    account_id = _brand(capsys, db)
    engine = open_engine(db)
    Store(engine).record_failure(
        account_id, "mentions", "refused", datetime.now(UTC), AccountHealth.AUTH_EXPIRED
    )
    engine.dispose()
    run(capsys, "--db", db, "accounts", "disable", "@brand")
    status, out, _ = run(capsys, "--db", db, "accounts", "enable", "@brand")
    assert status == 0
    assert f"polled after `inbox accounts login {account_id}`" in out


def test_a_login_clears_every_streams_backoff_on_a_platform_without_secrets(capsys, db):
    account_id = _brand(capsys, db)
    engine = open_engine(db)
    store = Store(engine)
    later = datetime.now(UTC) + timedelta(hours=1)
    for stream in ("mentions", "dms"):
        store.record_failure(account_id, stream, "refused", later, AccountHealth.AUTH_EXPIRED)

    status, out, err = run(capsys, "--db", db, "accounts", "login", "@brand")

    assert status == 0, err
    assert "again; it is ok and is polled at the next sync" in out
    assert [store.cursor(account_id, stream).backoff_until for stream in ("mentions", "dms")] == [
        None,
        None,
    ]
    engine.dispose()


def test_settings_are_shown_set_checked_and_recorded(capsys, db, monkeypatch):
    _answer_with(monkeypatch, {"access_token": "tok"})
    run(
        capsys, "--db", db, "accounts", "add", "mastodon", "@b@s.example", "--manual",
        "--no-check", "--base-url", "https://s.example", "--set", "reply_visibility=unlisted",
    )  # fmt: skip

    status, out, _ = run(capsys, "--db", db, "accounts", "settings", "1", "--format", "json")
    assert status == 0
    [setting] = json.loads(out)
    assert (setting["setting"], setting["value"], setting["default"]) == (
        "reply_visibility",
        "unlisted",
        "public",
    )

    status, out, _ = run(capsys, "--db", db, "accounts", "settings", "1", "reply_visibility=direct")
    assert status == 0 and "set reply_visibility=direct on mastodon @b@s.example" in out
    status, out, _ = run(capsys, "--db", db, "accounts", "settings", "1", "reply_visibility=direct")
    assert "nothing changed" in out

    status, _, err = run(capsys, "--db", db, "accounts", "settings", "1", "reply_visibility=all")
    assert status == 2
    assert "reply_visibility is one of public, unlisted, private, direct, not 'all'" in err
    status, _, err = run(capsys, "--db", db, "accounts", "settings", "1", "colour=red")
    assert status == 2 and "no setting 'colour'; its settings are reply_visibility" in err
    status, _, err = run(capsys, "--db", db, "accounts", "settings", "1", "visibility")
    assert status == 2 and "NAME=VALUE" in err

    status, out, _ = run(capsys, "--db", db, "accounts", "settings", "1", "reply_visibility=")
    assert status == 0
    listed_settings = json.loads(
        run(capsys, "--db", db, "accounts", "settings", "1", "--format", "json")[1]
    )
    assert listed_settings[0]["value"] is None
    assert event_types(db).count("account.settings_changed") == 2


def test_a_whole_number_setting_refuses_words_and_keeps_numbers(capsys, db, monkeypatch):
    _answer_with(monkeypatch, {"password": "pw"})
    status, _, err = run(
        capsys, "--db", db, "accounts", "add", "email", "help@brand.example", "--manual",
        "--no-check", "--set", "page_size=many",
    )  # fmt: skip
    assert status == 2 and "page_size is a whole number, not 'many'" in err
    assert listed(capsys, db) == [], "a bad setting is refused before anything is stored"

    run(
        capsys, "--db", db, "accounts", "add", "email", "help@brand.example", "--manual",
        "--no-check", "--set", "page_size=20", "--set", "mailbox=Support",
    )  # fmt: skip
    engine = open_engine(db)
    from inbox.service import InboxService

    account = InboxService(engine).find_account("help@brand.example")
    engine.dispose()
    assert dict(account.settings) == {"page_size": 20, "mailbox": "Support"}


def test_settings_help_lists_every_platforms_settings(capsys):
    status, out, _ = run(capsys, "accounts", "settings", "--help")
    assert status == 0
    for platform in platform_names():
        for setting in adapter_class(platform).settings_fields:
            assert f"    {setting.name}: " in out, (platform, setting.name)
    assert (
        "reply_visibility: who sees a reply to a public post (public, unlisted, private, "
        "direct); default public"
    ) in out
    status, out, _ = run(capsys, "accounts", "add", "--help")
    assert "platforms: bluesky" in out and "smtp_url" in out


def test_the_list_shows_last_success_last_error_and_next_poll(capsys, db):
    account_id = _brand(capsys, db)
    _threads(db, account_id, 1)
    engine = open_engine(db)
    store = Store(engine)
    backoff = datetime.now(UTC) + timedelta(minutes=5)
    store.record_failure(account_id, "dms", "the platform is down", backoff, AccountHealth.FAILING)
    engine.dispose()

    [account] = listed(capsys, db)
    assert account["health"] == "failing"
    assert account["last_error"] == "the platform is down"
    assert account["last_success"] is not None
    success = datetime.fromisoformat(account["last_success"])
    expected_next = min(backoff, success + timedelta(seconds=2))  # the demo polls every 2 s
    assert datetime.fromisoformat(account["next_poll"]) == expected_next

    _, out, _ = run(capsys, "--db", db, "accounts", "list", "--format", "csv")
    header = out.splitlines()[0]
    assert header.startswith("id,platform,handle,enabled,health,last_success,last_error,next_poll")
    _, table, _ = run(capsys, "--db", db, "accounts", "list")
    assert "LAST_SUCCESS" in table and "the platform is down" in table


def test_only_an_admin_manages_accounts(capsys, db):
    run(capsys, "--db", db, "agents", "add", "root", "--role", "admin")
    run(capsys, "--db", db, "--as", "root", "agents", "add", "alex")
    run(capsys, "--db", db, "--as", "root", "accounts", "add", "demo-x", "@brand")
    for command in (["login", "1"], ["disable", "1"], ["settings", "1", "x=1"], ["remove", "1"]):
        status, _, err = run(capsys, "--db", db, "--as", "alex", "accounts", *command)
        assert status == 4, command
        assert "only admin may manage accounts" in err


def test_an_unknown_account_is_not_found(capsys, db):
    _brand(capsys, db)
    for command in (["login", "9"], ["enable", "nobody"], ["settings", "9"]):
        status, _, err = run(capsys, "--db", db, "accounts", *command)
        assert status == 3, command
        assert "`inbox accounts list` shows them" in err


def test_connect_account_is_the_whole_add_flow(capsys, db, monkeypatch):
    import argparse

    from inbox.cli.accounts import connect_account
    from inbox.cli.main import Context

    options = argparse.Namespace(db=db, config=None, actor=None, format="table")
    status = connect_account(
        Context(options), "demo-mastodon", "@brand@demo.social", settings={}, name="Brand"
    )
    assert status == 0
    assert "connected demo-mastodon @brand@demo.social as account 1" in capsys.readouterr().out
    assert listed(capsys, db)[0]["handle"] == "@brand@demo.social"


def test_an_unreadable_keyring_entry_names_the_account_to_log_in(isolated_machine):
    from inbox.core.errors import CredentialStoreUnavailable

    isolated_machine.entries[("social-inbox", "mastodon/@b@s.example")] = "not json"
    with pytest.raises(CredentialStoreUnavailable) as refused:
        CredentialStore().get("mastodon", "@b@s.example")
    assert "`inbox accounts login @b@s.example`" in str(refused.value)


@pytest.mark.parametrize("platform", platform_names())
def test_each_platforms_settings_are_declared_whole(platform):
    """Names unique and what an adapter reads; a setting with choices defaults to one of them."""
    from adapters.base import AccountSetting

    declared = adapter_class(platform).settings_fields
    assert all(isinstance(setting, AccountSetting) for setting in declared)
    assert len({setting.name for setting in declared}) == len(declared)
    for setting in declared:
        assert setting.help and setting.kind in (str, int, bool)
        if setting.choices is not None:
            assert setting.default in setting.choices


def test_what_the_platform_says_of_an_account_is_printed_cleaned(
    capsys, db, monkeypatch, isolated_machine
):
    from adapters import registry

    monkeypatch.setitem(
        registry._ADAPTER_PATHS,
        "hostile-test",
        "tests.support.hostile_adapter:HostileIdentityAdapter",
    )
    _answer_with(monkeypatch, {"access_token": "tok"})

    status, out, err = run(
        capsys, "--db", db, "accounts", "add", "hostile-test", "@brand", "--manual"
    )

    assert status == 0, err
    assert "the credentials work: @brand" in out
    assert "\x1b" not in out and "\x07" not in out


def test_anyone_lists_the_accounts_without_saying_who_they_are(capsys, db):
    """Like `agents list`: reading which accounts there are needs nobody in particular."""
    _brand(capsys, db)
    run(capsys, "--db", db, "agents", "add", "root", "--role", "admin")

    assert [account["handle"] for account in listed(capsys, db)] == ["@brand"]
    status, _, err = run(capsys, "--db", db, "accounts", "disable", "@brand")
    assert status != 0 and "who are you?" in err, "changing one still needs a person"

"""Secrets live in the keyring only, and a machine without one gets a clear fix."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from inbox.core.credentials import SERVICE, CredentialStore
from inbox.core.errors import CredentialStoreUnavailable
from tests.support.keyring_backend import MemoryKeyring


def test_the_suite_never_reaches_the_real_keyring():
    assert isinstance(keyring.get_keyring(), MemoryKeyring)


def test_a_secret_round_trips_through_the_keyring(isolated_machine):
    store = CredentialStore()
    store.set("mastodon", "@brand@example.social", {"access_token": "s3cr3t-token"})

    assert store.get("mastodon", "@brand@example.social") == {"access_token": "s3cr3t-token"}
    assert (SERVICE, "mastodon/@brand@example.social") in isolated_machine.entries
    store.delete("mastodon", "@brand@example.social")
    store.delete("mastodon", "@brand@example.social")
    assert store.get("mastodon", "@brand@example.social") is None


def test_a_machine_without_a_keyring_gets_the_fix_not_a_traceback():
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(CredentialStoreUnavailable) as raised:
        CredentialStore().get("mastodon", "brand")
    message = str(raised.value)
    assert "no OS keyring" in message and "PYTHON_KEYRING_BACKEND" in message


def test_a_corrupt_entry_names_the_account_not_the_content(isolated_machine):
    isolated_machine.set_password(SERVICE, "x/brand", "not json: tok_ABC123")
    with pytest.raises(CredentialStoreUnavailable) as raised:
        CredentialStore().get("x", "brand")
    assert "x brand" in str(raised.value)
    assert "tok_ABC123" not in str(raised.value)

"""A platform whose words about an account carry terminal escape sequences, for tests that
check what the inbox prints of a platform's answers is cleaned first."""

from __future__ import annotations

from adapters.base import Adapter


class HostileIdentityAdapter(Adapter):
    """Answers "who is this account?" with escape sequences around the handle."""

    platform = "hostile-test"
    display_name = "Hostile test"
    needs_credential = True

    async def verify(self) -> str:
        """The handle, wrapped in a title change and a clear-screen sequence."""
        return "\x1b]0;owned\x07@brand\x1b[2J"

    async def fetch(self, stream, cursor):
        """Never polled in these tests."""
        raise NotImplementedError

    async def send(self, request):
        """Never sends in these tests."""
        raise NotImplementedError

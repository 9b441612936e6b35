"""Which adapters exist, by platform name.

Adapters register by name here rather than by entry points: the set is part of the
product, and a lookup must not import every platform's module.
"""

from __future__ import annotations

import importlib

from adapters.base import Adapter

_ADAPTER_PATHS: dict[str, str] = {
    "demo-mastodon": "adapters.demo.adapter:DemoMastodonAdapter",
    "demo-bluesky": "adapters.demo.adapter:DemoBlueskyAdapter",
    "demo-x": "adapters.demo.adapter:DemoXAdapter",
    "demo-reddit": "adapters.demo.adapter:DemoRedditAdapter",
    "demo-facebook": "adapters.demo.adapter:DemoFacebookAdapter",
    "demo-instagram": "adapters.demo.adapter:DemoInstagramAdapter",
    "demo-youtube": "adapters.demo.adapter:DemoYouTubeAdapter",
    "demo-linkedin": "adapters.demo.adapter:DemoLinkedInAdapter",
    "demo-email": "adapters.demo.adapter:DemoEmailAdapter",
    "mastodon": "adapters.mastodon.adapter:MastodonAdapter",
    "reddit": "adapters.reddit.adapter:RedditAdapter",
    "x": "adapters.x.adapter:XAdapter",
    "bluesky": "adapters.bluesky.adapter:BlueskyAdapter",
    "email": "adapters.email.adapter:EmailAdapter",
    "facebook": "adapters.facebook.adapter:FacebookAdapter",
    "youtube": "adapters.youtube.adapter:YouTubeAdapter",
    "instagram": "adapters.instagram.adapter:InstagramAdapter",
    "linkedin": "adapters.linkedin.adapter:LinkedInAdapter",
}


class UnknownPlatform(KeyError):
    """A platform name this version has no adapter for (a KeyError, for older callers)."""

    def __str__(self) -> str:
        return str(self.args[0])


def platform_names() -> list[str]:
    """Every platform the inbox can connect to."""
    return sorted(_ADAPTER_PATHS)


def adapter_class(platform: str) -> type[Adapter]:
    """The adapter class for `platform`; UnknownPlatform names the known platforms."""
    try:
        path = _ADAPTER_PATHS[platform]
    except KeyError:
        known = ", ".join(platform_names())
        raise UnknownPlatform(f"unknown platform {platform!r} (known: {known})") from None
    module_name, _, class_name = path.partition(":")
    return getattr(importlib.import_module(module_name), class_name)

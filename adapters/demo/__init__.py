"""The demo platforms: simulated Mastodon, Bluesky, X, Reddit, Facebook and email traffic.

`simulator` generates deterministic traffic with no I/O, `content` holds its text pools,
and `adapter` puts each style behind the common adapter interface.
"""

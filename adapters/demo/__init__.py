"""The demo platforms: simulated Mastodon, Bluesky, X, Reddit, Facebook, Instagram, YouTube,
LinkedIn and email traffic.

`simulator` generates deterministic traffic with no I/O from `draws` (seeded choices),
`timeline` (when items fall, crises included) and `styles` (how each platform looks);
`content`, `customer_texts`, `brand_replies` and `people` hold its text pools, and
`adapter` puts each style behind the common adapter interface.
"""

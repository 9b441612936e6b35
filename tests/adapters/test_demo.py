"""The demo platforms: deterministic traffic, cursors, crises, limits and the send paths."""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.base import (
    AccountRef,
    AttachmentKind,
    AuthExpired,
    FetchedItem,
    Kind,
    LengthRule,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
)
from adapters.demo import brand_replies, content, customer_texts, people
from adapters.demo.adapter import (
    DEMO_ADAPTERS,
    DemoAdapter,
    DemoBlueskyAdapter,
    DemoEmailAdapter,
    DemoFacebookAdapter,
    DemoInstagramAdapter,
    DemoLinkedInAdapter,
    DemoMastodonAdapter,
    DemoRedditAdapter,
    DemoXAdapter,
    DemoYouTubeAdapter,
)
from adapters.demo.simulator import Simulator
from adapters.demo.styles import STYLES, fits
from adapters.demo.timeline import Crisis
from adapters.registry import adapter_class as adapter_class_of

EPOCH = datetime(2025, 3, 3, tzinfo=UTC)
LANGUAGES = {"en", "es", "de", "fr", "pt", "ja"}
COMPLAINT_TYPES = {
    "complaint",
    "followup_waiting",
    "outage_complaint",
    "outage_question",
    "outage_followup",
    "misinformation",
}


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def x_weighted_length(text: str) -> int:
    """X's count (twitter-text v3): most Latin 1, CJK and emoji 2, every URL 23."""
    without_urls, url_count = re.subn(r"https?://\S+", "", text)
    weight = 0
    for character in without_urls:
        code = ord(character)
        light = (
            code <= 0x10FF
            or 0x2000 <= code <= 0x200D
            or 0x2010 <= code <= 0x201F
            or 0x2032 <= code <= 0x2037
        )
        weight += 1 if light else 2
    return weight + 23 * url_count


def within_limit(text: str, rule: LengthRule, limit: int | None) -> bool:
    """Whether `text` fits; graphemes are checked by code points, which is stricter."""
    if limit is None:
        return True
    if rule is LengthRule.X_WEIGHTED:
        return x_weighted_length(text) <= limit
    return len(text) <= limit


def raw(item: FetchedItem) -> Mapping[str, Any]:
    assert item.raw is not None
    return item.raw


def simulator(style: str = "x", seed: int = 7, **overrides: Any) -> Simulator:
    settings: dict[str, Any] = {"epoch": EPOCH, "rate_per_hour": 60.0}
    settings.update(overrides)
    return Simulator(seed, style, "nimbus", **settings)


def all_items(sim: Simulator, count: int) -> Iterator[FetchedItem]:
    for stream in sim.streams:
        yield from sim.items(stream, 0, count)


@pytest.fixture
def offline_client() -> Iterator[httpx.AsyncClient]:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the demo adapter made a request: {request.url}")

    yield httpx.AsyncClient(transport=httpx.MockTransport(refuse))


@pytest.fixture
async def client(offline_client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with offline_client:
        yield offline_client


def make_adapter(
    client: httpx.AsyncClient,
    adapter_class: type[DemoAdapter] = DemoXAdapter,
    clock: FixedClock | None = None,
    **settings: Any,
) -> DemoAdapter:
    base: dict[str, Any] = {
        "seed": 3,
        "epoch": EPOCH.isoformat(),
        "rate_per_hour": 120,
        "send_latency_scale": 0,
        "send_failure_rate": 0,
    }
    base.update(settings)
    account = AccountRef(id=1, platform=adapter_class.platform, handle="nimbus", settings=base)
    return adapter_class(account, client, clock=clock or FixedClock(EPOCH + timedelta(hours=6)))


def reply_request(key: str, text: str = "Thanks, we're on it.") -> OutboundRequest:
    return OutboundRequest(idempotency_key=key, kind=Kind.MENTION, text=text, in_reply_to="123")


# Determinism


@pytest.mark.parametrize("style", sorted(STYLES))
def test_the_same_seed_gives_the_same_items(style: str) -> None:
    first = list(all_items(simulator(style), 300))
    second = list(all_items(simulator(style), 300))
    assert first == second


@pytest.mark.parametrize("style", sorted(STYLES))
def test_another_seed_gives_other_items(style: str) -> None:
    first = list(all_items(simulator(style, seed=1), 200))
    second = list(all_items(simulator(style, seed=2), 200))
    assert [item.text for item in first] != [item.text for item in second]
    assert [item.created_at for item in first] != [item.created_at for item in second]


def test_an_item_does_not_depend_on_what_was_generated_before() -> None:
    sequential = simulator().items("mentions", 0, 400)
    fresh = simulator()
    backwards = [fresh.item("mentions", index) for index in reversed(range(400))]
    assert list(reversed(backwards)) == sequential


def test_created_at_agrees_with_the_item() -> None:
    sim = simulator()
    for index in (0, 1, 57, 399):
        assert sim.created_at("mentions", index) == sim.item("mentions", index).created_at


@pytest.mark.parametrize("style", sorted(STYLES))
def test_items_are_ordered_in_time_after_the_epoch_with_unique_ids(style: str) -> None:
    sim = simulator(style)
    ids: set[str] = set()
    for stream in sim.streams:
        items = sim.items(stream, 0, 500)
        times = [item.created_at for item in items]
        assert times == sorted(times)
        assert times[0] >= EPOCH
        assert all(moment.tzinfo is not None for moment in times)
        ids.update(item.external_id for item in items)
    assert len(ids) == 500 * len(sim.streams)


def test_first_index_after_splits_items_at_the_moment() -> None:
    sim = simulator()
    for hours in (0.0, 0.5, 3.0, 17.25, 40.0):
        moment = EPOCH + timedelta(hours=hours)
        index = sim.first_index_after("mentions", moment)
        if index > 0:
            assert sim.created_at("mentions", index - 1) <= moment
        assert sim.created_at("mentions", index) > moment


def test_volume_follows_the_rate() -> None:
    sim = simulator("email", rate_per_hour=30.0)
    week_later = EPOCH + timedelta(days=7)
    assert 0.9 * 30 * 24 * 7 <= sim.first_index_after("inbox", week_later) <= 1.1 * 30 * 24 * 7


def test_days_are_busier_than_nights() -> None:
    sim = simulator("email", rate_per_hour=100.0)
    items = list(sim.stream_items_between("inbox", EPOCH, EPOCH + timedelta(days=7)))
    night = sum(1 for item in items if 1 <= item.created_at.hour < 5)
    afternoon = sum(1 for item in items if 14 <= item.created_at.hour < 18)
    assert afternoon > 3 * night


# Crisis


def test_a_crisis_multiplies_the_volume_by_about_ten() -> None:
    start = EPOCH + timedelta(days=2, hours=9)
    calm = simulator()
    stormy = simulator(crises=[Crisis(start, hours=4)])
    end = start + timedelta(hours=4)
    for stream in calm.streams:
        calm_count = calm.first_index_after(stream, end) - calm.first_index_after(stream, start)
        storm_count = stormy.first_index_after(stream, end) - stormy.first_index_after(
            stream, start
        )
        assert 7 * calm_count <= storm_count <= 13 * calm_count


def test_a_crisis_is_mostly_complaints_and_carries_misinformation() -> None:
    start = EPOCH + timedelta(days=2)
    sim = simulator(crises=[Crisis(start, hours=6)])
    before = list(sim.items_between(EPOCH, start))
    during = list(sim.items_between(start, start + timedelta(hours=6)))
    assert not any(raw(item)["crisis"] for item in before)
    assert all(raw(item)["crisis"] for item in during)

    def complaint_share(items: list[FetchedItem]) -> float:
        return sum(raw(item)["category"] in COMPLAINT_TYPES for item in items) / len(items)

    assert complaint_share(before) < 0.45
    assert complaint_share(during) > 0.65
    during_categories = Counter(raw(item)["category"] for item in during)
    assert during_categories["misinformation"] > 0.05 * len(during)
    assert all(
        raw(item)["sentiment"] == "negative"
        for item in during
        if raw(item)["category"] == "misinformation"
    )


def test_a_crisis_ends_after_its_hours() -> None:
    start = EPOCH + timedelta(days=2, hours=9)
    sim = simulator(crises=[Crisis(start, hours=2)])
    calm = simulator()
    later, later_end = start + timedelta(hours=5), start + timedelta(hours=9)
    assert not sim.in_crisis(later)
    for stream in sim.streams:
        assert sim.first_index_after(stream, later_end) - sim.first_index_after(
            stream, later
        ) == pytest.approx(
            calm.first_index_after(stream, later_end) - calm.first_index_after(stream, later), abs=2
        )


def test_adding_a_crisis_keeps_the_items_before_it() -> None:
    start = EPOCH + timedelta(days=1, hours=3)
    calm = simulator()
    stormy = calm.with_crisis(Crisis(start))
    for stream in calm.streams:
        cut = calm.first_index_after(stream, start)
        assert stormy.items(stream, 0, cut) == calm.items(stream, 0, cut)
        assert stormy.created_at(stream, cut) > start


def test_overlapping_crises_are_refused() -> None:
    start = EPOCH + timedelta(days=1)
    with pytest.raises(ValueError, match="overlaps"):
        simulator(crises=[Crisis(start, hours=6), Crisis(start + timedelta(hours=2))])


# What the traffic looks like


def test_traffic_has_every_language_category_and_length() -> None:
    languages: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    lengths = []
    for style in STYLES:
        for item in all_items(simulator(style), 400):
            languages[raw(item)["language"]] += 1
            categories[raw(item)["category"]] += 1
            lengths.append(len(item.text))
    assert set(languages) == LANGUAGES
    assert languages["en"] > languages["ja"] > 0
    assert {"question", "complaint", "praise", "feature_request", "spam", "chatter"} <= set(
        categories
    )
    assert {"followup_waiting", "followup_thanks"} <= set(categories)
    assert min(lengths) < 40 and max(lengths) > 250


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_language_can_say_everything(language: str) -> None:
    assert set(customer_texts.TEXTS[language]) == set(content.CATEGORY_SENTIMENT)
    reply_groups = {
        brand_replies.REPLY_GROUPS.get(category, category)
        for category in content.CATEGORY_SENTIMENT
    }
    assert reply_groups <= set(brand_replies.REPLIES[language])
    for pool in (
        content.PRODUCTS,
        content.FEATURES,
        content.DURATIONS,
        people.FIRST_NAMES,
        people.LAST_NAMES,
    ):
        assert pool[language]
    assert set(customer_texts.DETAILS[language]) == {"negative", "other"}
    assert customer_texts.EMAIL_SUBJECTS[language]["question"]
    for templates in customer_texts.TEXTS[language].values():
        for template in templates:
            template.format(p="P", f="F", d="D", e="")


def test_texts_carry_emoji_and_non_latin_scripts() -> None:
    texts = [item.text for item in all_items(simulator("mastodon"), 600)]
    assert any(re.search("[\U0001f300-\U0001faff]", text) for text in texts)
    assert any(re.search("[\u3040-\u30ff\u4e00-\u9fff]", text) for text in texts)


def test_some_messages_carry_screenshots_cards_quotes_and_polls() -> None:
    carried = [
        (item, attachment)
        for item in all_items(simulator("mastodon"), 600)
        for attachment in item.attachments
    ]
    kinds = {attachment.kind for _, attachment in carried}
    assert {
        AttachmentKind.IMAGE,
        AttachmentKind.LINK,
        AttachmentKind.QUOTE,
        AttachmentKind.POLL,
        AttachmentKind.WARNING,
    } <= kinds
    screenshots = [
        (item, attachment)
        for item, attachment in carried
        if attachment.kind is AttachmentKind.IMAGE and raw(item)["category"] in COMPLAINT_TYPES
    ]
    assert screenshots and all(
        attachment.description and attachment.url and attachment.url.startswith("https://")
        for _, attachment in screenshots
    )
    assert all(
        len(attachment.options) >= 2
        for _, attachment in carried
        if attachment.kind is AttachmentKind.POLL
    )
    assert all(
        attachment.author == "@nimbus"
        for _, attachment in carried
        if attachment.kind is AttachmentKind.QUOTE
    )
    share = len({item.external_id for item, _ in carried}) / (600 * 2)
    assert 0.02 < share < 0.2


@pytest.mark.parametrize("style", ["x", "facebook", "reddit"])
def test_now_and_then_a_message_is_only_a_photo_with_alt_text(style: str) -> None:
    textless = [item for item in all_items(simulator(style), 800) if not item.text]
    assert textless
    for item in textless:
        (photo,) = item.attachments
        assert photo.kind is AttachmentKind.IMAGE and photo.description and photo.url
        assert item.kind in (Kind.DM, Kind.COMMENT)


def test_email_attaches_files_and_forwards_mail_but_never_cards() -> None:
    carried = [a for item in all_items(simulator("email"), 1500) for a in item.attachments]
    kinds = {attachment.kind for attachment in carried}
    assert kinds == {AttachmentKind.IMAGE, AttachmentKind.FORWARDED}
    images = [attachment for attachment in carried if attachment.kind is AttachmentKind.IMAGE]
    assert all(image.title == "screenshot.png" and image.size for image in images)


@pytest.mark.parametrize("adapter_class", DEMO_ADAPTERS, ids=lambda cls: cls.platform)
def test_each_style_produces_exactly_its_platform_kinds(adapter_class: type[DemoAdapter]) -> None:
    sim = simulator(adapter_class.style)
    kinds = {item.kind for item in all_items(sim, 400)}
    assert kinds == adapter_class.kinds


HANDLE_SHAPES = {
    "mastodon": r"@[a-z0-9_]+@[a-z0-9.]+",
    "bluesky": r"[a-z0-9-]+\.bsky\.social",
    "x": r"@[A-Za-z0-9_]{1,15}",
    "reddit": r"u/[A-Za-z0-9_]+",
    "facebook": r"[a-z]+\.[a-z]+\.\d+",
    "instagram": r"@[a-z0-9_.]+",
    "youtube": r"@[A-Za-z0-9]+",
    "linkedin": r"urn:li:person:[a-z2-7]{10}",
    "email": r"[a-z.]+\d+@[a-z.]+",
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_handles_are_styled_like_the_platform(style: str) -> None:
    for item in all_items(simulator(style), 200):
        assert re.fullmatch(HANDLE_SHAPES[style], item.author.handle), item.author.handle


@pytest.mark.parametrize("style", sorted(STYLES))
def test_repeat_customers_write_again_and_follow_up_in_their_thread(style: str) -> None:
    sim = simulator(style)
    by_id = {}
    authors: Counter[str] = Counter()
    for stream in sim.streams:
        for item in sim.items(stream, 0, 1500):
            by_id[item.external_id] = item
            authors[item.author.external_id] += 1
    assert authors.most_common(1)[0][1] >= 5
    followups = [
        item
        for item in by_id.values()
        if raw(item)["category"].startswith(("followup", "outage_followup"))
    ]
    assert len(followups) > 0.1 * len(by_id)
    for item in followups:
        if item.parent_external_id is not None:
            parent = by_id[item.parent_external_id]
            assert parent.thread_key == item.thread_key
            assert parent.author == item.author
            assert parent.created_at < item.created_at


@pytest.mark.parametrize("style", ["bluesky", "x", "reddit", "facebook"])
def test_comments_are_grouped_by_brand_post_and_top_comment(style: str) -> None:
    sim = simulator(style)
    comments = [item for item in all_items(sim, 800) if item.kind is Kind.COMMENT]
    tops = [item for item in comments if item.thread_key.endswith("/" + item.external_id)]
    assert tops
    for top in tops:
        post_id = top.parent_external_id
        assert top.thread_key == f"comment:{post_id}/{top.external_id}"
    assert len({item.thread_key for item in comments}) < len(comments)


@pytest.mark.parametrize("style", ["x", "bluesky", "facebook"])
def test_chat_platforms_keep_one_dm_thread_per_customer(style: str) -> None:
    sim = simulator(style)
    threads_by_author: dict[str, set[str]] = {}
    for item in sim.items("dms", 0, 800):
        threads_by_author.setdefault(item.author.external_id, set()).add(item.thread_key)
    assert all(len(threads) == 1 for threads in threads_by_author.values())


@pytest.mark.parametrize("adapter_class", DEMO_ADAPTERS, ids=lambda cls: cls.platform)
def test_inbound_texts_fit_the_platform_limit(adapter_class: type[DemoAdapter]) -> None:
    sim = simulator(adapter_class.style, crises=[Crisis(EPOCH + timedelta(hours=6), hours=None)])
    for item in all_items(sim, 600):
        assert within_limit(item.text, adapter_class.length_rule, adapter_class.text_limit), (
            item.text
        )


@pytest.mark.parametrize("adapter_class", DEMO_ADAPTERS, ids=lambda cls: cls.platform)
def test_brand_replies_fit_the_platform_limit_and_speak_the_language(
    adapter_class: type[DemoAdapter],
) -> None:
    sim = simulator(adapter_class.style, crises=[Crisis(EPOCH + timedelta(hours=6), hours=None)])
    rng = random.Random(5)
    for item in all_items(sim, 400):
        reply = sim.agent_reply_text(item, rng, agent_name="Alex")
        assert reply.strip()
        assert within_limit(reply, adapter_class.length_rule, adapter_class.text_limit), reply
        if raw(item)["language"] == "ja":
            assert re.search("[\u3040-\u30ff\u4e00-\u9fff]", reply)
        if adapter_class is DemoMastodonAdapter:
            assert reply.startswith(item.author.handle + " ")


def test_fits_counts_as_the_platforms_do() -> None:
    assert fits("a" * 280, LengthRule.X_WEIGHTED, 280)
    assert not fits("a" * 281, LengthRule.X_WEIGHTED, 280)
    assert fits("あ" * 140, LengthRule.X_WEIGHTED, 280)
    assert not fits("あ" * 141, LengthRule.X_WEIGHTED, 280)
    assert not fits("é" * 301, LengthRule.GRAPHEMES, 300)
    assert fits("x" * 50_000, LengthRule.NONE, None)


def test_brand_reply_joins_the_thread_of_the_item_it_answers() -> None:
    sim = simulator("reddit")
    item = sim.item("comments", 3)
    answered_at = item.created_at + timedelta(minutes=12)
    reply = sim.brand_reply(item, "Thanks!", answered_at)
    assert reply.direction == "out"
    assert (reply.thread_key, reply.kind, reply.parent_external_id) == (
        item.thread_key,
        item.kind,
        item.external_id,
    )
    assert reply.author == sim.brand
    assert reply.created_at == answered_at
    assert reply.external_id == sim.brand_reply(item, "Other text", answered_at).external_id
    assert reply.external_id not in {other.external_id for other in all_items(sim, 500)}


def test_hostile_texts_are_rare_but_present() -> None:
    sim = simulator("facebook", rate_per_hour=500.0)
    items = list(all_items(sim, 15_000))
    hostile = [item for item in items if raw(item)["hostile"]]
    assert 0 < len(hostile) < 0.006 * len(items)
    assert all(
        re.search(r"\x1b|\[/|\[bold|\[link|[\u202e\u2067\u200b]", item.text) for item in hostile
    )


def test_email_roots_have_a_subject_and_a_greeting() -> None:
    sim = simulator("email")
    roots = [item for item in sim.items("inbox", 0, 200) if item.parent_external_id is None]
    assert roots
    assert all(raw(item)["subject"] for item in roots)
    assert all("\n\n" in item.text for item in roots)


def test_items_between_merges_streams_oldest_first_and_hands_over_to_cursors() -> None:
    sim = simulator()
    now = EPOCH + timedelta(hours=20)
    history = list(sim.items_between(EPOCH, now))
    times = [item.created_at for item in history]
    assert times == sorted(times)
    assert all(EPOCH < moment <= now for moment in times)
    for stream in sim.streams:
        cursor = sim.first_index_after(stream, now)
        in_history = [item for item in history if raw(item)["stream"] == stream]
        assert in_history == sim.items(stream, 0, cursor)
        assert sim.created_at(stream, cursor) > now


# The adapter


CAPABILITIES = [
    (DemoMastodonAdapter, "demo-mastodon", "Mastodon (demo)", 500, LengthRule.CHARACTERS, None),
    (DemoBlueskyAdapter, "demo-bluesky", "Bluesky (demo)", 300, LengthRule.GRAPHEMES, None),
    (DemoXAdapter, "demo-x", "X (demo)", 280, LengthRule.X_WEIGHTED, None),
    (DemoRedditAdapter, "demo-reddit", "Reddit (demo)", 10_000, LengthRule.CHARACTERS, None),
    (DemoFacebookAdapter, "demo-facebook", "Facebook (demo)", 8000, LengthRule.CHARACTERS, 24),
    (DemoInstagramAdapter, "demo-instagram", "Instagram (demo)", 1000, LengthRule.CHARACTERS, 24),
    (DemoYouTubeAdapter, "demo-youtube", "YouTube (demo)", 10_000, LengthRule.CHARACTERS, None),
    (DemoLinkedInAdapter, "demo-linkedin", "LinkedIn (demo)", 1250, LengthRule.CHARACTERS, None),
    (DemoEmailAdapter, "demo-email", "Email (demo)", None, LengthRule.NONE, None),
]


@pytest.mark.parametrize(
    ("adapter_class", "platform", "display_name", "text_limit", "length_rule", "reply_window"),
    CAPABILITIES,
    ids=[row[1] for row in CAPABILITIES],
)
def test_capabilities_copy_the_real_platform(
    adapter_class: type[DemoAdapter],
    platform: str,
    display_name: str,
    text_limit: int | None,
    length_rule: LengthRule,
    reply_window: int | None,
) -> None:
    assert adapter_class.platform == platform
    assert adapter_class.display_name == display_name
    assert adapter_class.text_limit == text_limit
    assert adapter_class.length_rule is length_rule
    assert adapter_class.reply_window_hours == reply_window
    assert adapter_class.can_reply
    assert adapter_class.poll_interval_seconds <= 5
    assert adapter_class.streams == simulator(adapter_class.style).streams
    assert adapter_class in DEMO_ADAPTERS


@pytest.mark.parametrize(
    "adapter_class",
    [DemoInstagramAdapter, DemoYouTubeAdapter, DemoLinkedInAdapter],
    ids=lambda cls: cls.platform,
)
def test_the_newer_demo_platforms_answer_as_the_real_ones_can(
    adapter_class: type[DemoAdapter],
) -> None:
    real = adapter_class_of(adapter_class.platform.removeprefix("demo-"))
    assert (adapter_class.streams, adapter_class.kinds) == (real.streams, real.kinds)
    assert (adapter_class.can_dm, adapter_class.can_post_statement, adapter_class.can_hide) == (
        real.can_dm,
        real.can_post_statement,
        real.can_hide,
    )
    assert (adapter_class.text_limit, adapter_class.reply_window_hours) == (
        real.text_limit,
        real.reply_window_hours,
    )


async def test_fetching_pages_until_empty_yields_every_due_item_once(
    client: httpx.AsyncClient,
) -> None:
    clock = FixedClock(EPOCH + timedelta(hours=10))
    adapter = make_adapter(client, DemoRedditAdapter, clock, rate_per_hour=400)
    for stream in adapter.streams:
        fetched: list[FetchedItem] = []
        cursor = None
        pages = 0
        while True:
            result = await adapter.fetch(stream, cursor)
            fetched.extend(result.items)
            assert len(result.items) <= 100
            cursor = result.next_cursor
            pages += 1
            if not result.has_more:
                break
        assert pages > 2
        assert [raw(item)["index"] for item in fetched] == list(range(len(fetched)))
        assert len({item.external_id for item in fetched}) == len(fetched)
        assert all(item.created_at <= clock.now for item in fetched)
        assert adapter.simulator.created_at(stream, len(fetched)) > clock.now
        assert cursor == str(len(fetched))

        again = await adapter.fetch(stream, cursor)
        assert again.items == () and again.next_cursor == cursor and not again.has_more

        clock.now += timedelta(hours=1)
        later = await adapter.fetch(stream, cursor)
        assert later.items and raw(later.items[0])["index"] == len(fetched)
        assert (
            later.items
            == tuple(
                adapter.simulator.stream_items_between(
                    stream, clock.now - timedelta(hours=1), clock.now
                )
            )[:100]
        )
        clock.now -= timedelta(hours=1)


async def test_two_adapters_with_the_same_settings_serve_the_same_pages(
    client: httpx.AsyncClient,
) -> None:
    first = make_adapter(client, DemoBlueskyAdapter)
    second = make_adapter(client, DemoBlueskyAdapter)
    for stream in first.streams:
        assert await first.fetch(stream, "5") == await second.fetch(stream, "5")


async def test_total_items_ends_every_stream(client: httpx.AsyncClient) -> None:
    clock = FixedClock(EPOCH + timedelta(days=365))
    adapter = make_adapter(client, DemoMastodonAdapter, clock, total_items=250)
    for stream in adapter.streams:
        fetched: list[FetchedItem] = []
        cursor = None
        while True:
            result = await adapter.fetch(stream, cursor)
            fetched.extend(result.items)
            cursor = result.next_cursor
            if not result.has_more:
                break
        assert len(fetched) == 250
        assert cursor == "250"
        assert (await adapter.fetch(stream, cursor)).items == ()
    assert raw(adapter.simulator.items("dms", 240, 400)[-1])["index"] == 249
    with pytest.raises(IndexError):
        adapter.simulator.item("dms", 250)


async def test_the_epoch_defaults_to_the_start_of_today(client: httpx.AsyncClient) -> None:
    clock = FixedClock(datetime(2025, 5, 6, 15, 30, tzinfo=UTC))
    account = AccountRef(id=1, platform="demo-x", handle="nimbus", settings={})
    adapter = DemoXAdapter(account, client, clock=clock)
    assert adapter.simulator.epoch == datetime(2025, 5, 6, tzinfo=UTC)
    result = await adapter.fetch("mentions", None)
    assert result.items and all(item.created_at.date() == clock.now.date() for item in result.items)


async def test_a_crisis_from_settings_raises_the_volume(client: httpx.AsyncClient) -> None:
    start = EPOCH + timedelta(hours=2)
    clock = FixedClock(start + timedelta(hours=3))
    calm = make_adapter(client, DemoXAdapter, clock)
    stormy = make_adapter(
        client, DemoXAdapter, clock, crisis_at=start.isoformat().replace("+00:00", "Z")
    )
    assert stormy.simulator.in_crisis(start + timedelta(hours=1))
    assert not stormy.simulator.in_crisis(start + timedelta(hours=7))
    calm_due = int(calm.cursor_after("mentions", clock.now))
    stormy_due = int(stormy.cursor_after("mentions", clock.now))
    assert stormy_due > 4 * calm_due


async def test_starting_a_crisis_keeps_what_was_fetched_and_storms_after(
    client: httpx.AsyncClient,
) -> None:
    clock = FixedClock(EPOCH + timedelta(hours=8))
    adapter = make_adapter(client, DemoXAdapter, clock, rate_per_hour=40)
    before = await adapter.fetch("dms", None)
    assert not before.has_more
    crisis = adapter.start_crisis(at=EPOCH, hours=None)
    assert crisis.start == clock.now
    assert await adapter.fetch("dms", None) == before
    clock.now += timedelta(hours=2)
    after = await adapter.fetch("dms", before.next_cursor)
    calm_per_hour = len(before.items) / 8
    assert len(after.items) >= min(100, 5 * calm_per_hour * 2)
    assert all(raw(item)["crisis"] for item in after.items)


async def test_a_successful_send_is_remembered_and_idempotent(client: httpx.AsyncClient) -> None:
    clock = FixedClock(EPOCH + timedelta(hours=6))
    adapter = make_adapter(client, DemoMastodonAdapter, clock)
    sent = await adapter.send(reply_request("reply-1"))
    assert sent.external_id and sent.sent_at == clock.now
    assert await adapter.find_sent(reply_request("reply-1"), EPOCH) == sent
    assert await adapter.send(reply_request("reply-1")) == sent
    other = await adapter.send(reply_request("reply-2"))
    assert other.external_id != sent.external_id
    assert await adapter.find_sent(reply_request("never-sent"), EPOCH) is None

    elsewhere = make_adapter(client, DemoMastodonAdapter)
    assert await elsewhere.find_sent(reply_request("reply-1"), EPOCH) is None
    assert (await elsewhere.send(reply_request("reply-1"))).external_id == sent.external_id


async def test_a_refused_send_is_not_recorded_and_a_retry_draws_again(
    client: httpx.AsyncClient,
) -> None:
    always_failing = make_adapter(client, send_failure_rate=1.0)
    with pytest.raises(PlatformUnavailable):
        await always_failing.send(reply_request("k"))
    assert await always_failing.find_sent(reply_request("k"), EPOCH) is None

    adapter = make_adapter(client, send_failure_rate=0.5)
    first_attempt_failed = 0
    for number in range(40):
        key = f"campaign-{number}"
        for attempt in range(1, 30):
            try:
                await adapter.send(reply_request(key))
            except PlatformUnavailable:
                first_attempt_failed += attempt == 1
                continue
            break
        assert await adapter.find_sent(reply_request(key), EPOCH) is not None
    assert 8 <= first_attempt_failed <= 32


async def test_send_failures_are_deterministic(client: httpx.AsyncClient) -> None:
    async def outcomes() -> list[bool]:
        adapter = make_adapter(client, send_failure_rate=0.3)
        results = []
        for number in range(30):
            try:
                await adapter.send(reply_request(f"key-{number}"))
                results.append(True)
            except PlatformUnavailable:
                results.append(False)
        return results

    assert await outcomes() == await outcomes()


async def test_a_lost_answer_still_posts_the_message(client: httpx.AsyncClient) -> None:
    adapter = make_adapter(client, send_lost_rate=1.0)
    with pytest.raises(PlatformUnavailable, match="after the message was sent"):
        await adapter.send(reply_request("lost"))
    found = await adapter.find_sent(reply_request("lost"), EPOCH)
    assert found is not None
    assert await adapter.send(reply_request("lost")) == found


async def test_sending_takes_a_realistic_time_scaled_by_the_setting(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []

    async def record_sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(asyncio, "sleep", record_sleep)
    realistic = make_adapter(client, send_latency_scale=1.0)
    for number in range(20):
        await realistic.send(reply_request(f"slow-{number}"))
    assert len(delays) == 20 and all(0.2 <= delay <= 1.5 for delay in delays)
    assert max(delays) - min(delays) > 0.3

    delays.clear()
    instant = make_adapter(client, send_latency_scale=0)
    await instant.send(reply_request("fast"))
    assert delays == []


async def test_an_empty_message_is_refused(client: httpx.AsyncClient) -> None:
    with pytest.raises(PayloadInvalid):
        await make_adapter(client).send(reply_request("empty", text="  "))


async def test_fail_auth_refuses_every_call(client: httpx.AsyncClient) -> None:
    adapter = make_adapter(client, fail_auth=True)
    with pytest.raises(AuthExpired):
        await adapter.fetch("mentions", None)
    with pytest.raises(AuthExpired):
        await adapter.send(reply_request("k"))


async def test_rate_limited_until_the_reset_time(client: httpx.AsyncClient) -> None:
    clock = FixedClock(EPOCH + timedelta(hours=6))
    reset_at = clock.now + timedelta(minutes=15)
    adapter = make_adapter(client, clock=clock, rate_limited_until=reset_at.isoformat())
    with pytest.raises(RateLimited) as refused:
        await adapter.fetch("mentions", None)
    assert refused.value.reset_at == reset_at
    clock.now = reset_at + timedelta(seconds=1)
    assert (await adapter.fetch("mentions", None)).items


async def test_unknown_streams_and_cursors_are_refused(client: httpx.AsyncClient) -> None:
    adapter = make_adapter(client)
    with pytest.raises(ValueError, match="no stream"):
        await adapter.fetch("timeline", None)
    with pytest.raises(PayloadInvalid, match="cursor"):
        await adapter.fetch("mentions", "max_id=5")


def test_naive_times_in_settings_are_refused(offline_client: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="timezone"):
        make_adapter(offline_client, epoch="2025-03-03T00:00:00")

"""Finding the right prepared answer: as an agent types, and for a customer's message."""

from __future__ import annotations

import pytest

from canned_responses.library import CannedResponse, load_starter
from canned_responses.matcher import Match, Matcher


@pytest.fixture(scope="module")
def starter_matcher() -> Matcher:
    responses, problems = load_starter()
    assert problems == []
    return Matcher(responses)


def top_three(matches: list[Match]) -> list[str]:
    return [match.response.shortcode for match in matches[:3]]


PICKER_QUERIES = [
    ("rfund", "refund"),
    ("refnud", "refund"),
    ("money bak", "refund"),
    ("pasword", "password-reset"),
    ("pass res", "password-reset"),
    ("forgot pw", "password-reset"),
    ("holdng", "holding-statement"),
    ("hold stat", "holding-statement"),
    ("ack", "acknowledge"),
    ("acknowlege", "acknowledge"),
    ("investigat", "investigating"),
    ("progres upd", "progress-update"),
    ("fix shiped", "fix-shipped"),
    ("restord", "service-restored"),
    ("back up", "service-restored"),
    ("apolgy", "apology"),
    ("compensaton", "compensation"),
    ("credit", "compensation"),
    ("move to dm", "move-to-dm"),
    ("emial", "move-to-email"),
    ("misinfo", "correct-misinformation"),
    ("rumor", "correct-misinformation"),
    ("escalte", "escalate"),
    ("manager", "escalate"),
    ("postmortem", "post-mortem"),
    ("root cause", "post-mortem"),
    ("order stat", "order-status"),
    ("tracking", "order-status"),
    ("shiping delay", "shipping-delay"),
    ("acount lock", "account-locked"),
    ("locked out", "account-locked"),
    ("2fa", "two-factor"),
    ("two factr", "two-factor"),
    ("charged twice", "billing-question"),
    ("thnks", "thanks-praise"),
    ("feture req", "feature-request"),
    ("ask det", "ask-details"),
    ("crash", "bug-report"),
    ("damagd", "damaged-item"),
    ("cancel sub", "cancel-subscription"),
    ("gdpr", "delete-account"),
    ("fake acount", "scam-warning"),
    ("when fixed", "no-eta-yet"),
    ("data safe", "data-safety"),
    ("weekend", "out-of-hours"),
    ("complaint", "negative-feedback"),
]

CUSTOMER_MESSAGES = [
    ("where is my package?? ordered 2 weeks ago and nothing", {"order-status", "shipping-delay"}),
    ("I want my money back", {"refund"}),
    ("still haven't received my refund, it's been 10 days", {"refund-issued"}),
    ("i forgot my password and the reset email never came", {"password-reset"}),
    ("cant log in, it says my account is locked", {"account-locked"}),
    ("got a new phone and lost my authenticator codes", {"two-factor"}),
    ("you charged me twice this month!!", {"billing-question"}),
    ("how do I cancel my subscription", {"cancel-subscription"}),
    ("just wanted to say I love the new update, amazing work", {"thanks-praise"}),
    ("would be great if you added dark mode", {"feature-request"}),
    ("the app keeps crashing when I open it", {"bug-report"}),
    ("my order arrived broken", {"damaged-item"}),
    ("please delete my account and all my data", {"delete-account"}),
    ("is your site down? getting errors everywhere", {"acknowledge", "investigating"}),
    ("when will this be fixed? how long do we have to wait", {"no-eta-yet"}),
    ("this is unacceptable, down for hours, I'm so angry", {"apology"}),
    ("I heard you got hacked and all our data leaked, is that true?", {"correct-misinformation"}),
    ("is my personal data safe?", {"data-safety"}),
    ("someone claiming to be your support asked for my password in a DM", {"scam-warning"}),
    ("I want to speak to a real person, not a bot", {"escalate"}),
    ("are you going to compensate us for the downtime?", {"compensation"}),
    ("what actually happened yesterday? any report on the root cause?", {"post-mortem"}),
    ("worst experience ever, really disappointed", {"negative-feedback", "apology"}),
    ("my delivery is late again", {"shipping-delay"}),
    ("there's a weird charge on my invoice", {"billing-question"}),
]


@pytest.mark.parametrize(("query", "expected"), PICKER_QUERIES)
def test_an_agent_finds_the_answer_despite_typos_and_abbreviations(
    starter_matcher: Matcher, query: str, expected: str
) -> None:
    assert expected in top_three(starter_matcher.match(query))


@pytest.mark.parametrize(("message", "acceptable"), CUSTOMER_MESSAGES)
def test_a_customer_message_suggests_a_fitting_answer(
    starter_matcher: Matcher, message: str, acceptable: set[str]
) -> None:
    assert acceptable & set(top_three(starter_matcher.suggest(message)))


def test_the_answer_stays_in_view_while_the_agent_types(starter_matcher: Matcher) -> None:
    query = "password reset"
    for end in range(3, len(query) + 1):
        assert "password-reset" in top_three(starter_matcher.match(query[:end])), query[:end]


def test_an_exact_shortcode_comes_first(starter_matcher: Matcher) -> None:
    for code in ("refund", "apology", "escalate", "closing"):
        assert starter_matcher.match(code)[0].response.shortcode == code


def test_an_empty_query_lists_answers_in_shortcode_order(starter_matcher: Matcher) -> None:
    listed = starter_matcher.match("  ", limit=5)

    shortcodes = [match.response.shortcode for match in listed]
    assert shortcodes == sorted(shortcodes)
    assert len(listed) == 5
    assert {match.score for match in listed} == {0.0}


def test_gibberish_finds_nothing(starter_matcher: Matcher) -> None:
    assert starter_matcher.match("zzqxjv") == []
    assert starter_matcher.suggest("zzqxjv wqpfk") == []
    assert starter_matcher.suggest("") == []
    assert starter_matcher.suggest("hi, can you please do this for me?") == []


def test_results_are_best_first_and_respect_the_limit(starter_matcher: Matcher) -> None:
    matches = starter_matcher.match("re", limit=4)

    assert len(matches) == 4
    assert [match.score for match in matches] == sorted(
        (match.score for match in matches), reverse=True
    )


def test_a_word_in_the_title_outranks_the_same_word_in_a_body() -> None:
    in_body = CannedResponse(
        shortcode="aaa-generic", title="Generic reply", body="We can offer a voucher if needed."
    )
    in_title = CannedResponse(shortcode="zzz-offer", title="Voucher offer", body="Here you go.")
    matcher = Matcher([in_body, in_title])

    assert [match.response.shortcode for match in matcher.match("vouch")] == [
        "zzz-offer",
        "aaa-generic",
    ]
    assert matcher.suggest("can I get a voucher?")[0].response.shortcode == "zzz-offer"


def test_accents_and_case_do_not_matter() -> None:
    cafe = CannedResponse(shortcode="hours", title="Café opening hours", body="We open at nine.")
    matcher = Matcher([cafe])

    assert [match.response.shortcode for match in matcher.match("CAFE")] == ["hours"]
    assert [match.response.shortcode for match in matcher.match("café")] == ["hours"]


def test_an_empty_library_finds_nothing() -> None:
    matcher = Matcher([])

    assert matcher.match("refund") == []
    assert matcher.match("") == []
    assert matcher.suggest("refund please") == []

"""What each account spent of its platform's daily quota (YouTube: 10,000 units), and the
polling pace that keeps a day's polls inside it.

The only daily quota the adapters meet, Google's, resets at midnight Pacific time, so a
quota day is a day there (`account_quota.day`, `YYYY-MM-DD`). Polling may spend
`POLLING_SHARE` of the quota: the rest is kept for replies, and for the extra pages a
burst of comments needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update

from inbox.core.database import insert_ignoring_conflicts
from inbox.core.models import AccountQuota

QUOTA_DAY_ZONE: Final = ZoneInfo("America/Los_Angeles")
"""Where a quota day runs from midnight to midnight (Google's quotas reset there)."""
POLLING_SHARE: Final = 0.9
"""The share of a day's quota polling may spend."""

_quota = AccountQuota.__table__


def quota_day(moment: datetime) -> str:
    """The quota day `moment` falls on, as stored."""
    return moment.astimezone(QUOTA_DAY_ZONE).date().isoformat()


def next_quota_day(moment: datetime) -> datetime:
    """When the quota day after the one `moment` falls on begins (in `moment`'s zone)."""
    local = moment.astimezone(QUOTA_DAY_ZONE)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), QUOTA_DAY_ZONE)
    return midnight.astimezone(moment.tzinfo)


def spend(connection: Connection, account_id: int, units: int, now: datetime) -> int:
    """Count `units` against the account's quota of today; the units used today after it."""
    day = quota_day(now)
    connection.execute(
        insert_ignoring_conflicts(connection, _quota).values(account_id=account_id, day=day, used=0)
    )
    connection.execute(
        update(_quota)
        .where(_quota.c.account_id == account_id, _quota.c.day == day)
        .values(used=_quota.c.used + units)
    )
    return used_today(connection, account_id, now)


def used_today(connection: Connection, account_id: int, now: datetime) -> int:
    """The units the account has used of today's quota."""
    used = connection.execute(
        select(_quota.c.used).where(
            _quota.c.account_id == account_id, _quota.c.day == quota_day(now)
        )
    ).scalar()
    return int(used or 0)


def fetch_cost(costs: Mapping[str, int], stream: str) -> int:
    """The units one fetch of `stream` costs: as the adapter says, else one."""
    return max(int(costs.get(stream, 1)), 0)


def polling_left(daily_quota: int, used: int) -> int:
    """The units polling may still spend today."""
    return int(daily_quota * POLLING_SHARE) - used


def paced_interval(
    daily_quota: int,
    costs: Mapping[str, int],
    streams: Iterable[str],
    used: int,
    now: datetime,
) -> float:
    """Seconds between polls of each stream, so that polling every stream that often until
    the day ends spends what is left of the polling share, and no more.

    When nothing is left, the interval lasts until the next quota day.
    """
    seconds_left = (next_quota_day(now) - now).total_seconds()
    round_cost = sum(fetch_cost(costs, stream) for stream in streams)
    left = polling_left(daily_quota, used)
    if round_cost <= 0:
        return 0.0
    if left < round_cost:
        return seconds_left
    return seconds_left / (left // round_cost)

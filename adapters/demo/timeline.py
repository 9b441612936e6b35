"""When a stream's items fall: volume over a weekly curve, multiplied in crisis windows."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

CRISIS_VOLUME_FACTOR: Final = 10.0
DEFAULT_CRISIS_HOURS: Final = 6.0

WEEK_ANCHOR_S: Final = 4 * 86400.0
HOURS_PER_WEEK: Final = 168


@dataclass(frozen=True, slots=True)
class Crisis:
    """An outage: traffic is `CRISIS_VOLUME_FACTOR` times heavier and mostly angry from `start`."""

    start: datetime
    hours: float | None = DEFAULT_CRISIS_HOURS
    """How long the surge lasts; None keeps it going."""

    @property
    def end(self) -> datetime | None:
        """When traffic calms down again, or None for an open-ended crisis."""
        return None if self.hours is None else self.start + timedelta(hours=self.hours)


class Timeline:
    """Where the positions of one stream's items fall in time (seconds since the Unix epoch)."""

    __slots__ = ("_cumulative", "_hourly_rate", "_origin", "_weights", "_windows")

    def __init__(
        self,
        hourly_rate: float,
        weights: Sequence[float],
        crisis_seconds: Sequence[tuple[float, float]],
        epoch_seconds: float,
    ) -> None:
        self._hourly_rate = hourly_rate
        self._weights = tuple(weights)
        running = 0.0
        cumulative = [0.0]
        for weight in self._weights:
            running += weight
            cumulative.append(running)
        self._cumulative = tuple(cumulative)
        self._windows = tuple(
            (self._base(start), math.inf if math.isinf(end) else self._base(end))
            for start, end in crisis_seconds
        )
        self._origin = 0.0
        self._origin = self.position(epoch_seconds)

    def _base(self, seconds: float) -> float:
        hours = (seconds - WEEK_ANCHOR_S) / 3600.0
        week = math.floor(hours / HOURS_PER_WEEK)
        within = hours - week * HOURS_PER_WEEK
        hour = min(int(within), HOURS_PER_WEEK - 1)
        volume = (
            week * HOURS_PER_WEEK + self._cumulative[hour] + self._weights[hour] * (within - hour)
        )
        return volume * self._hourly_rate

    def _base_inverse(self, volume: float) -> float:
        scaled = volume / self._hourly_rate
        week = scaled // HOURS_PER_WEEK
        within = scaled - week * HOURS_PER_WEEK
        hour = bisect.bisect_right(self._cumulative, within) - 1
        if hour >= HOURS_PER_WEEK:
            hour = HOURS_PER_WEEK - 1
        fraction = (within - self._cumulative[hour]) / self._weights[hour]
        return WEEK_ANCHOR_S + (week * HOURS_PER_WEEK + hour + fraction) * 3600.0

    def position(self, seconds: float) -> float:
        """Expected number of items between the epoch and `seconds`, crises included."""
        base = self._base(seconds)
        surge = 0.0
        for start, end in self._windows:
            if base <= start:
                break
            surge += min(base, end) - start
        return base + (CRISIS_VOLUME_FACTOR - 1.0) * surge - self._origin

    def seconds_at(self, position: float) -> float:
        """The moment the expected number of items since the epoch reaches `position`."""
        target = position + self._origin
        extra = 0.0
        for start, end in self._windows:
            surge_start = start + extra
            if target <= surge_start:
                break
            if math.isinf(end) or target < end + extra + (CRISIS_VOLUME_FACTOR - 1.0) * (
                end - start
            ):
                return self._base_inverse(start + (target - surge_start) / CRISIS_VOLUME_FACTOR)
            extra += (CRISIS_VOLUME_FACTOR - 1.0) * (end - start)
        return self._base_inverse(target - extra)

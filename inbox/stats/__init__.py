"""Response-time, SLA, volume and sentiment figures, computed in the database."""

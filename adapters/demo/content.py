"""The demo's vocabulary: its brand, languages, categories and mixes, and the words in slots.

The brand is Nimbus, a fictional cloud photo and file storage service; its outage is the
scripted crisis. Templates (in `customer_texts`) take the slots `{p}` (a product), `{f}`
(a feature), `{d}` (a duration) and `{e}` (an emoji, often empty). Every language has
every category; Japanese is written family name first, as its people write it.
"""

from __future__ import annotations

from typing import Final

BRAND_NAME: Final = "Nimbus"
STATUS_URL: Final = "https://status.nimbus.example"

LANGUAGE_WEIGHTS: Final[tuple[tuple[str, int], ...]] = (
    ("en", 58),
    ("es", 11),
    ("de", 9),
    ("fr", 8),
    ("pt", 8),
    ("ja", 6),
)
"""Share of contacts writing in each language."""

CATEGORY_SENTIMENT: Final[dict[str, str]] = {
    "question": "neutral",
    "complaint": "negative",
    "praise": "positive",
    "feature_request": "neutral",
    "chatter": "positive",
    "spam": "neutral",
    "followup_waiting": "negative",
    "followup_detail": "neutral",
    "followup_thanks": "positive",
    "outage_complaint": "negative",
    "outage_question": "negative",
    "misinformation": "negative",
    "outage_support": "positive",
    "outage_followup": "negative",
}
"""The sentiment each category is written to carry."""

NORMAL_MIX: Final[tuple[tuple[str, int], ...]] = (
    ("question", 30),
    ("complaint", 24),
    ("praise", 14),
    ("feature_request", 10),
    ("chatter", 12),
    ("spam", 10),
)
"""What a new conversation is about on an ordinary day."""

CRISIS_MIX: Final[tuple[tuple[str, int], ...]] = (
    ("outage_complaint", 46),
    ("outage_question", 18),
    ("misinformation", 12),
    ("outage_support", 5),
    ("question", 6),
    ("complaint", 6),
    ("praise", 2),
    ("chatter", 2),
    ("spam", 3),
)
"""What a new conversation is about while the service is down."""

NORMAL_FOLLOWUP_MIX: Final[tuple[tuple[str, int], ...]] = (
    ("followup_waiting", 45),
    ("followup_detail", 30),
    ("followup_thanks", 25),
)
CRISIS_FOLLOWUP_MIX: Final[tuple[tuple[str, int], ...]] = (
    ("outage_followup", 75),
    ("followup_waiting", 20),
    ("followup_thanks", 5),
)

EMOJI: Final[dict[str, tuple[str, ...]]] = {
    "negative": ("😡", "🙄", "😤", "😭", "🤬", "😩", "🤦‍♀️", "💀", "😠", "👎"),
    "positive": ("🙌", "❤️", "😍", "🎉", "👏", "✨", "🥳", "😊", "💙", "🫶"),
    "neutral": ("🤔", "🙏", "👀", "📸", "☁️", "🙂", "🤷", "📱"),
}

PRODUCTS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("Nimbus", "Nimbus Photos", "Nimbus Drive"),
    "es": ("Nimbus", "Nimbus Photos", "Nimbus Drive"),
    "de": ("Nimbus", "Nimbus Photos", "Nimbus Drive"),
    "fr": ("Nimbus", "Nimbus Photos", "Nimbus Drive"),
    "pt": ("Nimbus", "Nimbus Photos", "Nimbus Drive"),
    "ja": ("Nimbus", "Nimbusフォト", "Nimbusドライブ", "Nimbusのアプリ"),
}
"""Product names; bare names, so templates need no articles or cases."""

FEATURES: Final[dict[str, tuple[str, ...]]] = {
    "en": ("auto-backup", "album sharing", "photo sync", "family sharing", "offline mode"),
    "es": (
        "la copia automática",
        "la sincronización",
        "el plan familiar",
        "el modo sin conexión",
        "el álbum compartido",
    ),
    "de": (
        "das Auto-Backup",
        "das Foto-Backup",
        "das Familien-Abo",
        "das Teilen von Alben",
        "das Offline-Feature",
    ),
    "fr": (
        "la sauvegarde auto",
        "la synchro des photos",
        "le partage familial",
        "le mode hors ligne",
        "le partage d'albums",
    ),
    "pt": (
        "o backup automático",
        "a sincronização",
        "o plano família",
        "o modo offline",
        "o álbum compartilhado",
    ),
    "ja": ("自動バックアップ", "共有アルバム", "写真の同期", "ファミリー共有", "オフラインモード"),
}
"""Feature names, singular and with the article the sentence needs (German: neuter)."""

DURATIONS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("two hours", "3 days", "a week", "45 minutes", "six hours", "ten days"),
    "es": ("dos horas", "3 días", "una semana", "45 minutos", "seis horas", "diez días"),
    "de": (
        "zwei Stunden",
        "drei Tagen",
        "einer Woche",
        "45 Minuten",
        "sechs Stunden",
        "zehn Tagen",
    ),
    "fr": ("deux heures", "3 jours", "une semaine", "45 minutes", "six heures", "dix jours"),
    "pt": ("duas horas", "3 dias", "uma semana", "45 minutos", "seis horas", "dez dias"),
    "ja": ("2時間", "3日", "1週間", "45分", "6時間", "10日"),
}
"""Plain durations; German ones are dative, as they follow "seit", "nach" and "in"."""

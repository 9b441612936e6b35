"""What demo messages carry besides their text: screenshots, link cards, quotes and polls.

Drawn from two of an item's slots, so an item's attachments are as deterministic as its
text, and cheap: most items cost one table look-up. A complaint now and then comes with a
screenshot (alt text in the customer's language; a file with no alt text by email), a
question with a help-centre card, a rumour with the article it spreads (neither by email),
praise with a quote of the brand's post or, in a DM or comment, only a photo; a few
feature requests are polls (on X and Mastodon, which have them), a few Mastodon complaints
sit behind a content warning, and a few emails forward the automatic answer they got.
"""

from __future__ import annotations

from typing import Final

from adapters.base import Attachment, AttachmentKind, Kind
from adapters.demo import content
from adapters.demo.draws import SLOT_BITS, chance, pick

ATTACHMENT_SHARES: Final[dict[str, float]] = {
    "complaint": 0.25,
    "outage_complaint": 0.15,
    "followup_detail": 0.2,
    "question": 0.08,
    "misinformation": 0.4,
    "praise": 0.2,
    "feature_request": 0.15,
}
"""The share of each category's messages that carry something."""

CARRIES_BELOW: Final = {category: chance(share) for category, share in ATTACHMENT_SHARES.items()}
"""Per category, the slot values below which a message carries something."""

SCREENSHOT_ALT: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        'Screenshot of {p}: a red banner saying "Sync failed (error 502)" over an empty album',
        "Screenshot of the {p} settings, {f} switched on but greyed out",
        'Phone screenshot: {p} stuck at "Uploading 0 of 1,204 photos"',
    ),
    "es": (
        'Captura de {p}: un aviso rojo "Error de sincronización (502)" sobre un álbum vacío',
        'Captura del móvil: {p} atascado en "Subiendo 0 de 1204 fotos"',
    ),
    "de": (
        'Screenshot von {p}: roter Hinweis "Synchronisierung fehlgeschlagen (502)"',
        'Handy-Screenshot: {p} hängt bei "0 von 1.204 Fotos hochgeladen"',
    ),
    "fr": (
        "Capture de {p} : bandeau rouge « Échec de la synchro (erreur 502) »",
        "Capture du téléphone : {p} bloqué sur « Envoi de 0 photo sur 1 204 »",
    ),
    "pt": (
        'Captura de {p}: aviso vermelho "Falha na sincronização (erro 502)"',
        'Captura do celular: {p} parado em "Enviando 0 de 1.204 fotos"',
    ),
    "ja": (
        "{p}のスクリーンショット：「同期に失敗しました（エラー502）」と赤い表示",
        "スマホのスクリーンショット：{p}が「0/1204枚をアップロード中」のまま",
    ),
}
"""A complaint's screenshot, described by its sender; `{p}` is a product, `{f}` a feature."""

PHOTO_ALT: Final[dict[str, str]] = {
    "en": "A laptop covered in stickers, the screen showing {p}: every photo backed up",
    "es": "Un portátil lleno de pegatinas con {p} en pantalla: todas las fotos guardadas",
    "de": "Ein Laptop voller Aufkleber, auf dem Bildschirm {p}: alle Fotos gesichert",
    "fr": "Un portable couvert d'autocollants, {p} à l'écran : tout est sauvegardé",
    "pt": "Um notebook cheio de adesivos com {p} na tela: todas as fotos salvas",
    "ja": "ステッカーだらけのノートPC、画面には全部バックアップ済みの{p}",
}
"""The photo a happy customer sends with no words."""

POLL_QUESTION: Final[dict[str, str]] = {
    "en": "What should Nimbus build next?",
    "es": "¿Qué debería hacer Nimbus ahora?",
    "de": "Was sollte Nimbus als Nächstes bauen?",
    "fr": "Que devrait faire Nimbus ensuite ?",
    "pt": "O que a Nimbus deveria fazer agora?",
    "ja": "Nimbusに次に作ってほしいのは？",
}

BRAND_POSTS: Final = (
    "Dark mode is here for Nimbus Photos. Update the app and flip it on in Settings 🌙",
    "Family sharing now holds 2 TB for up to six people, at no extra cost.",
    "Offline mode: your albums, on the plane, no signal needed ✈️",
)
"""Posts of the brand that customers quote."""

HELP_ARTICLES: Final = (
    (
        "restore-deleted-photos",
        "How do I restore deleted photos?",
        "Photos you delete stay in "
        "Recently deleted for 30 days. Open the album, pick the photos and choose Restore.",
    ),
    (
        "change-plan",
        "Changing or cancelling your plan",
        "Upgrade, downgrade or cancel from "
        "Settings → Plan; a refund for the unused days goes back to the card you paid with.",
    ),
    (
        "backup-paused",
        "Why is my backup paused?",
        "Backup waits for Wi-Fi and a charged "
        "battery unless you allow mobile data in Settings → Backup.",
    ),
)
"""Help-centre pages a question links to: path, title, description."""

RUMOURS: Final = (
    (
        "nimbus-deleting-accounts",
        "LEAKED: Nimbus to delete inactive accounts this week",
        "Insiders say millions of photos will be wiped without warning. Download yours now.",
    ),
    (
        "nimbus-hacked",
        "Is Nimbus hacked? Users report strangers' photos in their albums",
        "Screenshots circulating on social media appear to show a serious breach.",
    ),
)
"""Articles a rumour spreads: path, title, description."""

_AUTO_REPLY: Final = Attachment(
    AttachmentKind.FORWARDED,
    title="Re: Your support request",
    author="Nimbus Support <support@nimbus.example>",
    description="Thanks for writing to us. We have your request and will answer within 24 hours.",
)
"""The brand's automatic answer, forwarded by a customer who heard nothing after it."""

_SCRAMBLE: Final = 40_503
"""An odd multiplier that makes a second, different pick from the same slot."""
_SLOT_MASK: Final = (1 << SLOT_BITS) - 1
_POLLS_ON: Final = frozenset({"x", "mastodon"})
_QUOTES_ON: Final = frozenset({"x", "mastodon", "bluesky"})
_TEXTLESS_KINDS: Final = frozenset({Kind.DM, Kind.COMMENT})


def draw(
    style: str,
    kind: Kind,
    category: str,
    language: str,
    pick_slot: int,
    *,
    stream_number: int,
    index: int,
    brand: str,
) -> tuple[tuple[Attachment, ...], bool]:
    """What an item carries, and whether it carries only that (no text).

    Called for an item whose slot fell below `CARRIES_BELOW[category]`; `pick_slot` decides
    what it carries. Its media are named after its stream and index, and `brand` is the
    account a quote is of.
    """
    token = f"{stream_number}-{index}"
    product = pick(content.PRODUCTS[language], pick_slot)
    if category in ("complaint", "outage_complaint", "followup_detail"):
        if style == "email":
            if category == "complaint" and (pick_slot & 3) == 0:
                return (_AUTO_REPLY,), False
            size = 180_000 + (pick_slot * 7) % 900_000
            return (Attachment(AttachmentKind.IMAGE, title="screenshot.png", size=size),), False
        alt = pick(SCREENSHOT_ALT[language], pick_slot).format(
            p=product, f=pick(content.FEATURES[language], (pick_slot * _SCRAMBLE) & _SLOT_MASK)
        )
        screenshot = Attachment(
            AttachmentKind.IMAGE,
            url=f"https://media.{style}.demo.example/{token}.png",
            description=alt,
        )
        if style == "mastodon" and language == "en" and (pick_slot & 3) == 0:
            warning = Attachment(AttachmentKind.WARNING, description=f"rant about {product}")
            return (warning, screenshot), False
        return (screenshot,), False
    if category in ("question", "misinformation"):
        if style == "email":
            return (), False  # mail carries the link in its text; no card
        path, title, description = pick(
            HELP_ARTICLES if category == "question" else RUMOURS, pick_slot
        )
        site = "help.nimbus.example/articles" if category == "question" else "dailybuzz.example"
        card = Attachment(
            AttachmentKind.LINK, url=f"https://{site}/{path}", title=title, description=description
        )
        return (card,), False
    if category == "feature_request":
        if style not in _POLLS_ON:
            return (), False
        features = content.FEATURES[language]
        first = pick(features, pick_slot)
        options = (first, *[feature for feature in features if feature != first][:2])
        poll = Attachment(AttachmentKind.POLL, title=POLL_QUESTION[language], options=options)
        return (poll,), False
    if kind in _TEXTLESS_KINDS and style != "email" and pick_slot & 1:
        photo = Attachment(
            AttachmentKind.IMAGE,
            url=f"https://media.{style}.demo.example/{token}.jpg",
            description=PHOTO_ALT[language].format(p=product),
        )
        return (photo,), True
    if style not in _QUOTES_ON:
        return (), False
    handle = brand.lstrip("@")
    post = (pick_slot * len(BRAND_POSTS)) >> SLOT_BITS
    quote = Attachment(
        AttachmentKind.QUOTE,
        url=f"https://{style}.demo.example/{handle.partition('@')[0]}/posts/{post + 1}",
        description=BRAND_POSTS[post],
        author=f"@{handle}",
    )
    return (quote,), False

"""What the brand answers, by language and by the kind of message it answers."""

from __future__ import annotations

from typing import Final

REPLIES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        "question": (
            (
                "Hi {name}, thanks for asking! You'll find that under Settings > Backup. "
                "Let us know if anything's unclear."
            ),
            "Hi {name}! Yes, that works on every plan: Settings > Sharing > Invite.",
        ),
        "complaint": (
            (
                "Sorry about this, {name}. "
                "Could you DM us the email on your account so we can take a look?"
            ),
            "That's not the experience we want for you, {name}. We're checking your account now.",
        ),
        "praise": (
            "This made our day, {name}! Thanks for sharing 💙",
            "Thank you, {name}! We'll pass this on to the team 🙌",
        ),
        "feature_request": ("Thanks {name}, great idea! I've passed it to our product team.",),
        "chatter": ("Ha, we love this, {name}! 📸",),
        "spam": ("Thanks for reaching out.",),
        "followup_waiting": (
            "Sorry for the wait, {name}. I'm on it now: which version of the app are you on?",
        ),
        "followup_detail": ("Thanks for the details, {name}, that helps. We're looking into it.",),
        "followup_thanks": ("Glad it's sorted, {name}! Have a great day.",),
        "outage": (
            (
                "Hi {name}, we're sorry: Nimbus is having an outage and our engineers are on it. "
                "Your files are safe. Updates: status.nimbus.example"
            ),
            (
                "We know, {name}, and we're sorry. "
                "The team is working on a fix; follow status.nimbus.example for updates."
            ),
        ),
        "misinformation": (
            (
                "Hi {name}, to be clear: we have not sold any data and there was no breach. "
                "This is a technical outage and your files are safe."
            ),
        ),
        "outage_support": ("Thank you for the patience, {name} 💙 We're on it.",),
    },
    "es": {
        "question": ("¡Hola, {name}! Lo encontrarás en Ajustes > Copia de seguridad.",),
        "complaint": (
            "Lo sentimos, {name}. ¿Nos escribes por DM con el email de tu cuenta para revisarlo?",
        ),
        "praise": ("¡Nos alegras el día, {name}! Gracias 💙",),
        "feature_request": ("¡Gracias, {name}! Se lo pasamos al equipo de producto.",),
        "chatter": ("¡Nos encanta, {name}! 📸",),
        "spam": ("Gracias por escribirnos.",),
        "followup_waiting": (
            "Perdona la espera, {name}. Ya estoy con ello: ¿qué versión de la app usas?",
        ),
        "followup_detail": ("Gracias por los detalles, {name}. Lo estamos revisando.",),
        "followup_thanks": ("¡Genial que esté resuelto, {name}!",),
        "outage": (
            (
                "Hola, {name}: Nimbus tiene una caída y ya estamos en ello. "
                "Tus archivos están a salvo. Novedades: status.nimbus.example"
            ),
        ),
        "misinformation": (
            (
                "Hola, {name}: no hemos vendido ningún dato ni ha habido una brecha. "
                "Es una caída técnica y tus archivos están a salvo."
            ),
        ),
        "outage_support": ("¡Gracias por la paciencia, {name}! 💙",),
    },
    "de": {
        "question": ("Hallo {name}, das findest du unter Einstellungen > Backup.",),
        "complaint": (
            (
                "Das tut uns leid, {name}. "
                "Schick uns per DM die E-Mail deines Kontos, dann schauen wir nach."
            ),
        ),
        "praise": ("Danke, {name}, das freut uns sehr! 💙",),
        "feature_request": ("Danke, {name}, gute Idee! Geben wir ans Produktteam weiter.",),
        "chatter": ("Großartig, {name}! 📸",),
        "spam": ("Danke für deine Nachricht.",),
        "followup_waiting": ("Sorry für die Wartezeit, {name}. Welche App-Version nutzt du?",),
        "followup_detail": ("Danke für die Details, {name}. Wir sehen uns das an.",),
        "followup_thanks": ("Schön, dass es wieder läuft, {name}!",),
        "outage": (
            (
                "Hallo {name}, Nimbus hat gerade eine Störung, unser Team arbeitet daran. "
                "Deine Dateien sind sicher. Updates: status.nimbus.example"
            ),
        ),
        "misinformation": (
            (
                "Hallo {name}, zur Klarstellung: "
                "Wir haben keine Daten verkauft und es gab keinen Hack. "
                "Es ist eine technische Störung."
            ),
        ),
        "outage_support": ("Danke für deine Geduld, {name}! 💙",),
    },
    "fr": {
        "question": ("Bonjour {name}, c'est dans Réglages > Sauvegarde.",),
        "complaint": (
            "Désolés, {name}. Vous pouvez nous envoyer en DM l'e-mail de votre compte ?",
        ),
        "praise": ("Merci {name}, ça nous fait très plaisir ! 💙",),
        "feature_request": ("Merci {name}, bonne idée ! On transmet à l'équipe produit.",),
        "chatter": ("On adore, {name} ! 📸",),
        "spam": ("Merci pour votre message.",),
        "followup_waiting": (
            "Désolés pour l'attente, {name}. Quelle version de l'appli utilisez-vous ?",
        ),
        "followup_detail": ("Merci pour les détails, {name}. On regarde ça.",),
        "followup_thanks": ("Ravis que ce soit réglé, {name} !",),
        "outage": (
            (
                "Bonjour {name}, Nimbus subit une panne et nos équipes sont dessus. "
                "Vos fichiers sont en sécurité. Suivi : status.nimbus.example"
            ),
        ),
        "misinformation": (
            (
                "Bonjour {name}, pour être clairs : "
                "nous n'avons vendu aucune donnée et il n'y a pas eu de piratage. "
                "C'est une panne technique."
            ),
        ),
        "outage_support": ("Merci pour votre patience, {name} ! 💙",),
    },
    "pt": {
        "question": ("Oi, {name}! Fica em Configurações > Backup.",),
        "complaint": (
            "Sentimos muito, {name}. Pode mandar por DM o e-mail da sua conta pra gente verificar?",
        ),
        "praise": ("Valeu demais, {name}! 💙",),
        "feature_request": ("Obrigado, {name}, ótima ideia! Passamos pro time de produto.",),
        "chatter": ("Amamos, {name}! 📸",),
        "spam": ("Obrigado pela mensagem.",),
        "followup_waiting": ("Desculpe a demora, {name}. Qual versão do app você usa?",),
        "followup_detail": ("Obrigado pelos detalhes, {name}. Estamos verificando.",),
        "followup_thanks": ("Que bom que resolveu, {name}!",),
        "outage": (
            (
                "Oi, {name}: o Nimbus está fora do ar e nossa equipe já está trabalhando nisso. "
                "Seus arquivos estão seguros. Novidades: status.nimbus.example"
            ),
        ),
        "misinformation": (
            (
                "Oi, {name}: não vendemos nenhum dado e não houve invasão. "
                "É uma falha técnica e seus arquivos estão seguros."
            ),
        ),
        "outage_support": ("Obrigado pela paciência, {name}! 💙",),
    },
    "ja": {
        "question": ("{name}様、設定 > バックアップからご確認いただけます。",),
        "complaint": (
            "{name}様、ご不便をおかけし申し訳ありません。DMでアカウントのメールアドレスをお知らせください。",
        ),
        "praise": ("{name}様、ありがとうございます！💙",),
        "feature_request": ("{name}様、ご提案ありがとうございます。開発チームに共有します。",),
        "chatter": ("{name}様、素敵です！📸",),
        "spam": ("ご連絡ありがとうございます。",),
        "followup_waiting": (
            "{name}様、お待たせしました。アプリのバージョンを教えていただけますか？",
        ),
        "followup_detail": ("{name}様、詳細ありがとうございます。確認いたします。",),
        "followup_thanks": ("{name}様、解決してよかったです！",),
        "outage": (
            "{name}様、現在障害が発生しており復旧対応中です。ファイルは安全です。status.nimbus.example",
        ),
        "misinformation": (
            "{name}様、データの売却や不正アクセスの事実はありません。技術的な障害です。",
        ),
        "outage_support": ("{name}様、温かいお言葉ありがとうございます💙",),
    },
}
"""Brand replies by language, then by the reply group of the category they answer."""

REPLY_GROUPS: Final[dict[str, str]] = {
    "outage_complaint": "outage",
    "outage_question": "outage",
    "outage_followup": "outage",
}
"""Categories answered with another category's replies; the rest answer their own."""

EMAIL_REPLY_SIGNOFFS: Final[dict[str, str]] = {
    "en": "Best,",
    "es": "Un saludo,",
    "de": "Viele Grüße",
    "fr": "Bien cordialement,",
    "pt": "Abraços,",
    "ja": "Nimbusサポート",
}

"""What customers write, by language: templates, extra details, email framing and hostile text."""

from __future__ import annotations

from typing import Final

TEXTS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        "question": (
            "How do I move my photos from {p} to an external drive?{e}",
            "Does {f} work over mobile data or only on wifi?",
            "Quick question: can I share an album with someone who doesn't have {p}?",
            "Is there a way to make {f} skip screenshots?{e}",
            "What happens to my files if I cancel Nimbus Plus?",
            "Hi! Is there a student discount for Nimbus Plus?{e}",
            "Can two phones back up to the same account with {f}?",
            "where do deleted photos go in {p}? need one back{e}",
            "Is {p} end-to-end encrypted?",
            "how long does the first backup usually take? it's been {d}",
            "Does the family plan include {f}?{e}",
        ),
        "complaint": (
            "{p} has been stuck on 'preparing backup' for {d}.{e}",
            "Charged twice for Nimbus Plus this month. Not cool.{e}",
            "{f} keeps turning itself off after every update{e}",
            "Your support took {d} to answer and didn't fix anything.",
            "Why does {p} drain my battery so fast?{e}",
            "Lost a whole album after the last update. Please tell me it's recoverable.{e}",
            "the new {p} layout is a mess, where did {f} go{e}",
            "Uploading 20 photos shouldn't take {d}.{e}",
            "I cancelled my trial and still got billed{e}",
            "{p} logged me out again. Third time this week.{e}",
        ),
        "praise": (
            "{f} just saved my vacation photos after my phone died. Thank you!{e}",
            "Honestly {p} is the only app I never have to think about{e}",
            "Shoutout to your support team, fixed my issue in {d}{e}",
            "The new {p} update is so smooth{e}",
            "Switched from another cloud last month, {f} is so much better{e}",
            "love love love {f}{e}",
            "Nimbus Plus is worth every cent{e}",
        ),
        "feature_request": (
            "Please add dark mode to {p}{e}",
            "Would love a way to schedule {f} for night time only.",
            "Any chance of a Linux version of the desktop app?",
            "Can we get face grouping that works offline?{e}",
            "Feature request: let me pick which folders {f} watches.",
            "It would be great if shared albums supported comments{e}",
        ),
        "chatter": (
            "my cat photos are 80% of my {p} storage and I regret nothing{e}",
            "that moment when {f} finishes before the coffee does{e}",
            "Who else opens {p} just to scroll through old photos{e}",
            "ok {p}, I see you with the new icon{e}",
            "{p} memories hit different today{e}",
        ),
        "spam": (
            "Get 10K real followers in 24h!!! DM me{e}",
            "I made $4,000 last week trading crypto from home, ask me how",
            "Check my profile for FREE Nimbus Plus codes 🎁",
            "Congratulations! You've been selected for a $500 gift card: claim-prize.example",
            "Best cheap sneakers here → shoes-outlet.example",
            "Promote your brand to 2M users, prices in bio{e}",
        ),
        "followup_waiting": (
            "Any update on this?{e}",
            "Still waiting for an answer…",
            "Hello? It's been {d}.{e}",
            "Bumping this. Still broken.",
            "Anyone there?{e}",
        ),
        "followup_detail": (
            "Forgot to say: I'm on Android 14.",
            "It's version 8.4.1 of {p}, if that helps.",
            "Just tried reinstalling, same thing.",
            "Happens on wifi and on mobile data.",
            "The spinner just never stops{e}",
        ),
        "followup_thanks": (
            "That worked, thank you!{e}",
            "All sorted now, thanks{e}",
            "Perfect, thanks for the quick help{e}",
            "ok it's back. thanks!",
        ),
        "outage_complaint": (
            "{p} is completely down. Can't open a single photo.{e}",
            "Down for {d} and not a word from you?{e}",
            "I pay for Nimbus Plus and can't access ANY of my files right now{e}",
            "I have a presentation in an hour and my files are stuck in {p}.{e}",
            "Unbelievable. Everything is gone from {p}.{e}",
            "Error 503 everywhere. Fix it.{e}",
            "Is this how you treat paying customers? {d} of nothing.{e}",
            "my whole family's photos are in there and the app just shows an error{e}",
            "Great time for an outage, right before the weekend{e}",
            "Login fails, sync fails, website fails. What DOES work?{e}",
        ),
        "outage_question": (
            "Is {p} down for everyone or just me?{e}",
            "Are my files safe??{e}",
            "Any ETA on the fix?",
            "Is there a status page? Can't find anything.{e}",
            "Should I turn off {f} until this is fixed?",
            "Will we get compensated for the downtime?{e}",
        ),
        "misinformation": (
            "Heard they're selling our data and the outage is them moving it to a buyer{e}",
            "Apparently the CEO resigned this morning. That explains a lot.{e}",
            "Someone said they got hacked and every password leaked. Change yours NOW{e}",
            "Rumour is Nimbus is shutting down and deleting all free accounts{e}",
            "Friend who works there says all photos from last year are gone for good{e}",
            "They're selling our data, that's why everything is down. Delete your account.{e}",
        ),
        "outage_support": (
            "Hang in there Nimbus team, outages happen{e}",
            "Patience everyone, they'll fix it. {p} has been solid for years.{e}",
            "Sending coffee to whoever is on call right now{e}",
        ),
        "outage_followup": (
            "Still down.{e}",
            "{d} later and still nothing.{e}",
            "Any news? Still can't get in.{e}",
            "Still getting the same error{e}",
        ),
    },
    "es": {
        "question": (
            "¿Cómo paso mis fotos de {p} a un disco externo?{e}",
            "¿{f} funciona con datos móviles o solo con wifi?",
            "¿Hay descuento para estudiantes en Nimbus Plus?{e}",
            "¿Qué pasa con mis archivos si cancelo Nimbus Plus?",
            "¿Dónde van las fotos borradas en {p}? Necesito recuperar una{e}",
            "¿Cuánto tarda la primera copia? Llevo {d}",
        ),
        "complaint": (
            "{p} lleva {d} atascado en 'preparando copia'.{e}",
            "Me cobraron dos veces Nimbus Plus este mes.{e}",
            "{f} se desactiva después de cada actualización{e}",
            "Soporte tardó {d} en contestar y no arregló nada.",
            "Perdí un álbum entero con la última actualización.{e}",
            "Cancelé la prueba y aun así me cobraron{e}",
        ),
        "praise": (
            "{f} me salvó las fotos del viaje cuando se murió mi móvil. ¡Gracias!{e}",
            "{p} es la única app en la que nunca tengo que pensar{e}",
            "Gracias al equipo de soporte, resuelto en {d}{e}",
            "La nueva versión de {p} va genial{e}",
        ),
        "feature_request": (
            "Por favor, añadid modo oscuro a {p}{e}",
            "¿Para cuándo una versión de la app de escritorio para Linux?",
            "Estaría genial poder programar {f} solo por la noche.",
            "Ojalá los álbumes compartidos tuvieran comentarios{e}",
        ),
        "chatter": (
            "el 80% de mi {p} son fotos de mi gato y no me arrepiento{e}",
            "abrir {p} solo para ver fotos viejas, ¿a quién más le pasa?{e}",
            "{f} terminó antes que el café{e}",
        ),
        "spam": (
            "¡Gana 3.000 € al mes desde casa! Escríbeme{e}",
            "Seguidores reales baratos, info en mi perfil",
            "Códigos GRATIS de Nimbus Plus en mi bio 🎁",
        ),
        "followup_waiting": (
            "¿Alguna novedad?{e}",
            "Sigo esperando respuesta…",
            "¿Hola? Ya van {d}.{e}",
        ),
        "followup_detail": (
            "Se me olvidó decir: uso Android 14.",
            "Ya reinstalé la app, sigue igual.",
            "Pasa con wifi y con datos.",
        ),
        "followup_thanks": (
            "¡Funcionó, gracias!{e}",
            "Todo resuelto, muchas gracias{e}",
        ),
        "outage_complaint": (
            "{p} está caído del todo. No puedo abrir ni una foto.{e}",
            "¿{d} sin servicio y ni un aviso?{e}",
            "Pago Nimbus Plus y no puedo acceder a NADA{e}",
            "Tengo una presentación en una hora y mis archivos están atrapados en {p}{e}",
            "Error 503 por todas partes. Arreglenlo ya.{e}",
        ),
        "outage_question": (
            "¿{p} está caído para todos o solo para mí?{e}",
            "¿Mis archivos están a salvo?{e}",
            "¿Hay fecha para el arreglo?",
        ),
        "misinformation": (
            "Dicen que están vendiendo nuestros datos y por eso está caído{e}",
            "Parece que el CEO dimitió esta mañana{e}",
            "Me dijeron que los hackearon y se filtraron todas las contraseñas{e}",
        ),
        "outage_support": (
            "Ánimo al equipo de Nimbus, le pasa a cualquiera{e}",
            "Paciencia, gente, lo van a arreglar{e}",
        ),
        "outage_followup": (
            "Sigue caído.{e}",
            "{d} después y nada.{e}",
            "¿Novedades? Sigo sin poder entrar.{e}",
        ),
    },
    "de": {
        "question": (
            "Wie bekomme ich meine Fotos aus {p} auf eine externe Festplatte?{e}",
            "Funktioniert {f} auch mit mobilen Daten oder nur im WLAN?",
            "Gibt es einen Studentenrabatt für Nimbus Plus?{e}",
            "Was passiert mit meinen Dateien, wenn ich Nimbus Plus kündige?",
            "Wo landen gelöschte Fotos in {p}? Brauche eins zurück{e}",
        ),
        "complaint": (
            "{p} hängt seit {d} bei 'Backup wird vorbereitet'.{e}",
            "Nimbus Plus wurde diesen Monat doppelt abgebucht.{e}",
            "{f} schaltet sich nach jedem Update selbst ab{e}",
            "Der Support hat nach {d} geantwortet und nichts gelöst.",
            "Nach dem letzten Update ist ein ganzes Album weg.{e}",
        ),
        "praise": (
            "{f} hat meine Urlaubsfotos gerettet, als mein Handy kaputt war. Danke!{e}",
            "{p} ist die einzige App, um die ich mich nie kümmern muss{e}",
            "Danke an den Support, Problem in {d} gelöst{e}",
        ),
        "feature_request": (
            "Bitte einen Dark Mode für {p}{e}",
            "Wann kommt die Desktop-App für Linux?",
            "Wäre super, wenn man {f} nur nachts laufen lassen könnte.",
        ),
        "chatter": (
            "80 % meines {p}-Speichers sind Katzenfotos und ich bereue nichts{e}",
            "{f} ist schneller fertig als mein Kaffee{e}",
        ),
        "spam": (
            "Verdiene 3.000 € im Monat von zu Hause! Schreib mir{e}",
            "GRATIS Nimbus Plus Codes in meinem Profil 🎁",
        ),
        "followup_waiting": (
            "Gibt es schon was Neues?{e}",
            "Warte immer noch auf eine Antwort…",
            "Hallo? Das ist jetzt seit {d} so.{e}",
        ),
        "followup_detail": (
            "Vergessen: Ich nutze Android 14.",
            "Neu installiert, gleiches Problem.",
        ),
        "followup_thanks": (
            "Hat geklappt, danke!{e}",
            "Alles wieder gut, vielen Dank{e}",
        ),
        "outage_complaint": (
            "{p} ist komplett down. Kein einziges Foto lässt sich öffnen.{e}",
            "Seit {d} down und kein Wort von euch?{e}",
            "Ich zahle für Nimbus Plus und komme an KEINE Datei ran{e}",
            "Überall Fehler 503. Macht das endlich heil.{e}",
        ),
        "outage_question": (
            "Ist {p} für alle down oder nur bei mir?{e}",
            "Sind meine Dateien sicher?{e}",
            "Gibt es eine Statusseite?",
        ),
        "misinformation": (
            "Angeblich verkaufen die unsere Daten, deshalb ist alles down{e}",
            "Hab gehört, der CEO ist heute Morgen zurückgetreten{e}",
            "Die wurden gehackt, alle Passwörter sind geleakt!{e}",
        ),
        "outage_support": ("Durchhalten, Nimbus-Team! Kann jedem passieren{e}",),
        "outage_followup": (
            "Immer noch down.{e}",
            "Seit {d} und immer noch nichts.{e}",
        ),
    },
    "fr": {
        "question": (
            "Comment transférer mes photos de {p} vers un disque externe ?{e}",
            "Est-ce que {f} marche en 4G ou seulement en wifi ?",
            "Il y a une réduction étudiante pour Nimbus Plus ?{e}",
            "Que deviennent mes fichiers si je résilie Nimbus Plus ?",
            "Où vont les photos supprimées dans {p} ?{e}",
        ),
        "complaint": (
            "{p} est bloquée sur « préparation de la sauvegarde » depuis {d}.{e}",
            "Nimbus Plus m'a été facturé deux fois ce mois-ci.{e}",
            "{f} se désactive après chaque mise à jour{e}",
            "Le support a mis {d} à répondre, sans rien régler.",
            "J'ai perdu un album entier avec la dernière mise à jour.{e}",
        ),
        "praise": (
            "{f} a sauvé mes photos de vacances quand mon téléphone a lâché. Merci !{e}",
            "{p}, la seule appli à laquelle je n'ai jamais besoin de penser{e}",
            "Merci au support, réglé en {d}{e}",
        ),
        "feature_request": (
            "Un mode sombre pour {p}, s'il vous plaît{e}",
            "Une version Linux de l'appli de bureau, c'est prévu ?",
            "Ce serait top de pouvoir lancer {f} seulement la nuit.",
        ),
        "chatter": (
            "80 % de mon stockage {p}, c'est des photos de mon chat, aucun regret{e}",
            "{f} a fini avant mon café{e}",
        ),
        "spam": (
            "Gagnez 3 000 € par mois depuis chez vous ! Écrivez-moi{e}",
            "Codes Nimbus Plus GRATUITS dans ma bio 🎁",
        ),
        "followup_waiting": (
            "Des nouvelles ?{e}",
            "J'attends toujours une réponse…",
            "Allô ? Ça fait {d}.{e}",
        ),
        "followup_detail": (
            "J'ai oublié : je suis sous Android 14.",
            "J'ai réinstallé, même problème.",
        ),
        "followup_thanks": (
            "Ça marche, merci !{e}",
            "Tout est réglé, merci beaucoup{e}",
        ),
        "outage_complaint": (
            "{p} est complètement en panne. Impossible d'ouvrir une seule photo.{e}",
            "En panne depuis {d} et pas un mot ?{e}",
            "Je paie Nimbus Plus et je n'ai accès à AUCUN fichier{e}",
            "Erreur 503 partout. Réparez ça.{e}",
        ),
        "outage_question": (
            "{p} est en panne pour tout le monde ou juste moi ?{e}",
            "Mes fichiers sont en sécurité ?{e}",
            "Une idée de quand ce sera réparé ?",
        ),
        "misinformation": (
            "Il paraît qu'ils revendent nos données, d'où la panne{e}",
            "Le PDG aurait démissionné ce matin{e}",
            "Ils se sont fait pirater, tous les mots de passe ont fuité !{e}",
        ),
        "outage_support": ("Courage à l'équipe Nimbus, ça arrive à tout le monde{e}",),
        "outage_followup": (
            "Toujours en panne.{e}",
            "{d} plus tard, toujours rien.{e}",
        ),
    },
    "pt": {
        "question": (
            "Como passo minhas fotos do {p} para um HD externo?{e}",
            "{f} funciona com dados móveis ou só no wifi?",
            "Tem desconto de estudante no Nimbus Plus?{e}",
            "O que acontece com meus arquivos se eu cancelar o Nimbus Plus?",
            "Pra onde vão as fotos apagadas no {p}?{e}",
        ),
        "complaint": (
            "{p} está travado em 'preparando backup' há {d}.{e}",
            "Fui cobrado duas vezes pelo Nimbus Plus este mês.{e}",
            "{f} para de funcionar depois de cada atualização{e}",
            "O suporte levou {d} pra responder e não resolveu nada.",
            "Perdi um álbum inteiro na última atualização.{e}",
        ),
        "praise": (
            "{f} salvou as fotos da minha viagem quando meu celular morreu. Obrigado!{e}",
            "{p} é o único app que eu nunca preciso lembrar que existe{e}",
            "Valeu, suporte! Resolvido em {d}{e}",
        ),
        "feature_request": (
            "Coloquem modo escuro no {p}, por favor{e}",
            "Vai ter versão pra Linux do app de desktop?",
            "Seria ótimo poder agendar {f} só de madrugada.",
        ),
        "chatter": (
            "80% do meu {p} é foto do meu gato e não me arrependo{e}",
            "{f} terminou antes do meu café{e}",
        ),
        "spam": (
            "Ganhe R$ 5.000 por mês em casa! Me chama{e}",
            "Códigos GRÁTIS de Nimbus Plus na minha bio 🎁",
        ),
        "followup_waiting": (
            "Alguma novidade?{e}",
            "Ainda esperando resposta…",
            "Oi? Já faz {d}.{e}",
        ),
        "followup_detail": (
            "Esqueci de dizer: uso Android 14.",
            "Reinstalei e continua igual.",
        ),
        "followup_thanks": (
            "Funcionou, obrigado!{e}",
            "Tudo certo agora, valeu{e}",
        ),
        "outage_complaint": (
            "{p} caiu de vez. Não abre nenhuma foto.{e}",
            "Fora do ar há {d} e nenhum aviso?{e}",
            "Pago o Nimbus Plus e não acesso NENHUM arquivo{e}",
            "Erro 503 em tudo. Resolvam isso.{e}",
        ),
        "outage_question": (
            "O {p} caiu pra todo mundo ou só pra mim?{e}",
            "Meus arquivos estão seguros?{e}",
            "Tem previsão de volta?",
        ),
        "misinformation": (
            "Dizem que estão vendendo nossos dados, por isso caiu{e}",
            "Parece que o CEO pediu demissão hoje de manhã{e}",
            "Foram hackeados e vazaram todas as senhas!{e}",
        ),
        "outage_support": ("Força, equipe Nimbus, acontece{e}",),
        "outage_followup": (
            "Continua fora do ar.{e}",
            "{d} depois e nada.{e}",
        ),
    },
    "ja": {
        "question": (
            "{p}の写真を外付けHDDに移すにはどうすればいいですか？{e}",
            "{f}はモバイルデータでも動きますか？",
            "Nimbus Plusに学割はありますか？{e}",
            "Nimbus Plusを解約したらファイルはどうなりますか？",
            "{p}で削除した写真はどこに行きますか？{e}",
        ),
        "complaint": (
            "{p}が{d}「バックアップ準備中」のままです。{e}",
            "今月Nimbus Plusが二重に請求されました。{e}",
            "アップデートのたびに{f}がオフになります{e}",
            "サポートの返事に{d}かかって、結局解決しませんでした。",
            "前回のアップデートでアルバムが丸ごと消えました。{e}",
        ),
        "praise": (
            "スマホが壊れたとき{f}のおかげで旅行の写真が助かりました。ありがとう！{e}",
            "{p}は何も考えずに使えるのが最高{e}",
            "サポートの方、{d}で解決してくれました{e}",
        ),
        "feature_request": (
            "{p}にダークモードをお願いします{e}",
            "デスクトップ版のLinux対応はありますか？",
            "{f}を夜だけ動かす設定がほしいです。",
        ),
        "chatter": (
            "{p}の容量の8割が猫の写真{e}",
            "{f}がコーヒーより先に終わった{e}",
        ),
        "spam": (
            "在宅で月30万円稼げます！DMください{e}",
            "Nimbus Plusの無料コードをプロフィールで配布中🎁",
        ),
        "followup_waiting": (
            "その後どうなりましたか？{e}",
            "まだ返事を待っています…",
            "もう{d}経ちます。{e}",
        ),
        "followup_detail": (
            "言い忘れました、Android 14です。",
            "再インストールしても同じでした。",
        ),
        "followup_thanks": (
            "直りました、ありがとうございます！{e}",
            "解決しました、助かりました{e}",
        ),
        "outage_complaint": (
            "{p}が完全に落ちてます。写真が一枚も開けません。{e}",
            "{d}も落ちてるのに何の説明もないの？{e}",
            "Nimbus Plusに課金してるのにファイルに全くアクセスできない{e}",
            "どこを開いてもエラー503。早く直して。{e}",
        ),
        "outage_question": (
            "{p}落ちてるの私だけ？{e}",
            "ファイルは無事ですか？{e}",
            "復旧の見込みはありますか？",
        ),
        "misinformation": (
            "データを売ってるから落ちてるって噂{e}",
            "今朝CEOが辞任したらしい{e}",
            "ハッキングされてパスワードが全部流出したって！{e}",
        ),
        "outage_support": ("Nimbusの中の人、がんばって{e}",),
        "outage_followup": (
            "まだ落ちてる。{e}",
            "{d}経ってもまだダメ。{e}",
        ),
    },
}
"""Opening texts by language, then by category."""

DETAILS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        "negative": (
            "I'm on a Pixel 8 with the latest update.",
            "Already tried logging out, reinstalling and restarting my phone.",
            "My partner has the same problem on an iPhone.",
            "This is the second time this month.",
            "I've been a paying customer since 2019, so this is really disappointing.",
            "The app just shows a spinner and then a grey screen.",
            "I have about 40,000 photos in there, so this matters a lot to me.",
            "Support chat said they'd get back to me but nobody did.",
        ),
        "other": (
            "I'm on a Pixel 8 with the latest update.",
            "I have about 40,000 photos in there.",
            "We use it for the whole family, four phones and a laptop.",
            "Been using it since 2019.",
        ),
    },
    "es": {
        "negative": (
            "Uso un iPhone 13 con la última versión.",
            "Ya probé a cerrar sesión, reinstalar y reiniciar el móvil.",
            "Es la segunda vez este mes.",
            "Soy cliente de pago desde 2019 y esto decepciona mucho.",
        ),
        "other": (
            "Uso un iPhone 13 con la última versión.",
            "Lo usamos toda la familia.",
            "Lo uso desde 2019.",
        ),
    },
    "de": {
        "negative": (
            "Ich habe ein Pixel 8 mit dem neuesten Update.",
            "Abmelden, neu installieren, Neustart: alles schon probiert.",
            "Das ist schon das zweite Mal diesen Monat.",
            "Ich zahle seit 2019 und bin echt enttäuscht.",
        ),
        "other": (
            "Ich habe ein Pixel 8 mit dem neuesten Update.",
            "Wir nutzen es als ganze Familie.",
            "Ich nutze es seit 2019.",
        ),
    },
    "fr": {
        "negative": (
            "J'ai un Pixel 8 à jour.",
            "J'ai déjà essayé de me déconnecter, réinstaller et redémarrer.",
            "C'est la deuxième fois ce mois-ci.",
            "Je suis client payant depuis 2019, c'est très décevant.",
        ),
        "other": (
            "J'ai un Pixel 8 à jour.",
            "On l'utilise en famille.",
            "Je l'utilise depuis 2019.",
        ),
    },
    "pt": {
        "negative": (
            "Uso um Galaxy S23 atualizado.",
            "Já tentei sair da conta, reinstalar e reiniciar o celular.",
            "É a segunda vez este mês.",
            "Sou assinante desde 2019, muito decepcionante.",
        ),
        "other": (
            "Uso um Galaxy S23 atualizado.",
            "A família toda usa.",
            "Uso desde 2019.",
        ),
    },
    "ja": {
        "negative": (
            "iPhone 15、最新バージョンです。",
            "ログアウトも再インストールも再起動も試しました。",
            "今月2回目です。",
            "2019年から課金しているのでとても残念です。",
        ),
        "other": (
            "iPhone 15、最新バージョンです。",
            "家族みんなで使っています。",
            "2019年から使っています。",
        ),
    },
}
"""Extra sentences that make a post long, by language, then by sentiment; spam gets none."""

EMAIL_GREETINGS: Final[dict[str, str]] = {
    "en": "Hi Nimbus team,",
    "es": "Hola, equipo de Nimbus:",
    "de": "Hallo Nimbus-Team,",
    "fr": "Bonjour l'équipe Nimbus,",
    "pt": "Olá, equipe Nimbus,",
    "ja": "Nimbusサポートご担当者様",
}

EMAIL_SIGNOFFS: Final[dict[str, str]] = {
    "en": "Thanks,",
    "es": "Gracias,",
    "de": "Viele Grüße",
    "fr": "Cordialement,",
    "pt": "Obrigado,",
    "ja": "よろしくお願いいたします。",
}

EMAIL_SUBJECTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "question": "Question about my account",
        "complaint": "Problem with my backup",
        "praise": "Thank you!",
        "feature_request": "Suggestion",
        "chatter": "Hello",
        "spam": "URGENT: business proposal",
        "outage": "Service down?",
        "misinformation": "Is it true?",
    },
    "es": {"question": "Consulta", "complaint": "Problema", "outage": "¿Servicio caído?"},
    "de": {"question": "Frage", "complaint": "Problem", "outage": "Dienst down?"},
    "fr": {"question": "Question", "complaint": "Problème", "outage": "Service en panne ?"},
    "pt": {"question": "Dúvida", "complaint": "Problema", "outage": "Serviço fora do ar?"},
    "ja": {"question": "お問い合わせ", "complaint": "不具合について", "outage": "障害について"},
}
"""Subjects of new emails; a language without a category's subject uses its question one."""

HOSTILE: Final[tuple[str, ...]] = (
    "[bold red]REFUND ME NOW[/bold red]",
    "[/]",
    "[link=https://phish.example/login]verify your account[/link]",
    "\x1b[31mALERT\x1b[0m your account is locked",
    "\x1b[2J\x1b[H",
    "\x1b]8;;https://phish.example\x1b\\support portal\x1b]8;;\x1b\\",
    "invoice\u202egpj.exe",
    "\u2067admin\u2069 says hi",
    "free\u200b\u200bcodes",
)
"""Text that must reach the screen inert: Rich markup, ANSI and OSC escapes, bidi controls."""

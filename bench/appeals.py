"""Our own corpus of in-article notices, and hard negatives, for training and judging the
block classifier (issue 11, item 2).

Templates in a small spin syntax: {a|b|c} picks one wording, [slot] a filler (outlet,
person, e-mail address, platform, amount, topic). Every template has an id
"<kind>/<lang>/<n>"; `Snippet.fold` puts whole templates into folds, so a test can hold out
templates (and the wordings only they use) that the model never saw: what we wrote, we
tuned on, and only held-out templates say whether the model learned the kind or our
phrasing (leave-one-template-out, bench/train_blocks.py --appeals).

Hard negatives are news sentences *about* donations, newsletters, sponsors, copyright,
comments and sharing: article text that the phrase "donate" alone would remove.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

FOLDS = 5

_FILL = {
    "en": {
        "outlet": [
            "The Lakeshore Tribune",
            "Northfield Post",
            "the Ledger",
            "Riverside Courier",
            "Bay City Herald",
            "The Westbrook Observer",
            "Pine Valley Dispatch",
            "this newsroom",
            "the Gazette",
            "Civic Monitor",
        ],
        "person": [
            "Maria Chen",
            "Tom Gallagher",
            "Priya Raman",
            "Daniel Okafor",
            "Sarah Lind",
            "James Whitfield",
            "Ana Duarte",
            "Kevin O'Brien",
        ],
        "role": [
            "a senior reporter",
            "a staff writer",
            "an investigative journalist",
            "a freelance writer",
            "the paper's energy correspondent",
            "a columnist",
            "a data reporter",
            "an editor",
        ],
        "beat": [
            "housing and city hall",
            "climate and energy",
            "courts and policing",
            "education",
            "health care",
            "local business",
            "transport",
        ],
        "topic": [
            "local news",
            "the climate",
            "your city",
            "politics",
            "the economy",
            "science",
            "public health",
        ],
        "amount": ["$5", "$10", "$3", "£5", "€4", "as little as $1"],
    },
    "de": {
        "outlet": [
            "der Tagespost",
            "dem Kurier",
            "unserer Redaktion",
            "dem Stadtanzeiger",
            "der Rundschau",
            "dem Abendblatt",
        ],
        "person": ["Anna Becker", "Jonas Weber", "Lena Hoffmann", "Markus Schulz", "Sabine Krüger"],
        "role": ["Redakteurin", "Reporter", "freier Journalist", "Korrespondentin", "Autorin"],
        "beat": ["Kommunalpolitik", "Klima und Energie", "Justiz", "Bildung", "Wirtschaft"],
        "topic": ["Lokalpolitik", "das Klima", "Ihre Stadt", "Wirtschaft", "Wissenschaft"],
        "amount": ["5 Euro", "3 Euro", "10 Euro", "einem kleinen Betrag"],
    },
    "fr": {
        "outlet": [
            "La Gazette",
            "Le Courrier",
            "notre rédaction",
            "L'Écho du Port",
            "Le Républicain",
            "La Dépêche du Val",
        ],
        "person": [
            "Claire Martin",
            "Julien Moreau",
            "Sophie Laurent",
            "Nicolas Petit",
            "Émilie Girard",
        ],
        "role": [
            "journaliste",
            "reporter",
            "correspondante",
            "rédacteur en chef adjoint",
            "chroniqueuse",
        ],
        "beat": ["la politique locale", "le climat", "la justice", "l'éducation", "l'économie"],
        "topic": ["l'actualité locale", "le climat", "votre ville", "la politique", "la science"],
        "amount": ["5 €", "3 €", "10 €", "1 € par mois"],
    },
    "es": {
        "outlet": [
            "El Diario",
            "La Crónica",
            "nuestra redacción",
            "El Heraldo del Sur",
            "La Voz del Puerto",
            "El Observador",
        ],
        "person": [
            "Lucía García",
            "Javier Fernández",
            "Marta López",
            "Diego Sánchez",
            "Carmen Ruiz",
        ],
        "role": ["periodista", "reportera", "corresponsal", "redactor", "columnista"],
        "beat": ["política local", "clima y energía", "tribunales", "educación", "economía"],
        "topic": ["la actualidad local", "el clima", "tu ciudad", "la política", "la ciencia"],
        "amount": ["5 euros", "3 euros", "10 euros", "1 euro al mes"],
    },
}
_PLATFORMS = [
    "Facebook",
    "X",
    "Twitter",
    "LinkedIn",
    "WhatsApp",
    "Telegram",
    "Bluesky",
    "Instagram",
    "Mastodon",
    "Threads",
]
_DOMAINS = [
    "tribune.example",
    "courier.example",
    "ledger.example",
    "diario.example",
    "gazette.example",
]

# kind -> lang -> templates
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "donation": {
        "en": [
            "{Before you go|One more thing|A note to our readers|Dear reader}: [outlet] is "
            "{reader-funded|independent and nonprofit|free to read because readers pay for it}"
            ". {If you value our reporting|If this story helped you|Journalism like this "
            "costs money}, {please consider a donation|support us with a gift of [amount]|"
            "become a member today|chip in [amount] a month}.",
            "{Support|Fund|Help sustain} independent journalism{ on [topic]|}: {donate|give}"
            " {today|now|[amount] or more}{.|!}",
            "{We rely on|This work depends on|Our newsroom runs on} {readers like you|the "
            "generosity of our readers|small monthly gifts}. {Can you help|Will you join "
            "them|Please help} {today|this month}?",
            "{Like what you read|Enjoyed this article|Found this useful}? {Buy us a coffee|"
            "Back us on Patreon|Send a tip via PayPal|Become a supporting member}.",
            "{Every contribution|Every gift}, {however small|big or small}, {keeps [outlet] "
            "free for everyone|helps us report on [topic]|makes this reporting possible}. "
            "{Give|Contribute|Donate} {now|in under a minute}.",
            "{Our reporting is free|There is no paywall here} {because|thanks to} {readers|"
            "members} who {pay for it|chip in}. {Join them|Become one of them} for [amount].",
            "{Stories like this|Investigations like this one|Reporting on [topic]} {take|"
            "takes} {months|time and money}{.|, and} {Readers|People like you} {fund|pay for}"
            " {it|them}{ - will you join them|. Give what you can|. Please pitch in}?",
            "{Thank you for reading|Thanks for reading to the end}. {If you can|If you are "
            "able}, {please|} {make a gift|give [amount]|support [outlet]} {today|this "
            "month|so we can keep going}.",
            "{Help keep [outlet] free|Keep local news alive|Keep this site running}{: |. }"
            "{a monthly gift|[amount] a month|a one-off contribution} {makes all the "
            "difference|goes a long way|funds our reporters}.",
            "{Can we count on you|Will you stand with us|Are you in}? {Click here|Tap "
            "here|Go to our support page} to {give|make a contribution|become a member}.",
            "{Our goal|This month's goal}: {500|1,000|2,500} new {members|supporters} by "
            "{Friday|the end of the month}. {Be one of them|Help us get there}.",
        ],
        "de": [
            "{Unabhängiger Journalismus kostet Geld|Gute Recherche braucht Zeit}. "
            "{Unterstützen Sie uns|Unterstützen Sie [outlet]} {mit [amount]|mit einer Spende|"
            "jetzt}{.|!}",
            "{Gefällt Ihnen dieser Artikel|Hat Ihnen der Text geholfen}? {Dann werden Sie "
            "Mitglied|Jetzt spenden|Helfen Sie uns mit [amount] im Monat}.",
            "{Wir finanzieren uns|Diese Seite finanziert sich} {über unsere Leserinnen und "
            "Leser|ohne Paywall}. {Jeder Beitrag zählt|Machen Sie mit}.",
            "{Können wir auf Sie zählen|Sind Sie dabei}? {Hier klicken|Jetzt} und "
            "{Mitglied werden|einen Beitrag leisten|unterstützen}.",
        ],
        "fr": [
            "{Soutenez-nous|Soutenez [outlet]}{ dès [amount]|} : {notre journalisme est "
            "indépendant|nous ne vivons que de nos lecteurs}.",
            "{Vous aimez nos articles|Cet article vous a plu} ? {Faites un don|Abonnez-vous "
            "pour [amount]|Devenez membre} {dès aujourd'hui|maintenant}.",
            "{Chaque contribution compte|Votre soutien est essentiel} : {aidez-nous|"
            "rejoignez nos donateurs} {à rester libres|à enquêter sur [topic]}.",
            "{Pouvons-nous compter sur vous|Êtes-vous des nôtres} ? {Cliquez "
            "ici|Rendez-vous sur notre page de soutien} pour {faire un don|devenir "
            "membre|nous soutenir}.",
        ],
        "es": [
            "{Apoya el periodismo independiente|Apoya a [outlet]}: {haz una donación|"
            "hazte socio por [amount]|contribuye hoy}.",
            "{¿Te ha gustado este artículo|¿Te ha sido útil esta información}? {Ayúdanos "
            "con [amount]|Hazte socio|Dona ahora}.",
            "{Este periodismo existe gracias a|Dependemos de} {nuestros lectores|tu apoyo}."
            " {Cada aportación cuenta|Colabora hoy}.",
            "{¿Podemos contar contigo|¿Te unes}? {Haz clic aquí|Entra en nuestra página} "
            "para {hacer una donación|hacerte socio|apoyarnos}.",
        ],
    },
    "newsletter": {
        "en": [
            "{Sign up for|Subscribe to|Get} {our|the} {morning|daily|weekly|free} "
            "{newsletter|briefing|digest}{: the stories you need| on [topic]|}, {delivered to "
            "your inbox|in your inbox every {weekday|morning|Friday}}.",
            "{Want more stories like this|Never miss a story|Stay informed}? {Join|Sign up "
            "for} {[amount] free|our} {newsletter|email updates}{.|!}",
            "{Get|Receive} {the best of [outlet]|our top stories|[topic] news} {in your "
            "inbox|by email} {every morning|each week}. {Subscribe now|Sign up here|It's "
            "free}.",
            "{Enter your email|Your email address} {to receive|and get} {our weekly "
            "roundup|breaking news alerts}.",
        ],
        "de": [
            "{Abonnieren Sie|Bestellen Sie} {unseren|den} {kostenlosen |}{Newsletter|"
            "Morgen-Newsletter} {und erhalten Sie|für} {die wichtigsten Nachrichten|alles zu "
            "[topic]} {jeden Morgen|täglich} {per E-Mail|in Ihr Postfach}.",
            "{Newsletter abonnieren|Jetzt anmelden}: {[topic] kompakt|das Wichtigste aus "
            "[outlet]} {jede Woche|jeden Tag}.",
        ],
        "fr": [
            "{Inscrivez-vous à notre newsletter|Abonnez-vous à notre lettre d'information}"
            "{ gratuite|} {pour recevoir|et recevez} {l'essentiel de l'actualité|nos "
            "articles sur [topic]} {chaque matin|chaque semaine}.",
            "{Recevez|Ne manquez plus} {nos informations|l'actualité de [outlet]} {par "
            "e-mail|dans votre boîte mail}{. Abonnez-vous|}.",
        ],
        "es": [
            "{Suscríbete a nuestro boletín|Recibe nuestro boletín}{ gratuito|} {y recibe|"
            "con} {las noticias más importantes|lo mejor de [outlet]} {cada mañana|cada "
            "semana} {en tu correo|en tu bandeja de entrada}.",
            "{Apúntate|Suscríbete} {a nuestra newsletter|gratis} {sobre [topic]|y no te "
            "pierdas nada}.",
        ],
    },
    "share": {
        "en": [
            "{Share this {article|story}|Found this useful? Share it} {with a friend|on "
            "[platform]|with someone who needs to read it}{.|!}",
            "{Follow|Like} [outlet] on [platform] {and [platform] |}{for more [topic] news|"
            "to stay up to date|for updates}.",
            "{If you found this article helpful|Know someone who would like this story}, "
            "{please share it|forward it} {on [platform]|by email|with your friends}.",
            "{Click the share buttons|Use the buttons below} to {share this page|spread the "
            "word} {on [platform]|}.",
        ],
        "de": [
            "{Teilen Sie diesen Artikel|Teilen Sie den Beitrag} {mit Freunden|auf [platform]}{.|!}",
            "{Folgen Sie uns|Folgen Sie [outlet]} auf [platform]{ und [platform]|} {für "
            "mehr Nachrichten|um nichts zu verpassen}.",
        ],
        "fr": [
            "{Partagez cet article|Partagez l'article} {avec vos amis|sur [platform]}{.|!}",
            "{Suivez-nous|Suivez [outlet]} sur [platform]{ et [platform]|} {pour ne rien "
            "manquer|pour plus d'actualités}.",
        ],
        "es": [
            "{Comparte este artículo|Comparte esta noticia} {con tus amigos|en [platform]}{.|!}",
            "{Síguenos|Sigue a [outlet]} en [platform]{ y [platform]|} {para no perderte "
            "nada|para más noticias}.",
        ],
    },
    "disclaimer": {
        "en": [
            "{Disclaimer|Editor's note|Note}: {the views expressed|the opinions in this "
            "article} {are those of the author|are the author's own} and {do not necessarily "
            "reflect|may not represent} {those of [outlet]|the views of this publication}.",
            "{This article is|This content is} {for informational purposes only|not "
            "financial advice} and {does not constitute|should not be taken as} {investment|"
            "legal|medical} advice.",
            "{Disclosure|Full disclosure}: {the author holds no positions|[person] owns "
            "shares} in {the companies mentioned|any stock named here}.",
            "[outlet] {is not responsible for|accepts no liability for} {the content of "
            "external sites|any errors in third-party data}.",
            "{Correction|Update|Clarification}: {An earlier version of this article|This "
            "story previously} {misstated|gave the wrong} {the date of the hearing|a "
            "figure for the budget}.",
            "{This story has been updated|This article was updated} {with new "
            "information|to include comment from [person]}{.| at 5pm.}",
        ],
        "de": [
            "{Haftungsausschluss|Hinweis}: {Der Beitrag gibt die Meinung des Autors wieder|"
            "Die geäußerten Ansichten sind die des Autors} und {spiegelt nicht zwingend die "
            "Meinung der Redaktion|nicht die von [outlet]}.",
            "{Transparenzhinweis|Offenlegung}: {[person] hält keine Aktien der genannten "
            "Unternehmen|Dieser Text ist keine Anlageberatung}.",
            "{Korrektur|Aktualisierung}: In einer früheren Version {dieses Artikels|dieses "
            "Textes} {hieß es fälschlich|stand ein falsches Datum}{.|, wir bitten um "
            "Entschuldigung.}",
        ],
        "fr": [
            "{Avertissement|Note de la rédaction} : {les opinions exprimées n'engagent que "
            "leur auteur|cet article ne constitue pas un conseil en investissement}.",
            "{Déclaration d'intérêts|Transparence} : [person] {ne détient aucune action|"
            "n'a aucun lien} {des entreprises citées|avec les sociétés mentionnées}.",
            "{Rectificatif|Mise à jour} : une version précédente de cet article "
            "{comportait une erreur|indiquait une date erronée}{.|, nous nous en excusons.}",
        ],
        "es": [
            "{Aviso legal|Nota de la redacción}: {las opiniones expresadas son "
            "responsabilidad exclusiva del autor|este artículo no constituye asesoramiento "
            "financiero} y no reflejan necesariamente {la línea de [outlet]|nuestra opinión}.",
            "{Declaración de intereses|Transparencia}: [person] {no posee acciones|no tiene "
            "relación} con {las empresas citadas|ninguna de las compañías mencionadas}.",
            "{Fe de errores|Actualización}: una versión anterior de este artículo "
            "{contenía un error|indicaba una fecha equivocada}{.|, pedimos disculpas.}",
        ],
    },
    "copyright": {
        "en": [
            "{©|Copyright|(c)} {2023|2024|2025} [outlet]. {All rights reserved.|Some rights "
            "reserved.|}",
            "{This material|This article|Content on this site} may not be {published, "
            "broadcast, rewritten or redistributed|reproduced without permission}{ without "
            "written consent|}.",
            "{You may republish this story|Republish this article} {for free|under a "
            "Creative Commons license}{, with credit to [outlet]|}.",
            "{Reprints and permissions|For licensing inquiries}: {contact|write to} [email].",
        ],
        "de": [
            "{©|Copyright} {2023|2024} [outlet]{. Alle Rechte vorbehalten|}.",
            "{Vervielfältigung nur mit Genehmigung|Nachdruck nur mit schriftlicher "
            "Genehmigung} {von [outlet]|der Redaktion}.",
        ],
        "fr": [
            "{©|Copyright} {2023|2024} [outlet]{. Tous droits réservés|}.",
            "{Toute reproduction interdite|Reproduction interdite sans autorisation} {sans "
            "l'accord de [outlet]|de la rédaction}.",
        ],
        "es": [
            "{©|Copyright} {2023|2024} [outlet]{. Todos los derechos reservados|}.",
            "{Prohibida su reproducción|Queda prohibida la reproducción} {total o parcial|"
            "sin autorización} {de este contenido|de [outlet]}.",
        ],
    },
    "contact": {
        "en": [
            "{Got a tip|Have a story idea|Know something we should investigate}? {Email|"
            "Contact|Write to} {[person] at [email]|us at [email]|the newsroom at [email]}.",
            "{Media inquiries|Press contact|For press inquiries}: [email]",
            "{Contact the reporter|Reach [person]} {at [email]|on [platform]|by phone at "
            "555-{0142|0199|0178}}.",
            "{We want to hear from you|Tell us your story}. {Send tips|Share documents} "
            "{securely|confidentially} {to [email]|via Signal}.",
        ],
        "de": [
            "{Haben Sie einen Hinweis|Haben Sie Informationen zu diesem Thema}? {Schreiben "
            "Sie|Mailen Sie} {an [email]|der Redaktion an [email]}.",
            "{Pressekontakt|Kontakt zur Redaktion}: [email]",
        ],
        "fr": [
            "{Vous avez une info|Vous avez des informations} ? {Écrivez-nous|Contactez la "
            "rédaction} {à [email]|en toute confidentialité}.",
            "{Contact presse|Contact} : [email]",
        ],
        "es": [
            "{¿Tienes una pista|¿Tienes información sobre este tema}? {Escríbenos|Contacta "
            "con la redacción} {a [email]|de forma confidencial}.",
            "{Contacto de prensa|Contacto}: [email]",
        ],
    },
    "related": {
        "en": [
            "{Read more|Related|Also read|See also|More on this story|Recommended}: "
            "{[topic] {plan|vote|report} {stalls|passes|delayed} {again|after review|amid "
            "protests}|How [outlet] covered the {election|storm|trial}}",
            "{Read more|Related coverage|Also on [outlet]} {»|→|-} {City council {approves|"
            "rejects} budget|Five things to know about [topic]|Opinion: why [topic] "
            "matters}",
            "{More from [person]|More [topic] stories|Most read this week}",
            "{Trending|Popular now|Editor's picks|You may also like|Don't miss}: {[topic]"
            " {explained|in five charts}|The week in [topic]|[person] on [topic]}",
            "{Watch|Listen|Video}: {[person] {explains|on} [topic]|Our podcast on [topic]}"
            " ({2|3|4}:{05|31|47})",
        ],
        "de": [
            "{Lesen Sie auch|Mehr zum Thema|Auch interessant}: {Stadtrat {beschließt|stoppt}"
            " Haushalt|Was Sie über [topic] wissen müssen}",
        ],
        "fr": [
            "{Lire aussi|À lire aussi|Voir aussi} : {le conseil municipal {adopte|rejette} "
            "le budget|Ce qu'il faut savoir sur [topic]}",
        ],
        "es": [
            "{Lee también|Te puede interesar|Más información}: {El pleno {aprueba|rechaza} "
            "el presupuesto|Claves para entender [topic]}",
        ],
    },
    "author_bio": {
        "en": [
            "[person] is {[role]|[role] at [outlet]} {covering|who covers|writing about} "
            "[beat]{. {Follow her|Follow him|Reach them} on [platform].|.}",
            "[person] {covers|writes about|reports on} [beat] for [outlet]. {Before that|"
            "Previously}, {she|he|they} {worked at|reported for} {the Associated Press|a "
            "regional daily}.",
            "{About the author|The author}: [person] is {[role]|a former teacher and "
            "[role]} based in {Chicago|Leeds|Toronto|Dublin}.",
            "[person] {joined|has been with} [outlet] in {2015|2019|2021}{ and|, where "
            "{she|he|they}} {covers|writes about|leads coverage of} [beat]{. {Her|His|Their} "
            "work has won {two|several} regional awards|}.",
            "[person] is {the author of|working on} {a book about [topic]|two books on "
            "[beat]}{ and teaches journalism at a local college|}.",
            "{Before joining [outlet]|Before [outlet]}, [person] {spent {five|ten} "
            "years|worked} {as a [role]|covering [beat]} {in Denver|in Glasgow|at a wire "
            "service}.",
            "[person] {lives|is based} in {Portland|Bristol|Ottawa} {with {her|his|their} "
            "{family|two dogs}|}{ and can be reached at [email]|}.",
            "{Written by|By} [person], [role]{ | - }{[outlet]|covering [beat]}",
        ],
        "de": [
            "[person] ist [role]{ bei [outlet]|} und {schreibt über|berichtet über} [beat].",
            "[person] {arbeitet seit|ist seit} {2015|2019} {bei [outlet]|als [role]}"
            "{ und leitet das Ressort [beat]|}.",
            "{Zur Autorin|Zum Autor}: [person] {arbeitet als|ist} [role] {in Berlin|in "
            "Hamburg|bei [outlet]}.",
            "[person] {lebt|wohnt} in {Leipzig|Köln|München} und {schreibt|berichtet} "
            "{seit Jahren|regelmäßig} für [outlet] über [beat].",
            "{Über die Autorin|Über den Autor}: [person]{, Jahrgang 1984,|} "
            "{studierte|hat} {Politik|Geschichte} {und arbeitet heute als [role]|studiert}.",
        ],
        "fr": [
            "[person] est [role]{ à [outlet]|}{, spécialiste de| et couvre} [beat].",
            "{L'auteur|À propos de l'auteur} : [person] est [role] {basée à Lyon|à [outlet]}.",
            "[person] {vit|habite} à {Nantes|Lille|Bordeaux} et {écrit|travaille} {pour "
            "[outlet]|comme [role]} depuis {2016|2020}.",
            "{Journaliste|Ancienne enseignante}, [person] {collabore|travaille} {avec "
            "[outlet]|pour [outlet]} {depuis plusieurs années|depuis 2018}{ et s'intéresse "
            "à [beat]|}.",
        ],
        "es": [
            "[person] es [role]{ de [outlet]|} {especializada en|y cubre} [beat].",
            "{Sobre el autor|La autora}: [person] es [role] {en Madrid|en [outlet]}.",
            "[person] {vive|reside} en {Sevilla|Valencia|Bilbao} y {escribe|colabora} "
            "{en|con} [outlet] desde {2017|2021}.",
            "{Periodista|Licenciada en Historia}, [person] {trabaja|colabora} {en "
            "[outlet]|con [outlet]} {desde hace años|desde 2019}{ y cubre [beat]|}.",
        ],
    },
    "republication": {
        "en": [
            "{This article|This story|A version of this story} was {originally|first} "
            "{published|posted} {by|in|on} [outlet]{ and is republished with permission|"
            " and is republished under a Creative Commons license|}.",
            "{This story was produced|This article was published} in partnership with "
            "[outlet]{, a nonprofit newsroom| and [outlet]|}.",
            "{Republished from|Originally appeared in} [outlet]{ with permission|}.",
        ],
        "de": [
            "{Dieser Beitrag|Dieser Artikel} {ist zuerst erschienen|erschien zuerst} {bei|"
            "in} [outlet].",
        ],
        "fr": [
            "{Cet article a été publié initialement|Cet article est paru initialement} "
            "{dans|sur} [outlet].",
        ],
        "es": [
            "{Este artículo fue publicado originalmente|Publicado originalmente} en [outlet]"
            "{ y se reproduce con permiso|}.",
        ],
    },
    "comment_prompt": {
        "en": [
            "{What do you think|Do you agree|How does this affect you}? {Leave a comment "
            "below|Let us know in the comments|Share your thoughts in the comments}.",
            "{Join the conversation|Join the discussion}{: comments are moderated| below|}.",
            "{Comments are closed|Commenting is disabled} {for this article|on this story}"
            "{.|, but you can write to [email].}",
            "{Comments on this {story|article}|Reader comments} {are reviewed|are "
            "moderated|may be edited} {before they appear|by our staff}{. Please be civil.|"
            ".}",
            "{Have your say|Tell us what you think|We'd love to hear from you}{:| -} "
            "{{post|add} a comment|{write|send} a letter to the editor at [email]|"
            "{reply|respond} below}{.|!}",
            "{Please keep comments|Keep the discussion} {civil|respectful|on topic}{; "
            "comments that break our rules will be removed| and read our community "
            "guidelines|}. {Sign in|Log in|Register} to {comment|join in}.",
            "{[amount] comments|12 comments|View comments|Show comments} {»|→|}",
            "{Comments|Discussion} {({3|14|27})|}{ | - }{Sort by newest|Be the first to "
            "comment|Start the conversation}",
            "{Want to comment|To join the discussion}? {You need an account|Subscribers "
            "can comment}{: {sign in|register} {here|for free}|}.",
        ],
        "de": [
            "{Was meinen Sie|Wie sehen Sie das}? {Diskutieren Sie mit|Kommentieren Sie} "
            "{unten|hier}.",
            "{Die Kommentarfunktion|Das Forum} {ist für diesen Artikel geschlossen|wird "
            "moderiert}{. Bitte bleiben Sie sachlich|}.",
            "{Kommentare|Leserkommentare} {({3|14|27})|}{ | - }{Jetzt kommentieren|Seien "
            "Sie der Erste, der kommentiert|Diskussion anzeigen}",
            "{Um zu kommentieren|Zum Kommentieren}, {melden Sie sich an|brauchen Sie ein "
            "Konto}{. Die Registrierung ist kostenlos|}.",
        ],
        "fr": [
            "{Qu'en pensez-vous|Et vous} ? {Laissez un commentaire|Donnez votre avis} "
            "{ci-dessous|en commentaire}.",
            "{Commentaires|Réactions} {({3|14|27})|}{ | - }{Réagir|Soyez le premier à "
            "réagir|Voir les commentaires}",
            "{Pour commenter|Pour réagir}, {connectez-vous|créez un compte}{. "
            "L'inscription est gratuite|}.",
        ],
        "es": [
            "{¿Qué opinas|¿Qué te parece}? {Déjanos tu comentario|Deja un comentario} "
            "{abajo|al final de la página}.",
            "{Comentarios|Opiniones} {({3|14|27})|}{ | - }{Comenta|Sé el primero en "
            "comentar|Ver comentarios}",
            "{Para comentar|Para participar}, {inicia sesión|regístrate}{. Es gratis|}.",
        ],
    },
    "sponsor": {
        "en": [
            "{This content is sponsored by|Sponsored by|Paid for by|Presented by} [outlet]"
            "{Partners|'s commercial team|}. {The newsroom was not involved in its creation.|"
            "}",
            "{Advertisement|Sponsored content|Paid post|Partner content}",
            "{This article contains affiliate links|We may earn a commission from links "
            "on this page}{; this does not affect our coverage|}.",
            "{Coverage of [topic]|This series} is {supported by|made possible by a grant "
            "from} {the Harbor Foundation|a local credit union}{, which has no editorial "
            "control|}.",
            "{This article was written|This page was produced} {in partnership with|on "
            "behalf of} {our advertiser|a sponsor|[outlet] Brand Studio}{ and does not "
            "reflect the views of the newsroom|}.",
            "{When you buy through links on our site|If you buy something through our "
            "links}, {we may earn|[outlet] may receive} {a commission|an affiliate fee}"
            "{ at no cost to you|}.",
            "{This story is brought to you by|Today's newsletter is supported by|A word "
            "from our sponsor:} {the Harbor Foundation|a local credit union|[outlet] "
            "Partners}{. Learn more at harbor.example|}.",
            "{Promoted|Sponsored|Partner} {stories|links|offers} {by|from} "
            "{Taboola|Outbrain|our partners}",
            "{We independently review everything we recommend|Our editors pick these "
            "products independently}. {We may get paid|We earn a commission} {if you "
            "buy|when you shop} {from links on this page|through our links}.",
        ],
        "de": [
            "{Anzeige|Werbung|Gesponserter Inhalt}",
            "{Dieser Beitrag enthält Affiliate-Links|Dieser Inhalt wurde gesponsert von "
            "[outlet]}{. Für Käufe erhalten wir eine Provision|}.",
            "{Wenn Sie über diese Links einkaufen|Bei einem Kauf über unsere Links}, "
            "{erhalten wir|bekommt [outlet]} {eine Provision|eine kleine Vergütung}{. Am "
            "Preis ändert sich nichts|}.",
            "{Dieser Artikel entstand|Diese Serie entsteht} {mit Unterstützung|mit "
            "freundlicher Unterstützung} {der Stadtwerke|einer Stiftung}{, die keinen "
            "Einfluss auf den Inhalt hat|}.",
            "{Präsentiert von|In Kooperation mit|Mit freundlicher Unterstützung von} [outlet]",
        ],
        "fr": [
            "{Publicité|Contenu sponsorisé|Contenu partenaire}",
            "{Cet article contient des liens affiliés|Ce contenu est proposé par "
            "[outlet]}{ ; la rédaction n'a pas participé à sa réalisation|}.",
            "{Si vous achetez via nos liens|En cas d'achat via ces liens}, [outlet] "
            "{peut percevoir|perçoit} une commission{, sans surcoût pour vous|}.",
            "{Cet article a été réalisé|Cette série est réalisée} {avec le soutien|grâce "
            "au soutien} {d'une fondation|de la région}{, qui n'a exercé aucun contrôle "
            "éditorial|}.",
            "{Présenté par|En partenariat avec|Avec le soutien de} [outlet]",
        ],
        "es": [
            "{Publicidad|Contenido patrocinado|Contenido de marca}",
            "{Este artículo contiene enlaces de afiliados|Contenido ofrecido por "
            "[outlet]}{; la redacción no ha participado en su elaboración|}.",
            "{Si compras a través de nuestros enlaces|Al comprar desde estos enlaces}, "
            "[outlet] {puede recibir|recibe} una comisión{, sin coste para ti|}.",
            "{Este reportaje se ha realizado|Esta serie se publica} {con el apoyo|gracias "
            "al apoyo} {de una fundación|del ayuntamiento}{, que no ha intervenido en su "
            "contenido|}.",
            "{Presentado por|En colaboración con|Con el patrocinio de} [outlet]",
        ],
    },
}

# News sentences about the same things: article text, never boilerplate.
HARD_NEGATIVES: dict[str, list[str]] = {
    "en": [
        "{The charity|The food bank|The hospital foundation} said {donations|private gifts} "
        "{fell|rose} by {12|30|8} percent last year, {forcing it to cut|allowing it to "
        "expand} {services|staff} in [topic].",
        "[person], {a spokesperson for|who runs} the {campaign|fund}, said the {donation "
        "drive|appeal} had raised {$2 million|£40,000|€300,000} {since March|in two weeks}.",
        "The {newsletter|email bulletin} {launched by|that} the city council {in 2021|last "
        "spring} {now reaches|has grown to} {40,000|12,000} {subscribers|residents}, "
        "officials said.",
        "{Critics|Researchers} {say|argue} that {sponsored content|paid posts} on "
        "{social media|news sites} {blur the line|make it harder to tell} between "
        "{advertising and reporting|ads and news}.",
        "The court {ruled|found} that {copying the photos|republishing the articles} "
        "{without permission|in full} {violated|did not violate} copyright {law|rules}, "
        "{a decision|a ruling} [outlet] {welcomed|criticised}.",
        "{Readers|Residents} {left|posted} {hundreds of|more than 300} comments {under the "
        "mayor's post|on the council's website}, {many of them angry|most supporting the "
        "plan}.",
        "{The study|The survey} found that {people|users} {share|forward} {news articles|"
        "stories} on [platform] {without reading them|mostly at night}.",
        "{Subscribers|Members} of the {streaming service|gym chain} {will pay|face} "
        "{$3|€2} more a month {from January|after the merger}.",
        "The {senator|minister} {disclosed|did not disclose} {shares|stock} in {two|three} "
        "{energy|defence} companies, {according to|the filings show} {the filings|records}.",
        "{Volunteers|Organisers} asked residents to {donate blankets|bring food} to "
        "{the town hall|the school gym} {before Friday|this weekend}.",
        "{Many thanks|Thanks}, [person] {told the crowd|said at the end of the "
        "meeting}, {were due to|went to} the volunteers who {had kept the shelter "
        "open|ran the kitchen}.",
        "{The author|The novelist} [person], {who lives in Leeds|a former teacher}, "
        "{read from her new book|spoke about [topic]} at the library on "
        "{Thursday|Saturday}.",
        "{Readers|Several readers} {wrote in|commented online} to {complain|ask} about "
        "the {new bus timetable|closure of the bridge}, {the paper|the council} said.",
    ],
    "de": [
        "{Der Verein|Die Stiftung} {meldete|verzeichnete} {ein Spendenplus|weniger "
        "Spenden} von {zwölf|acht} Prozent, {sagte|teilte} [person] {mit|am Montag}.",
        "{Das Gericht|Der Bundesgerichtshof} entschied, dass {die Fotos|die Texte} {ohne "
        "Genehmigung|vollständig} nicht {veröffentlicht|kopiert} werden durften.",
        "{Der Newsletter der Stadt|Das Rathaus-Bulletin} {erreicht inzwischen|hat} "
        "{40.000|12.000} {Abonnenten|Leser}.",
        "{Die Kommentare|Hunderte Kommentare} unter dem {Beitrag|Video} {waren|blieben} "
        "{überwiegend kritisch|sachlich}, {so|sagte} [person].",
        "{Im vergangenen Jahr|Seit Januar} {haben|sind} {mehr als|rund} {2000|400} "
        "{Menschen|Familien} {in die Stadt gezogen|auf die Hilfe angewiesen}, {wie|so} die "
        "{Verwaltung|Stadt} {mitteilte|berichtet}.",
        "{Die Bauarbeiten|Die Sanierung} {an der Brücke|am Bahnhof} {sollen|werden} "
        "{bis Ende des Jahres|im Frühjahr} {abgeschlossen sein|beginnen}; {die Kosten|der "
        "Etat} {liegen|liegt} bei {3,5|12} Millionen Euro.",
        "[person] {erinnert sich noch genau|weiß noch}, wie {alles begann|es damals war}: "
        "{Mit zwölf|Als Kind} {stand sie|stand er} zum ersten Mal {auf dem Platz|im "
        "Wasser}.",
        "{Für die Opposition|Für die Grünen|Für die Gewerkschaft} ist {der Plan|das Gesetz}"
        " {ein Fehler|zu wenig}: {Er|Es} {gehe an den Bedürfnissen vorbei|komme zu spät}, "
        "{sagte|kritisierte} [person].",
        "{Wer|Wer im Sommer} {die Region|den Ort} {besucht|besucht hat}, {sieht|erlebt} "
        "{Weinberge, Burgen und kleine Dörfer|volle Cafés und leere Parkplätze}.",
        "{Vielen Dank|Ein großes Dankeschön} {richtete|sprach} [person] {an die "
        "Helfer|an die Feuerwehr} aus, die {tagelang|bis in die Nacht} {im Einsatz "
        "waren|geholfen hatten}.",
        "{Im Interview|Im Gespräch} {erzählt|berichtet} [person], wie {der Verein|die "
        "Initiative} {entstanden ist|über die Jahre gewachsen ist}.",
        "{Wer mitmachen möchte|Interessierte}, {kann sich|können sich} {bis "
        "Freitag|bis Ende des Monats} beim {Bürgerbüro|Verein} {anmelden|melden}, "
        "{sagte|erklärte} [person].",
    ],
    "fr": [
        "{L'association|La fondation} a {reçu|collecté} {2 millions d'euros|40 000 euros} "
        "de dons {depuis mars|en deux semaines}, selon [person].",
        "{Le tribunal|La cour} a jugé que {la reproduction des photos|la republication des "
        "articles} {sans autorisation|intégrale} violait le droit d'auteur.",
        "{La lettre d'information|La newsletter} de la mairie compte {40 000|12 000} "
        "abonnés, {a précisé|selon} [person].",
        "{Des centaines de|Plus de 300} commentaires ont été publiés sous {la vidéo|le "
        "message} du maire.",
        "{Depuis janvier|L'an dernier}, {plus de|près de} {2000|400} {habitants|familles} "
        "{ont quitté la commune|ont demandé de l'aide}, {selon|d'après} {la mairie|la "
        "préfecture}.",
        "{Les travaux|La rénovation} {du pont|de la gare} {devraient|doivent} {s'achever|"
        "commencer} {à la fin de l'année|au printemps}, pour un coût de {3,5|12} millions "
        "d'euros.",
        "[person] se souvient {très bien|encore} de {ses débuts|cette époque} : {à douze "
        "ans|enfant}, {elle|il} {jouait déjà|nageait déjà} {au club|dans le lac}.",
        "{Pour l'opposition|Pour les syndicats}, {le projet|la réforme} {arrive trop tard|"
        "ne va pas assez loin}, {a estimé|a déclaré} [person] {mardi|lors d'un point "
        "presse}.",
        "{Un grand merci|Merci} {a été adressé|fut adressé} aux bénévoles qui {ont "
        "tenu le refuge|ont servi les repas} {tout l'hiver|pendant la crue}, a "
        "{dit|déclaré} [person].",
        "{Les lecteurs|Plusieurs habitants} ont {réagi|écrit} {au sujet|à propos} {du "
        "nouvel horaire des bus|de la fermeture du pont}, selon {la mairie|le journal}.",
    ],
    "es": [
        "{La fundación|La ONG} {recaudó|recibió} {2 millones de euros|40.000 euros} en "
        "donaciones {desde marzo|en dos semanas}, según [person].",
        "{El tribunal|El juzgado} determinó que {reproducir las fotos|republicar los "
        "artículos} {sin permiso|íntegramente} vulneraba los derechos de autor.",
        "{El boletín municipal|La newsletter del ayuntamiento} {llega ya a|tiene} "
        "{40.000|12.000} suscriptores, {dijo|explicó} [person].",
        "{Cientos de|Más de 300} comentarios {criticaron|apoyaron} la medida en {la web "
        "del ayuntamiento|las redes sociales}.",
        "{Desde enero|El año pasado}, {más de|cerca de} {2000|400} {vecinos|familias} "
        "{se han mudado al municipio|han pedido ayuda}, según {el ayuntamiento|la "
        "consejería}.",
        "{Las obras|La reforma} {del puente|de la estación} {terminarán|comenzarán} {a "
        "finales de año|en primavera} y costarán {3,5|12} millones de euros.",
        "[person] recuerda {bien|todavía} {sus comienzos|aquella época}: {con doce años|de "
        "niña} ya {jugaba en el club|nadaba en el embalse}.",
        "{Para la oposición|Para los sindicatos}, {el plan|la reforma} {llega tarde|se "
        "queda corta}, {afirmó|explicó} [person] {el martes|en rueda de prensa}.",
        "{Muchas gracias|Gracias}, {dijo|afirmó} [person], a los voluntarios que "
        "{mantuvieron abierto el albergue|sirvieron las comidas} {durante el "
        "invierno|durante la riada}.",
        "{Varios lectores|Muchos vecinos} {escribieron|comentaron} {sobre|acerca de} "
        "{el nuevo horario de autobuses|el cierre del puente}, según {el "
        "ayuntamiento|el diario}.",
    ],
}

_SPIN = re.compile(r"\{([^{}]*)\}")
_SLOT = re.compile(r"\[(\w+)\]")


@dataclass(frozen=True)
class Snippet:
    text: str
    kind: str  # a boilerplate kind, or "negative"
    template: str  # "<kind>/<lang>/<n>"
    lang: str
    fold: int  # the leave-templates-out fold: whole templates in one fold


def _fill(template: str, lang: str, rng: random.Random) -> str:
    text = template
    while "{" in text:  # innermost first: "{a {b|c}|d}"
        text = _SPIN.sub(lambda m: rng.choice(m.group(1).split("|")), text)

    def slot(match: re.Match) -> str:
        name = match.group(1)
        if name == "platform":
            return rng.choice(_PLATFORMS)
        if name == "email":
            return (
                f"{rng.choice(['tips', 'news', 'press', 'editor', 'redaktion'])}@"
                f"{rng.choice(_DOMAINS)}"
            )
        return rng.choice(_FILL[lang][name])

    text = _SLOT.sub(slot, text)
    return " ".join(text.split()).replace(" .", ".").replace(" ,", ",")


def _variants(template: str, lang: str, n: int, seed: str) -> list[str]:
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    for _ in range(n * 4):
        seen.setdefault(_fill(template, lang, rng))
        if len(seen) >= n:
            break
    return list(seen)


def generate(per_template: int = 40) -> list[Snippet]:
    """Every template's variants (deterministic: seeded by the template id), appeals and
    hard negatives."""
    out: list[Snippet] = []
    # The k-th template of a kind (all languages, in order) goes to fold k mod FOLDS: a
    # stable assignment where every fold holds out some templates of every kind.
    for kind, by_lang in sorted({**TEMPLATES, "negative": HARD_NEGATIVES}.items()):
        k = 0
        for lang in sorted(by_lang):
            for n, template in enumerate(by_lang[lang]):
                tid = f"{kind}/{lang}/{n}"
                out += [
                    Snippet(t, kind, tid, lang, k % FOLDS)
                    for t in _variants(template, lang, per_template, tid)
                ]
                k += 1
    return out

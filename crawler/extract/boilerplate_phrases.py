"""The phrases of the generic boilerplate rules (`crawler.extract.boilerplate`), by kind:
what the text of a donation appeal, a newsletter box, a share prompt, a disclaimer...
typically says. Data only; how they are matched, and when a match counts, is
boilerplate.py's.
"""

# Phrases by kind, in the order kinds are tried. English first; German, French and
# Spanish for the common kinds.
KIND_PATTERNS: dict[str, list[str]] = {
    "donation": [
        r"\bdonat(e|ing|ion)s?\b",
        r"\bsupport us\b",
        r"\bsupport our (work|journalism|"
        r"reporting|project|mission|newsroom|content)\b",
        r"\bsupport the project\b",
        r"\bsupport independent (journalism|media)\b",
        r"\bchip in\b",
        r"\bbecome an? (paid )?(patron|member|supporter|sustaining member)\b",
        r"\bmake an? (one-time |monthly )?(contribution|gift)\b",
        r"\bpatreon\b",
        r"\bpaypal\b",
        r"\bbuy us a coffee\b",
        r"\bbuy me a coffee\b",
        r"\bko-fi\b",
        r"/donate\b",
        r"\bunterstützen sie (uns|unsere)\b",
        r"\bjetzt spenden\b",
        r"\bspende[nr]?\b",
        r"\bsoutenez[- ]nous\b",
        r"\bfaire un don\b",
        r"\bfaites un don\b",
        r"\bapoya (nuestro|a)\b",
        r"\bhaz una donación\b",
        r"\bdona ahora\b",
        r"\bhazte socio\b",
        r"\breaders to support\b",
        r"\bsupport\b.{0,60}\bin (its|their|our) (endeavou?rs|work|efforts|mission)\b",
    ],
    "newsletter": [
        r"\bnewsletters?\b.{0,80}\b(sign up|subscribe|inbox|deliver)",
        r"\b(sign up|subscribe)\b.{0,80}\bnewsletters?\b",
        r"\bin your inbox\b",
        r"\bdelivered (straight |directly )?to your inbox\b",
        r"\bnewsletter abonnieren\b",
        r"\babonnieren sie\b",
        r"\babonnez-vous\b",
        r"\binscrivez-vous à (notre|la) newsletter\b",
        r"\bsuscríbete\b",
        r"\bbolet[ií]n\b.{0,60}\b(suscr|recib)",
    ],
    "share": [
        r"\bshare (this|the) (article|story|post|page)\b",
        r"\bclick the share buttons?\b",
        r"\bshare (it|this) with (a friend|friends|your friends|others|someone|them)\b",
        r"\bforward this (article|story|email)\b",
        r"\bcrosspost\b",
        r"\bfollow (?!(him|her|them)\b)(\S+ ){0,4}on (x|twitter|facebook|instagram|linkedin|"
        r"telegram|tiktok|youtube|threads|bluesky|mastodon|whatsapp)\b",
        r"\bshare (it )?on (facebook|twitter|x|linkedin|whatsapp)\b",
        r"\bteilen sie (diesen|den) (artikel|beitrag)\b",
        r"\bfolgen sie uns\b",
        r"\bpartagez (cet|cet article|l'article)\b",
        r"\bsuivez-nous\b",
        r"\bcomparte (este|esta) (artículo|nota|noticia)\b",
        r"\bsíguenos\b",
    ],
    "disclaimer": [
        r"^disclaimer\b",
        r"^disclosures?\s*:",
        r"\b(views|opinions)( and (views|opinions))? "
        r"expressed\b.{0,100}\b(author|own|necessarily|solely)\b",
        r"\bnot necessarily (reflect|represent) the (views|opinions?|position)\b",
        r"\bsole responsibility of the author",
        r"\bdoes not constitute (\w+ ){0,4}advice\b",
        r"\binformational purposes only\b",
        r"\bthe authors? (holds?|has|have|had) no (positions?|financial (interests?|ties))\b",
        r"\bi (hold|have) no (positions?|financial (interests?|ties))\b",
        r"\bwill not be (held )?responsible for any\b",
        r"^haftungsausschluss\b",
        r"^(offenlegung|transparenzhinweis|interessenkonflikt|interessenkonflikte)\s*:",
        r"\bgibt die meinung de[rs] autor",
        r"\bn'engage(nt)? que (leur|son|ses) auteur",
        r"^(déclaration d'intérêts|avertissement)\s*:",
        r"\bno se hace responsable\b",
        r"\bno refleja(n)? necesariamente\b",
        r"^(aviso legal|descargo de responsabilidad|declaración de intereses)\s*:",
        r"\bspiegel(t|n) nicht (zwingend |unbedingt |notwendigerweise )?die meinung\b",
    ],
    "copyright": [
        r"©\s*(copyright\s*)?((19|20)\d\d|(?-i:[A-Z]))",
        r"^©",
        r"\(c\) (19|20)\d\d\b",
        r"\bcopyright (©\s*)?(19|20)\d\d\b",
        r"\ball rights reserved\b",
        r"\balle rechte vorbehalten\b",
        r"\btous droits réservés\b",
        r"\btodos los derechos reservados\b",
        r"\bcontains copyrighted material\b",
        r"\bprovisions of \W?fair use\b",
        r"\bgrants permission to cross-post\b",
        r"\bmay not be (reproduced|republished|redistributed)\b",
        r"\brepublish (this|our) (story|article|piece|content|work)\b",
        # Creative Commons notes on the page's own content, not reports of someone's licence
        r"\bthis (article|story|post|work|site|website|page|content|material)\b.{0,60}\b"
        r"(is|are) (licensed|licenced|available|published) under (a|the) creative commons\b",
        r"\b(dieser artikel|dieser beitrag|dieser text|dieses werk|alle inhalte)\b.{0,60}"
        r"\b(steht|stehen|ist|sind) unter (einer|der) creative[- ]commons",
        r"\b(cet article|ce contenu|ce texte|cette œuvre)\b.{0,60}\bsous licence creative "
        r"commons\b",
        r"\b(este artículo|este contenido|este texto|esta obra)\b.{0,60}\bbajo (una )?"
        r"licencia creative commons\b",
    ],
    "contact": [
        r"\bfor media inquiries\b",
        r"\bmedia (contact|inquiries)\s*:",
        r"\bpress (contact|"
        r"inquiries)\s*:",
        r"\bpressekontakt\b",
        r"\bcontact presse\b",
        r"\bcontacto de prensa\b",
        r"\bgot a (news )?(tip|story)\b",
        r"\bhave a (news )?(tip|story)\b",
        r"\bsend (us )?(your )?tips\b",
        r"\bto hear from you\b",
        r"\bcontact (the |our )?(reporter|author|writer|newsroom|newsdesk|news desk)s?\b",
        r"\bhinweise an die redaktion\b",
        r"\bhaben sie (einen hinweis|informationen)\b",
        r"\bvous avez (une info|des informations)\b",
        r"\bcontactez (la rédaction|"
        r"l'auteur)\b",
        r"\btienes (una pista|información)\b",
        r"\bcontacta con la redacción\b",
    ],
    "related": [
        r"^(read more|related|related articles?|also read|see also|more on this( story)?|"
        r"recommended|lesen sie auch|mehr zum thema|auch interessant|à lire aussi|lire aussi|"
        r"voir aussi|lee también|te puede interesar|más información)\s*[:\-–—]",
    ],
    "author_bio": [
        r"^(?-i:[A-Z][\w.'’-]+( [A-Z][\w.'’-]+){1,3}) (is|was|has been) (an? |the )?(\w+ ){0,4}("
        r"reporter|correspondent|writer|editor|journalist|columnist|contributor|freelancer|"
        r"professor|lecturer|researcher|scientist|fellow|president|director|founder|"
        r"chair(man|woman)?|analyst|economist|consultant|author|novelist)s?\b",
        r"^(?-i:[A-Z][\w.'’-]+( [A-Z][\w.'’-]+){1,3}) (covers|writes about|reports on)\b",
        r"\bfollow (him|her|them) on\b",
        r"\b(receives|has received) funding from\b",
    ],
    "republication": [
        r"\b(article|story|post|column|piece|essay|interview|report|op-ed) (was |is )?"
        r"(originally|first) (published|appeared|ran|posted)\b",
        r"^(originally|first) (published|appeared|posted) (by|in|on|at)\b",
        r"\brepublished (here )?(with permission|under)\b",
        r"\brepublished from\b",
        r"\bthis article was (produced|published) (in partnership|by|with)\b",
        r"\bthis story was (produced|published) (in partnership|by|with)\b",
        r"\bzuerst erschienen (bei|in|auf)\b",
        r"\b(publié|paru) initialement\b",
        r"\bpublicado originalmente\b",
    ],
    "comment_prompt": [
        r"\bleave a (comment|reply)\b",
        r"\blet us know in the comments\b",
        r"\bjoin the (conversation|discussion)\b",
        r"^what do you think\b",
        r"\bcomments? (are|is) (closed|moderated)\b",
        r"\bkommentieren sie\b",
        r"\bshare your (thoughts|views|opinions?)\b",
        r"\btell us your (thoughts|views)\b",
        r"\bin the comments( section)? below\b",
        r"^do you agree\?",
        r"^(was meinen sie|wie sehen sie das)\b",
        r"\bdiskutieren sie mit\b",
        r"^qu'en pensez-vous\b",
        r"\blaissez un commentaire\b",
        r"\bdonnez votre avis\b",
        r"\bdeja (un|tu) comentario\b",
        r"\bdéjanos (un|tu|su) comentario\b",
        r"^¿qué (opinas|piensas|te parece)\b",
    ],
    "ad_label": [
        r"^(advertisement|advertising|sponsored( content| post)?|paid (post|content)|anzeige|"
        r"werbung|publicité|publicidad|ad)\W*$",
    ],
}

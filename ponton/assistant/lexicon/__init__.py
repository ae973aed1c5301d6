"""Word lists and patterns behind the assistant's signal detectors.

Data, not logic: `ponton.assistant.signals` normalises a message into folded
tokens (no accents, lower case, SMS spelling expanded, typos of long
keywords corrected) joined by single spaces, with clause boundaries kept as
the tokens "." "," and "?". Every pattern below is a regular expression over
that string, written with two conveniences:

- `<NAME>` stands for the alternation `MACROS[NAME]`;
- ` ~N ` is a gap of at most N words inside the same clause.

A pattern has a weight (how sure one match makes us, 0..1). Weights of the
matches for one signal combine as a noisy-OR, so two weak cues make a
strong one. `negatable` patterns are dropped when a negation cue stands just
before them in the same clause ("pas besoin d'un conseiller").

French and English patterns live side by side: customers mix both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz.distance import OSA, Indel


@dataclass(frozen=True)
class Pattern:
    kind: str
    weight: float
    source: str
    negatable: bool = False
    # Weakened in an information question where nothing happened to the
    # customer ("how do I spot phishing?").
    informational: bool = False


# Spelling a customer types -> the words the patterns expect. Applied per
# token, after accent folding, on top of `ponton.knowledge.text.ABBREVIATIONS`.
SMS: dict[str, str] = {
    # French
    "jveux": "je veux",
    "jveu": "je veux",
    "jvx": "je veux",
    "veu": "veux",
    "vx": "veux",
    "jvoudrais": "je voudrais",
    "jvoudrai": "je voudrais",
    "jvoudrait": "je voudrais",
    "voudrai": "voudrais",
    "voudrait": "voudrais",
    "jpeux": "je peux",
    "jpeu": "je peux",
    "jpx": "je peux",
    "jsuis": "je suis",
    "jsui": "je suis",
    "chui": "je suis",
    "chuis": "je suis",
    "jsp": "je sais pas",
    "jcomprend": "je comprends",
    "jcomprends": "je comprends",
    "jen": "j en",
    "jme": "je me",
    "jmen": "je m en",
    "jreviens": "je reviens",
    "jappelle": "j appelle",
    "japelle": "j appelle",
    "japel": "j appelle",
    "jdois": "je dois",
    "jpense": "je pense",
    "jtrouve": "je trouve",
    "jvais": "je vais",
    "jvai": "je vais",
    "jfais": "je fais",
    "koi": "quoi",
    "kan": "quand",
    "kand": "quand",
    "ke": "que",
    "ki": "qui",
    "pa": "pas",
    "tt": "tout",
    "ts": "tous",
    "tjs": "toujours",
    "tjrs": "toujours",
    "tjr": "toujours",
    "toujour": "toujours",
    "dja": "deja",
    "mm": "meme",
    "pr": "pour",
    "ds": "dans",
    "vs": "vous",
    "ns": "nous",
    "bjr": "bonjour",
    "bsr": "bonsoir",
    "slt": "salut",
    "cmt": "comment",
    "cmnt": "comment",
    "qqn": "quelqu un",
    "qqun": "quelqu un",
    "qq1": "quelqu un",
    "qlqn": "quelqu un",
    "kelkun": "quelqu un",
    "quelquun": "quelqu un",
    "quelquin": "quelqu un",
    "jamai": "jamais",
    "ya": "y a",
    "dc": "donc",
    "pcq": "parce que",
    "pck": "parce que",
    "psk": "parce que",
    "ptn": "putain",
    "nn": "non",
    "fo": "faut",
    "ct": "c etait",
    "cest": "c est",
    "sest": "s est",
    "nest": "n est",
    "mavez": "m avez",
    "mappeler": "m appeler",
    "mapeler": "m appeler",
    "rapellez": "rappelez",
    "rapelez": "rappelez",
    "rapeler": "rappeler",
    "rappellez": "rappelez",
    "apeler": "appeler",
    "apelez": "appelez",
    "hs": "hors service",
    "tpe": "terminal de paiement",
    "ehpad": "ehpad",
    # English
    "r": "are",
    "thx": "thanks",
    "thnx": "thanks",
    "ty": "thank you",
    "im": "i am",
    "ive": "i have",
    "dont": "do not",
    "dnt": "do not",
    "didnt": "did not",
    "doesnt": "does not",
    "cant": "can not",
    "cannot": "can not",
    "cnt": "can not",
    "wont": "will not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "havent": "have not",
    "hasnt": "has not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "shouldnt": "should not",
    "aint": "is not",
    "whats": "what is",
    "wat": "what",
    "wot": "what",
    "coz": "because",
    "cuz": "because",
    "cos": "because",
    "rep": "representative",
    "reps": "representative",
    "cust": "customer",
    "svc": "service",
    "acc": "account",
    "srsly": "seriously",
    "hrs": "hours",
    "mins": "minutes",
    "wk": "week",
    "somone": "someone",
    "sombody": "somebody",
    "some1": "someone",
    "any1": "anyone",
    "ppl": "people",
    "yr": "year",
    "yrs": "years",
}

# Contractions split by the apostrophe: ("don", "t") -> ("do", "not").
CONTRACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    **{
        (aux + "n", "t"): (aux, "not")
        for aux in (
            "do",
            "does",
            "did",
            "is",
            "are",
            "was",
            "were",
            "have",
            "has",
            "had",
            "could",
            "would",
            "should",
            "need",
        )
    },
    ("don", "t"): ("do", "not"),
    ("won", "t"): ("will", "not"),
    ("can", "t"): ("can", "not"),
    ("ain", "t"): ("is", "not"),
    ("i", "m"): ("i", "am"),
    ("i", "ve"): ("i", "have"),
    ("we", "ve"): ("we", "have"),
    ("i", "ll"): ("i", "will"),
    ("we", "ll"): ("we", "will"),
    ("i", "d"): ("i", "would"),
    ("you", "re"): ("you", "are"),
    ("we", "re"): ("we", "are"),
    ("they", "re"): ("they", "are"),
    ("it", "s"): ("it", "is"),
    ("that", "s"): ("that", "is"),
    ("what", "s"): ("what", "is"),
    ("there", "s"): ("there", "is"),
}

# Keywords that a typo should still reach, besides every word the patterns
# spell out (see `fuzzy_targets`). A token is corrected only when it is no
# real word: see PROTECTED and `near_words.NEAR_WORDS`.
FUZZY_VOCAB: tuple[str, ...] = (
    # whole forms of words the patterns spell as stems or alternations
    "conseille",
    "conseillere",
    "service",
    "customer",
    "someone",
    "somebody",
    "rappelez",
    "rappelle",
    "pirater",
    "piratee",
    "pirate",
    "inconnu",
    "inconnus",
    "inconnue",
    "inconnues",
    "escrocs",
    "retention",
    "coupure",
    "charges",
    "portable",
    "kidding",
    "quitte",
    "quittes",
    "sighted",
    "ridiculous",
    "ridicule",
    "partially",
    "passez",
    "elderly",
    "dementia",
    "disabled",
    "transfer",
    "transferez",
    "manager",
    "operator",
    "operateur",
    "relation",
    # explicit request
    "conseiller",
    "conseillere",
    "conseillers",
    "interlocuteur",
    "operateur",
    "representative",
    "representant",
    "quelqu",
    "personne",
    "humain",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "rappelez",
    "rappeler",
    "rappele",
    "telephone",
    "operator",
    "supervisor",
    "manager",
    "parler",
    "speak",
    "relation",
    # anger
    "inadmissible",
    "inacceptable",
    "unacceptable",
    "scandaleux",
    "scandaleuse",
    "scandale",
    "lamentable",
    "honteux",
    "honteuse",
    "incompetent",
    "incompetents",
    "incompetence",
    "ridicule",
    "ridiculous",
    "pitoyable",
    "pathetic",
    "deplorable",
    "catastrophique",
    "catastrophe",
    "insupportable",
    "inadmissable",
    "disgusting",
    "disgraceful",
    "outrageous",
    "terrible",
    "horrible",
    "useless",
    "furieux",
    "furieuse",
    "furious",
    "enerve",
    "enervee",
    "exaspere",
    "exasperee",
    "degoute",
    "degoutee",
    "frustrated",
    "frustre",
    "frustree",
    "annoyed",
    "seriously",
    "franchement",
    "n importe",
    "voleurs",
    "escrocs",
    "arnaqueurs",
    "clowns",
    # repeat contact
    "troisieme",
    "deuxieme",
    "quatrieme",
    "cinquieme",
    "plusieurs",
    "toujours",
    "contacte",
    "contactes",
    "contacted",
    "signale",
    "explique",
    "already",
    "reported",
    "explained",
    "several",
    "multiple",
    "relance",
    "following",
    # bereavement
    "decede",
    "decedee",
    "deceder",
    "deceased",
    "obseques",
    "funerailles",
    "enterrement",
    "succession",
    "bereavement",
    "funeral",
    "passed",
    # vulnerability
    "handicape",
    "handicapee",
    "handicap",
    "malvoyant",
    "malvoyante",
    "malentendant",
    "malentendante",
    "aveugle",
    "hospitalise",
    "hospitalisee",
    "hopital",
    "hospital",
    "alzheimer",
    "dementia",
    "demence",
    "maladie",
    "chomage",
    "licencie",
    "licenciee",
    "licenciement",
    "surendettement",
    "surendette",
    "curatelle",
    "tutelle",
    "curateur",
    "disabled",
    "disability",
    "wheelchair",
    "unemployed",
    "redundant",
    "hardship",
    "struggling",
    "financiere",
    "financieres",
    "financial",
    "difficultes",
    "difficulties",
    "elderly",
    "cancer",
    # legal / complaint
    "avocat",
    "tribunal",
    "mediateur",
    "justice",
    "plainte",
    "poursuites",
    "poursuivre",
    "reclamation",
    "reclamations",
    "lawyer",
    "attorney",
    "solicitor",
    "lawsuit",
    "ombudsman",
    "complaint",
    "complain",
    "illegal",
    "illegale",
    "impoli",
    "impolie",
    "irrespectueux",
    "agressif",
    "technicien",
    "technician",
    "livreur",
    # fraud / security
    "pirate",
    "piratee",
    "piratage",
    "hacked",
    "hacke",
    "hackee",
    "phishing",
    "hameconnage",
    "arnaque",
    "arnaquee",
    "escroquerie",
    "fraude",
    "frauduleux",
    "frauduleuse",
    "fraudulent",
    "usurpation",
    "unauthorized",
    "unauthorised",
    "scammed",
    "stolen",
    "identite",
    "identity",
    "suspicious",
    "suspecte",
    "prelevement",
    "prelevements",
    "reconnais",
    "recognise",
    "recognize",
    # critical outage
    "entreprise",
    "societe",
    "salaries",
    "employes",
    "plateforme",
    "production",
    "serveur",
    "inaccessible",
    "fonctionne",
    "fonctionnent",
    "company",
    "business",
    "employees",
    "platform",
    "customers",
    "offline",
    "critical",
    "critique",
    "urgent",
    "urgence",
    "emergency",
    # negotiation
    "concurrent",
    "concurrence",
    "competitor",
    "competition",
    "negocier",
    "renegocier",
    "negotiate",
    "renegotiate",
    "commercial",
    "discount",
    "unacceptable",
    "inacceptable",
    "reduction",
    "cancelling",
    "switching",
)

# Real words that sit one typo away from a keyword: never "corrected"
# (`near_words.NEAR_WORDS`, generated from dictionaries, holds many more).
PROTECTED: frozenset[str] = frozenset(
    [
        "conseil",
        "conseils",
        "conseille",
        "conseilles",
        "conseillez",
        "conseillons",
        "conseillent",
        "conseillait",
        "conseillee",
        "conseilla",
        "personnel",
        "personnes",
        "personnalise",
        "personnaliser",
        "humour",
        "humeur",
        "human",
        "humains",
        "humaines",
        "decide",
        "decider",
        "decides",
        "decidez",
        "decidee",
        "decidement",
        "decode",
        "decoder",
        "decodeur",
        "passe",
        "passer",
        "passes",
        "passez",
        "passage",
        "pasted",
        "handicaps",
        "hopitaux",
        "hospitality",
        "avocats",
        "avocado",
        "piratage",
        "pirater",
        "pirates",
        "private",
        "plaint",
        "plainte",
        "plaintes",
        "plaints",
        "relations",
        "relational",
        "relationship",
        "justice",
        "justifier",
        "justificatif",
        "justificatifs",
        "justify",
        "societes",
        "sociale",
        "social",
        "socials",
        "concurrents",
        "concurrentes",
        "reduction",
        "reductions",
        "reduire",
        "discounts",
        "discounted",
        "parle",
        "parles",
        "parlez",
        "parlent",
        "parlons",
        "parlait",
        "parlant",
        "parlor",
        "speaker",
        "speakers",
        "speaking",
        "manage",
        "managed",
        "manages",
        "manager",
        "managers",
        "managing",
        "operate",
        "operates",
        "operated",
        "operation",
        "operations",
        "operating",
        "reclame",
        "reclamer",
        "reclamez",
        "reclames",
        "redundancy",
        "hacker",
        "hackers",
        "stolen",
        "traitement",
        "traitements",
        "telephoner",
        "telephones",
        "telephonie",
        "telephonique",
        "contacter",
        "contactez",
        "contactent",
        "contact",
        "contacts",
        "contacts",
        "toujours",
        "fonction",
        "fonctions",
        "fonctionnel",
        "fonctionnalite",
        "fonctionnalites",
        "fonctionnement",
        "entreprises",
        "relancer",
        "relancez",
        "relances",
        "expliquer",
        "expliquez",
        "expliques",
        "signaler",
        "signalez",
        "signales",
        "signalement",
        "rappel",
        "rappels",
        "rappelle",
        "rappelles",
        "rappellent",
        "rapport",
        "rapports",
        "critiques",
        "passed",
        "passes",
        "passer",
        "illegal",
        "cancel",
        "canceled",
        "cancelled",
        "canceling",
        "switch",
        "switched",
        "switches",
        "complaints",
        "complained",
        "complains",
        "reported",
        "report",
        "reports",
        "reporting",
        "someone",
        "somewhere",
        "something",
        "sometimes",
        "anyone",
        "anything",
        "anyway",
        "anywhere",
        "enterprise",
        "certain",
        "certaine",
        "certains",
        "surtout",
        "humain",
        "technique",
        "techniques",
        "commerce",
        "commercial",
        "commerciale",
        "commerciaux",
        "financer",
        "finance",
        "finances",
        "difficile",
        "difficiles",
        "mediation",
    ]
)

# Shared pieces of patterns.
MACROS: dict[str, str] = {
    # Who a customer asks for when they want a person.
    "PERSON": (
        r"(?:conseill(?:er|ere|ers|eres|e)|conseiler|conseile|humain|humaine|humains|"
        r"etre humain|human|humans|human being|"
        r"(?:vrai|vraie|vrais|vraies|reelle|reel|une|autre|la|real|actual|live) "
        r"(?:personne|personnes|person|people|gens)|(?<!in )person|persons|"
        r"personne (?:reelle|physique|humaine)|quelqu un|someone|somebody|anyone|anybody|"
        r"interlocut(?:eur|rice|eurs)|operat(?:eur|rice|eurs|or|ors)|agent|agents|"
        r"representati(?:ve|ves|f)|representant|advis(?:or|er|ors|ers)|responsable|manager|"
        r"superieur|superviseur|supervisor|chef|staff member|member of staff|"
        r"specialist|specialiste|expert|consultant|gestionnaire|vrais gens|"
        r"(?:customer (?:service|support|care)|support|service client|sav|sales|billing) "
        r"(?:representative|agent|agents|advisor|adviser|person|team member|staff))"
    ),
    # ... and the services that stand for people when one asks to reach them.
    "SERVICE": (
        r"(?:service (?:client|clients|clientele|consommateur|commercial|technique)|sav|"
        r"service apres vente|customer (?:service|services|support|care)|support(?: technique)?|"
        r"live (?:chat|support|agent)|hotline|help ?desk|call cent(?:er|re)|"
        r"technicien|technician|tech support)"
    ),
    "TARGET": r"(?<!for )(?<!pour )(?:<PERSON>|<SERVICE>)(?! s (?!il ))",
    "BOT": (
        r"(?:robot|robots|bot|bots|chat ?bot|chatbots|machine|ia|automate|repondeur|"
        r"assistant (?:virtuel|automatique)|virtual assistant|serveur vocal|computer|"
        r"ordinateur|algorithme|algorithm|ai|ai assistant|"
        r"automated (?:system|assistant|service|answers)|automatic (?:answers|replies)|"
        r"reponses? automatiques?)"
    ),
    "BOT_STRICT": (
        r"(?:robots?|bots?|chat ?bots?|ia|automates?|assistant virtuel|virtual assistant|"
        r"serveur vocal|repondeur|(?:votre|your|this|ce|cet|the) (?:ai|assistant))"
    ),
    # Verbs of reaching someone.
    "REACH": (
        r"(?:parler|parle|causer|discuter|echanger|joindre|contacter|rencontrer|"
        r"communiquer|(?:mettre|mettez|met|mets) ~2 en (?:relation|contact|ligne)|"
        r"en relation|en contact|talk|talking|speak|speaking|chat|chatting|reach|contact|"
        r"escalate|escalated|deal with|dealing with|in touch with|"
        r"(?:me|m) (?:passer|passez|transferer|transferez|mettre|basculer|rediriger|orienter)|"
        r"(?:passez|passe|transferez|transfere|basculez|redirigez|orientez|mettez) moi|"
        r"(?:etre|soit) (?:transfere|transferee|mis en relation|mise en relation|redirige|oriente)|"
        r"(?:transfer|forward|pass|put|connect|redirect|route|send|hand|patch|switch) me|"
        r"be (?:transferred|connected|put through|passed|redirected|routed|escalated)|"
        r"put me through|put me in touch|"
        r"(?:appeler|telephoner a|call|phone|ring) (?:un|une|le|la|votre|a|an|your|the))"
    ),
    "WANT": (
        r"(?:veux|voudrais|veut|souhaite|souhaiterais|souhaitons|aimerais|aimerai|"
        r"desire|besoin|exige|demande|prefere|preferais|prefererais|faut|"
        r"want|wanna|need|needs|like|prefer|require|request|demand|requesting|asking for)"
    ),
    # A gap that does not run through a verb that makes the person an object
    # to manage ("I need to add an agent to our team").
    "OBJGAP": (
        r"(?: (?!ajout|add|remov|supprim|cre[ae]|invit|delet|modifi|edit|chang|configur|"
        r"assign|attribu|manag|gere|gerer|pay|factur|bill|licen|transfer|see|voir|verif|card|"
        r"carte)[a-z0-9]+){0,3}"
    ),
    "KIN": (
        r"(?:pere|mere|papa|maman|mari|femme|epoux|epouse|conjoint|conjointe|compagnon|"
        r"compagne|fils|fille|frere|soeur|grand mere|grand pere|grands parents|oncle|"
        r"tante|enfant|bebe|concubin|concubine|parents|parent|beau pere|belle mere|"
        r"cousin|cousine|neveu|niece|ami|amie|fiance|fiancee|proche|mamie|papi|papy|"
        r"father|dad|daddy|mother|mum|mom|mommy|mummy|husband|wife|spouse|partner|son|"
        r"daughter|brother|sister|grandmother|grandfather|grandma|grandpa|granny|"
        r"uncle|aunt|auntie|child|baby|friend|relative|loved one|"
        r"father in law|mother in law|stepfather|stepmother|stepdad|stepmum|stepmom)"
    ),
    "NUM": (
        r"(?:[2-9]|[1-9][0-9]|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|"
        r"quinze|vingt|plusieurs|nombreuses|multiples|x|n|mille|cent|"
        r"two|three|four|five|six|seven|eight|nine|ten|several|multiple|many|"
        r"countless|dozen|numerous)"
    ),
    "ORD": (
        r"(?:[2-9](?:e|eme|em|ieme|nd|rd|th)|[1-9][0-9](?:e|eme|em|ieme|th|nd|rd)|"
        r"deuxieme|troisieme|quatrieme|cinquieme|sixieme|septieme|huitieme|dixieme|"
        r"enieme|nieme|xieme|ixieme|centieme|millieme|"
        r"second|third|fourth|fifth|sixth|seventh|tenth|nth|umpteenth|hundredth)"
    ),
    "CONTACT_NOUN": (
        r"(?:fois|time|times|mails?|emails?|e mails?|messages?|appels?|calls?|demandes?|"
        r"requests?|tickets?|relances?|reclamations?|complaints?|"
        r"chats?|conversations?|courriers?|letters?)"
    ),
    # Having contacted us, in the past tense.
    "CONTACTED": (
        r"(?:appele|appelee|appeles|contacte|contactee|contactes|ecrit|signale|signalee|"
        r"explique|expliquee|dit|relance|relancee|parle|reclame|"
        r"fait (?:une|un|la|le|<NUM>|[0-9]+) (?:demandes?|tickets?|reclamations?|signalements?|"
        r"appels?|relances?)|"
        r"ouvert (?:un|une|le|la) (?:ticket|dossier|demande)|"
        r"eu (?:un|une|le|la|votre) (?:conseiller|technicien|service|hotline|sav)|"
        r"called|contacted|emailed|e mailed|written|wrote|reported|explained|told you|spoke|"
        r"spoken|chatted|raised|complained|messaged|rang|phoned|been on the phone|"
        r"been in touch|reached out|asked|opened (?:a|the|an) (?:ticket|case|complaint|request)|"
        r"sent you (?:an email|a message|several|multiple|emails|messages))"
    ),
    "PRAISE": (
        r"(?:bravo|genial|geniale|super|parfait|excellent|magnifique|formidable|"
        r"felicitations|chapeau|merci beaucoup|merci bien|trop bien|vraiment bien|au top|"
        r"c est top|trop top|"
        r"great|amazing|wonderful|brilliant|well done|fantastic|awesome|"
        r"nice|lovely|perfect|good job|great job|nice job|thanks a lot|thank you so much|"
        r"impressive|superb|marvellous|marvelous|cheers|wow|oh joy|yay)"
    ),
    "FIX": (
        r"(?:regle|reglee|resolu|resolue|repare|reparee|rembourse|remboursee|traite|"
        r"traitee|corrige|corrigee|retabli|retablie|fixed|resolved|sorted|repaired|"
        r"refunded|solved|working|handled|addressed)"
    ),
    "DEVICE": (
        r"(?:telephone|portable|mobile|smartphone|iphone|samsung|carte sim|sim|puce|"
        r"carte bancaire|carte|cb|phone|cell|cellphone|sim card|card|wallet|portefeuille|"
        r"sac|bag|tablette|tablet|ordinateur|laptop|identite|identity|papiers)"
    ),
    "MONEYMOVES": (
        r"(?:achats?|prelevements?|debits?|paiements?|operations?|transactions?|virements?|"
        r"retraits?|abonnements?|frais|charges?|payments?|purchases?|transfers?|"
        r"withdrawals?|subscriptions?|mouvements?)"
    ),
    # After "payer"/"pay": words that make a failed payment a technical problem.
    "PAYTECH": (
        r"(?!(?: [a-z0-9]+){0,3} (?:par|avec|en ligne|sur|via|online|carte|cb|paypal|site|"
        r"appli|application|app|erreur|bug|bouton|button|website|page|by|with|using|"
        r"through|installments|virement|transfer|apple pay|google pay|prelevement|all at once|"
        r"at once|en une fois|en une seule fois|in one go|in full|en [0-9]+ fois))"
    ),
}

# Negation cues, looked for just before a negatable match (and in its first
# words): "pas besoin d'un conseiller", "no need for an agent".
NEGATION: dict[str, str] = {
    "explicit_request": (
        r"(?:(?:pas|plus|nul|aucun|aucunement|point) (?:besoin|envie|la peine|necessaire|"
        r"utile|obligatoire)|inutile|sans|surtout pas|"
        r"ne (?:me )?(?:passez|rappelez|transferez|appelez|mettez|contactez|passer|rappeler) pas|"
        r"(?:veux|voudrais|souhaite|souhaiterais|desire|tiens|cherche) (?:pas|plus|surtout pas)|"
        r"pas (?:de|d|un|une)|non merci|no thanks|no need|not need|"
        r"(?:do|does|did) not (?:need|want|wish|require|have to|transfer|call|put|connect|pass|"
        r"send)|not (?:necessary|needed|required|looking)|without|rather not|instead of|"
        r"never mind|no (?:human|agent|person|representative|operator|call|callback|one)|"
        r"(?:do|must|should|will) (?:i|we) (?:need|have) to|dois je|faut il|est ce qu il faut|"
        r"are you|you are|am i|is this|is it|es tu|etes vous|vous etes|suis je|"
        r"est ce que je dois|ai je besoin|"
        r"not (?:a|an|any) (?:human|agent|person))"
    ),
    # "What happens if I can't pay?" asks about a rule, it does not tell a hardship.
    "vulnerability": r"(?:si|if|what happens|que se passe|en cas|in case|quand on|when you)",
    "fraud_security": (
        r"(?:pas|not|eviter|evite|avoid|prevent\w*|proteger|protege\w*|protect\w*|against|"
        r"contre|jamais|never|anti|reconnaitre|recogni[sz]e|spot|detect\w*|identifier|"
        r"tell if|risque|risk|if|si|en cas|in case|worried about|afraid of|concerned about|"
        r"peur d|crainte d|inquiet\w*|about)"
    ),
}

# Question openings: a clause that starts like this asks how things work.
HOWTO = (
    r"(?:comment|how|what|where|when|which|quel|quelle|quels|quelles|ou|quand|est ce que|"
    r"est ce qu|do you|does|can i|can you|is there|y a t il|existe t il|avez vous|"
    r"proposez vous|offrez vous|is it|are there|any)"
)
# A fraud word in a how-to question is information, unless something happened.
EVENT = (
    r"(?:j ai|je suis|i have|i was|i am|i got|i ve|je me suis|"
    r"on m a|m a|me suis|quelqu un|someone|somebody|i think|"
    r"je pense|victime|victim|hier|yesterday|ce matin|this morning|just (?:got|been)|"
    r"vient|viens)"
)

P = Pattern

PATTERNS: tuple[Pattern, ...] = (
    # ---------------------------------------------------------------- explicit request
    # A clause that is nothing but a person asked for: "conseiller", "un humain svp",
    # "real person please", "HUMAN", "agent !", "representative".
    P(
        "explicit_request",
        0.95,
        r"(?<=[.,?] )(?:(?:bonjour|salut|hello|hi|hey|allo|oui|yes|ok|svp|stp|s il vous plait|"
        r"s il te plait|please|pls|merci|thanks|asap|now|maintenant|vite|urgent|tout de suite|"
        r"un|une|le|la|l|des|d|a|an|the|some|vrai|vraie|real|actual|live|humain|human|"
        r"veux|want|need|besoin|de|je|i|moi|me|give|donnez|donne|juste|just|only|seulement|"
        r"pour parler|to talk|to speak) )*"
        r"(?:<PERSON>|service client|service clients|service clientele|sav|customer service|"
        r"customer support|customer care|rep|representative|humain|human|operator|rappel|"
        r"rappel telephonique|callback|call back|appel|call)"
        r"(?: (?:svp|stp|s il vous plait|s il te plait|please|pls|merci|thanks|asap|now|"
        r"maintenant|vite|urgent|tout de suite|humain|human|reel|reelle|real|physique|"
        r"disponible|available|on the phone|au telephone|par telephone|by phone|"
        r"pas (?:un|une|de) <BOT>|not (?:a|an) <BOT>|thank you|ici|la|here|there|plz|"
        r"(?:au|at|on|sur le) [0-9 ]+|[0-9]{6,}|demain|tomorrow|today|aujourd hui|ce soir|"
        r"tonight|this (?:morning|afternoon|evening)|cet apres midi|ce matin|des que possible))*"
        r"(?= [.,?])",
        negatable=True,
    ),
    P("explicit_request", 0.95, r"<REACH><OBJGAP> <TARGET>", negatable=True),
    P(
        "explicit_request",
        0.92,
        r"<WANT><OBJGAP> (?<!for )(?<!pour )<PERSON>(?! s (?!il ))",
        negatable=True,
    ),
    P(
        "explicit_request",
        0.9,
        r"(?:peux|puis|pourrais|pourriez|pouvez|pourrait|peut on|peut|veux|voudrais|aimerais|"
        r"souhaite\w*|can|could|may|want|need|like) ~2 (?:avoir|obtenir|have|get)"
        r"<OBJGAP> <TARGET>",
        negatable=True,
    ),
    P(
        "explicit_request",
        0.9,
        r"get me (?:(?:a|an|some|the|to|through to) )?<PERSON>",
        negatable=True,
    ),
    # A real person, in any sentence.
    P(
        "explicit_request",
        0.88,
        r"(?:vraie? personne|vrais? gens|personne (?:reelle|physique|humaine)|etre humain|"
        r"vrai humain|vrai conseiller|conseiller humain|interlocuteur humain|"
        r"(?:real|actual|live|human) (?:person|people|human|agent|being|operator|"
        r"representative)|human being|someone real|somebody real|"
        r"quelqu un de (?:reel|vivant|vrai|humain))",
        negatable=True,
    ),
    P(
        "explicit_request",
        0.8,
        r"(?:voir|regler|traiter|gerer|discuter|parler|faire|sort|discuss|handle|deal with|go "
        r"through|settle) (?:ca|cela|ceci|ce point|le probleme|mon probleme|mon dossier|this|"
        r"that|it|this out|it out|my case) (?:avec|with) (?:(?:un|une|a|an|the|le|la) )?"
        r"(?:(?:vraie?|real|actual) )?(?:personne|person|humain|human|conseiller|conseillere|"
        r"agent|advisor|adviser|representative)(?= [.,?])",
        negatable=True,
    ),
    # Call-backs.
    P(
        "explicit_request",
        0.92,
        r"(?:rappel(?:ez|er|le|les|e)? moi|(?<!je )(?<!j )me (?:faire )?(?:rappeler|rappelez|recontacter|"
        r"telephoner|appeler)|recontactez moi|contactez moi|appelez moi|"
        r"(?:etre|soit|suis) (?:rappele|rappelee|recontacte|recontactee|contacte par telephone)|"
        r"(?:on|qu on|vous|quelqu un|<PERSON>|<SERVICE>) (?:me|m) (?:rappel\w*|appel\w*|"
        r"telephon\w*|recontact\w*)|un rappel (?:telephonique|par telephone)|"
        r"call (?:me|us) back|call (?:me|us)(?= (?:please|pls|asap|now|today|tomorrow|tonight|"
        r"this|at|on|as soon|when|about|regarding|[0-9]+|[.,?]))|"
        r"callback(?! (?:url|function|api|webhook|uri|endpoint))|"
        r"call back|ring me|phone me|give me a (?:call|ring)|"
        r"(?:get|have) (?:someone|somebody|an agent|a person) (?:to )?call)",
        negatable=True,
    ),
    # "Is anyone there?", "y a quelqu'un ?", "can someone help".
    P(
        "explicit_request",
        0.85,
        r"(?:y a (?:t il )?(?:quelqu un|un humain|une personne|un conseiller)(?: (?:de (?:vivant|"
        r"reel|humain|dispo\w*)|qui peut m aider|pour m aider|la|ici|en ligne))*(?= [.,?])|"
        r"is (?:there|anyone|anybody|someone|somebody) (?:a |an )?(?:human|person|anyone|"
        r"anybody|someone|somebody|real|there|alive|available|i can)|"
        r"(?:anyone|anybody|someone|somebody) (?:there|home|alive|available|real)(?= [.,?]))",
        negatable=True,
    ),
    P(
        "explicit_request",
        0.75,
        r"(?:quelqu un|une personne|someone|somebody|anyone|a person|a human|un humain|"
        r"un conseiller|an agent) (?:peut|pourrait|pouvez|can|could|may) (?:il |elle )?"
        r"(?:m aider|me repondre|m expliquer|me rappeler|m appeler|s occuper|help|call|"
        r"assist|explain|talk|speak|get back|contact|look)",
        negatable=True,
    ),
    # Refusing the bot is asking for a person: "je veux pas parler à un robot".
    P(
        "explicit_request",
        0.9,
        r"(?:(?:pas|plus|not|no|never|jamais|rather|plutot) ~2 (?:parler|discuter|echanger|talk|"
        r"talking|speak|speaking|chat|chatting|deal|dealing) (?:a|to|with|avec|au) "
        r"(?:(?:un|une|a|an|the|votre|your|this|ce|cette) )?<BOT>|"
        r"(?:pas|not|no|plutot|rather|than|que|qu|plus de|no more) (?:(?:d un|d une|un|une|a|an|"
        r"de|the|votre|your|ce|cette|this) )?<BOT_STRICT>|(?:marre|fed up|sick of|hate|deteste|"
        r"horreur|stop|arretez|assez|enough) ~3 <BOT_STRICT>)",
    ),
    P(
        "explicit_request",
        0.7,
        r"<BOT_STRICT> ~4 (?:ne comprend|comprend rien|comprend pas|nul|nulle|useless|stupide|"
        r"debile|inutile|tourne en rond|does not understand|do not understand|"
        r"not understanding|not helping|is not helpful|can not help|pointless|idiot|dumb|"
        r"stupid|sert a rien|ne m aide pas|aide pas|n aide|rubbish|garbage|going in circles|"
        r"loop|boucle)",
    ),
    P(
        "explicit_request",
        0.9,
        r"(?:parler|talk|speak|discuter) ~3 (?:technicien|technician|humain|human)",
        negatable=True,
    ),
    # ---------------------------------------------------------------- anger
    P(
        "anger",
        0.9,
        r"(?:inadmissible|inadmissable|inacceptable|unacceptable|scandal\w*|scandaleu\w*|"
        r"honteu\w*|honte|lamentable\w*|incompeten\w*|pitoyable\w*|pathetic|deplorable|"
        r"minable\w*|disgust\w*|disgrace\w*|outrag\w*|ridicul\w*|insupportable|intolerable|"
        r"revoltant\w*|aberrant\w*|foutage|inoui|jamais vu ca|du jamais vu|n importe quoi|"
        r"n imp|grotesque|shocking|appalling|atrocious|abysmal|shambles|ripoff|rip off|"
        r"thanks for nothing|merci pour rien|merci de rien|cheers for nothing|"
        r"worst|le pire|la pire|pire service|de pire en pire|wtf|ffs|fuck\w*|shit\w*|"
        r"merde\w*|putain|bordel|chier|connard\w*|"
        r"abruti\w*|clowns?|guignols?|branquignol\w*|bouffons?|escrocs?|voleurs?|"
        r"arnaqueurs?|crooks?|thieves|idiots?|morons?|incapables?|bande de \w+|"
        r"vous (?:vous )?moquez|foutez de|se moque de|vous fichez|moquez vous|"
        r"kidding me|taking the piss|pissed|bloody|damn\w*|crap\w*|"
        r"ras le bol|ras l bol|raz le bol|en ai marre|marre|en ai assez|"
        r"plein le dos|plein les bottes|(?:suis|sommes|est) a bout|bout de nerfs|hors de moi|"
        r"fed up|sick of|sick and tired|(?:i|we|i have|i ve|we ve|i am|i m) had enough|"
        r"had enough of|enough is enough|"
        r"furieu\w*|furious|livid|enrage\w*|enerve\w*|exaspere\w*|excede|excedee|agace\w*|"
        r"degoute\w*|ecoeure\w*|colere|angry|fuming|annoyed|frustr\w*|irrite\w*|"
        r"hopeless|nightmare|cauchemar|disaster|desastre|catastroph\w*|"
        r"useless|(?:terrible|horrible|awful)(?! (?:mistake|error|erreur))|appalled|lousy|rubbish|"
        r"foutre|nobody cares|no one cares|personne s en fiche|"
        r"tout le monde s en fout|vous vous en fichez|you do not care|"
        r"(?:j en|je n en|n en|en) peux plus|can not take (?:it|this|any ?more)|"
        r"(?:i am|i m) done with you|clueless|amateurs|amateurisme|branquignols|"
        r"tocards?|bras casses)",
    ),
    P(
        "anger",
        0.85,
        r"(?:vous etes|you are|you guys are|you people are|your service is|votre service est|"
        r"c est|ce service est|your company is|votre societe est|vous etes vraiment)"
        r" ~2 (?:nuls?|nulles?|une honte|des nuls|zero|naze|nazes|pourris?|a chier|trash|"
        r"garbage|clueless|hopeless|a disgrace|a joke)",
    ),
    P(
        "anger",
        0.7,
        r"(?:c est|c etait|service|appli|application|site|box|vraiment|franchement|trop|"
        r"tellement|totalement|completement) ~1 (?:nul|nulle|naze|pourri|pourrie|minable)",
    ),
    P("anger", 0.75, r"(?:de merde|de chiotte|service (?:de merde|pourri|nul))"),
    P(
        "anger",
        0.85,
        r"(?:is|are|was|what|such|and|c est|quelle|vraiment|une vraie) (?:(?:a|an|une|un|total|"
        r"complete|absolute|bad|sick|vraie|grosse|belle) )*(?:joke|blague|farce|plaisanterie|"
        r"mascarade)",
    ),
    P("anger", 0.5, r"(?:you people|vous autres|vos services de)"),
    P(
        "anger",
        0.65,
        r"(?:never again|plus jamais ca|je regrette|regret (?:signing|choosing|ever)|"
        r"worst decision)",
    ),
    P(
        "anger",
        0.6,
        r"(?:ca marche jamais|marche jamais|fonctionne jamais|never works|nothing ever works)",
    ),
    P(
        "anger",
        0.4,
        r"(?:rien ne (?:marche|fonctionne|va)|plus rien ne (?:marche|fonctionne)|nothing works)",
    ),
    P(
        "anger",
        0.45,
        r"(?:pas possible|pas croyable|incroyable|unbelievable|seriously|serieusement|"
        r"are you serious|for real|sans blague)",
    ),
    P("anger", 0.25, r"franchement"),
    P(
        "anger",
        0.5,
        r"(?:on hold|en attente|attente) ~3 (?:[0-9]+|une|deux|trois|an|two|three) "
        r"(?:hours?|heures?|h|hrs)",
    ),
    P(
        "anger",
        0.3,
        r"(?:ca fait|depuis|for|since|pendant|over) ~2 (?:[0-9]+|une|un|deux|trois|quatre|cinq|"
        r"des|plusieurs|a|two|three|four|five|several) (?:jours|semaine|semaines|mois|days|"
        r"week|weeks|months)",
    ),
    P(
        "anger",
        0.25,
        r"(?:sans|without|no|pas de|plus de|plus d|toujours pas de|still no) (?:internet|service|"
        r"reseau|connexion|ligne|telephone|tv|tele|wifi|signal|electricite|phone|network|"
        r"connection|power|reponse|response|answer|reply)",
    ),
    P(
        "anger",
        0.6,
        r"(?:remboursez moi|refund me|rembourser moi) (?:maintenant|now|immediately|"
        r"immediatement|tout de suite|asap|right now)",
    ),
    P(
        "anger",
        0.35,
        r"(?:remboursez moi|i want my money back|je veux mon argent|give me my money back)",
    ),
    # ---------------------------------------------------------------- repeat contact
    P(
        "repeat_contact",
        0.9,
        r"(?:ca fait|c est la|pour la|voila|this is the|this is my|for the|it is the|"
        r"that is the) (?:<NUM>|<ORD>) <CONTACT_NOUN>",
    ),
    P("repeat_contact", 0.85, r"(?<!en )(?<!in )(?!second )<ORD> <CONTACT_NOUN>"),
    P(
        "repeat_contact",
        0.85,
        r"second time (?:i|that i|writing|asking|calling|contacting|emailing|messaging|"
        r"chatting|reporting|i am|i have)|(?:deuxieme|seconde) fois que",
    ),
    P(
        "repeat_contact",
        0.85,
        r"(?<!en )(?<!in )<NUM> fois (?:que|de suite|deja|d affilee|cette semaine|ce mois|"
        r"aujourd hui)",
    ),
    P(
        "repeat_contact",
        0.85,
        r"(?:<CONTACTED>|appelle|ecris|relance|called|emailed|contacted|asked) ~3 "
        r"(?:(?<!en )<NUM> fois|<NUM> times|twice|(?<!en )deux fois|(?<!en )plusieurs fois|"
        r"several times|multiple times|"
        r"many times|a few times|again and again|over and over|encore et encore)",
    ),
    P("repeat_contact", 0.85, r"(?:deja|plusieurs fois|already|previously) ~3 <CONTACTED>"),
    P(
        "repeat_contact",
        0.85,
        r"(?:deja|already|previously)(?: (?!tried|attempted|essaye|tente)[a-z0-9]+){0,3} "
        r"(?:<NUM>|[0-9]+) <CONTACT_NOUN>",
    ),
    P(
        "repeat_contact",
        0.4,
        r"(?:et (?:toujours )?rien|and (?:still )?nothing|sans (?:suite|resultat))(?= [.,?])",
    ),
    P(
        "repeat_contact",
        0.85,
        r"<CONTACTED> ~4 (?:deja|already|before|previously|plusieurs fois|last week|yesterday|"
        r"hier|avant hier|la semaine derniere|lundi|mardi|mercredi|jeudi|vendredi|monday|"
        r"tuesday|wednesday|thursday|friday|le mois dernier|last month|earlier)",
    ),
    P(
        "repeat_contact",
        0.8,
        r"(?:toujours|still) (?:pas|rien|aucun\w*|no|not|nothing|broken|down|unresolved|"
        r"non) ~3 (?:<FIX>|reponse|nouvelle|nouvelles|retour|solution|answer|response|reply|"
        r"refund|remboursement|news|update|word|fonctionne|marche|working|fix|resolution|rien)",
    ),
    P(
        "repeat_contact",
        0.7,
        r"(?:still (?:broken|down|nothing|no)|toujours (?:rien|aucune?|"
        r"le meme probleme|la meme panne))",
    ),
    P("repeat_contact", 0.45, r"toujours pas"),
    P("repeat_contact", 0.4, r"(?:still waiting|toujours en attente)"),
    P(
        "repeat_contact",
        0.7,
        r"(?:je relance|je vous relance|relance (?:pour|concernant|au sujet)|nouvelle relance|"
        r"following up|(?<!to )(?<!i )follow up on my|chasing)",
    ),
    P(
        "repeat_contact",
        0.6,
        r"(?:je reviens vers vous|reviens vers vous|back again|yet again)",
    ),
    P(
        "repeat_contact",
        0.4,
        r"(?:(?<!merci )encore une fois|(?<!thanks )once again|une fois de plus|one more time)",
    ),
    P("repeat_contact", 0.35, r"(?:de nouveau|a nouveau)"),
    P("repeat_contact", 0.8, r"(?:encore moi|me again)"),
    P(
        "repeat_contact",
        0.45,
        r"(?:persiste|persists|persisting|est revenue?|revient|recommence|came back|is back|"
        r"keeps happening|still happening|happened again|same (?:issue|problem|fault|thing|"
        r"error) (?:again|as))",
    ),
    P(
        "repeat_contact",
        0.4,
        r"(?:la|le|the) (?:meme|same) (?:probleme|panne|souci|bug|erreur|question|issue|"
        r"problem|fault|error|charge)",
    ),
    P(
        "repeat_contact",
        0.55,
        r"(?:personne ne|personne n|aucune? (?:reponse|retour)|nobody|no one|never) ~2 "
        r"(?:repond\w*|rappel\w*|answer\w*|repl\w*|respond\w*|call\w* back|got back|gets back|"
        r"bouge|s en occupe|helps?|aide|did anything|fait rien)",
    ),
    P(
        "repeat_contact",
        0.5,
        r"(?:rien ne (?:change|bouge)|nothing (?:changed|has been done|has changed)|"
        r"rien n a ete fait|aucun changement)",
    ),
    P("repeat_contact", 0.25, r"(?:encore(?! une fois)|(?<!once )(?<!yet )again)"),
    # ---------------------------------------------------------------- bereavement
    P(
        "bereavement",
        0.92,
        r"(?:deces|decede|decedee|decedes|decedees|deceder|defunt|defunte|deceased|"
        r"bereavement|bereaved|obseques|funerailles|enterrement|inhumation|funeral|"
        r"passed away|passed on|acte de deces|death certificate|late (?:husband|wife|father|"
        r"mother|dad|mum|mom|son|daughter|partner|brother|sister))",
    ),
    P(
        "bereavement",
        0.92,
        r"<KIN> (?:(?:est|sont|vient|viennent|de|d|is|has|have|had|just|recently|suddenly|"
        r"sadly|a|ete|tragiquement|brutalement|malheureusement|hier|yesterday|last|week|"
        r"month|semaine|mois|derniere|dernier|la|unexpectedly) ){0,4}(?:mort|morte|morts|"
        r"mortes|decede\w*|disparu|disparue|nous a quitte\w*|m a quitte\w*|died|passed|dead|"
        r"killed|tue|tuee)",
    ),
    P(
        "bereavement",
        0.9,
        r"(?:perdu|perte de|perdre|lost|loss of|losing) (?:mon|ma|mes|notre|my|our|la|le) "
        r"(?:[a-z]+ )?<KIN>(?! (?:s|de vue))",
    ),
    P(
        "bereavement",
        0.85,
        r"(?:veuf|veuve|widow|widowed|widower|succession (?:de mon|de ma|du|de feu)|"
        r"dossier de succession|probate|executor|executeur testamentaire|heritiers|"
        r"estate of|death in the family|death of)",
    ),
    P("bereavement", 0.6, r"notaire"),
    P(
        "bereavement",
        0.6,
        r"<KIN> (?:(?:est|s est|s en est) (?:parti|partie|alle|allee)|nous a laisses?)",
    ),
    P(
        "bereavement",
        0.55,
        r"(?:je gere ses affaires|gerer ses affaires|ses affaires courantes|"
        r"(?:manage|managing|handling|sorting out) (?:his|her) affairs)",
    ),
    P("bereavement", 0.3, r"(?:died|mort|morte|dead|death)"),
    # ---------------------------------------------------------------- vulnerability
    P(
        "vulnerability",
        0.9,
        r"(?:je suis|suis|i am|j etais|i was|je me retrouve|je deviens|being|"
        r"(?:mon|ma|my) <KIN> (?:est|is)) ~2 (?:handicap\w*|invalide|malvoyant\w*|"
        r"mal voyant\w*|non voyant\w*|aveugle\w*|sourd|sourde|sourds|malentendant\w*|autiste|"
        r"paralyse\w*|hospitalise\w*|malade|dyslexique|illettre\w*|analphabete|disabled|blind|"
        r"deaf|partially sighted|visually impaired|hard of hearing|in (?:a )?wheelchair|"
        r"en fauteuil|in (?:the )?hospital|a l hopital|hospitali[sz]ed|sick|ill|"
        r"terminally ill|housebound|bedridden|elderly|agee?s?|vieux|vieille|"
        r"en arret maladie|sous (?:tutelle|curatelle)|au chomage|chomeur|chomeuse|sans emploi|"
        r"sans travail|sans ressources|unemployed|redundant|homeless|sdf|a la rue|"
        r"en fin de vie|depressi\w*|suicid\w*|isole\w*|vulnerable|"
        r"en situation de (?:handicap|precarite)|precaire|dans la precarite|in debt|"
        r"endette\w*|surendette\w*|caregiver|carer|aidant\w*|very old|too old|old)",
    ),
    P(
        "vulnerability",
        0.9,
        r"(?:j ai|i have|i ve got|i got|atteinte? d|suffer\w* (?:from|with)|souffre d|"
        r"diagnosed with|diagnostique|il a|elle a|a|has) ~3 (?:cancer|alzheimer|parkinson|"
        r"sclerose|avc|stroke|dementia|demence|maladie|illness|disability|chimio\w*|chemo\w*|"
        r"depression|tumeur|tumor|tumour|covid long|long covid|leucemie|leukemia|"
        r"mucoviscidose|epilep\w*|autisme|autism|trisomie)",
    ),
    P(
        "vulnerability",
        0.85,
        r"(?:tutelle|curatelle|curateur|curatrice|tuteur legal|tutrice|sauvegarde de justice|"
        r"mandataire judiciaire|habilitation familiale|mandat de protection|guardianship|"
        r"conservatorship|power of attorney|court appointed|surendett\w*|hardship|alzheimer|"
        r"dementia|demence|fin de vie|soins palliatifs|palliative|hospice|chimio\w*|chemo\w*|"
        r"terminal illness|hospitalise\w*|hospitali[sz]ed|dialyse|dialysis|arret maladie|"
        r"sick leave|maladie grave|serious illness|grave maladie|mobility issues|"
        r"learning disability|mental health|sante mentale|depression|suicid\w*|"
        r"violences? conjugales?|domestic (?:violence|abuse))",
    ),
    P(
        "vulnerability",
        0.85,
        r"(?:sors|sorti|sortie|sortir|sort|out of|back from|released from|got out of|en|a l|"
        r"in|at the|admitted to|rentre a l|a la) ~2 (?:hopital|hospital|urgences|a and e|rehab)",
    ),
    P(
        "vulnerability",
        0.45,
        r"(?:hopital|hospital|lecteur d ecran|screen reader|synthese vocale|braille|"
        r"grands caracteres|large print|gros caracteres|aveugle|blind|deaf|sourd|sourde|cancer|"
        r"maladie|illness|disabled|disability|malade|handicap\w*|malvoyant\w*|malentendant\w*|"
        r"non voyant\w*|wheelchair|fauteuil roulant)",
    ),
    # Age.
    P(
        "vulnerability",
        0.9,
        r"(?:j ai|i am|je suis age de|je suis agee de|agee? de|aged|at) (?:[7-9][0-9]|1[01][0-9])"
        r" (?:ans|an|years?|yrs?|yo|y o|and|et|,|\.|but|mais)",
    ),
    P("vulnerability", 0.8, r"(?:[7-9][0-9]|1[01][0-9]) (?:ans|years old|year old|yo|y o)"),
    P(
        "vulnerability",
        0.45,
        r"(?:personne agee|personnes agees|personne age|elderly|agee|vieille|old age|pensioner|"
        r"senior citizen|oap|troisieme age|grand age)",
    ),
    # Hardship.
    P(
        "vulnerability",
        0.85,
        r"(?:(?:peux|peut|pouvons|arrive|arrivons|pourrai|pourrais|vais) (?:plus|pas)|"
        r"(?:ne|n) (?:peux|arrive) (?:plus|pas)|plus en mesure de|incapable de|impossible de)"
        r" (?:de |a )?(?:payer|regler|honorer|faire face)<PAYTECH>",
        negatable=True,
    ),
    P(
        "vulnerability",
        0.6,
        r"(?:pas pu|plus pu) (?:payer|regler|honorer)<PAYTECH>",
        negatable=True,
    ),
    P(
        "vulnerability",
        0.85,
        r"(?:plus (?:les moyens|de quoi|d argent|un sou|un rond|un centime|de revenus|de salaire)|"
        r"pas les moyens|aucun revenu|plus aucun revenu|fins? de mois (?:difficiles?|"
        r"compliquees?)|situation (?:financiere|precaire|difficile|compliquee)|"
        r"difficultes? (?:financieres?|d argent|a payer|de paiement)|problemes? d argent|"
        r"dans le rouge|a decouvert|(?:au|le|du) rsa|minima sociaux|aide sociale|"
        r"restos du coeur|banque de france|huissiers?|dettes|endette\w*)",
    ),
    P(
        "vulnerability",
        0.85,
        r"(?:perdu|perte de|perdre|lost|lose|losing|loss of) (?:(?:mon|ma|my|our|notre|d|l|son|"
        r"sa|his|her|the) )?(?:emploi|travail|boulot|job|income|revenus?|salaire|taf|"
        r"employment)",
    ),
    P(
        "vulnerability",
        0.85,
        r"(?:licencie\w*|licenciement|au chomage|chomage|chomeur|chomeuse|pole emploi|"
        r"france travail|laid off|been let go|made redundant|redundancy|unemployed|out of work|"
        r"jobless|on benefits|universal credit|food bank|homeless|sans abri|expulse\w*|"
        r"evicted|eviction)",
    ),
    P(
        "vulnerability",
        0.85,
        r"(?:(?:i|we) (?:can not|could not|am unable to|are unable to|am not able to|"
        r"am struggling to|will not be able to|no longer can)|unable to|struggl\w* to) "
        r"(?:pay|make (?:the |my )?payments?|keep up)<PAYTECH>|(?:can not|could not|unable to|"
        r"not able to|struggl\w* to) afford",
        negatable=True,
    ),
    P(
        "vulnerability",
        0.85,
        r"(?:struggling (?:financially|with (?:money|bills|payments|debt))|financial "
        r"(?:difficult\w*|hardship|trouble|problems?|situation|struggles?)|money (?:is tight|"
        r"problems|troubles)|(?:i have|i ve got|i got) no money|in debt|debts|bailiffs?|"
        r"debt collectors?|behind on (?:my )?(?:bills|payments|rent))",
    ),
    # Understanding, confusion.
    P(
        "vulnerability",
        0.45,
        r"(?:je (?:n y |ne )?(?:comprends|comprend) (?:rien|pas grand chose|plus rien)|"
        r"(?:j y|je n y) (?:connais|comprends) rien|suis (?:perdu|perdue|paume|paumee|"
        r"depasse|depassee|largue|larguee)|i do not understand (?:anything|any of)|"
        r"i am (?:lost|confused|so confused)|confused|not good with (?:computers|technology|"
        r"tech|phones|internet|the internet|apps)|pas doue\w* (?:avec|en) (?:l informatique|"
        r"internet|les ordinateurs)|nul\w* en informatique|can not use (?:the|your) (?:app|"
        r"website|site|phone))",
    ),
    P("vulnerability", 0.3, r"(?:aidez moi|aide moi|help me|please help|au secours|need help)"),
    P(
        "vulnerability",
        0.5,
        r"(?:mon|ma|my|notre|our) (?:pere|mere|papa|maman|father|mother|dad|mum|mom|grand mere|"
        r"grand pere|grandmother|grandfather|grandma|grandpa|parents?) (?:[a-z]+ ){0,3}"
        r"(?:confus\w*|confused|agee?|elderly|vulnerable|ne comprend|does not understand|"
        r"a souscrit|signed up|was sold)",
    ),
    # ---------------------------------------------------------------- legal
    P(
        "legal",
        0.92,
        r"(?:avocat|avocate|tribunal|tribunaux|juge|en justice|proces|plainte|plaintes|"
        r"porter plainte|deposer plainte|poursuites|poursuivre en justice|vous poursuivre|"
        r"assignation|mise en demeure|mettre en demeure|huissier|mediateur|mediatrice|"
        r"conciliateur|dgccrf|ufc|que choisir|60 millions|association de consommateurs|"
        r"signal ?conso|arcep|cnil|prud ?hommes|action en justice|action collective|"
        r"class action|illegal\w*|illicite|clause abusive|pratique abusive|litige|contentieux|"
        r"code de la consommation|lawyer|attorney|solicitor|sue|suing|sued|lawsuit|"
        r"legal action|legal proceedings|(?:in|to|see you in|take you to) court|small claims|"
        r"ombudsman|trading standards|fcc|ofcom|better business bureau|bbb|"
        r"consumer protection|cease and desist|formal notice|letter before action|"
        r"legal team|know my rights|connais mes droits|breach of contract|rupture de contrat|"
        r"violation du contrat|data protection authority)",
    ),
    P(
        "legal",
        0.85,
        r"(?:conteste formellement|formellement|formally dispute|"
        r"je n ai jamais (?:signe|souscrit|accepte|demande|commande)|i never (?:signed|agreed|"
        r"ordered|subscribed|authori[sz]ed)|jamais signe|jamais souscrit|never signed|"
        r"never agreed|sans mon (?:accord|consentement)|without my (?:consent|permission|"
        r"agreement))",
    ),
    P(
        "legal",
        0.6,
        r"(?:contestation|recours|vous n avez pas le droit|pas le droit de|you have no right|"
        r"no right to|not legal|abusif|abusive)",
    ),
    P("legal", 0.45, r"(?:contester|dispute|je conteste|contestons)"),
    # ---------------------------------------------------------------- complaint
    P(
        "complaint",
        0.9,
        r"(?:reclamation|reclamations|me plaindre|je me plains|plaindre|complaint|complain|"
        r"complaining|lodge|formal complaint|file a complaint|escalade|escalation)",
    ),
    P(
        "complaint",
        0.88,
        r"(?:technicien|technician|livreur|livreurs|delivery (?:guy|man|driver|person|people)|"
        r"driver|courier|engineer|installateur|installer|vendeur|vendeuse|salesman|saleswoman|"
        r"sales rep|conseiller|conseillere|agent|staff|employe|employee|personnel|accueil|"
        r"installation|intervenant) ~6 (?:impoli\w*|insolent\w*|irrespectueu\w*|mal parle|"
        r"mal parler|agressi\w*|insulte\w*|menti|menteur|menteuse|lied|lie|lying|rude|"
        r"disrespectful|aggressive|insulted|shouted|crie|hurle|abime\w*|casse|endommage\w*|"
        r"detruit|sali|damaged|broke|scratched|destroyed|ruined|raye|vole|stole|arnaque|"
        r"odieu\w*|meprisant\w*|condescend\w*|desagreable|unpleasant|unprofessional|"
        r"pas professionnel|raccroche|hung up|hang up|laisse tomber|just left|est parti|"
        r"pas venu|jamais venu|never came|never showed|no show|lapin|jete|jeter|lance|"
        r"balance|threw|thrown|tossed|left (?:it|my parcel|the parcel|my package) (?:outside|"
        r"in the rain|on the street)|left a mess|laisse (?:en plan|tout en vrac))",
    ),
    P(
        "complaint",
        0.6,
        r"(?:(?:tres|vraiment|extremement|profondement) (?:decue?s?|mecontente?s?)|"
        r"(?:very|extremely|deeply|really) (?:disappointed|unhappy|dissatisfied)|"
        r"promesse non tenue|"
        r"on m avait promis|vous m aviez promis|you promised|was promised|were promised|"
        r"broken promise)",
    ),
    P(
        "complaint",
        0.45,
        r"(?:decu|decue|decus|decues|deception|disappointed|disappointing|mecontent\w*|"
        r"insatisfait\w*|unhappy|dissatisfied|not happy|pas content\w*)",
    ),
    # ---------------------------------------------------------------- fraud / security
    P(
        "fraud_security",
        0.92,
        r"(?:pirat\w*|hack\w*|usurp\w*|identity theft|vol d identite|vole mon identite|"
        r"stolen identity|ransomware|rancongiciel|malware|keylogger|sim swap\w*|"
        r"account takeover|prise de controle)",
        negatable=True,
        informational=True,
    ),
    P(
        "fraud_security",
        0.9,
        r"(?:(?:on|quelqu un|ils|il|elle) m a vole|m a ete vole\w*|(?<!atm )(?<!machine )"
        r"(?<!distributeur )(?:vol|vole|volee|voles|"
        r"volees|stolen|stole|theft|nicked|snatched|pickpocket\w*|cambriol\w*|robbed|burgl\w*)"
        r" ~3 <DEVICE>|<DEVICE> ~3 (?:vol|vole|volee|stolen|nicked|snatched)|agressee?|mugged)",
        negatable=True,
    ),
    P("fraud_security", 0.45, r"(?:strange|weird|bizarres?|etranges?) ~2 <MONEYMOVES>"),
    # Money that left without the customer: "a payment I didn't do", "not done by me".
    P(
        "fraud_security",
        0.88,
        r"<MONEYMOVES> ~10 (?:(?:i|je|j) (?:did not|never|have not|had not|n ai (?:pas|jamais)|"
        r"ne|n) ~1 (?:make|made|do|done|authori[sz]e\w*|order\w*|buy|bought|recogni[sz]e|"
        r"remember|submit\w*|create\w*|request\w*|approve\w*|fait\w*|effectue\w*|"
        r"autorise\w*|commande\w*|demande\w*|reconnais|connais|souviens|valide\w*)|"
        r"(?:not|never|pas|jamais) (?:been )?(?:done|made|authori[sz]ed|submitted|created|"
        r"requested|approved|initiated|fait\w*|effectue\w*|autorise\w*) (?:by me|par moi)|"
        r"was not me|not mine|unfamiliar|i have never seen|never seen before|jamais vu\w*|"
        r"je ne connais pas|i do not know)",
    ),
    P(
        "fraud_security",
        0.88,
        r"(?:unfamiliar|unrecogni[sz]ed|never seen|jamais vu\w*|non reconnu\w*|"
        r"(?:i|je|j) (?:did not|never|n ai pas|n ai jamais) (?:make|made|do|authori[sz]e|fait|"
        r"effectue|autorise)(?: (?:a|an|any|this|that|these|those|ce|cet|cette|ces|un|une|de|d))?)"
        r" ~1 <MONEYMOVES>",
    ),
    P(
        "fraud_security",
        0.45,
        r"(?:lost|perdu|perdue|egare\w*) ~2 <DEVICE>|<DEVICE> ~3 (?:lost|perdu|perdue|egare\w*)",
    ),
    P(
        "fraud_security",
        0.88,
        r"(?:arnaqu\w*|escroc\w*|escroquer\w*|scam\w*|phishing|phish\w*|hameconn\w*|smishing|"
        r"vishing|spoof\w*|fraud\w*|frauduleu\w*|faux (?:conseiller|sms|mail|message|site|appel|"
        r"technicien|agent)|fausse (?:conseillere|banque|facture)|fake (?:call|text|email|"
        r"website|agent|advisor|site)|suspicious (?:login|activity|transaction|charge|payment|"
        r"email|text|call)|connexion suspecte|activite suspecte|transaction suspecte)",
        negatable=True,
        informational=True,
    ),
    P(
        "fraud_security",
        0.9,
        r"(?:(?:jamais|ni) (?:fait|faits|faite|faites|effectue\w*|autorise\w*|commande\w*|"
        r"demande\w*|valide\w*|souscrit\w*)|(?:ne |n )?reconnais (?:pas|aucun\w*)|inconnu\w*|"
        r"non autorise\w*|not (?:authori[sz]ed|recogni[sz]ed)|did not (?:authori[sz]e|"
        r"recogni[sz]e)|never (?:made|authori[sz]ed|ordered)|unauthori[sz]ed|unknown|"
        r"do not recogni[sz]e|suspect\w*) ~3 <MONEYMOVES>|"
        r"<MONEYMOVES> ~5 (?:que (?:je|j) (?:n ai|ai) (?:pas|jamais) ~1 (?:fait|faits|faite|faites|"
        r"effectue\w*|autorise\w*|commande\w*|demande\w*)|que je (?:ne |n )?(?:reconnais|"
        r"connais) pas|inconnu\w*|non autorise\w*|i (?:did not|never) (?:make|made|authori[sz]e|"
        r"order|buy|recogni[sz]e)|i do not recogni[sz]e|unauthori[sz]ed|not mine|unknown)",
    ),
    P(
        "fraud_security",
        0.85,
        r"(?:unauthori[sz]ed|suspicious|strange|unknown|non autorise\w*|suspecte?s?|inconnue?s?|"
        r"bizarres?|etranges?|weird) ~2 (?:login|logins|log in|sign in|access|connexion|"
        r"connexions|connection|acces|activity|activite|device|appareil)|(?:login|logged in|"
        r"log in|sign in|signed in|connexion|connecte\w*|acces|access\w*) ~5 (?:depuis l etranger|"
        r"from (?:another|a different|an unknown|a foreign) (?:country|location|device|ip)|"
        r"from abroad|d un autre pays|depuis un autre pays|inconnu\w*|unknown)",
    ),
    P(
        "fraud_security",
        0.88,
        r"(?:quelqu un|someone|somebody|un inconnu|a stranger|un tiers) (?:d autre |else )?"
        r"(?:(?:might|may|must|could|seems to|doit|peut) )?(?:have |has |avoir |a )?"
        r"(?:s est connecte|est connecte|a acces|a eu acces|utilise|a utilise|se sert|accede|"
        r"a change|a modifie|a ouvert|logged|log in|logging|accessed|has access|is using|used|"
        r"changed|opened|took over|got into|charged|spent|a pirate|hacked|ordered|bought|"
        r"purchased|made purchases|paid|a commande|a achete|a paye|commande|achete)"
        r"(?! (?:mon|my|ma|notre|our|the|le) (?:wifi|wi fi|reseau|network|connexion|connection|"
        r"bande passante|bandwidth|box))",
    ),
    P(
        "fraud_security",
        0.85,
        r"(?:(?:j ai|i|je lui ai|je leur ai) (?:donne|communique|transmis|gave|shared|told|"
        r"sent|read out) ~3 (?:code|codes|mot de passe|identifiants|coordonnees|numero de carte|"
        r"cryptogramme|password|pin|details|bank|card|otp)|(?:j ai|i) (?:clique|clicked|"
        r"tapped|opened) ~3 (?:lien|link)|(?:entered|typed|saisi|tape) ~4 (?:on|sur|in|dans) "
        r"(?:the|a|ce|un|le|that|this) (?:site|link|lien|page|fake|faux)|"
        r"en votre nom|se (?:faisant|faisait) passer pour|pretend\w* to be (?:you|your|from)|"
        r"claiming to be (?:you|from)|impersonat\w*|in your name|on your behalf)",
    ),
    P(
        "fraud_security",
        0.7,
        r"(?:(?:sms|mail|email|e mail|appel|message|texto|text|call|courrier|lien|link) ~3 "
        r"(?:bizarre|suspect|suspecte|frauduleux|frauduleuse|louche|etrange|weird|strange|"
        r"dodgy|suspicious|fake|faux|fausse)|(?:me demandant|demandant|asking for|asking me for|"
        r"asked for|asked me for) (?:mes|mon|ma|my) (?:codes?|mot de passe|identifiants|"
        r"coordonnees bancaires|codes bancaires|numero de carte|password|pin|card (?:number|"
        r"details)|bank details|login))",
        informational=True,
    ),
    P(
        "fraud_security",
        0.75,
        r"(?:bloquez|bloquer|bloque|block|freeze|suspendre|couper|coupez|desactiver) ~3 (?:ma ligne|"
        r"ma carte|ma sim|mon compte|ma carte sim|my line|my card|my sim|my account|my phone|"
        r"mon telephone|mon portable|the sim|la sim|la ligne|la carte|the card|the account|"
        r"mon compte) ~3 (?:tout de suite|"
        r"immediatement|urgence|urgent|vite|maintenant|asap|now|immediately|right now|"
        r"right away|quickly)",
    ),
    P(
        "fraud_security",
        0.85,
        r"(?:c est une fraude|c est de la fraude|victime d (?:une|un) \w+|victim of|"
        r"been (?:scammed|hacked|defrauded|compromised)|je pense (?:etre|avoir ete|que c est) ~3 "
        r"(?:victime|fraude|arnaque|pirate\w*)|i think (?:i have|i was|it is|this is|my) ~3 "
        r"(?:scam\w*|fraud\w*|hack\w*|compromise\w*))",
    ),
    P(
        "fraud_security",
        0.5,
        r"(?:(?:was not|were not|c etait pas|ce n etait pas) (?:me|moi))(?= [.,?])",
    ),
    P(
        "fraud_security",
        0.5,
        r"(?:ma (?:sim|ligne) (?:a ete )?(?:desactivee|coupee) (?:toute seule|sans raison)|"
        r"my sim (?:stopped working|was deactivated) (?:suddenly|for no reason)|"
        r"mot de passe (?:a ete )?(?:change|modifie) sans|password (?:was|has been) changed "
        r"without|je ne recois plus (?:mes )?(?:codes|sms) (?:bancaires|de la banque))",
    ),
    # ---------------------------------------------------------------- negotiation
    P(
        "negotiation",
        0.88,
        r"(?:concurren\w*|competitor\w*|the competition|autre (?:operateur|fournisseur|banque|"
        r"prestataire|assureur)|another (?:provider|operator|carrier|company|bank|supplier|"
        r"network)|sfr|bouygues|sosh|vodafone|verizon|t mobile|comcast|xfinity|"
        r"chez (?:free|orange|sfr|bouygues|sosh|red)) ~8 (?:moins cher\w*|cheaper|propos\w*|"
        r"offr\w*|offer\w*|prix|tarifs?|price\w*|deal|half|moitie|aligner|align|match|remise|"
        r"discount|better|de moins|less|moins)|(?:offer|offre|price|prix|deal|quote|tarif|devis) ~3 (?:from|de|du|"
        r"d|chez|of|at) ~2 (?:concurren\w*|competitor\w*|another (?:provider|operator|carrier|"
        r"company))",
    ),
    P(
        "negotiation",
        0.88,
        r"(?:(?:partir|pars|part|partirai|partons|irai|vais|aller|passerai) (?:chez (?!vous )[a-z0-9]+|"
        r"a la concurrence|ailleurs)|aller (?:voir ailleurs|a la concurrence)|"
        r"voir ailleurs|passer (?:chez (?!vous )[a-z0-9]+|a la concurrence)|changer d (?:operateur|"
        r"fournisseur|banque|prestataire)|quitter (?:votre|vos|l operateur)|je vous quitte|"
        r"switch\w* (?:to|over to) (?:(?:another|a different|a cheaper) (?:provider|operator|"
        r"bank|company|carrier|network|supplier)|your competitor|the competition|sky|bt|virgin|"
        r"ee|o2|vodafone)|take my business elsewhere|"
        r"go elsewhere|(?:will|going to|gonna) leave (?:you|if|unless)|leave for (?:another|"
        r"a competitor|your competitor|a cheaper)|move to (?:another|a different|a cheaper|"
        r"your competitor))",
    ),
    P(
        "negotiation",
        0.85,
        r"(?:(?:j envisage|envisage|je songe a|sinon je|ou je|je pense) ~2 (?:resilier|partir|"
        r"quitter|changer d operateur|vous quitter)|(?:resilier|resilie|partir|quitter|"
        r"cancel\w*|leave|leaving|switch\w*) ~2 (?:sauf si|a moins que|si vous ne|unless|"
        r"if you (?:do not|can not|will not))|(?:thinking (?:of|about)|considering) "
        r"(?:leaving|cancel\w*|switching|moving|going elsewhere|closing my account)|unless you)",
    ),
    P("negotiation", 0.45, r"(?:je vais|je compte|je veux) resilier"),
    P("negotiation", 0.4, r"switch\w* (?:providers?|operators?|carriers?|networks?)"),
    P(
        "negotiation",
        0.7,
        r"(?:si vous ne (?:baissez|faites|proposez|alignez|reduisez|m accordez|me faites)|"
        r"(?:or|sinon|ou) (?:i m|i am|je suis) (?:gone|out|parti)|or i (?:will )?(?:leave|walk|"
        r"cancel|switch))",
    ),
    P(
        "negotiation",
        0.9,
        r"(?:geste commercial|geste co|faire un (?:geste|effort)|un petit geste|"
        r"faites un effort|(?:vous )?aligner|match(?: (?:the|this|their|that|a|an|his|her))?"
        r" ~2 (?:price|offer|deal|competitor\w*|quote)|price match\w*|(?:re)?negoci\w*|"
        r"(?:re)?negotiat\w*|haggl\w*|marchand\w*|ristourne|rabais|retention (?:offer|team|"
        r"department)|service (?:fidelisation|resiliation)|offre de fidelite|"
        r"loyalty (?:discount|offer))",
    ),
    P(
        "negotiation",
        0.75,
        r"(?:(?:je merite|je meriterais|meriterais|merite|deserve|give me|accordez moi|"
        r"m accorder|faites moi|offrez moi) ~2 (?:remise|reduction|ristourne|rabais|discount|"
        r"better price|meilleur prix|better deal|geste)|(?:i want|je veux|je voudrais|"
        r"vous pouvez me faire|can you give me) (?:a|une|un) (?:remise|reduction|discount|"
        r"better price|meilleur prix|better deal))",
    ),
    P(
        "negotiation",
        0.45,
        r"(?:can i get|could i get|puis je avoir|je peux avoir) (?:a|une|un) (?:remise|"
        r"reduction|discount|better price|meilleur prix|better deal)",
    ),
    P(
        "negotiation",
        0.75,
        r"(?:what (?:can|could|will) you (?:offer|do for) me|qu est ce que vous (?:pouvez )?"
        r"me propos\w*|que (?:pouvez vous|pourriez vous) me (?:proposer|faire)|"
        r"vous me proposez quoi|(?:offer|propos\w*) ~3 (?:to stay|pour (?:me garder|que je "
        r"reste|rester)))",
    ),
    P(
        "negotiation",
        0.45,
        r"(?:client depuis (?:[0-9]+|plus de|des) ~1 (?:ans|annees)|fidele depuis|"
        r"loyal customer|customer for (?:[0-9]+|over|more than|many) ~1 years|"
        r"been with you for|client fidele)",
    ),
    P(
        "negotiation",
        0.3,
        r"(?:trop cher|too expensive|baissez|baisser le prix|lower (?:my|the) (?:price|bill)|"
        r"reduce my bill)",
    ),
)

# Business-critical outages are a combination: something of a business is
# down, and the scope or the impact is large.
OUTAGE_BUSINESS = (
    r"(?:entreprise|societe|bureau|bureaux|agence|agences|salaries|employes|collaborateurs|"
    r"equipe|equipes|magasin|magasins|boutique|caisse|caisses|terminal de paiement|"
    r"terminaux|restaurant|usine|cabinet|production|prod|serveur|serveurs|site|sites|"
    r"site web|site internet|e commerce|plateforme|standard|standard telephonique|clients|"
    r"personnes|company|business|office|offices|staff|employees|team|shop|store|till|"
    r"tills|pos|point of sale|checkout|customers|server|servers|website|platform|api|"
    r"warehouse|entrepot|factory|switchboard|call cent(?:er|re)|orders|commandes|ventes|"
    r"sales|payments|paiements|users|utilisateurs|systeme|system|systems|network|reseau)"
)
OUTAGE_SITE = (
    r"(?:clinique|hopital|ehpad|pharmacie|cabinet medical|clinic|hospital|pharmacy|"
    r"care home|nursing home|urgences|samu|pompiers|maison de retraite)"
)
OUTAGE_DOWN = (
    r"(?:panne|pannes|en panne|(?<!shut )(?<!turn )down|hors service|(?:ne )?(?:fonctionne|fonctionnent|marche|"
    r"marchent|repond|repondent) plus|plus de (?:reseau|internet|connexion|telephone|ligne|"
    r"wifi|reseau)|sans (?:internet|reseau|connexion|telephone|ligne)|coupe|coupes|coupee|"
    r"coupees|coupure|offline|hors ligne|inaccessibles?|bloque|bloques|bloquee|bloquees|"
    r"a l arret|not working|stopped working|no (?:internet|network|connection|service)|"
    r"can not (?:work|connect|access|log in)|ne (?:peuvent|peut|pouvons) plus (?:travailler|"
    r"encaisser|vendre|bosser|se connecter)|outage|erreur 500|500s|500 errors?|"
    r"returning (?:errors|500)|crash\w*|plante|plantee|unreachable|unavailable|indisponibles?)"
)
OUTAGE_SCOPE = (
    r"(?:tout|toute|toutes|tous|entier|entiere|whole|entire|all|nobody|no one|personne ne|"
    r"aucun|aucune|none|nos|notre|our|we|on ne|nous|"
    r"[0-9]{2,} (?:salaries|personnes|employes|employees|people|users|utilisateurs|clients|"
    r"customers|magasins|stores|sites|agences))"
)
OUTAGE_IMPACT = (
    r"(?:perd\w* (?:de l argent|des ventes|des clients|du chiffre|des commandes|de l argent)|"
    r"losing (?:money|sales|customers|revenue|business|orders)|can not (?:take|process|"
    r"accept) (?:orders|payments|cards)|can not check ?out|ne (?:peut|peuvent|pouvons) plus "
    r"(?:travailler|encaisser|vendre|prendre|bosser|commander|payer)|(?:nobody|no one) can "
    r"(?:work|pay|order)|personne ne peut (?:travailler|bosser)|urgent|urgence|critique|"
    r"critical|emergency|paralyse\w*|a l arret|business critical|clients ne peuvent|"
    r"customers can not|patients|sans pouvoir travailler)"
)

# Anger that shows in the shape of the message, and sarcasm.
ANGRY_EMOJI = "\U0001f620\U0001f621\U0001f92c\U0001f4a9\U0001f595\U0001f44e\U0001f624"
SARCASM_TROUBLE = (
    r"(?:panne|pannes|coupe|coupee|coupure|coupures|outage|outages|down|augment\w*|hausse|"
    r"double|doubled|increase|increased|bug|bugs|plante|crash\w*|broken|casse|retard|late|"
    r"delay\w*|pour rien|for nothing|no refund|toujours pas|still no|still not|sans internet|"
    r"offline|factures?|bill|charged|prelev\w*|attente|hold|waiting|rate|missed|perdu|lost)"
)
SARCASM_REPEAT = (
    r"(?:encore|again|another|yet|une autre|un autre|nouvelle|nouveau|de nouveau|toujours|"
    r"still|pour rien|for nothing|[2-9](?:e|eme|nd|rd|th)|third|troisieme|deuxieme|second|"
    r"this week|cette semaine|ce mois|this month|chaque|every)"
)
RESOLVED = (
    r"(?:resolu|resolue|regle|reglee|ca marche|ca fonctionne|tout fonctionne|fonctionne "
    r"(?:bien|maintenant|a nouveau)|worked|works now|solved|fixed|all good|c est bon|"
    r"merci pour votre aide|thanks for (?:your|the) help|thank you for (?:your|the) help|"
    r"problem solved|probleme resolu)"
)


_MACRO = re.compile(r"<([A-Z_]+)>")
_GAP = re.compile(r" ~(\d+) ")


def expand(source: str) -> str:
    """A pattern's regular expression: macros substituted, gaps spelled out."""
    for _ in range(4):  # macros may use macros
        source = _MACRO.sub(lambda m: MACROS[m[1]], source)
    return _GAP.sub(lambda m: f"(?: [a-z0-9]+){{0,{m[1]}}} ", source)


def _sources() -> list[str]:
    texts = [expand(p.source) for p in PATTERNS] + [expand(v) for v in MACROS.values()]
    texts += list(NEGATION.values())
    texts += [
        HOWTO,
        EVENT,
        OUTAGE_BUSINESS,
        OUTAGE_SITE,
        OUTAGE_DOWN,
        OUTAGE_SCOPE,
        OUTAGE_IMPACT,
        SARCASM_TROUBLE,
        SARCASM_REPEAT,
        RESOLVED,
    ]
    return [re.sub(r"\\[a-zA-Z]", " ", text) for text in texts]


@cache
def spelled_words() -> frozenset[str]:
    """Every word the patterns spell out."""
    words: set[str] = set()
    for text in _sources():
        words.update(re.findall(r"[a-z]{3,}", text))
    return frozenset(words)


@cache
def fuzzy_targets() -> frozenset[str]:
    """Words a typo is corrected towards: the patterns' words of five letters or more."""
    return frozenset(w for w in spelled_words() | set(FUZZY_VOCAB) if len(w) >= 5 and w.isalpha())


def typo_limit(length: int) -> int:
    """How many edits a word of this length may carry and still be recognised."""
    return 2 if length >= 10 else 1


@cache
def _targets_by_letter() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for word in sorted(fuzzy_targets()):
        index.setdefault(word[0], []).append(word)
    return {letter: tuple(words) for letter, words in index.items()}


def nearest_target(word: str) -> str | None:
    """The keyword `word` is a typo of, if any: same first letter, few edits.

    Says nothing of whether `word` is itself a real word: callers check that.
    """
    best: tuple[int, float, str] | None = None
    for target in _targets_by_letter().get(word[:1], ()):
        limit = typo_limit(max(len(word), len(target)))
        if abs(len(target) - len(word)) > limit:
            continue
        distance = OSA.distance(word, target, score_cutoff=limit)
        if distance > limit:
            continue
        # Equal edits: the closer in letters wins ("usless" is "useless", not "unless").
        key = (distance, -Indel.normalized_similarity(word, target), target)
        if best is None or key < best:
            best = key
    return best[2] if best else None

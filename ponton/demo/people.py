"""The demo company's staff and customers."""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model

from ponton.accounts.models import Channel, CustomerProfile, Role, Skill, Team

DEMO_PASSWORD = "demo"

SKILLS = {
    "billing": "Facturation",
    "fibre": "Fibre et box",
    "mobile": "Mobile",
    "tv": "TV",
    "bureau": "Hirondelle Bureau",
    "english": "English",
}
TEAMS = {
    "front": ("Accueil et selfcare", ["billing", "fibre", "mobile"]),
    "technical": ("Support technique", ["fibre", "mobile", "tv"]),
    "billing": ("Facturation", ["billing"]),
    "business": ("Clients professionnels", ["bureau", "billing", "english"]),
}
# username, first, last, role, teams, skills, language
STAFF = [
    ("admin", "Alex", "Admin", Role.ADMIN, [], [], "fr"),
    ("supervisor", "Sophie", "Renaud", Role.SUPERVISOR, list(TEAMS), [], "fr"),
    (
        "agent",
        "Karim",
        "Benali",
        Role.AGENT,
        ["front", "technical"],
        ["fibre", "mobile", "tv"],
        "fr",
    ),
    (
        "agent2",
        "Julie",
        "Moreau",
        Role.AGENT,
        ["billing", "business"],
        ["billing", "bureau", "english"],
        "fr",
    ),
    ("camille", "Camille", "Dupont", Role.AGENT, ["front"], ["billing", "mobile"], "fr"),
    ("thomas", "Thomas", "Nguyen", Role.AGENT, ["technical"], ["fibre", "tv", "english"], "en"),
]
FIRST_NAMES = [
    "Marie",
    "Lucas",
    "Emma",
    "Hugo",
    "Chloé",
    "Louis",
    "Léa",
    "Gabriel",
    "Manon",
    "Arthur",
    "Inès",
    "Jules",
    "Sarah",
    "Adam",
    "Camille",
    "Nathan",
    "Zoé",
    "Raphaël",
    "Alice",
    "Paul",
    "Jade",
    "Mohamed",
    "Lina",
    "Tom",
    "Eva",
    "Noah",
    "Rose",
    "Ethan",
    "Anna",
    "Samuel",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
]
PLANS = [
    ("essentiel", ["fibre"], "residential"),
    ("fibre-max", ["fibre", "tv"], "residential"),
    ("mobile-20", ["mobile"], "residential"),
    ("mobile-5g", ["mobile"], "residential"),
    ("fibre-max", ["fibre", "tv", "mobile"], "residential"),
    ("pro", ["fibre", "bureau"], "business"),
]


def create_people(rng: random.Random, customers: int = 60) -> dict[str, list]:
    users = get_user_model().objects
    skills = {code: Skill.objects.create(code=code, name=name) for code, name in SKILLS.items()}
    teams = {}
    for slug, (name, team_skills) in TEAMS.items():
        team = teams[slug] = Team.objects.create(slug=slug, name=name)
        team.skills.set([skills[s] for s in team_skills])
    staff = []
    for username, first, last, role, team_slugs, skill_codes, lang in STAFF:
        user = users.create_user(
            username,
            email=f"{username}@hirondelle.example",
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            role=role,
            language=lang,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        user.teams.set([teams[t] for t in team_slugs])
        user.skills.set([skills[s] for s in skill_codes])
        staff.append(user)
    advisors = [u for u in staff if u.role == Role.AGENT]

    client = users.create_user(
        "client",
        email="claire.martin@example.net",
        password=DEMO_PASSWORD,
        first_name="Claire",
        last_name="Martin",
        role=Role.CUSTOMER,
        language="fr",
    )
    CustomerProfile.objects.create(
        user=client,
        customer_number="40012345",
        plan="fibre-max",
        modules=["fibre", "tv", "mobile"],
        segment="residential",
        phone="+33600000001",
        preferred_channel=Channel.CHAT,
        referent_advisor=users.get(username="agent"),
    )
    people = [client]
    for n in range(customers):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        plan, modules, segment = rng.choice(PLANS)
        lang = "en" if rng.random() < 0.15 else "fr"
        user = users.create_user(
            f"customer{n + 1:03d}",
            email=f"customer{n + 1:03d}@example.net",
            password=None,
            first_name=first,
            last_name=last,
            role=Role.CUSTOMER,
            language=lang,
        )
        CustomerProfile.objects.create(
            user=user,
            customer_number=f"4{rng.randrange(10**6, 10**7)}",
            plan=plan,
            modules=modules,
            segment=segment,
            prefers_person=rng.random() < 0.08,
            preferred_channel=rng.choice(
                [Channel.CHAT, Channel.CHAT, Channel.EMAIL, Channel.PHONE]
            ),
            accessibility_needs="Malentendant : privilégier l'écrit" if rng.random() < 0.03 else "",
            referent_advisor=rng.choice(advisors) if segment == "business" else None,
        )
        people.append(user)
    return {"staff": staff, "customers": people}

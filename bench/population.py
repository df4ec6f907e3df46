"""A realistic school population, generated from a seed: families, students, guardians, staff.

Names follow French frequencies closely enough to matter for an importer: a few surnames are
very common (so logins collide: ``lea.martin``, ``lea.martin2``…), first names follow the
generations (children born around 2010, parents around 1980), and a share of names are
compound (``Jean-Baptiste``, ``Le Goff``, ``Martin-Dubois``), carry particles or apostrophes
(``de La Fontaine``, ``N'Diaye``) or letters beyond Latin-1 (``Nguyễn``, ``Łukasiewicz``).
Families have one to three children, sometimes twins; siblings of different ages attend the
collège and the lycée of the same district, so one guardian appears in two establishments.

Used by ``bench/bench_import.py`` and to regenerate the demo school's files::

    python -m bench.population demo src/preau/provisioning/demo_data
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers

# (name, weight): weights roughly follow INSEE frequencies, flattened.
LAST_NAMES = [
    ("Martin", 60), ("Bernard", 30), ("Thomas", 28), ("Petit", 27), ("Robert", 26),
    ("Richard", 25), ("Durand", 24), ("Dubois", 24), ("Moreau", 23), ("Laurent", 22),
    ("Simon", 22), ("Michel", 21), ("Lefèvre", 20), ("Leroy", 20), ("Roux", 18),
    ("David", 18), ("Bertrand", 18), ("Morel", 17), ("Fournier", 17), ("Girard", 17),
    ("Bonnet", 16), ("Dupont", 16), ("Lambert", 16), ("Fontaine", 15), ("Rousseau", 15),
    ("Vincent", 15), ("Muller", 14), ("Lefebvre", 14), ("Faure", 14), ("André", 14),
    ("Mercier", 14), ("Blanc", 13), ("Guérin", 13), ("Boyer", 13), ("Garnier", 13),
    ("Chevalier", 12), ("François", 12), ("Legrand", 12), ("Gauthier", 12), ("Garcia", 12),
    ("Perrin", 11), ("Robin", 11), ("Clément", 11), ("Morin", 11), ("Nicolas", 11),
    ("Henry", 10), ("Roussel", 10), ("Mathieu", 10), ("Gautier", 10), ("Masson", 10),
    ("Marchand", 10), ("Duval", 10), ("Denis", 10), ("Dumont", 10), ("Marie", 9),
    ("Lemaire", 9), ("Noël", 9), ("Meyer", 9), ("Dufour", 9), ("Meunier", 9), ("Brun", 9),
    ("Blanchard", 9), ("Giraud", 9), ("Joly", 9), ("Rivière", 8), ("Lucas", 8), ("Brunet", 8),
    ("Gaillard", 8), ("Barbier", 8), ("Arnaud", 8), ("Martinez", 8), ("Gérard", 8),
    ("Roche", 8), ("Renard", 8), ("Schmitt", 8), ("Roy", 8), ("Leroux", 8), ("Colin", 8),
    ("Vidal", 7), ("Caron", 7), ("Picard", 7), ("Roger", 7), ("Fabre", 7), ("Aubert", 7),
    ("Lemoine", 7), ("Renaud", 7), ("Dumas", 7), ("Lacroix", 7), ("Olivier", 7),
    ("Philippe", 7), ("Bourgeois", 7), ("Pierre", 7), ("Benoît", 7), ("Rey", 6),
    ("Leclerc", 6), ("Payet", 6), ("Rolland", 6), ("Leclercq", 6), ("Guillaume", 6),
    ("Lecomte", 6), ("Lopez", 6), ("Jean", 6), ("Dupuy", 6), ("Guillot", 6), ("Hubert", 6),
    ("Berger", 6), ("Carpentier", 6), ("Sanchez", 6), ("Dupuis", 6), ("Moulin", 6),
    ("Louis", 6), ("Deschamps", 6), ("Huet", 6), ("Vasseur", 5), ("Perez", 5),
    ("Boucher", 5), ("Fleury", 5), ("Royer", 5), ("Klein", 5), ("Jacquet", 5), ("Adam", 5),
    ("Paris", 5), ("Poirier", 5), ("Marty", 5), ("Aubry", 5), ("Guyot", 5), ("Carré", 5),
    ("Charles", 5), ("Renault", 5), ("Charpentier", 5), ("Ménard", 5), ("Maillard", 5),
    ("Baron", 5), ("Bertin", 5), ("Bailly", 5), ("Hervé", 5), ("Schneider", 5),
    ("Fernandez", 5), ("Le Gall", 5), ("Collet", 5), ("Léger", 5), ("Bouvier", 5),
    ("Julien", 5), ("Prévost", 5), ("Millet", 5), ("Perrot", 5), ("Daniel", 5),
    ("Le Roux", 5), ("Cousin", 4), ("Germain", 4), ("Breton", 4), ("Besson", 4),
    ("Langlois", 4), ("Rémy", 4), ("Le Goff", 4), ("Pelletier", 4), ("Lévêque", 4),
    ("Perrier", 4), ("Leblanc", 4), ("Barré", 4), ("Lebrun", 4), ("Marchal", 4),
    ("Weber", 4), ("Mallet", 4), ("Hamon", 4), ("Boulanger", 4), ("Jacob", 4),
    ("Monnier", 4), ("Michaud", 4), ("Rodriguez", 4), ("Guichard", 4), ("Gillet", 4),
    ("Étienne", 4), ("Grondin", 4), ("Hoarau", 4), ("Mathis", 4), ("Hoareau", 3),
    ("Diallo", 4), ("Traoré", 3), ("N'Diaye", 3), ("Camara", 3), ("Diop", 3), ("Koné", 3),
    ("Benali", 3), ("Ben Ahmed", 3), ("Haddad", 3), ("Bouzid", 3), ("Mansouri", 3),
    ("Nguyễn", 3), ("Trần", 2), ("Lê", 2), ("Phạm", 2), ("Da Silva", 3), ("Dos Santos", 3),
    ("Ferreira", 3), ("Pereira", 3), ("Rodrigues", 3), ("Gonçalves", 2), ("Kowalski", 2),
    ("Łukasiewicz", 1), ("Wójcik", 1), ("Nowak", 2), ("Øvergaard", 1), ("Müller", 2),
    ("de La Fontaine", 2), ("d'Almeida", 2), ("D'Angelo", 2), ("de Saint-Exupéry", 1),
    ("Le Bihan", 2), ("Le Corre", 2), ("Le Floc'h", 1), ("Kerjean", 1), ("O'Neill", 1),
    ("Yılmaz", 1), ("Öztürk", 1), ("Çelik", 1), ("Ruiz", 2), ("Jiménez", 1), ("Núñez", 1),
    ("Ibáñez", 1), ("Ørsted", 1), ("Strauß", 1), ("Zhang", 1), ("Wang", 1), ("Abdallah", 2),
    ("Saïd", 2), ("Aït Ali", 2), ("Belkacem", 2), ("Chérif", 2), ("Lefèvre-Pontalis", 1),
]  # fmt: skip

GIRLS = [
    ("Emma", 30), ("Jade", 28), ("Louise", 27), ("Alice", 24), ("Chloé", 24), ("Lina", 22),
    ("Léa", 22), ("Rose", 20), ("Anna", 19), ("Mila", 18), ("Inès", 18), ("Ambre", 17),
    ("Julia", 17), ("Mia", 16), ("Léna", 16), ("Manon", 16), ("Juliette", 15), ("Lou", 15),
    ("Zoé", 15), ("Camille", 15), ("Agathe", 14), ("Jeanne", 14), ("Lucie", 13),
    ("Éva", 13), ("Nina", 12), ("Sarah", 12), ("Romane", 12), ("Inaya", 11), ("Charlotte", 11),
    ("Léonie", 11), ("Romy", 10), ("Adèle", 10), ("Iris", 10), ("Louna", 10), ("Clémence", 10),
    ("Margaux", 9), ("Héloïse", 9), ("Maëlys", 9), ("Anaïs", 9), ("Océane", 8),
    ("Marie-Lou", 5), ("Anne-Sophie", 3), ("Marie-Ange", 2), ("Aïssatou", 4), ("Fatoumata", 3),
    ("Yasmine", 6), ("Assia", 4), ("Maryam", 5), ("Thị Mai", 1), ("Zeynep", 2), ("Sofía", 2),
    ("Gwenaëlle", 2), ("Maïwenn", 3), ("Noémie", 6), ("Capucine", 4),
]  # fmt: skip

BOYS = [
    ("Gabriel", 30), ("Léo", 29), ("Raphaël", 27), ("Arthur", 25), ("Louis", 25), ("Jules", 23),
    ("Adam", 22), ("Maël", 21), ("Lucas", 21), ("Hugo", 20), ("Noah", 19), ("Liam", 18),
    ("Gabin", 17), ("Sacha", 17), ("Paul", 17), ("Nathan", 16), ("Aaron", 15), ("Mohamed", 15),
    ("Ethan", 14), ("Tom", 14), ("Éden", 12), ("Léon", 12), ("Noé", 12), ("Tiago", 11),
    ("Théo", 11), ("Isaac", 10), ("Marius", 10), ("Victor", 10), ("Martin", 9), ("Axel", 9),
    ("Timéo", 9), ("Enzo", 9), ("Mathis", 9), ("Clément", 8), ("Baptiste", 8), ("Évan", 8),
    ("Jean-Baptiste", 4), ("Pierre-Louis", 3), ("Jean", 3), ("Mathéo", 7), ("Ibrahim", 5),
    ("Amadou", 3), ("Yanis", 7), ("Rayan", 7), ("Ilyès", 4), ("Łukasz", 1), ("Øyvind", 1),
    ("Minh", 1), ("Emre", 2), ("Joaquín", 1), ("Malo", 5), ("Titouan", 4), ("Loïc", 2),
]  # fmt: skip

WOMEN = [
    ("Nathalie", 20), ("Stéphanie", 20), ("Sandrine", 18), ("Céline", 18), ("Isabelle", 16),
    ("Sophie", 16), ("Virginie", 15), ("Aurélie", 15), ("Émilie", 14), ("Karine", 14),
    ("Valérie", 13), ("Laetitia", 13), ("Séverine", 12), ("Christelle", 11), ("Delphine", 11),
    ("Julie", 11), ("Caroline", 10), ("Élodie", 10), ("Marie", 10), ("Audrey", 9),
    ("Anne-Sophie", 5), ("Marie-Laure", 4), ("Marie-Hélène", 3), ("Amandine", 9), ("Hélène", 8),
    ("Fatima", 7), ("Nadia", 6), ("Samira", 5), ("Aminata", 3), ("Mariam", 3), ("Ngọc Lan", 1),
    ("Agnieszka", 1), ("Sigrid", 1), ("Ana", 3), ("Ayşe", 1), ("Gaëlle", 5), ("Maud", 4),
]  # fmt: skip

MEN = [
    ("Sébastien", 20), ("Nicolas", 20), ("Julien", 18), ("Christophe", 17), ("Stéphane", 17),
    ("Frédéric", 15), ("David", 15), ("Olivier", 15), ("Laurent", 14), ("Jérôme", 13),
    ("Cédric", 12), ("Mickaël", 12), ("Grégory", 11), ("Jean-François", 6), ("Jean-Philippe", 5),
    ("Franck", 10), ("Thierry", 9), ("Pascal", 9), ("Éric", 9), ("Yannick", 8), ("Vincent", 9),
    ("Mohamed", 8), ("Karim", 6), ("Rachid", 5), ("Mamadou", 4), ("Thanh", 1), ("Piotr", 1),
    ("Ørjan", 1), ("João", 3), ("Mehmet", 2), ("Guillaume", 10), ("Anthony", 9), ("Loïc", 6),
    ("Jean-Marc", 4), ("Hervé", 5),
]  # fmt: skip

DISCIPLINES = [
    "Mathématiques", "Français", "Histoire-géographie", "Anglais", "Espagnol", "Allemand",
    "SVT", "Physique-chimie", "Technologie", "EPS", "Arts plastiques", "Éducation musicale",
]  # fmt: skip
STAFF_FUNCTIONS = [
    "Secrétariat de direction", "Conseiller principal d'éducation", "Principal",
    "Principal adjoint", "Gestionnaire", "Infirmière", "Assistant d'éducation",
]  # fmt: skip
DOMAINS = ["example.org", "example.com", "example.net"]


def _picker(pairs: list[tuple[str, int]]):  # type: ignore[no-untyped-def]
    names = [n for n, _w in pairs]
    cumulative = list(itertools.accumulate(w for _n, w in pairs))

    def pick(rng: random.Random) -> str:
        return rng.choices(names, cum_weights=cumulative)[0]

    return pick


pick_last, pick_girl, pick_boy = _picker(LAST_NAMES), _picker(GIRLS), _picker(BOYS)
pick_woman, pick_man = _picker(WOMEN), _picker(MEN)


def ascii_fold(value: str) -> str:
    text = value.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("Ø", "O")
    text = text.replace("ß", "ss").replace("đ", "d").replace("ı", "i")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c in "-")).lower()


def uai(number: int) -> str:
    from preau.directory.validators import uai_check_letter

    first7 = f"{number:07d}"
    return first7 + uai_check_letter(first7)


@dataclass
class Student:
    school_id: str
    ine: str
    last_name: str
    first_name: str
    other_first_names: str
    birth_date: dt.date
    class_code: str = ""


@dataclass
class Guardian:
    last_name: str
    first_name: str
    relationship: str
    legal: int
    email: str
    mobile: str
    postal_code: str


@dataclass
class School:
    uai: str
    name: str
    kind: str  # "college" | "lycee"
    postal_code: str
    students: list[Student] = field(default_factory=list)
    # (student, guardian) pairs: one line each in the guardians file.
    links: list[tuple[Student, Guardian]] = field(default_factory=list)


def in_service(digits: str) -> str:
    """Ten drawn digits moved, if need be, into a block of metropolitan mobiles that an operator
    holds: ``06 39`` and ``06 90``… are overseas, ``07 00`` to ``07 29`` belong to nobody, and
    Préau refuses a mobile that phonenumbers does not know as one (preau.notify.phones). The
    third digit is moved to 07 3x…07 9x without drawing again, so that the rest of a seeded
    population stays the same."""
    number = phonenumbers.parse(digits, "FR")
    if (
        phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    ):
        return digits
    return f"07{3 + int(digits[2]) % 7}{digits[3:]}"


class Population:
    def __init__(self, seed: int = 2026, school_start: int = 2026) -> None:
        self.rng = random.Random(seed)
        self.school_start = school_start
        self.emails: set[str] = set()
        self.mobiles: set[str] = set()
        self.ine_counter = itertools.count(1)
        self.guardian_count = 0

    def email(self, first: str, last: str) -> str:
        base = f"{ascii_fold(first)}.{ascii_fold(last.replace(' ', '-'))}"
        for n in itertools.count():
            candidate = f"{base}{n or ''}@{self.rng.choice(DOMAINS)}"
            if candidate not in self.emails:
                self.emails.add(candidate)
                return candidate
        raise AssertionError

    def mobile(self) -> str:
        while True:
            digits = in_service(f"0{self.rng.choice('67')}{self.rng.randrange(10**8):08d}")
            if digits not in self.mobiles:
                self.mobiles.add(digits)
                style = self.rng.random()
                if style < 0.6:
                    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
                if style < 0.9:
                    return digits
                return "+33 " + digits[1:]

    def ine(self) -> str:
        n = next(self.ine_counter)
        return f"{n:010d}{'ABCDEFGHJKLMNPRSTUVWXYZ'[n % 23]}"

    def last_name(self) -> str:
        if self.rng.random() < 0.03:
            return f"{pick_last(self.rng)}-{pick_last(self.rng)}"
        return pick_last(self.rng)

    def child(self, last: str, age: int, twin_of: Student | None = None) -> Student:
        rng = self.rng
        girl = rng.random() < 0.5
        first = pick_girl(rng) if girl else pick_boy(rng)
        other = ", ".join(
            (pick_girl if girl else pick_boy)(rng) for _ in range(rng.choice((0, 1, 1, 2)))
        )
        if twin_of is not None:
            birth = twin_of.birth_date
            while first == twin_of.first_name:
                first = pick_girl(rng) if girl else pick_boy(rng)
        else:
            year = self.school_start - age
            birth = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        return Student("", self.ine(), last.upper(), first, other, birth)

    def guardians(self, last: str, postal: str) -> list[Guardian]:
        rng = self.rng
        shape = rng.random()
        mother_last = last if rng.random() < 0.6 else self.last_name()
        mother = self.adult(mother_last, woman=True, relationship="Mère", legal=1, postal=postal)
        father = self.adult(last, woman=False, relationship="Père", legal=1, postal=postal)
        if shape < 0.06:
            return [mother]
        if shape < 0.08:
            return [father]
        family = [mother, father]
        if shape > 0.92:
            grandma = self.adult(
                self.last_name(), woman=True, relationship="Autre membre de la famille",
                legal=0, postal=postal,
            )  # fmt: skip
            family.append(grandma)
        elif shape > 0.90:
            family.append(
                self.adult(self.last_name(), woman=rng.random() < 0.5, relationship="Tuteur",
                           legal=2, postal=postal)
            )  # fmt: skip
        return family

    def adult(self, last: str, *, woman: bool, relationship: str, legal: int, postal: str):  # type: ignore[no-untyped-def]
        rng = self.rng
        first = pick_woman(rng) if woman else pick_man(rng)
        self.guardian_count += 1
        return Guardian(
            last_name=last.upper(),
            first_name=first,
            relationship=relationship,
            legal=legal,
            email=self.email(first, last) if rng.random() < 0.88 else "",
            mobile=self.mobile() if rng.random() < 0.92 else "",
            postal_code=postal,
        )


def generate(
    *, students: int, establishments: int, seed: int = 2026, school_start: int = 2026
) -> list[School]:
    """``establishments`` schools (7 collèges for 3 lycées), ``students`` students in all."""
    population = Population(seed, school_start)
    rng = population.rng
    n_lycees = max(1, establishments * 3 // 10)
    n_colleges = establishments - n_lycees
    schools: list[School] = []
    for i in range(establishments):
        lycee = i >= n_colleges
        department = 69 if i % 2 else 38
        postal = f"{department}{rng.randrange(1, 999):03d}"
        number = department * 10000 + 1000 + i * 7
        name = ("Lycée " if lycee else "Collège ") + f"{pick_man(rng)} {pick_last(rng)}"
        schools.append(School(uai(number), name, "lycee" if lycee else "college", postal))
    total = 0
    while total < students:
        district = rng.randrange(n_colleges)
        college = schools[district]
        lycee = schools[n_colleges + district * n_lycees // n_colleges]
        last = population.last_name()
        shape = rng.random()
        n_children = 1 if shape < 0.84 else (2 if shape < 0.97 else 3)
        family = population.guardians(last, college.postal_code)
        children: list[tuple[Student, School]] = []
        twins = n_children >= 2 and rng.random() < 0.05
        for k in range(n_children):
            age = rng.randrange(11, 18)
            twin_of = children[0][0] if twins and k == 1 else None
            if twin_of is not None:
                age = self_age(twin_of, school_start)
            child = population.child(last, age, twin_of)
            school = college if age <= 14 else lycee
            children.append((child, school))
        for child, school in children:
            child.school_id = str(100000 + len(school.students) + 1)
            school.students.append(child)
            for guardian in family:
                school.links.append((child, guardian))
            total += 1
    for school in schools:
        _assign_classes(school, school_start, rng)
    return schools


def self_age(student: Student, school_start: int) -> int:
    return school_start - student.birth_date.year


def _assign_classes(school: School, school_start: int, rng: random.Random) -> None:
    grades = (
        {14: "3", 13: "4", 12: "5", 11: "6"}
        if school.kind == "college"
        else {17: "T", 16: "1", 15: "2"}
    )
    by_grade: dict[str, list[Student]] = {}
    for student in school.students:
        age = min(max(school_start - student.birth_date.year, min(grades)), max(grades))
        by_grade.setdefault(grades[age], []).append(student)
    for grade, members in by_grade.items():
        n_classes = max(1, round(len(members) / 28))
        rng.shuffle(members)
        for index, student in enumerate(members):
            number = index % n_classes
            if school.kind == "college":
                student.class_code = f"{grade}{'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[number % 26]}"
                if number >= 26:
                    student.class_code += str(number // 26 + 1)
            else:
                label = {"2": "2NDE", "1": "1G", "T": "TG"}[grade]
                student.class_code = f"{label}{number + 1}"


# --- CSV -------------------------------------------------------------------------------------


def _csv(rows: list[list[str]], *, delimiter: str, encoding: str, bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def students_csv(
    school: School,
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
    iso_dates: bool = False,
    bom: bool = False,
) -> bytes:
    rows = [
        ["Numéro élève", "INE", "Nom", "Prénom", "Autres prénoms", "Date de naissance", "Classe"]
    ]
    for s in school.students:
        date = s.birth_date.isoformat() if iso_dates else s.birth_date.strftime("%d/%m/%Y")
        rows.append(
            [s.school_id, s.ine, s.last_name, s.first_name, s.other_first_names, date, s.class_code]
        )
    return _csv(rows, delimiter=delimiter, encoding=encoding, bom=bom)


def guardians_csv(school: School, *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    rows = [
        [
            "Numéro élève", "Nom", "Prénom", "Lien de parenté", "Responsabilité légale",
            "Courriel", "Téléphone mobile", "Code postal",
        ]
    ]  # fmt: skip
    for student, g in school.links:
        rows.append(
            [
                student.school_id,
                g.last_name,
                g.first_name,
                g.relationship,
                str(g.legal),
                g.email,
                g.mobile,
                g.postal_code,
            ]  # fmt: skip
        )
    return _csv(rows, delimiter=delimiter, encoding=encoding)


# --- The demo collège ------------------------------------------------------------------------


def demo_school(seed: int = 69) -> tuple[School, list[list[str]]]:
    """A collège of six classes (~150 students) with the cases worth showing, and its staff."""
    population = Population(seed)
    rng = population.rng
    school = School("0693999X", "Collège Jean Moulin", "college", "69003")
    classes = ["6A", "6B", "5A", "4A", "3A", "3B"]
    ages = {"6A": 11, "6B": 11, "5A": 12, "4A": 13, "3A": 14, "3B": 14}

    def add(student: Student, class_code: str, family: list[Guardian]) -> None:
        student.school_id = str(2026000 + len(school.students) + 1)
        student.class_code = class_code
        school.students.append(student)
        for guardian in family:
            school.links.append((student, guardian))

    # Twins in 6A, with both parents.
    family = population.guardians("Martin", "69003")
    lea = population.child("Martin", 11)
    lea.first_name, lea.other_first_names = "Léa", "Marie"
    add(lea, "6A", family)
    lucas = population.child("Martin", 11, twin_of=lea)
    lucas.first_name, lucas.other_first_names = "Lucas", "Jean"
    add(lucas, "6A", family)
    # Two siblings in 6B and 3A: one mother of both, one account for her.
    family = [
        Guardian("MOREAU", "Nathalie", "Mère", 1, "nathalie.moreau@example.org",
                 "06 11 22 33 44", "69003"),
        Guardian("MOREAU", "Stéphane", "Père", 1, "", "07 55 66 77 88", "69003"),
    ]  # fmt: skip
    for first, class_code in (("Chloé", "6B"), ("Hugo", "3A")):
        child = population.child("Moreau", ages[class_code])
        child.first_name, child.other_first_names = first, ""
        add(child, class_code, family)
    # Homonyms: two unrelated Emma Petit (5A and 3B).
    for class_code in ("5A", "3B"):
        child = population.child("Petit", ages[class_code])
        child.first_name = "Emma"
        add(child, class_code, population.guardians("Petit", "69007"))
    # Names beyond Latin-1, apostrophes, compounds, particles.
    for last, first, class_code in (
        ("Nguyễn", "Thị Mai", "4A"), ("Łukasiewicz", "Łukasz", "5A"), ("N'Diaye", "Aïssatou", "3B"),
        ("Le Goff", "Jean-Baptiste", "4A"), ("de La Fontaine", "Héloïse", "6B"),
        ("Øvergaard", "Øyvind", "3A"),
    ):  # fmt: skip
        child = population.child(last, ages[class_code])
        child.first_name = first
        add(child, class_code, population.guardians(last, "69008"))
    # A teacher who is also a mother: one account, two profiles (same names and e-mail).
    teacher_mother = Guardian(
        "LAURENT", "Sophie", "Mère", 1, "sophie.laurent@example.org", "06 98 76 54 32", "69003"
    )
    child = population.child("Laurent", 12)
    child.first_name = "Arthur"
    add(child, "5A", [teacher_mother])
    # Everyone else, 25 per class.
    for class_code in classes:
        while sum(1 for s in school.students if s.class_code == class_code) < 25:
            last = population.last_name()
            add(
                population.child(last, ages[class_code]),
                class_code,
                population.guardians(last, rng.choice(("69003", "69003", "69007", "69008"))),
            )
    staff = [["Nom", "Prénom", "Profil", "Fonction", "Courriel", "Classes enseignées"]]
    staff.append(["LAURENT", "Sophie", "enseignant", "Mathématiques",
                  "sophie.laurent@example.org", "6A, 5A, 3B"])  # fmt: skip
    for discipline in DISCIPLINES:
        woman = rng.random() < 0.6
        first = pick_woman(rng) if woman else pick_man(rng)
        last = population.last_name()
        taught = ", ".join(sorted(rng.sample(classes, rng.randrange(2, 5))))
        staff.append(
            [last.upper(), first, "enseignant", discipline, population.email(first, last), taught]
        )
    for function in STAFF_FUNCTIONS:
        woman = rng.random() < 0.6
        first = pick_woman(rng) if woman else pick_man(rng)
        last = population.last_name()
        staff.append(
            [last.upper(), first, "personnel", function, population.email(first, last), ""]
        )
    return school, staff


def write_demo(target: Path) -> None:
    school, staff = demo_school()
    target.mkdir(parents=True, exist_ok=True)
    (target / "students.csv").write_bytes(students_csv(school))
    (target / "guardians.csv").write_bytes(guardians_csv(school))
    (target / "staff.csv").write_bytes(_csv(staff, delimiter=";", encoding="utf-8"))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "demo":
        write_demo(Path(sys.argv[2]))
    else:
        raise SystemExit("usage: python -m bench.population demo DIRECTORY")

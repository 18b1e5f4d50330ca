"""What a vocational college teaches and how it grades: subjects, categories, rules.

Category labels come in Greek and English; a course may state its rules in one language
and its teachers may label grades in the other, which is what the grade engine's
category keys are for.
"""

DEPARTMENTS = (
    ("INF", (
        "Εισαγωγή στον Προγραμματισμό", "Δομές Δεδομένων", "Βάσεις Δεδομένων",
        "Web Development", "Λειτουργικά Συστήματα", "Software Engineering", "Αλγόριθμοι",
        "Object-Oriented Programming", "Κυβερνοασφάλεια", "Cloud Computing",
    )),
    ("NET", (
        "Δίκτυα Υπολογιστών", "Network Administration", "Ασύρματα Δίκτυα", "Network Security",
        "Τηλεπικοινωνίες", "Linux Server Administration",
    )),
    ("ELE", (
        "Ηλεκτρικά Κυκλώματα", "Ψηφιακά Ηλεκτρονικά", "Microcontrollers", "Αυτοματισμοί",
        "Ηλεκτρικές Εγκαταστάσεις", "Renewable Energy Systems",
    )),
    ("MEC", (
        "Μηχανολογικό Σχέδιο", "Θερμοδυναμική", "CAD/CAM", "Μηχανική Ρευστών",
        "Τεχνολογία Υλικών", "Vehicle Systems",
    )),
    ("BUS", (
        "Λογιστική", "Marketing", "Οικονομικά Μαθηματικά", "Business English",
        "Διοίκηση Επιχειρήσεων", "Ηλεκτρονικό Εμπόριο", "Εργατικό Δίκαιο",
    )),
    ("HLT", (
        "Ανατομία", "Πρώτες Βοήθειες", "Nursing Practice", "Φαρμακολογία", "Υγιεινή",
        "Medical Terminology",
    )),
    ("TOU", (
        "Τουριστική Οικονομία", "Hotel Operations", "Γαστρονομία", "Tourism Marketing",
        "Ξενοδοχειακή Διοίκηση",
    )),
    ("GEN", (
        "Μαθηματικά", "Στατιστική", "Φυσική", "English for Specific Purposes",
        "Επικοινωνία και Παρουσιάσεις",
    )),
)  # fmt: skip

ROMAN = ("", " ΙΙ", " ΙΙΙ", " IV", " V", " VI", " VII", " VIII", " IX", " X")

CATEGORY_LABELS = {
    "el": {
        "midterm": "Ενδιάμεση Εξέταση",
        "final": "Τελική Εξέταση",
        "homework": "Εργασίες",
        "lab": "Εργαστήριο",
        "quiz": "Τεστ",
        "participation": "Συμμετοχή",
        "attendance": "Παρουσίες",
        "continuous": "Συνεχής Αξιολόγηση",
    },
    "en": {
        "midterm": "Midterm Exam",
        "final": "Final Exam",
        "homework": "Homework",
        "lab": "Lab",
        "quiz": "Quiz",
        "participation": "Participation",
        "attendance": "Attendance",
        "continuous": "Continuous Assessment",
    },
}

# Assignment names; exams are single items, the rest are numbered.
ITEM_NAMES = {
    "el": {
        "midterm": "Ενδιάμεση Εξέταση",
        "final": "Τελική Εξέταση",
        "homework": "Εργασία {n}",
        "lab": "Εργαστηριακή Άσκηση {n}",
        "quiz": "Τεστ {n}",
        "participation": "Συμμετοχή {n}",
        "continuous": "Αξιολόγηση {n}",
    },
    "en": {
        "midterm": "Midterm Exam",
        "final": "Final Exam",
        "homework": "Homework {n}",
        "lab": "Lab Exercise {n}",
        "quiz": "Quiz {n}",
        "participation": "Participation {n}",
        "continuous": "Assessment {n}",
    },
}

EXAM_KEYS = ("midterm", "final")

# Where in the term an exam falls (0 = first school day, 1 = the last one so far).
EXAM_POSITION = {"midterm": 0.5, "final": 0.96}

MAX_GRADE = {
    "midterm": 100,
    "final": 100,
    "homework": 20,
    "lab": 100,
    "quiz": 20,
    "participation": 10,
    "continuous": 100,
}

# How much easier (+) or harder (−) a category tends to be than a student's level.
CATEGORY_OFFSET = {
    "midterm": -4.0,
    "final": -5.0,
    "homework": 6.0,
    "lab": 4.0,
    "quiz": -2.0,
    "participation": 8.0,
    "continuous": 2.0,
}

# Weights add up to 100; together they use every category the engine knows.
RULE_TEMPLATES = (
    (("midterm", 30), ("final", 50), ("homework", 20)),
    (("final", 40), ("lab", 30), ("homework", 15), ("participation", 15)),
    (("midterm", 25), ("final", 35), ("quiz", 15), ("attendance", 10), ("participation", 15)),
    (("continuous", 40), ("final", 60)),
    (("lab", 50), ("final", 30), ("attendance", 20)),
    (("homework", 25), ("quiz", 20), ("midterm", 20), ("final", 35)),
    (("continuous", 30), ("lab", 20), ("final", 40), ("attendance", 10)),
    (),  # no rules: such a course has no final grade
)

# Graded categories for a course without rules.
UNRULED_CATEGORIES = ("homework", "quiz")

ABSENCE_PENALTIES = ("0", "0", "0", "0.5", "1", "2")

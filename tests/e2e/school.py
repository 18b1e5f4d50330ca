"""The scenarios' school: Greek names, a term's grades, and the files an office would send.

A term here is two courses with the same evaluation rules (Greek category names):
a midterm already recorded before the import, then weekly tests, labs and the final
exam in the file. Every student scores the same in each category, so the dashboard's
figures can be worked out by hand (see ``figures``).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from openpyxl import Workbook

FIRST_NAMES = ["Γιώργος", "Ελένη", "Δημήτρης", "Μαρία", "Νίκος", "Κατερίνα", "Σπύρος", "Αθηνά"]
LAST_NAMES = ["Παπαδόπουλος", "Αλεξίου", "Οικονόμου", "Βλάχου", "Ζαχαρίου", "Καραγιάννη"]

RULES = [
    {"category": "Πρόοδος", "weight": 30},
    {"category": "Τεστ", "weight": 20},
    {"category": "Εργαστήριο", "weight": 20},
    {"category": "Τελική εξέταση", "weight": 30},
]
MIDTERM = ("Πρόοδος", "Πρόοδος Νοεμβρίου", 40, "2025-11-10")
# (category, assignment names, grade, date) of what the file brings for each student.
TERM_ITEMS = [
    ("Τεστ", [f"Τεστ {n}" for n in range(1, 12)], 70, "2025-12-01"),
    ("Εργαστήριο", [f"Εργαστήριο {n}" for n in range(1, 13)], 80, "2025-12-08"),
    ("Τελική εξέταση", ["Τελική εξέταση"], 90, "2026-01-20"),
]
ITEMS_PER_COURSE = sum(len(names) for _category, names, _grade, _date in TERM_ITEMS)
# The file's column names as the office writes them (the importer knows them in Greek).
GREEK_HEADERS = [
    "Α.Μ.",
    "Κωδικός μαθήματος",
    "Εργασία",
    "Κατηγορία",
    "Βαθμός",
    "Μέγιστος βαθμός",
    "Ημερομηνία ανάθεσης",
    "Παρατηρήσεις",
]


def figures(*, imported: bool) -> dict[str, str]:
    """The dashboard's average final grade and pass rate, as shown (pass mark 50)."""
    if not imported:
        return {"average_grade": "40.0", "pass_rate": "0.0%"}  # the midterm alone
    final = 0.3 * 40 + 0.2 * 70 + 0.2 * 80 + 0.3 * 90
    return {"average_grade": f"{final:.1f}", "pass_rate": "100.0%"}


@dataclass
class Term:
    tag: str
    students: int
    users: dict[str, str]  # role → username: admin, teacher, student
    password: str

    @property
    def course_codes(self) -> list[str]:
        return [f"NET{self.tag}", f"DB{self.tag}"]

    def student_ids(self) -> list[str]:
        return [f"E{self.tag}{n:04d}" for n in range(self.students)]

    def seed(self, stack) -> dict:
        users = self.users
        names = [
            (FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n % len(LAST_NAMES)])
            for n in range(self.students)
        ]
        students = [
            {
                "student_id": student_id,
                "first_name": first,
                "last_name": last,
                "email": f"{student_id.lower()}@example.org",
                "user": users["student"] if n == 0 else None,
            }
            for n, (student_id, (first, last)) in enumerate(
                zip(self.student_ids(), names, strict=True)
            )
        ]
        category, name, grade, date = MIDTERM
        return stack.call(
            "school",
            "seed_school",
            password=self.password,
            users=[
                {"username": users["admin"], "role": "admin", "first_name": "Ράνια"},
                {
                    "username": users["teacher"],
                    "role": "teacher",
                    "first_name": "Μαρία",
                    "last_name": "Παπαδοπούλου",
                },
                {
                    "username": users["student"],
                    "role": "student",
                    "first_name": names[0][0],
                    "last_name": names[0][1],
                },
            ],  # fmt: skip
            teacher=users["teacher"],
            courses=[
                {
                    "course_code": self.course_codes[0],
                    "course_name": "Δίκτυα Υπολογιστών",
                    "evaluation_rules": RULES,
                },
                {
                    "course_code": self.course_codes[1],
                    "course_name": "Βάσεις Δεδομένων",
                    "evaluation_rules": RULES,
                },
            ],  # fmt: skip
            students=students,
            grades=[
                {
                    "student_id": s["student_id"],
                    "course_code": code,
                    "assignment_name": name,
                    "category": category,
                    "grade": grade,
                    "date_assigned": date,
                }
                for s in students
                for code in self.course_codes
            ],  # fmt: skip
        )

    def grade_rows(self) -> list[list[str]]:
        return [
            [student_id, code, name, category, str(grade), "100", date, "Κανονική εξέταση"]
            for student_id in self.student_ids()
            for code in self.course_codes
            for category, names, grade, date in TERM_ITEMS
            for name in names
        ]


def students_for_rows(rows: int) -> int:
    """How many students make a term file of more than ``rows`` rows (two courses)."""
    return max(3, math.ceil((rows + 1) / (2 * ITEMS_PER_COURSE)))


def greek_csv(rows: list[list[str]]) -> bytes:
    """UTF-8 with a byte-order mark and semicolons, as Excel saves "CSV UTF-8" in Greek."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(GREEK_HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def greek_xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Βαθμολογίες"
    sheet.append(GREEK_HEADERS)
    for row in rows:
        sheet.append([*row[:4], float(row[4]), float(row[5]), *row[6:]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def small_class(stack, *, tag: str, password: str, midterms: tuple[int, ...] = ()) -> dict:
    """One course taught by one teacher, three students; the first has an account;
    ``midterms``: the students' midterm grades, in order, when they have one.

    Returns usernames (admin, teacher, student), the course's code and id, the students'
    IDs and the account holder's record id."""
    users = {"admin": f"office{tag}", "teacher": f"teacher{tag}", "student": f"student{tag}"}
    code = f"NET{tag}"
    students = [
        {"student_id": f"E{tag}{n:04d}", "first_name": first, "last_name": last,
         "email": f"e{tag.lower()}{n}@example.org", "user": users["student"] if n == 0 else None}
        for n, (first, last) in enumerate(
            [("Γιώργος", "Παπαδόπουλος"), ("Ελένη", "Αλεξίου"), ("Νίκος", "Οικονόμου")]
        )
    ]  # fmt: skip
    made = stack.call(
        "school",
        "seed_school",
        password=password,
        users=[
            {"username": users["admin"], "role": "admin", "first_name": "Ράνια"},
            {
                "username": users["teacher"],
                "role": "teacher",
                "first_name": "Μαρία",
                "last_name": "Παπαδοπούλου",
            },
            {
                "username": users["student"],
                "role": "student",
                "first_name": "Γιώργος",
                "last_name": "Παπαδόπουλος",
            },
        ],  # fmt: skip
        teacher=users["teacher"],
        courses=[
            {"course_code": code, "course_name": "Δίκτυα Υπολογιστών", "evaluation_rules": RULES}
        ],  # fmt: skip
        students=students,
        grades=[
            {
                "student_id": s["student_id"],
                "course_code": code,
                "assignment_name": MIDTERM[1],
                "category": MIDTERM[0],
                "grade": grade,
                "date_assigned": MIDTERM[3],
            }
            for s, grade in zip(students, midterms, strict=False)
        ],  # fmt: skip
    )
    first = students[0]["student_id"]
    return {
        "users": users,
        "course_code": code,
        "course_id": made["courses"][code],
        "student_ids": [s["student_id"] for s in students],
        "names": [f"{s['last_name']} {s['first_name']}" for s in students],
        "account_student_pk": made["students"][first],
    }

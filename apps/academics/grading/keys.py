"""Category keys: one canonical name for each evaluation category, in English or Greek.

Rules, grade items and daily performance are matched by ``category_key`` so that
"Final exam", "Τελική Εξέταση" and "final" all count towards the same rule.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_GENERIC_WORDS = {"exam", "examination", "εξεταση", "εξετασεις"}
_SYNONYMS = {
    "midterm": ["midterm", "mid term", "ενδιαμεση", "προοδος"],
    "final": ["final", "τελικη"],
    "homework": [
        "homework",
        "assignment",
        "assignments",
        "εργασια",
        "εργασιες",
        "ασκηση",
        "ασκησεις",
    ],
    "lab": ["lab", "laboratory", "εργαστηριο"],
    "quiz": ["quiz", "test", "κουιζ", "τεστ"],
    "participation": ["participation", "συμμετοχη"],
    "attendance": ["attendance", "παρουσια", "παρουσιες"],
    "continuous": ["continuous", "continuous assessment", "συνεχης", "συνεχης αξιολογηση"],
}
_CANONICAL = {synonym: key for key, synonyms in _SYNONYMS.items() for synonym in synonyms}

EXAM_KEYS = frozenset({"midterm", "final"})
ATTENDANCE_KEY = "attendance"


@lru_cache(maxsize=8192)
def category_key(name: str) -> str:
    text = unicodedata.normalize("NFD", str(name or "").lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^\w\s]|_", " ", text)
    words = [word for word in text.split() if word not in _GENERIC_WORDS]
    remaining = " ".join(words)
    return _CANONICAL.get(remaining, remaining)

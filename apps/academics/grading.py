"""The grade engine (SPEC §2.1). Placeholder: category keys only, engine to follow."""

import re
import unicodedata

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


def category_key(name: str) -> str:
    text = unicodedata.normalize("NFD", str(name or "").lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^\w\s]|_", " ", text)
    words = [word for word in text.split() if word not in _GENERIC_WORDS]
    remaining = " ".join(words)
    return _CANONICAL.get(remaining, remaining)

"""Greek and English names for demo people, and a transliteration for their emails.

Greek surnames come in (male, female) pairs because the female form differs
(Παπαδόπουλος / Παπαδοπούλου). Fathers' names are written in the formal form used on
registration forms (Γεώργιος rather than Γιώργος).
"""

import unicodedata

GREEK_MALE_FIRST = (
    "Γιώργος", "Γιάννης", "Κωνσταντίνος", "Δημήτρης", "Νίκος", "Παναγιώτης", "Βασίλης",
    "Χρήστος", "Θανάσης", "Μιχάλης", "Βαγγέλης", "Σπύρος", "Αντώνης", "Ανδρέας", "Ηλίας",
    "Θοδωρής", "Στέλιος", "Άγγελος", "Πέτρος", "Αλέξανδρος", "Μάριος", "Λευτέρης",
    "Σταύρος", "Φώτης", "Άρης", "Μανώλης", "Στάθης", "Τάσος", "Ορέστης", "Λάμπρος",
)  # fmt: skip
GREEK_FEMALE_FIRST = (
    "Μαρία", "Ελένη", "Κατερίνα", "Βασιλική", "Σοφία", "Αγγελική", "Γεωργία", "Δήμητρα",
    "Κωνσταντίνα", "Παρασκευή", "Ιωάννα", "Χριστίνα", "Ευαγγελία", "Αναστασία", "Δέσποινα",
    "Ειρήνη", "Νίκη", "Φωτεινή", "Ζωή", "Αθηνά", "Αλεξάνδρα", "Χαρά", "Μυρτώ", "Στέλλα",
    "Θεοδώρα", "Ευτυχία", "Όλγα", "Πηνελόπη", "Άννα", "Ραφαέλα",
)  # fmt: skip
GREEK_SURNAMES = (
    ("Παπαδόπουλος", "Παπαδοπούλου"), ("Παπαγεωργίου", "Παπαγεωργίου"),
    ("Οικονόμου", "Οικονόμου"), ("Γεωργίου", "Γεωργίου"), ("Νικολάου", "Νικολάου"),
    ("Παπαδάκης", "Παπαδάκη"), ("Βασιλείου", "Βασιλείου"), ("Ιωάννου", "Ιωάννου"),
    ("Κωνσταντίνου", "Κωνσταντίνου"), ("Δημητρίου", "Δημητρίου"), ("Αθανασίου", "Αθανασίου"),
    ("Παππάς", "Παππά"), ("Μακρής", "Μακρή"), ("Αντωνίου", "Αντωνίου"),
    ("Καραγιάννης", "Καραγιάννη"), ("Βλάχος", "Βλάχου"), ("Αλεξίου", "Αλεξίου"),
    ("Χριστοδούλου", "Χριστοδούλου"), ("Σταυρόπουλος", "Σταυροπούλου"),
    ("Μιχαηλίδης", "Μιχαηλίδου"), ("Ζαφειρίου", "Ζαφειρίου"), ("Κουτσούρης", "Κουτσούρη"),
    ("Λαμπρόπουλος", "Λαμπροπούλου"), ("Τσακίρης", "Τσακίρη"), ("Μαυρίδης", "Μαυρίδου"),
    ("Αναστασίου", "Αναστασίου"), ("Πετρόπουλος", "Πετροπούλου"), ("Κυριακίδης", "Κυριακίδου"),
    ("Σαββίδης", "Σαββίδου"), ("Φραγκιαδάκης", "Φραγκιαδάκη"), ("Δρόσος", "Δρόσου"),
    ("Μπακάλης", "Μπακάλη"), ("Ρήγας", "Ρήγα"), ("Θεοδωρίδης", "Θεοδωρίδου"),
    ("Καλογεράκης", "Καλογεράκη"), ("Ξενάκης", "Ξενάκη"), ("Χατζηδάκης", "Χατζηδάκη"),
    ("Πολυχρόνης", "Πολυχρόνη"), ("Γιαννακόπουλος", "Γιαννακοπούλου"), ("Ευθυμίου", "Ευθυμίου"),
)  # fmt: skip
GREEK_FATHER = (
    "Γεώργιος", "Ιωάννης", "Κωνσταντίνος", "Δημήτριος", "Νικόλαος", "Παναγιώτης",
    "Βασίλειος", "Χρήστος", "Αθανάσιος", "Μιχαήλ", "Ευάγγελος", "Σπυρίδων", "Αντώνιος",
    "Ανδρέας", "Ηλίας", "Θεόδωρος", "Στυλιανός", "Πέτρος", "Αλέξανδρος", "Εμμανουήλ",
    "Ελευθέριος", "Σταύρος",
)  # fmt: skip

ENGLISH_MALE_FIRST = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Thomas", "Daniel",
    "Matthew", "Andrew", "Joshua", "Ryan", "Oliver", "Harry", "Jack", "George", "Samuel",
    "Benjamin", "Liam",
)  # fmt: skip
ENGLISH_FEMALE_FIRST = (
    "Mary", "Emma", "Olivia", "Sophia", "Emily", "Charlotte", "Amelia", "Grace", "Chloe",
    "Lucy", "Hannah", "Jessica", "Sarah", "Laura", "Anna", "Ella", "Isabella", "Megan",
    "Alice", "Ruby",
)  # fmt: skip
ENGLISH_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Taylor", "Davies", "Wilson", "Evans",
    "Thomas", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes",
    "Edwards", "Green", "Hall", "Wood", "Harris", "Clarke", "Jackson", "Turner", "Hill",
    "Moore", "Cooper", "Ward", "Morris",
)  # fmt: skip

HEALTH_ISSUES = (
    "Άσθμα",
    "Διαβήτης τύπου 1",
    "Αλλεργία στη γύρη",
    "Peanut allergy",
    "Epilepsy (medication at noon)",
    "Δυσλεξία",
)

_DIGRAPHS = {"ου": "ou", "αυ": "av", "ευ": "ev", "μπ": "b", "ντ": "nt", "γγ": "ng", "γκ": "gk"}
_LATIN = (
    "a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r",
    "s", "s", "t", "y", "f", "ch", "ps", "o",
)  # fmt: skip
_LETTERS = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω", _LATIN, strict=True))


def transliterate(text: str) -> str:
    """Greek to plain lower-case Latin letters (ELOT 743 simplified), for emails."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    out: list[str] = []
    position = 0
    while position < len(text):
        pair = text[position : position + 2]
        if pair in _DIGRAPHS:
            out.append(_DIGRAPHS[pair])
            position += 2
            continue
        out.append(_LETTERS.get(text[position], text[position]))
        position += 1
    return "".join(ch for ch in "".join(out) if ch.isascii() and ch.isalnum())


def person_name(rng, *, greek: bool, female: bool) -> tuple[str, str, str]:
    """A (first, last, father's) name in one script."""
    if greek:
        first = rng.choice(GREEK_FEMALE_FIRST if female else GREEK_MALE_FIRST)
        male_last, female_last = rng.choice(GREEK_SURNAMES)
        return first, female_last if female else male_last, rng.choice(GREEK_FATHER)
    first = rng.choice(ENGLISH_FEMALE_FIRST if female else ENGLISH_MALE_FIRST)
    return first, rng.choice(ENGLISH_SURNAMES), rng.choice(ENGLISH_MALE_FIRST)

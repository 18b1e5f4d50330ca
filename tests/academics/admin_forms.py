"""Form data the admin's pages take, shared by the tests that post them."""


def student_admin_form(**overrides) -> dict:
    """The admin's add-student form, filled in; ``overrides`` change or add fields."""
    data = {
        "student_id": "S-900",
        "last_name": "Papadopoulou",
        "first_name": "Eleni",
        "father_name": "",
        "email": "eleni@example.org",
        "mobile_phone": "",
        "phone": "",
        "study_year": "1",
        "academic_year": "2025-2026",
        "class_division": "A1",
        "enrollment_date": "2025-09-15",
        "is_active": "on",
        "user": "",
        "health_issue": "",
        "notes": "",
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    data.update(overrides)
    return data

"""The impact preview: what an import will do in school terms, each item naming its rows.

Grades students can already see that change, students moving into or out of at risk (the
grade engine before and after the file), new students who look like stored ones; only
rows that will be written count, a teacher's figures cover the courses they teach, and the
work stays bounded (queries, payload) however long the file.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest

from apps.academics.models import Grade, GradePosting
from apps.bulkio.importing import impact as impact_module
from apps.bulkio.importing.impact import Impact
from apps.bulkio.importing.jobs import read_upload
from apps.bulkio.importing.plan import build_plan
from apps.bulkio.importing.resources import RESOURCES
from tests.bulkio.conftest import upload
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

GRADE_HEADER = "student_id,course_code,assignment_name,category,grade,max_grade\n"
ATTENDANCE_HEADER = "student_id,course_code,date,status,period_number\n"
STUDENT_HEADER = "student_id,first_name,last_name,father_name,email\n"
HOMEWORK = [{"category": "Homework", "weight": 100}]


def _student_in(course, *grades: str, **student):
    pupil = StudentFactory(**student)
    EnrollmentFactory(student=pupil, course=course)
    for number, grade in enumerate(grades, start=1):
        GradeFactory(
            student=pupil,
            course=course,
            assignment_name=f"HW{number}",
            grade=Decimal(grade),
            date_assigned=dt.date(2025, 10, number),
        )
    return pupil


def _grade_line(pupil, course, assignment: str, grade: str) -> str:
    return f"{pupil.student_id},{course.course_code},{assignment},Homework,{grade},100\n"


# --- Grades students can already see ----------------------------------------------------------
def test_impact_counts_a_posted_grade_that_changes_with_its_row(admin_api):
    course = CourseFactory(evaluation_rules=HOMEWORK)
    pupil = _student_in(course, "70", "75")
    content = (
        GRADE_HEADER
        + _grade_line(pupil, course, "HW1", "70")  # unchanged
        + _grade_line(pupil, course, "HW2", "85")  # a grade the student sees changes
        + _grade_line(pupil, course, "HW3", "90")  # new
    )

    body = upload(admin_api, "grades", content).json()
    detail = admin_api.get(f"/api/v1/imports/{body['id']}/").json()

    assert body["totals"] == {"new": 1, "update": 1, "skip": 1, "error": 0}
    assert detail["impact"]["visible_grade_changes"] == {"count": 1, "rows": [3]}


def test_impact_leaves_out_a_hidden_grade_of_a_manual_course(admin_api):
    course = CourseFactory(evaluation_rules=HOMEWORK, grade_posting=GradePosting.MANUAL)
    pupil = _student_in(course, "70")
    Grade.objects.filter(student=pupil).update(posted_at=None)

    body = upload(admin_api, "grades", GRADE_HEADER + _grade_line(pupil, course, "HW1", "95"))

    assert body.json()["totals"]["update"] == 1
    assert body.json()["impact"]["visible_grade_changes"] == {"count": 0, "rows": []}


def test_impact_ignores_rows_with_errors(admin_api):
    course = CourseFactory(evaluation_rules=HOMEWORK)
    pupil = _student_in(course, "70")
    content = GRADE_HEADER + _grade_line(pupil, course, "HW1", "150")  # above the maximum

    body = upload(admin_api, "grades", content, mode="skip_invalid").json()

    assert body["totals"]["error"] == 1
    assert body["impact"]["visible_grade_changes"]["count"] == 0
    assert body["impact"]["risk_changes"]["into"] == []


# --- Into and out of at risk --------------------------------------------------------------------
def test_impact_names_a_student_new_grades_push_into_at_risk(admin_api):
    course = CourseFactory(evaluation_rules=HOMEWORK)
    pupil = _student_in(course, "80", last_name="Alexiou", first_name="Anna")
    steady = _student_in(course, "80")
    content = (
        GRADE_HEADER
        + _grade_line(steady, course, "HW2", "85")
        + _grade_line(pupil, course, "HW2", "10")
        + _grade_line(pupil, course, "HW3", "10")
    )

    risk = upload(admin_api, "grades", content).json()["impact"]["risk_changes"]

    assert risk["into"] == [
        {
            "student_id": pupil.student_id,
            "name": "Alexiou Anna",
            "before": "low",
            "after": "medium",
            "score_before": 0,
            "score_after": 40,
            "reasons": ["Average grade 33.33 is below 50."],
            "rows": [3, 4],
        }
    ]
    assert risk["out_of"] == []
    assert (risk["computed"], risk["not_computed"]) == (2, 0)


def test_impact_names_a_student_a_raised_grade_takes_out_of_at_risk(admin_api):
    course = CourseFactory(evaluation_rules=HOMEWORK)
    pupil = _student_in(course, "20")

    body = upload(admin_api, "grades", GRADE_HEADER + _grade_line(pupil, course, "HW1", "90"))
    impact = body.json()["impact"]

    out_of = impact["risk_changes"]["out_of"]
    assert [(i["student_id"], i["before"], i["after"]) for i in out_of] == [
        (pupil.student_id, "medium", "low")
    ]
    assert impact["risk_changes"]["into"] == []
    assert impact["visible_grade_changes"]["rows"] == [2]


def test_impact_of_new_grades_in_a_manual_course_is_none_until_posted(admin_api):
    course = CourseFactory(evaluation_rules=HOMEWORK, grade_posting=GradePosting.MANUAL)
    pupil = _student_in(course, "80")
    content = GRADE_HEADER + _grade_line(pupil, course, "HW2", "5")

    risk = upload(admin_api, "grades", content).json()["impact"]["risk_changes"]

    assert risk["into"] == []


def test_impact_of_attendance_names_a_student_absences_push_into_at_risk(admin_api):
    course = CourseFactory(evaluation_rules=HOMEWORK)
    pupil = _student_in(course, "90")
    for day in range(1, 5):
        # The factory's period moves on in long runs; the file's rows are period 1.
        AttendanceFactory(
            student=pupil, course=course, date=dt.date(2025, 11, day), period_number=1
        )
    lines = "".join(
        f"{pupil.student_id},{course.course_code},2025-11-{day:02d},absent,1\n"
        for day in range(1, 5)
    )

    body = upload(admin_api, "attendance", ATTENDANCE_HEADER + lines).json()
    risk = body["impact"]["risk_changes"]

    assert body["totals"]["update"] == 4
    assert [(i["before"], i["after"]) for i in risk["into"]] == [("low", "medium")]
    assert risk["into"][0]["rows"] == [2, 3, 4, 5]
    assert "visible_grade_changes" not in body["impact"]


def test_impact_for_a_teacher_covers_only_the_courses_they_teach(
    admin_api, teacher_api, teacher_user
):
    taught = CourseFactory(evaluation_rules=HOMEWORK, teachers=[teacher_user])
    other = CourseFactory(evaluation_rules=HOMEWORK)
    pupil = _student_in(taught, "60")
    EnrollmentFactory(student=pupil, course=other)
    GradeFactory(student=pupil, course=other, assignment_name="HW1", grade=Decimal("100"))
    content = GRADE_HEADER + _grade_line(pupil, taught, "HW2", "30")

    teacher = upload(teacher_api, "grades", content).json()["impact"]["risk_changes"]
    admin = upload(admin_api, "grades", content).json()["impact"]["risk_changes"]

    # The teacher's figures cover their course only (45 → medium), as their analytics do;
    # over both courses the average stays at 72.5 (low), so the admin sees no change.
    assert [(i["before"], i["after"]) for i in teacher["into"]] == [("low", "medium")]
    assert admin["into"] == []


def test_impact_rows_it_names_are_among_the_preview_rows(admin_api, settings):
    settings.SMS_BULKIO_PREVIEW_ROWS = 2
    course = CourseFactory(evaluation_rules=HOMEWORK)
    others = [_student_in(course, "80") for _ in range(4)]
    pupil = _student_in(course, "80")
    content = (
        GRADE_HEADER
        + "".join(_grade_line(other, course, "HW2", "80") for other in others)
        + _grade_line(pupil, course, "HW2", "0")
    )

    body = upload(admin_api, "grades", content).json()

    named = body["impact"]["risk_changes"]["into"][0]["rows"]
    assert named == [6]
    assert [row["row"] for row in body["rows"]] == [2, 3, 6]


# --- Likely duplicates --------------------------------------------------------------------------
def test_impact_flags_a_new_student_with_the_names_of_a_stored_one(admin_api):
    maria = StudentFactory(
        student_id="R100", last_name="Παπαδοπούλου", first_name="Μαρία", father_name="Νικόλαος"
    )
    StudentFactory(last_name="Γεωργίου", first_name="Νίκος", father_name="Σταύρος")
    content = (
        STUDENT_HEADER
        + "N200,ΜΑΡΙΑ,ΠΑΠΑΔΟΠΟΥΛΟΥ,ΝΙΚΟΛΑΟΣ,maria2@example.org\n"
        + "N201,Νίκος,Γεωργίου,Πέτρος,nikos@example.org\n"  # another father: another person
        + f"{maria.student_id},Μαρία,Παπαδοπούλου,Νικόλαος,{maria.email}\n"  # herself
    )

    body = upload(admin_api, "students", content).json()

    assert body["impact"]["likely_duplicates"] == [
        {
            "row": 2,
            "student_id": "R100",
            "name": "Παπαδοπούλου Μαρία",
            "date_of_birth_compared": False,
        }
    ]
    assert body["impact"]["likely_duplicates_more"] == 0
    assert "risk_changes" not in body["impact"]


BORN_HEADER = "student_id,first_name,last_name,father_name,email,date_of_birth\n"


def test_impact_flags_a_new_student_born_the_same_day_as_a_stored_namesake(admin_api):
    StudentFactory(
        student_id="R100",
        last_name="Παπαδοπούλου",
        first_name="Μαρία",
        father_name="Νικόλαος",
        date_of_birth=dt.date(2009, 3, 14),
    )
    content = BORN_HEADER + "N200,Μαρια,ΠΑΠΑΔΟΠΟΥΛΟΥ,Νικολαος,maria2@example.org,14/03/2009\n"

    body = upload(admin_api, "students", content).json()

    assert body["impact"]["likely_duplicates"] == [
        {
            "row": 2,
            "student_id": "R100",
            "name": "Παπαδοπούλου Μαρία",
            "date_of_birth_compared": True,
        }
    ]


def test_impact_does_not_flag_a_namesake_born_on_another_day(admin_api):
    StudentFactory(
        last_name="Alexiou", first_name="Anna", father_name="", date_of_birth=dt.date(2009, 3, 14)
    )
    content = BORN_HEADER + "N200,Anna,Alexiou,,anna2@example.org,15/03/2009\n"

    body = upload(admin_api, "students", content).json()

    assert body["totals"]["new"] == 1
    assert body["impact"]["likely_duplicates"] == []
    assert body["impact"]["likely_duplicates_more"] == 0


def test_impact_flags_a_namesake_when_a_date_of_birth_is_missing_saying_so(admin_api):
    StudentFactory(student_id="R100", last_name="Alexiou", first_name="Anna", father_name="")
    StudentFactory(
        student_id="R200",
        last_name="Bekas",
        first_name="Babis",
        father_name="",
        date_of_birth=dt.date(2008, 1, 2),
    )
    content = (
        BORN_HEADER
        + "N200,Anna,Alexiou,,anna2@example.org,2009-03-14\n"  # the stored one has none
        + "N201,Babis,Bekas,,babis2@example.org,\n"  # the row has none
    )

    body = upload(admin_api, "students", content).json()

    found = body["impact"]["likely_duplicates"]
    assert [(item["row"], item["student_id"]) for item in found] == [(2, "R100"), (3, "R200")]
    assert [item["date_of_birth_compared"] for item in found] == [False, False]


def test_impact_names_the_namesake_born_the_same_day_among_several(admin_api):
    for code, born in (("R100", dt.date(2008, 1, 2)), ("R200", dt.date(2010, 6, 7))):
        StudentFactory(student_id=code, last_name="Alexiou", first_name="Anna", date_of_birth=born)
    StudentFactory(student_id="R300", last_name="Alexiou", first_name="Anna")
    content = (
        BORN_HEADER
        + "N200,Anna,Alexiou,,a2@example.org,07/06/2010\n"  # R200's day
        + "N201,Anna,Alexiou,,a3@example.org,01/01/2011\n"  # no one's day: R300 has none
    )

    body = upload(admin_api, "students", content).json()

    found = [
        (item["row"], item["student_id"], item["date_of_birth_compared"])
        for item in body["impact"]["likely_duplicates"]
    ]
    assert found == [(2, "R200", True), (3, "R300", False)]


def test_impact_panel_links_a_likely_duplicate_to_its_row(admin_api, client, admin_user):
    StudentFactory(student_id="R100", last_name="Alexiou", first_name="Anna", father_name="")
    content = STUDENT_HEADER + "N200,anna,ALEXIOU,,anna2@example.org\n"
    job_id = upload(admin_api, "students", content).json()["id"]
    client.force_login(admin_user)

    page = client.get(f"/bulk/imports/{job_id}/").content.decode()

    assert "1 row looks like an existing student:" in page
    link = '<a class="impact-row" href="#row-2">row 2</a>'
    assert (
        f"{link}: same names as Alexiou Anna (R100); the date of birth could not be compared"
        in page
    )
    assert 'id="row-2"' in page


def test_impact_panel_says_when_the_dates_of_birth_match(admin_api, client, admin_user):
    StudentFactory(
        student_id="R100",
        last_name="Alexiou",
        first_name="Anna",
        father_name="",
        date_of_birth=dt.date(2009, 3, 14),
    )
    content = BORN_HEADER + "N200,anna,ALEXIOU,,anna2@example.org,2009-03-14\n"
    job_id = upload(admin_api, "students", content).json()["id"]
    client.force_login(admin_user)

    page = client.get(f"/bulk/imports/{job_id}/").content.decode()

    link = '<a class="impact-row" href="#row-2">row 2</a>'
    assert f"{link}: same names and date of birth as Alexiou Anna (R100)</li>" in page


def test_impact_is_absent_for_resources_it_does_not_apply_to(admin_api):
    body = upload(admin_api, "courses", "course_code,course_name,semester\nNEW1,New,A\n")

    assert body.json()["impact"] is None


# --- Bounded work -------------------------------------------------------------------------------
def _plan_with_impact(content: str, resource: str = "grades"):
    table = read_upload(content.encode(), "data.csv", resource)
    impact = Impact.for_resource(resource)
    plan = build_plan(RESOURCES[resource], table, observe=impact.observe)
    return plan, impact


def test_impact_summary_queries_stay_bounded_for_500_rows_over_100_students(
    django_assert_max_num_queries,
):
    course = CourseFactory(evaluation_rules=HOMEWORK)
    pupils = [_student_in(course, "80") for _ in range(100)]
    content = GRADE_HEADER + "".join(
        _grade_line(pupil, course, f"HW{n}", "10") for pupil in pupils for n in range(1, 6)
    )
    plan, impact = _plan_with_impact(content)

    with django_assert_max_num_queries(7):
        found = impact.summarise(plan)

    assert found["visible_grade_changes"]["count"] == 100
    assert len(found["risk_changes"]["into"]) == 100


def test_impact_duplicates_of_500_new_students_read_the_stored_ones_once(
    django_assert_max_num_queries,
):
    for n in range(50):
        StudentFactory(
            last_name=f"Name{n}", first_name="Anna", date_of_birth=dt.date(2008, 1, 1 + n % 28)
        )
    content = BORN_HEADER + "".join(
        f"N{n},Anna,Name{n % 50},,n{n}@example.org,{1 + n % 50 % 28:02d}/01/2008\n"
        for n in range(500)
    )
    table = read_upload(content.encode(), "data.csv", "students")
    rows = []
    plan = build_plan(RESOURCES["students"], table, observe=rows.extend)
    impact = Impact.for_resource("students")

    with django_assert_max_num_queries(2):  # the stored students, then the names listed
        impact.observe(rows)
        found = impact.summarise(plan)

    assert len(found["likely_duplicates"]) == impact_module.LISTED
    assert found["likely_duplicates_more"] == 500 - impact_module.LISTED
    assert all(item["date_of_birth_compared"] for item in found["likely_duplicates"])


def test_impact_payload_stays_small_for_a_20000_row_file(admin_api, settings):
    settings.SMS_BULKIO_BACKGROUND_ROWS = 100_000  # preview in the request
    course = CourseFactory(evaluation_rules=HOMEWORK)
    pupils = StudentFactory.create_batch(400)
    for pupil in pupils:
        EnrollmentFactory(student=pupil, course=course)
    Grade.objects.bulk_create(
        Grade(
            student=pupil,
            course=course,
            assignment_name=f"HW{n}",
            category="Homework",
            grade=Decimal("20"),
            date_assigned=dt.date(2025, 10, 1),
        )
        for pupil in pupils
        for n in range(50)
    )
    content = GRADE_HEADER + "".join(
        _grade_line(pupil, course, f"HW{n}", "90") for pupil in pupils for n in range(50)
    )

    body = upload(admin_api, "grades", content).json()
    impact = body["impact"]

    assert body["totals"]["update"] == 20_000
    assert impact["visible_grade_changes"]["count"] == 20_000
    assert len(impact["visible_grade_changes"]["rows"]) == impact_module.LISTED
    risk = impact["risk_changes"]
    assert (risk["computed"], risk["not_computed"]) == (impact_module.RISK_STUDENTS, 100)
    assert len(risk["out_of"]) == impact_module.LISTED
    assert risk["out_of_more"] == impact_module.RISK_STUDENTS - impact_module.LISTED
    assert len(json.dumps(impact)) < 60_000
    assert len(body["rows"]) <= settings.SMS_BULKIO_PREVIEW_ROWS + 2 * impact_module.LISTED * 5

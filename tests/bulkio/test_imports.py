import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import xlwt

from apps.academics.models import Attendance, Course, Enrollment, Grade, Student
from apps.bulkio.models import ImportChange, ImportJob
from apps.notifications.models import Notification
from tests.bulkio.conftest import snapshot, upload
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

GRADE_HEADER = "student_id,course_code,assignment_name,category,grade,max_grade\n"
# A grade's category must match a rule of its course: these cover the files below.
RULES = [
    {"category": "Homework", "weight": 30},
    {"category": "Lab", "weight": 30},
    {"category": "Final", "weight": 40},
]


def _enrolled(**course_kwargs):
    student = StudentFactory()
    course = CourseFactory(**{"evaluation_rules": RULES, **course_kwargs})
    EnrollmentFactory(student=student, course=course)
    return student, course


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xls(rows) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("data")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Happy paths ------------------------------------------------------------------------------
def test_import_students_csv_previews_then_creates_students(admin_api):
    content = (
        "student_id,first_name,last_name,email,study_year,enrollment_date,phone\n"
        "N001,Anna,Alpha,ANNA@Example.org,2,15/09/2025,210 123 4567\n"
        "N002,Babis,Beta,babis@example.org,Γ',2025-09-15,\n"
    )

    preview = upload(admin_api, "students", content)
    confirm = admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert preview.status_code == 201
    assert preview.json()["totals"] == {"new": 2, "update": 0, "skip": 0, "error": 0}
    assert confirm.json()["status"] == "applied"
    anna = Student.objects.get(student_id="N001")
    assert (anna.email, anna.study_year, anna.phone) == ("anna@example.org", 2, "2101234567")
    assert anna.enrollment_date == dt.date(2025, 9, 15)
    assert Student.objects.get(student_id="N002").study_year == 3


def test_import_greek_registration_form_in_windows_1253_imports_as_is(admin_api):
    content = (
        "Α.Μ.;Επώνυμο:;Όνομα:;Ηλ. Ταχυδρομείο:;Έτος Σπουδών:;Τμήμα\n"
        "G100;Παπαδοπούλου;Μαρία;maria@example.gr;Β';Α1\n"
    ).encode("cp1253")

    preview = upload(admin_api, "students", content, name="εγγραφές.csv")
    admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert preview.json()["totals"]["new"] == 1
    maria = Student.objects.get(student_id="G100")
    assert (maria.last_name, maria.first_name, maria.study_year) == ("Παπαδοπούλου", "Μαρία", 2)


def test_import_courses_reads_rules_as_text_with_decimal_commas(admin_api):
    content = (
        "course_code,course_name,semester,credits,evaluation_rules\n"
        'net101,Networks,A,6,"Midterm: 40,5%; Final: 59,5%"\n'
    )

    preview = upload(admin_api, "courses", content)
    admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    course = Course.objects.get(course_code="NET101")
    assert course.credits == 6
    assert [rule["weight"] for rule in course.evaluation_rules] == [40.5, 59.5]


def test_import_enrollments_creates_and_updates_status(admin_api):
    student, course = StudentFactory(), CourseFactory()
    other = StudentFactory()
    EnrollmentFactory(student=other, course=course, status="active")
    content = (
        "student_id,course_code,enrolled_at,status\n"
        f"{student.student_id},{course.course_code},2025-09-20,active\n"
        f"{other.student_id},{course.course_code.lower()},2025-09-20,Dropped\n"
    )

    preview = upload(admin_api, "enrollments", content)
    admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert preview.json()["totals"] == {"new": 1, "update": 1, "skip": 0, "error": 0}
    assert Enrollment.objects.get(student=other).status == "dropped"
    assert Enrollment.objects.filter(student=student, course=course).exists()


def test_import_grades_xlsx_creates_updates_and_skips(admin_api):
    student, course = _enrolled()
    GradeFactory(student=student, course=course, assignment_name="Quiz 1", grade=Decimal("50"))
    GradeFactory(student=student, course=course, assignment_name="Quiz 2", grade=Decimal("60"))
    rows = [
        ["student_id", "course_code", "assignment_name", "category", "grade", "max_grade"],
        [student.student_id, course.course_code, "Quiz 1", "Homework", 55, 100],
        [student.student_id, course.course_code, "Quiz 2", "Homework", 60, 100],
        [student.student_id, course.course_code, "Final", "Final", 88.5, 100],
    ]

    preview = upload(admin_api, "grades", _xlsx(rows), name="grades.xlsx")
    admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert preview.json()["format"] == "xlsx"
    assert preview.json()["totals"] == {"new": 1, "update": 1, "skip": 1, "error": 0}
    assert Grade.objects.get(assignment_name="Quiz 1").grade == Decimal("55")
    assert Grade.objects.get(assignment_name="Final").grade == Decimal("88.5")


def test_import_attendance_xls_accepts_greek_status_words(admin_api):
    student, course = _enrolled()
    rows = [
        ["Α.Μ.", "Κωδικός μαθήματος", "Ημερομηνία", "Κατάσταση", "Περίοδος"],
        [student.student_id, course.course_code, "06/10/2025", "Απών", 2],
        [student.student_id, course.course_code, "07/10/2025", "παρών", 1],
    ]

    preview = upload(admin_api, "attendance", _xls(rows), name="attendance.xls")
    admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert preview.json()["totals"]["new"] == 2
    statuses = dict(Attendance.objects.values_list("date", "status"))
    assert statuses == {dt.date(2025, 10, 6): "absent", dt.date(2025, 10, 7): "present"}
    assert Attendance.objects.get(date=dt.date(2025, 10, 6)).period_number == 2


def test_import_keeps_history_with_the_actor(admin_api, admin_user):
    student, course = _enrolled()
    content = GRADE_HEADER + f"{student.student_id},{course.course_code},Lab 1,Lab,70,100\n"

    preview = upload(admin_api, "grades", content)
    admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    grade = Grade.objects.get(assignment_name="Lab 1")
    record = grade.history.get()
    assert (record.history_type, record.history_user) == ("+", admin_user)
    assert ImportChange.objects.get().object_id == grade.pk


def test_import_apply_notifies_the_importer(
    admin_api, admin_user, django_capture_on_commit_callbacks
):
    student, course = _enrolled()
    content = GRADE_HEADER + f"{student.student_id},{course.course_code},Lab 1,Lab,70,100\n"
    preview = upload(admin_api, "grades", content)

    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    notification = Notification.objects.get(recipient=admin_user)
    assert notification.kind == "import_finished"


# --- Bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"student_id,course_code,assignment_name,category,grade\n", "no data rows"),
        (b"student_id,course_code,grade\nS1,C1,5\n", "Required columns are missing"),
        (b"\x00\x01\x02binary", "binary"),
    ],
    ids=["empty", "header-only", "missing-column", "binary"],
)
def test_import_refuses_unreadable_files_with_a_plain_message(admin_api, content, message):
    response = upload(admin_api, "grades", content)

    assert response.status_code == 400
    assert message in response.json()["file"][0]
    assert not ImportJob.objects.filter(status="previewed").exists()


def test_import_refuses_unknown_extension(admin_api):
    response = upload(admin_api, "grades", "a,b\n1,2\n", name="grades.pdf")

    assert response.status_code == 400
    assert "not a file we can import" in response.json()["file"][0]


def _grade_errors(admin_api, lines: str, header: str = GRADE_HEADER) -> dict:
    response = upload(admin_api, "grades", header + lines, mode="skip_invalid")
    assert response.status_code == 201, response.content
    return {(e["row"], e["field"]): e["message"] for e in response.json()["errors"]}


def test_import_grade_row_errors_name_the_row_and_column(admin_api):
    student, course = _enrolled()
    outsider = StudentFactory()
    s, c = student.student_id, course.course_code
    lines = (
        f"{s},{c},A1,Homework,abc,100\n"  # wrong type
        f"{s},{c},A2,Homework,120,100\n"  # above max
        f"NOPE,{c},A3,Homework,50,100\n"  # unknown student
        f"{s},ZZZ,A4,Homework,50,100\n"  # unknown course
        f"{s},{c},A5,Homework,50,100\n"
        f"{s},{c},A5,Homework,60,100\n"  # duplicate key in file
        f"{outsider.student_id},{c},A6,Homework,60,100\n"  # not enrolled
    )

    errors = _grade_errors(admin_api, lines)

    assert "not a number" in errors[(2, "grade")]
    assert "higher than the maximum" in errors[(3, "grade")]
    assert "No student" in errors[(4, "student_id")]
    assert "No course" in errors[(5, "course_code")]
    assert "Duplicate of row 6" in errors[(7, "assignment_name")]
    assert "not enrolled" in errors[(8, "student_id")]
    assert (6, "grade") not in errors


def test_import_bad_date_and_bad_email_are_row_errors(admin_api):
    content = (
        "student_id,first_name,last_name,email,enrollment_date\n"
        "X1,Anna,Alpha,not-an-email,2025-09-15\n"
        "X2,Babis,Beta,b@example.org,31/02/2025\n"
    )

    response = upload(admin_api, "students", content)

    errors = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(2, "email"), (3, "enrollment_date")}
    assert response.json()["totals"]["error"] == 2


def test_import_semicolon_csv_with_bom_and_extra_columns(admin_api):
    student, course = _enrolled()
    content = (
        "\ufeffstudent_id;course_code;assignment_name;category;grade;Favourite colour\n"
        f"{student.student_id};{course.course_code};A1;Homework;7,5;blue\n"
    ).encode()

    response = upload(admin_api, "grades", content)

    assert response.json()["totals"]["new"] == 1
    assert response.json()["ignored_columns"] == ["Favourite colour"]
    assert response.json()["rows"][0]["data"]["grade"] == "7,5"


def test_import_extra_columns_between_known_ones_are_ignored_in_file_order(admin_api):
    student, course = _enrolled()
    content = (
        "Tutor,student_id,Teacher remark,course_code,assignment_name,category,grade,grade\n"
        f"n,{student.student_id},r,{course.course_code},A1,Homework,8,9\n"
    ).encode()

    response = upload(admin_api, "grades", content)

    body = response.json()
    assert body["totals"]["new"] == 1
    assert body["ignored_columns"] == ["Tutor", "Teacher remark", "grade"]
    assert body["rows"][0]["data"]["grade"] == "8"


def test_import_missing_column_message_lists_every_column_of_the_file(admin_api):
    response = upload(admin_api, "grades", b"student_id,Notes,grade\nS1,n,7\n")

    assert response.status_code == 400
    assert "The file's columns are: student_id, Notes, grade." in str(response.json())


def test_import_latin1_file_is_decoded(admin_api):
    content = "student_id,first_name,last_name,email\nL1,José,Müller,jose@example.org\n"

    preview = upload(admin_api, "students", content.encode("latin-1"))
    admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert Student.objects.get(student_id="L1").last_name == "Müller"


def test_import_huge_cell_is_a_row_error(admin_api, settings):
    settings.SMS_BULKIO_MAX_CELL_CHARS = 100
    student, course = _enrolled()
    content = (
        "student_id,course_code,assignment_name,category,grade,notes\n"
        f"{student.student_id},{course.course_code},A1,Homework,50,{'x' * 500}\n"
    )

    response = upload(admin_api, "grades", content)

    assert "too long" in response.json()["errors"][0]["message"]
    assert response.json()["errors"][0]["field"] == "notes"


def test_import_formula_cells_are_stored_as_text_and_apostrophe_is_removed(admin_api):
    student, course = _enrolled()
    content = (
        "student_id,course_code,assignment_name,category,grade,notes\n"
        f"{student.student_id},{course.course_code},'=SUM(A1),Homework,50,=HYPERLINK(x)\n"
    )

    preview = upload(admin_api, "grades", content)
    admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    grade = Grade.objects.get()
    assert (grade.assignment_name, grade.notes) == ("=SUM(A1)", "=HYPERLINK(x)")


def test_import_duplicate_email_in_file_is_an_error(admin_api):
    StudentFactory(student_id="OLD1", email="taken@example.org")
    content = (
        "student_id,first_name,last_name,email\n"
        "D1,A,A,same@example.org\nD2,B,B,SAME@example.org\nD3,C,C,taken@example.org\n"
    )

    response = upload(admin_api, "students", content)

    errors = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(3, "email"), (4, "email")}


# --- Modes ------------------------------------------------------------------------------------
def test_import_all_or_nothing_with_an_error_leaves_every_table_identical(admin_api):
    student, course = _enrolled()
    GradeFactory(student=student, course=course, assignment_name="Kept", grade=Decimal("40"))
    before = snapshot()
    lines = (
        f"{student.student_id},{course.course_code},Kept,Homework,99,100\n"
        f"{student.student_id},{course.course_code},New,Homework,101,100\n"
    )
    preview = upload(admin_api, "grades", GRADE_HEADER + lines)

    confirm = admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert confirm.status_code == 400
    assert "1 rows have errors" in confirm.json()["detail"]
    assert snapshot() == before


def test_import_all_or_nothing_refuses_when_data_changed_after_preview(admin_api):
    student, course = _enrolled()
    lines = f"{student.student_id},{course.course_code},Lab,Lab,70,100\n"
    preview = upload(admin_api, "grades", GRADE_HEADER + lines)
    Enrollment.objects.all().delete()
    before = snapshot()

    confirm = admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert confirm.json()["status"] == "failed"
    assert "nothing was written" in confirm.json()["error_message"]
    assert snapshot() == before


def test_import_skip_invalid_writes_only_valid_rows(admin_api):
    student, course = _enrolled()
    lines = (
        f"{student.student_id},{course.course_code},Good,Homework,70,100\n"
        f"{student.student_id},{course.course_code},Bad,Homework,170,100\n"
    )
    preview = upload(admin_api, "grades", GRADE_HEADER + lines, mode="skip_invalid")

    confirm = admin_api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert confirm.json()["applied_totals"]["new"] == 1
    assert list(Grade.objects.values_list("assignment_name", flat=True)) == ["Good"]


def test_import_preview_caps_rows_but_keeps_every_error_row(admin_api, settings):
    settings.SMS_BULKIO_PREVIEW_ROWS = 5
    student, course = _enrolled()
    lines = "".join(
        f"{student.student_id},{course.course_code},A{n},Homework,{150 if n == 30 else 50},100\n"
        for n in range(40)
    )

    response = upload(admin_api, "grades", GRADE_HEADER + lines).json()

    assert response["rows_truncated"] is True
    assert len(response["rows"]) == 6
    assert response["rows"][-1] == {
        "row": 32,
        "action": "error",
        "data": {
            "student_id": student.student_id,
            "course_code": course.course_code,
            "assignment_name": "A30",
            "category": "Homework",
            "grade": "150",
            "max_grade": "100",
        },
        "errors": [
            {
                "field": "grade",
                "message": "The grade cannot be higher than the maximum grade (100).",
            }
        ],
    }


# --- Scope ------------------------------------------------------------------------------------
def test_import_teacher_grades_only_for_own_courses(teacher_api, teacher_user):
    mine_student, mine = _enrolled(teachers=[teacher_user])
    other_student, other = _enrolled()
    lines = (
        f"{mine_student.student_id},{mine.course_code},Lab,Lab,70,100\n"
        f"{other_student.student_id},{other.course_code},Lab,Lab,70,100\n"
    )

    response = upload(teacher_api, "grades", GRADE_HEADER + lines)

    assert response.json()["errors"] == [
        {"row": 3, "field": "course_code", "message": "You do not teach this course."}
    ]


def test_import_teacher_may_not_import_students(teacher_api):
    response = upload(teacher_api, "students", "student_id,first_name,last_name,email\n")

    assert response.status_code == 403


def test_import_student_user_is_forbidden(student_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(student_user)

    assert client.get("/api/v1/imports/").status_code == 403


def test_import_history_lists_only_own_jobs_for_teachers(admin_api, teacher_api, teacher_user):
    _student, course = _enrolled(teachers=[teacher_user])
    upload(admin_api, "courses", "course_code,course_name,semester\nH1,History,A\n")
    upload(teacher_api, "grades", GRADE_HEADER + f"X,{course.course_code},A,B,1,10\n")

    admin_list = admin_api.get("/api/v1/imports/").json()
    teacher_list = teacher_api.get("/api/v1/imports/").json()

    assert admin_list["count"] == 2
    assert [job["resource"] for job in teacher_list["results"]] == ["grades"]


def test_import_template_has_headers_and_a_sample_row(admin_api):
    response = admin_api.get("/api/v1/imports/templates/grades.csv")

    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("student_id,course_code,assignment_name,category,grade")
    assert lines[1].startswith("S2025001,NET101,Midterm exam")


def test_import_xlsx_template_previews_as_a_valid_file(admin_api):
    response = admin_api.get("/api/v1/imports/templates/students.xlsx")

    preview = upload(admin_api, "students", response.content, name="template.xlsx")

    assert preview.json()["totals"] == {"new": 1, "update": 0, "skip": 0, "error": 0}

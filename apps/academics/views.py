"""Teachers' pages: courses, roster, grade grid, attendance sheet, student profile.

Thin views: scoping from ``scoping``, reads from ``selectors``, writes through
``services``. One view serves a whole page and, for HTMX requests, the fragment that
changed. Out-of-scope objects are 404; a role that may not write marks gets 403.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from apps.academics import grading, posting, scoping, selectors, services
from apps.academics.filtering import page_number, search_text
from apps.academics.forms import (
    MAX_PERIOD,
    AssignmentColumnForm,
    AttendanceMarkForm,
    GradeCellForm,
    slot_or_default,
)
from apps.academics.models import AttendanceStatus, Course, Grade, GradePosting
from apps.academics.selectors import GradeCell, GradeColumn
from apps.accounts.models import Role

COURSES_PER_PAGE = 24
PENDING_COLUMNS_KEY = "grade_grid_new_columns"


def _teaching_course(request: HttpRequest, course_id: int) -> Course:
    """A course in the user's scope that they may also mark (admin or its teacher)."""
    course = get_object_or_404(scoping.courses_for(request.user), pk=course_id)
    if not scoping.can_write_marks(request.user, course):
        raise PermissionDenied
    return course


def _require_staff_role(request: HttpRequest) -> None:
    if not scoping.is_staff(request.user):
        raise PermissionDenied


# --- Courses -------------------------------------------------------------------------------
@login_required
@require_GET
def course_list(request: HttpRequest) -> HttpResponse:
    _require_staff_role(request)
    query = search_text(request.GET.get("q"))
    courses = selectors.courses_with_counts(
        selectors.search_courses(scoping.courses_for(request.user), query),
        today=timezone.localdate(),
    )
    page = Paginator(courses, COURSES_PER_PAGE).get_page(page_number(request.GET))
    context = {"page": page, "query": query, "today": timezone.localdate()}
    if request.htmx and request.htmx.target == "course-results":
        return render(request, "academics/_course_results.html", context)
    return render(request, "academics/course_list.html", context)


@login_required
@require_GET
def course_roster(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _teaching_course(request, course_id)
    query = search_text(request.GET.get("q"))
    context = {
        "course": course,
        "query": query,
        "rows": selectors.roster_rows(course, query=query),
    }
    if request.htmx and request.htmx.target == "roster-results":
        return render(request, "academics/_roster_results.html", context)
    return render(request, "academics/course_roster.html", context)


# --- Grade grid ----------------------------------------------------------------------------
def _pending_columns(request: HttpRequest, course: Course) -> list[GradeColumn]:
    """New columns the teacher added but has not graded yet (kept in the session)."""
    stored = request.session.get(PENDING_COLUMNS_KEY, {}).get(str(course.pk), [])
    columns = []
    for item in stored:
        try:
            columns.append(
                GradeColumn(
                    name=item["name"],
                    category=item["category"],
                    max_grade=Decimal(item["max_grade"]),
                    date_assigned=dt.date.fromisoformat(item["date_assigned"]),
                    pending=True,
                )
            )
        except (KeyError, TypeError, ValueError, ArithmeticError):
            continue
    return columns


def _remember_column(request: HttpRequest, course: Course, column: GradeColumn) -> None:
    stored = request.session.get(PENDING_COLUMNS_KEY, {})
    stored.setdefault(str(course.pk), []).append(
        {
            "name": column.name,
            "category": column.category,
            "max_grade": str(column.max_grade),
            "date_assigned": column.date_assigned.isoformat(),
        }
    )
    request.session[PENDING_COLUMNS_KEY] = stored


def _grid_page(
    request: HttpRequest,
    course: Course,
    form: AssignmentColumnForm | None = None,
    *,
    template: str = "academics/grade_grid.html",
    posting_message: str = "",
):
    grid = selectors.grade_grid(course, pending=_pending_columns(request, course))
    if form is None:
        form = AssignmentColumnForm(
            course=course, existing_names={column.name for column in grid.columns}
        )
    context = {
        "course": course,
        "grid": grid,
        "hidden": grid.hidden,
        "manual_posting": course.grade_posting == GradePosting.MANUAL,
        "column_form": form,
        "posting_message": posting_message,
    }
    return render(request, template, context)


@login_required
@require_GET
def grade_grid(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _teaching_course(request, course_id)
    return _grid_page(request, course)


@login_required
@require_POST
def grade_post(request: HttpRequest, course_id: int) -> HttpResponse:
    """Post the course's hidden grades (all, one assignment's or one category's); htmx gets
    the grid card again, with what was done."""
    course = _teaching_course(request, course_id)
    result = posting.grades_post(
        course=course,
        actor=request.user,
        assignment=(request.POST.get("assignment") or "").strip()[:200] or None,
        category=(request.POST.get("category") or "").strip()[:100] or None,
    )
    if result.posted:
        text = (
            ngettext("%(count)d grade posted.", "%(count)d grades posted.", result.posted)
            % {"count": result.posted}
            + " "
            + ngettext(
                "%(count)d student notified.",
                "%(count)d students notified.",
                result.students_notified,
            )
            % {"count": result.students_notified}
        )
    else:
        text = _("There were no hidden grades to post.")
    if not request.htmx:
        messages.success(request, text)
        return redirect("academics:grade_grid", course_id=course.pk)
    return _grid_page(
        request, course, template="academics/_grade_grid_card.html", posting_message=text
    )


@login_required
@require_POST
def grade_column_add(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _teaching_course(request, course_id)
    pending = _pending_columns(request, course)
    existing = set(
        Grade.objects.filter(course=course).values_list("assignment_name", flat=True).distinct()
    )
    form = AssignmentColumnForm(
        request.POST, course=course, existing_names=existing | {c.name for c in pending}
    )
    if not form.is_valid():
        return _grid_page(request, course, form)
    data = form.cleaned_data
    _remember_column(
        request,
        course,
        GradeColumn(data["name"], data["category"], data["max_grade"], data["date_assigned"]),
    )
    messages.success(
        request,
        _("Column “%(name)s” added. It is saved with its first grade.") % {"name": data["name"]},
    )
    return redirect("academics:grade_grid", course_id=course.pk)


def _save_grade(request, *, course, student, column: GradeColumn, value) -> None:
    """Record, change or (for an emptied cell) delete one grade through the services."""
    existing = Grade.objects.filter(
        student=student, course=course, assignment_name=column.name
    ).first()
    if value is None:
        if existing is not None:
            services.grade_delete(grade_obj=existing, actor=request.user)
        return
    services.grade_record(
        student=student,
        course=course,
        assignment_name=column.name,
        category=column.category,
        grade=value,
        max_grade=column.max_grade,
        date_assigned=column.date_assigned or timezone.localdate(),
        actor=request.user,
    )


@login_required
@require_POST
def grade_cell(request: HttpRequest, course_id: int) -> HttpResponse:
    """Save one cell; answer with the cell and, out of band, the row's new final grade."""
    course = _teaching_course(request, course_id)
    form = GradeCellForm(request.POST)
    form.is_valid()
    if "student" in form.errors or "assignment" in form.errors:
        return HttpResponseBadRequest(_("Unknown student or assignment."))
    student = get_object_or_404(
        selectors.enrolled_students(course), pk=form.cleaned_data["student"]
    )
    column = selectors.column_for(
        course, form.cleaned_data["assignment"], _pending_columns(request, course)
    )
    if column is None:
        return HttpResponseBadRequest(_("Unknown student or assignment."))
    errors = list(form.errors.get("grade", []))
    if not errors:
        try:
            _save_grade(
                request,
                course=course,
                student=student,
                column=column,
                value=form.cleaned_data["grade"],
            )
        except ValidationError as error:
            errors = error.messages
    if not request.htmx:
        for message in errors:
            messages.error(request, f"{student.full_name} · {column.name}: {message}")
        return redirect("academics:grade_grid", course_id=course.pk)
    grade = Grade.objects.filter(
        student=student, course=course, assignment_name=column.name
    ).first()
    cell = GradeCell(column, grade, value=request.POST.get("grade", ""), errors=errors)
    result = selectors.course_results_for(course, [student.pk]).get(student.pk)
    context = {
        "course": course,
        "student": student,
        "cell": cell,
        "result": result,
        "saved": not errors,
    }
    if course.grade_posting == GradePosting.MANUAL:
        # The posting bar's count follows the cell (out of band).
        context.update(hidden=selectors.hidden_grades(course), manual_posting=True)
    return render(request, "academics/_grade_cell.html", context)


# --- Attendance ----------------------------------------------------------------------------
def _sheet_context(course: Course, date: dt.date, period: int) -> dict:
    rows = selectors.attendance_sheet(course, date=date, period=period)
    return {
        "course": course,
        "date": date,
        "period": period,
        "rows": rows,
        "counts": selectors.attendance_counts(rows),
        "statuses": AttendanceStatus.choices,
        "today": timezone.localdate(),
        "periods": range(1, MAX_PERIOD + 1),
    }


def _sheet_url(course: Course, date: dt.date, period: int) -> str:
    query = urlencode({"date": date.isoformat(), "period": period})
    return f"{reverse('academics:attendance_sheet', args=[course.pk])}?{query}"


@login_required
@require_GET
def attendance_sheet(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _teaching_course(request, course_id)
    form, date, period = slot_or_default(request.GET)
    context = _sheet_context(course, date, period) | {"slot_form": form}
    if request.htmx and request.htmx.target == "attendance-sheet":
        return render(request, "academics/_attendance_sheet.html", context)
    # A date or period that cannot be used: the sheet for today with the reason, as a 400.
    status = 400 if form.errors else 200
    return render(request, "academics/attendance_sheet.html", context, status=status)


@login_required
@require_POST
def attendance_mark(request: HttpRequest, course_id: int) -> HttpResponse:
    """One click: set one student's status and answer with the re-rendered row."""
    course = _teaching_course(request, course_id)
    form = AttendanceMarkForm(request.POST)
    form.is_valid()
    if "student" not in form.cleaned_data:
        return HttpResponseBadRequest(_("Unknown student."))
    student = get_object_or_404(
        selectors.enrolled_students(course), pk=form.cleaned_data["student"]
    )
    errors = [message for messages_ in form.errors.values() for message in messages_]
    date = form.cleaned_data.get("date") or timezone.localdate()
    period = form.cleaned_data.get("period") or 1
    if not errors:
        try:
            services.attendance_mark(
                student=student,
                course=course,
                date=date,
                period_number=period,
                status=form.cleaned_data["status"],
                actor=request.user,
            )
        except ValidationError as error:
            errors = error.messages
    if not request.htmx:
        for message in errors:
            messages.error(request, f"{student.full_name}: {message}")
        return redirect(_sheet_url(course, date, period))
    context = _sheet_context(course, date, period)
    row = next(row for row in context["rows"] if row.student.pk == student.pk)
    row.errors = errors
    return render(request, "academics/_attendance_row.html", context | {"row": row, "oob": True})


@login_required
@require_POST
def attendance_mark_all(request: HttpRequest, course_id: int) -> HttpResponse:
    """Mark every student not yet marked for the slot as present, all or nothing.

    Each record goes through ``services.attendance_mark`` so the same validation and
    history apply as for one click; a class is at most a few dozen students, so the
    loop stays small, and it runs in one transaction.
    """
    course = _teaching_course(request, course_id)
    form, date, period = slot_or_default(request.POST)
    errors = [message for messages_ in form.errors.values() for message in messages_]
    marked = 0
    if not errors:
        rows = selectors.attendance_sheet(course, date=date, period=period)
        try:
            with transaction.atomic():
                for row in rows:
                    if row.record is None:
                        services.attendance_mark(
                            student=row.student,
                            course=course,
                            date=date,
                            period_number=period,
                            status=AttendanceStatus.PRESENT,
                            actor=request.user,
                        )
                        marked += 1
        except ValidationError as error:
            errors = error.messages
            marked = 0
    if not request.htmx:
        for message in errors:
            messages.error(request, message)
        return redirect(_sheet_url(course, date, period))
    context = _sheet_context(course, date, period) | {"sheet_errors": errors, "marked": marked}
    return render(request, "academics/_attendance_sheet.html", context)


# --- Student profile -----------------------------------------------------------------------
def profile_summary(user, student):
    """The engine's summary within the viewer's scope: a teacher sees only their courses."""
    if scoping.role_of(user) == Role.TEACHER:
        course_ids = list(scoping.courses_for(user).values_list("pk", flat=True))
        summaries = grading.student_summaries(student_ids=[student.pk], course_ids=course_ids)
        return summaries.get(student.pk)
    return grading.student_summary(student)


@login_required
@require_GET
def student_profile(request: HttpRequest, student_id: int) -> HttpResponse:
    student = get_object_or_404(scoping.students_for(request.user), pk=student_id)
    summary = profile_summary(request.user, student)
    context = {
        "student": student,
        "summary": summary,
        "courses": selectors.profile_courses(summary, scoping.courses_for(request.user)),
        "show_health": scoping.is_admin(request.user),
    }
    return render(request, "academics/student_profile.html", context)

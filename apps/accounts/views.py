from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.academics import scoping, selectors
from apps.academics.views import profile_summary
from apps.accounts.forms import LoginForm

HOME_COURSES = 12
ADMIN_LINKS = [
    ("admin:academics_student_changelist", "users", _("Students")),
    ("admin:academics_course_changelist", "book-open", _("Courses")),
    ("admin:academics_enrollment_changelist", "list-checks", _("Enrollments")),
    ("admin:academics_grade_changelist", "clipboard-list", _("Grades")),
    ("admin:academics_attendance_changelist", "calendar-check", _("Attendance")),
    ("admin:accounts_user_changelist", "user", _("Users")),
    ("admin:accounts_user_lockouts", "shield", _("Login lockouts")),
    ("admin:index", "settings", _("Everything else")),
]


def admin_links() -> list[dict]:
    """Shortcuts into the Django admin for the models it has registered."""
    links = []
    for name, icon, label in ADMIN_LINKS:
        try:
            links.append({"url": reverse(name), "icon": icon, "label": label})
        except NoReverseMatch:
            continue
    return links


QUICK_LINKS = [
    ("academics:course_list", "book-open", _("Courses")),
    ("analytics:dashboard", "chart-column", _("Analytics")),
    ("bulkio:import_new", "file-text", _("Import records")),
    ("bulkio:export_page", "file-text", _("Export records")),
    ("bulkio:import_list", "list-checks", _("Import history")),
    ("notifications:list", "bell", _("Notifications")),
]


def quick_links() -> list[dict]:
    """The pages an admin opens most, for the home page."""
    links = []
    for name, icon, label in QUICK_LINKS:
        try:
            links.append({"url": reverse(name), "icon": icon, "label": label})
        except NoReverseMatch:
            continue
    return links


@login_required
def home(request):
    """Landing page after login, by role.

    Teachers: their courses and today's classes (the courses they teach with today's
    attendance progress, as there is no timetable). Admins: school-wide counts, quick
    links and links into the administration, plus today's classes of any course they
    teach. Students: their own grades.
    """
    today = timezone.localdate()
    context = {"today": today}
    user = request.user
    if user.is_admin_role:
        context["admin_links"] = admin_links()
        context["counts"] = selectors.school_counts()
        context["quick_links"] = quick_links()
    if user.is_admin_role or user.is_teacher_role:
        # Today's classes are the courses this user teaches; an admin sees every course
        # through the overview instead, and today's classes only for courses they teach.
        courses = scoping.courses_for(user).filter(is_active=True)
        if user.is_admin_role:
            courses = courses.filter(teachers=user)
        context["courses"] = list(
            selectors.courses_with_counts(courses, today=today)[:HOME_COURSES]
        )
        context["more_courses"] = len(context["courses"]) >= HOME_COURSES
    elif user.is_student_role:
        student = scoping.students_for(user).first()
        summary = profile_summary(user, student) if student else None
        context["student"] = student
        context["summary"] = summary
        context["results"] = selectors.profile_courses(summary, scoping.courses_for(user))
    return render(request, "accounts/home.html", context)


class LoginView(auth_views.LoginView):
    """The browser login page, sharing the API's lockout after repeated failures."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

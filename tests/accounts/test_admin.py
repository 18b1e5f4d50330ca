import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.models import Role, User
from tests.factories import AdminFactory, StudentUserFactory, TeacherFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [TeacherFactory, StudentUserFactory])
def test_admin_site_refuses_teachers_and_students_even_with_staff_status(client, factory):
    user = factory(is_staff=True)
    client.force_login(user)

    index = client.get(reverse("admin:index"))
    changelist = client.get(reverse("admin:academics_student_changelist"))

    assert index.status_code == 302
    assert index["Location"].startswith(reverse("admin:login"))
    assert changelist.status_code == 302


def test_admin_site_refuses_anonymous_visitors(client):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_role_user_without_superuser_manages_records(client):
    admin = AdminFactory(is_superuser=False)
    client.force_login(admin)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("admin:academics_student_changelist") in content
    assert reverse("admin:accounts_user_changelist") in content


def test_user_changelist_shows_role_and_filters_by_it(client):
    admin = AdminFactory()
    TeacherFactory(username="mr-teacher")
    StudentUserFactory(username="a-student")
    client.force_login(admin)

    response = client.get(reverse("admin:accounts_user_changelist"), {"role__exact": "teacher"})

    content = response.content.decode()
    assert "mr-teacher" in content
    assert "a-student" not in content
    assert "Teacher" in content


def test_user_changelist_query_count_does_not_grow_with_rows(client):
    client.force_login(AdminFactory())
    url = reverse("admin:accounts_user_changelist")
    UserFactory.create_batch(3)
    with CaptureQueriesContext(connection) as few:
        client.get(url)

    UserFactory.create_batch(17)
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many) == len(few)


def test_user_admin_add_sets_role(client):
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newteacher",
            "email": "newteacher@example.org",
            "role": "teacher",
            "usable_password": "true",
            "password1": "a-long-enough-Passw0rd",
            "password2": "a-long-enough-Passw0rd",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(username="newteacher").role == Role.TEACHER


def test_admin_role_user_cannot_grant_superuser_status(client):
    admin = AdminFactory(is_superuser=False)
    other = TeacherFactory()
    client.force_login(admin)

    response = client.get(reverse("admin:accounts_user_change", args=[other.pk]))

    assert "is_superuser" not in response.context["adminform"].form.fields


def test_admin_login_locks_out_after_repeated_failures(client, admin_user):
    for _ in range(5):
        client.post("/admin/login/", {"username": admin_user.username, "password": "wrong"})

    response = client.post(
        "/admin/login/", {"username": admin_user.username, "password": "correct-horse-battery"}
    )

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session

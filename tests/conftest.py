import pytest

from tests.factories import PASSWORD, AdminFactory, StudentUserFactory, TeacherFactory


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def teacher_user(db):
    return TeacherFactory()


@pytest.fixture
def student_user(db):
    return StudentUserFactory()

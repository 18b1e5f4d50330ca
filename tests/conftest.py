import pytest
from django.core.cache import cache
from django.utils import translation

from tests.factories import PASSWORD, AdminFactory, StudentUserFactory, TeacherFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; the production hasher is slow by design."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle histories, login failure counts and analytics must not leak between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_unless_asked():
    """A Greek request activates Greek for the whole thread; do not let it leak."""
    translation.activate("en")
    yield
    translation.deactivate()


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

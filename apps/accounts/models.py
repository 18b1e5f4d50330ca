"""Users and their roles.

One custom user model from the first migration, so a role is a column rather than a
group lookup and every scope check is a single attribute read.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.academics.validators import validate_no_bidi_controls


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    TEACHER = "teacher", _("Teacher")
    STUDENT = "student", _("Student")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STUDENT)
    # Shown as the teacher's or student's name everywhere: no text-direction tricks.
    first_name = models.CharField(
        _("first name"), max_length=150, blank=True, validators=[validate_no_bidi_controls]
    )
    last_name = models.CharField(
        _("last name"), max_length=150, blank=True, validators=[validate_no_bidi_controls]
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    @property
    def is_admin_role(self) -> bool:
        """Superusers count as admins whatever their role column says."""
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_teacher_role(self) -> bool:
        return self.role == Role.TEACHER and not self.is_superuser

    @property
    def is_student_role(self) -> bool:
        return self.role == Role.STUDENT and not self.is_superuser

    @property
    def effective_role(self) -> str:
        return Role.ADMIN if self.is_admin_role else self.role

    def save(self, *args, **kwargs):
        # Admins manage the site through the Django admin, which needs is_staff.
        if self.role == Role.ADMIN:
            self.is_staff = True
        super().save(*args, **kwargs)

"""Login forms that refuse attempts while a username or address is locked out."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from apps.accounts import lockout
from apps.accounts.throttling import client_ip


class LockoutMixin:
    """Checks the lockout before the password and counts every failed attempt."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        locked_for = lockout.seconds_locked(username, ip)
        if locked_for:
            raise self.locked_out_error(locked_for)
        try:
            cleaned_data = super().clean()
        except forms.ValidationError as error:
            if getattr(error, "code", None) == "invalid_login":
                locked_for = lockout.register_failure(username, ip)
                if locked_for:
                    raise self.locked_out_error(locked_for) from error
            raise
        if getattr(self, "user_cache", None) is not None:
            lockout.register_success(username, ip)
        return cleaned_data

    @staticmethod
    def locked_out_error(seconds: int) -> forms.ValidationError:
        return forms.ValidationError(lockout.lockout_message(seconds), code="locked_out")


class LoginForm(LockoutMixin, AuthenticationForm):
    """The browser login page's form."""


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    """For ``admin.site.login_form``, so the admin login shares the same lockout."""

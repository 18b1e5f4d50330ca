"""JWT endpoints: the token pair (with the login lockout), refresh and logout."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework_simplejwt import views as jwt_views

from apps.accounts import lockout
from apps.accounts.throttling import ScopedRateThrottle, client_ip


class LockedOut(exceptions.Throttled):
    default_detail = _("Too many failed login attempts.")
    default_code = "locked_out"


class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """``{"username", "password"}`` → ``{"access", "refresh"}``; refused while locked out."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, dict) else {}
        username = data.get("username")
        username = username if isinstance(username, str) else ""
        ip = client_ip(request)
        locked_for = lockout.seconds_locked(username, ip)
        if locked_for:
            raise LockedOut(wait=locked_for, detail=lockout.lockout_message(locked_for))
        try:
            response = super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            lockout.register_failure(username, ip)
            raise
        lockout.register_success(username, ip)
        return response


class TokenRefreshView(jwt_views.TokenRefreshView):
    """``{"refresh"}`` → a new pair; the refresh token sent is blacklisted (single use)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token_refresh"


class TokenBlacklistView(jwt_views.TokenBlacklistView):
    """``{"refresh"}`` → the refresh token can no longer be used (log out)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token_refresh"

from django.urls import path

from apps.accounts.api import views

app_name = "auth-api"

urlpatterns = [
    path("token/", views.TokenObtainPairView.as_view(), name="token"),
    path("token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("token/blacklist/", views.TokenBlacklistView.as_view(), name="token-blacklist"),
]

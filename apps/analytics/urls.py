from django.urls import path

from apps.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("comparison/", views.comparison, name="comparison"),
    path("students/<int:pk>/", views.student, name="student"),
    path("digest/", views.digest, name="digest"),
]

from django.urls import path

from apps.analytics.api import views

app_name = "analytics-api"
urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("students/", views.StudentsView.as_view(), name="students"),
    path("students/<int:pk>/", views.StudentDetailView.as_view(), name="student-detail"),
    path("grades/", views.GradesView.as_view(), name="grades"),
    path("attendance/", views.AttendanceView.as_view(), name="attendance"),
    path("courses/", views.CoursesView.as_view(), name="courses"),
    path("courses/<int:pk>/", views.CourseDetailView.as_view(), name="course-detail"),
]

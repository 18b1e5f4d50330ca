from django.urls import path

from apps.academics import views

app_name = "academics"

urlpatterns = [
    path("courses/", views.course_list, name="course_list"),
    path("courses/<int:course_id>/", views.course_roster, name="course_roster"),
    path("courses/<int:course_id>/grades/", views.grade_grid, name="grade_grid"),
    path("courses/<int:course_id>/grades/cell/", views.grade_cell, name="grade_cell"),
    path("courses/<int:course_id>/grades/post/", views.grade_post, name="grade_post"),
    path(
        "courses/<int:course_id>/grades/columns/", views.grade_column_add, name="grade_column_add"
    ),
    path("courses/<int:course_id>/attendance/", views.attendance_sheet, name="attendance_sheet"),
    path(
        "courses/<int:course_id>/attendance/mark/",
        views.attendance_mark,
        name="attendance_mark",
    ),
    path(
        "courses/<int:course_id>/attendance/mark-all/",
        views.attendance_mark_all,
        name="attendance_mark_all",
    ),
    path("students/<int:student_id>/", views.student_profile, name="student_profile"),
]

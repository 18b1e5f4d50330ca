from django.urls import path

from apps.bulkio import views

app_name = "bulkio"
urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/columns/", views.import_columns, name="import_columns"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/rollback/", views.import_rollback, name="import_rollback"),
    path("exports/", views.export_page, name="export_page"),
]

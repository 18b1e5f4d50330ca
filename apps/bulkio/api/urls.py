from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.bulkio.api import views

app_name = "bulkio-api"

router = SimpleRouter()
router.register("scheduled-exports", views.ScheduledExportViewSet, basename="scheduled-export")
router.register("exports", views.ExportViewSet, basename="export")

urlpatterns = [
    path("imports/", views.ImportListCreateView.as_view(), name="import-list"),
    path(
        "imports/templates/<str:resource>.<str:fmt>",
        views.ImportTemplateView.as_view(),
        name="import-template",
    ),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="import-confirm"),
    path(
        "imports/<int:pk>/failed-rows.<str:fmt>",
        views.ImportFailedRowsView.as_view(),
        name="import-failed-rows",
    ),
    path("imports/<int:pk>/rollback/", views.ImportRollbackView.as_view(), name="import-rollback"),
    path("exports/oneroster.zip", views.OneRosterExportView.as_view(), name="export-oneroster"),
    path(
        "exports/<str:resource>.<str:fmt>",
        views.ExportStreamView.as_view(),
        name="export-stream",
    ),
    path("exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="export-download"),
    *router.urls,
]

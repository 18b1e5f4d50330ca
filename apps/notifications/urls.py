from django.urls import path

from apps.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("preferences/", views.preference_edit, name="preferences"),
    path("read-all/", views.notification_read_all, name="read-all"),
    path("broadcast/", views.broadcast_page, name="broadcast"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("<int:pk>/unread/", views.notification_unread, name="unread"),
    path("<int:pk>/delete/", views.notification_delete, name="delete"),
]

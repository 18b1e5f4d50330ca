"""Notification preferences that name a kind of notice the site does not send are refused."""

from rest_framework.test import APIClient

from apps.notifications.models import NotificationPreference

API = "/api/v1/notifications/preferences/"


def test_preferences_for_an_unknown_kind_are_a_400_naming_it(teacher_user):
    client = APIClient()
    client.force_authenticate(teacher_user)

    response = client.put(API, {"kinds": {"birthday": {"web": True, "email": True}}}, format="json")

    assert response.status_code == 400
    assert response.json()["kinds"] == ["Unknown kinds: birthday"]
    assert not NotificationPreference.objects.filter(
        user=teacher_user, kinds__has_key="birthday"
    ).exists()

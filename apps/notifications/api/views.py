"""REST endpoints of SPEC §4.2; every lookup is inside the requester's own notifications."""

from django.http import Http404
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.academics.notices import course_audience_ids
from apps.notifications import selectors, services
from apps.notifications.api.serializers import (
    BroadcastSerializer,
    NotificationSerializer,
    PreferenceSerializer,
)
from apps.notifications.models import Notification, NotificationKind
from sms.api import choice_param


class IsAdminRole(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_admin_role)


def _flag(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() in {"1", "true", "yes", "on"}


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Notification.objects.none()
        params = self.request.query_params
        kind = choice_param(params, "kind", NotificationKind.values)
        return selectors.notifications_for(
            self.request.user, unread=_flag(params.get("unread")), kind=kind
        )

    def destroy(self, request, pk=None):
        try:
            services.notification_delete(user=request.user, notification_id=int(pk))
        except (Notification.DoesNotExist, ValueError) as error:
            raise Http404 from error
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        return self._mark(request, pk, services.mark_read)

    @action(detail=True, methods=["post"])
    def unread(self, request, pk=None):
        return self._mark(request, pk, services.mark_unread)

    def _mark(self, request, pk, service):
        try:
            notification = service(user=request.user, notification_id=int(pk))
        except (Notification.DoesNotExist, ValueError) as error:
            raise Http404 from error
        return Response(NotificationSerializer(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = services.mark_all_read(user=request.user, kind=request.data.get("kind") or None)
        return Response({"marked": marked})

    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread_count": selectors.unread_count(request.user)})


class PreferenceView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PreferenceSerializer

    def get(self, request):
        return Response(PreferenceSerializer.represent(services.preferences_for(request.user)))

    def put(self, request):
        serializer = PreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        current = services.preferences_for(request.user)
        data = serializer.validated_data
        preference = services.preferences_update(
            user=request.user,
            kinds=data.get("kinds"),
            quiet_hours_start=data.get("quiet_hours_start", current.quiet_hours_start),
            quiet_hours_end=data.get("quiet_hours_end", current.quiet_hours_end),
            email_digest=data.get("email_digest"),
            escalate_after_minutes=data.get("escalate_after_minutes", services.UNCHANGED),
            escalate_kinds=data.get("escalate_kinds"),
            language=data.get("language"),
            teacher_digest=data.get("teacher_digest"),
        )
        return Response(PreferenceSerializer.represent(preference))


class BroadcastView(APIView):
    permission_classes = [IsAdminRole]
    serializer_class = BroadcastSerializer

    def post(self, request):
        serializer = BroadcastSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.broadcast(
            actor=request.user,
            title=data["title"],
            message=data["message"],
            roles=data["roles"],
            # A course's people are a school rule: academics resolves them to user ids.
            user_ids=[
                *data["user_ids"],
                *(course_audience_ids(data["course"].pk) if data["course"] else ()),
            ],
            link=data["link"],
        )
        return Response({"recipients": len(created)}, status=status.HTTP_201_CREATED)

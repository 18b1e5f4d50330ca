"""Notification centre, preferences and the admins' broadcast page (thin: services do
the writes)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Min
from django.db.models.fields.json import KT
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from apps.academics.filtering import page_number
from apps.notifications import selectors, services
from apps.notifications.forms import BroadcastForm, PreferenceForm, audience_preview, kinds_for
from apps.notifications.models import Notification, NotificationKind

PAGE_SIZE = 20


@login_required
def notification_list(request):
    shown_kinds = kinds_for(request.user)
    kind = request.GET.get("kind") or ""
    if kind not in shown_kinds:
        kind = ""
    only_unread = request.GET.get("unread") in {"1", "true", "on"}
    queryset = selectors.notifications_for(
        request.user, unread=True if only_unread else None, kind=kind or None
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(page_number(request.GET))
    context = {
        "page": page,
        "kinds": [choice for choice in NotificationKind.choices if choice[0] in shown_kinds],
        "kind": kind,
        "only_unread": only_unread,
        "unread_count": selectors.unread_count(request.user),
        "query": request.GET.urlencode(),
    }
    template = "notifications/_notification_rows.html" if request.htmx else None
    return render(request, template or "notifications/notification_list.html", context)


def _back(request):
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


def _act(request, service, notification_id: int):
    try:
        service(user=request.user, notification_id=notification_id)
    except Notification.DoesNotExist as error:
        raise Http404 from error
    return _back(request)


@login_required
@require_POST
def notification_read(request, pk: int):
    return _act(request, services.mark_read, pk)


@login_required
@require_POST
def notification_unread(request, pk: int):
    return _act(request, services.mark_unread, pk)


@login_required
@require_POST
def notification_delete(request, pk: int):
    return _act(request, services.notification_delete, pk)


@login_required
@require_POST
def notification_read_all(request):
    marked = services.mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": marked})
    return _back(request)


@login_required
def preference_edit(request):
    preference = services.preferences_for(request.user)
    form = PreferenceForm(
        request.POST or None,
        preference=preference,
        kinds=kinds_for(request.user),
        teacher=request.user.is_teacher_role,
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_update(
            user=request.user,
            kinds=form.kinds(),
            quiet_hours_start=form.cleaned_data["quiet_hours_start"],
            quiet_hours_end=form.cleaned_data["quiet_hours_end"],
            email_digest=form.cleaned_data["email_digest"],
            teacher_digest=form.cleaned_data.get("teacher_digest"),
            escalate_after_minutes=form.cleaned_data["escalate_after_minutes"],
            escalate_kinds=form.escalate_kinds(preference),
            language=form.cleaned_data["language"],
        )
        language = form.cleaned_data["language"]
        if language:  # the pages follow the chosen language too
            translation.activate(language)
        messages.success(request, _("Notification preferences saved."))
        return _with_language_cookie(redirect("notifications:preferences"), language)
    return render(request, "notifications/preference_form.html", {"form": form})


def _with_language_cookie(response, language: str):
    """What the language switcher sets, so the pages follow the chosen language."""
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


# --- Broadcast page ------------------------------------------------------------------------
RECENT_BROADCASTS = 20


def recent_broadcasts(limit: int = RECENT_BROADCASTS) -> list[dict]:
    """The latest broadcasts with their sender and recipient count, from the stored rows.

    ``notify()`` gives every row of one call the same ``created_at`` (to the microsecond),
    so a send time is one broadcast. Two queries, bounded by the rows of the last ``limit``
    broadcasts (``notif_broadcast_idx``): their rows counted per send time, then the first
    row of each for the title and sender. The count is of rows still stored: a recipient
    who deleted theirs is no longer counted.
    """
    broadcasts = Notification.objects.filter(kind=NotificationKind.BROADCAST)
    latest = (
        broadcasts.order_by("-created_at").values_list("created_at", flat=True).distinct()[:limit]
    )
    groups = list(
        broadcasts.filter(created_at__in=latest)
        .values("created_at")
        .annotate(recipients=Count("id"), first_id=Min("id"))
        .order_by("-created_at")
    )
    heads = (
        broadcasts.filter(pk__in=[group["first_id"] for group in groups])
        .annotate(sender=KT("data__from"))
        .values("pk", "title", "sender")
    )
    by_id = {head["pk"]: head for head in heads} if groups else {}
    # A first row deleted between the two queries drops its line from this one listing.
    return [{**by_id[group["first_id"]], **group} for group in groups if group["first_id"] in by_id]


def _audience_context(data) -> dict:
    return {"audience": audience_preview(data)}


@login_required
@require_http_methods(["GET", "POST"])
def broadcast_page(request):
    """Compose and send a broadcast (admins). A GET with htmx answers the audience-count
    fragment; without JavaScript, "Count recipients" reloads the page with the count."""
    if not request.user.is_admin_role:
        raise PermissionDenied
    if request.method == "GET" and request.htmx:
        return render(
            request, "notifications/_broadcast_audience.html", _audience_context(request.GET)
        )
    if request.method == "POST":
        form = BroadcastForm(request.POST)
        if form.is_valid():
            created = services.broadcast(actor=request.user, **form.broadcast_arguments())
            messages.success(
                request,
                ngettext("Sent to %(count)d person.", "Sent to %(count)d people.", len(created))
                % {"count": len(created)},
            )
            return redirect("notifications:broadcast")
        data = request.POST
    else:
        form, data = BroadcastForm(initial=_initial(request.GET)), request.GET
    context = {**_audience_context(data), "form": form, "broadcasts": recent_broadcasts()}
    return render(request, "notifications/broadcast_form.html", context)


def _initial(query) -> dict:
    """The form as the no-JavaScript "Count recipients" button left it."""
    initial = {name: query.get(name) for name in ("title", "message", "course", "people", "link")}
    return {"roles": query.getlist("roles"), **{k: v for k, v in initial.items() if v}}

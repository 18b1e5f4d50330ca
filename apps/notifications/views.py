"""Notification centre and preferences pages (thin: services do the writes)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.academics.filtering import page_number
from apps.notifications import selectors, services
from apps.notifications.forms import PreferenceForm, kinds_for
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
        request.POST or None, preference=preference, kinds=kinds_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_update(
            user=request.user,
            kinds=form.kinds(),
            quiet_hours_start=form.cleaned_data["quiet_hours_start"],
            quiet_hours_end=form.cleaned_data["quiet_hours_end"],
            email_digest=form.cleaned_data["email_digest"],
        )
        messages.success(request, _("Notification preferences saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preference_form.html", {"form": form})

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """Landing page after login; each role's pages hang off it."""
    return render(request, "accounts/home.html")

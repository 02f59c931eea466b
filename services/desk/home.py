"""The desk's home: live counts for the user's scope (to be written)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def desk(request):
    return render(request, "desk/home.html", {})

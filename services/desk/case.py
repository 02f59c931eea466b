"""The staff case page (to be written)."""

from django.http import Http404


def case_page(request, number, action=None):
    raise Http404


reveal_phone = act = case_page

"""The desk's case list (to be written)."""

from django.http import Http404


def case_list(request):
    raise Http404


export = bulk_dispatch = case_list

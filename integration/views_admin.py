"""Administrator pages: imports and the access log."""

# TEMPORARY: being written
from django.http import Http404


def import_upload(request):
    raise Http404


def access_log(request):
    raise Http404


def access_log_export(request, citizen_uuid):
    raise Http404

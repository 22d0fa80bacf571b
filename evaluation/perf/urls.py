"""The app's URLs plus the Django admin's citizen change list, for the benchmark only.

The benchmark compares the caseload with the admin's change list, a lean
baseline users could have instead. The product does not register citizens in
its admin (that list would write no access log), so the benchmark serves one
from an admin site of its own at the same address.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns
from integration.models import Citizen


class CitizenAdmin(admin.ModelAdmin):
    list_display = ["full_name", "masked_cpr", "arrival_date"]
    list_per_page = settings.CASELOAD_PAGE_SIZE


site = admin.AdminSite(name="bench_admin")
site.register(Citizen, CitizenAdmin)

urlpatterns = [path("admin/", site.urls), *app_urlpatterns]

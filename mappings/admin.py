from django.contrib import admin

from .models import MappingSet


@admin.register(MappingSet)
class MappingSetAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "status", "source_system", "source_object", "target_system", "target_object"]
    list_filter = ["status", "source_system", "target_system"]
    search_fields = ["name"]

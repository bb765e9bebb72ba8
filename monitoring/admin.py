from django.contrib import admin

from .models import Alert, ApiCall, SyncAttempt


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncAttempt)
class SyncAttemptAdmin(ReadOnlyAdmin):
    list_display = ["sync_item", "number", "started_at", "duration_ms", "outcome", "step", "error_class", "http_status"]
    list_filter = ["outcome", "error_class"]
    search_fields = ["sync_item__source_id", "message"]


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "system", "operation", "method", "status_code", "duration_ms", "record_count", "sync_item"]
    list_filter = ["system", "status_code", "method"]
    search_fields = ["operation", "path"]
    date_hierarchy = "created_at"


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["opened_at", "severity", "status", "kind", "title", "notify_count", "resolved_at"]
    list_filter = ["status", "severity", "kind"]
    search_fields = ["title", "key"]

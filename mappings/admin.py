"""Admin for mapping configuration: thin callers of services, validation on save, history of every change."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline
from django.urls import path
from django.utils import timezone

from config.admin_empty import EmptyAction, EmptyStateAdmin

from . import admin_views, canvas_views, services, value_table_admin_views, value_tables
from .engine import Node, _order
from .models import ConfigImport, CurrencyRate, FieldMapping, MappingChange, MappingSet, ValueTable, ValueTableDraftEntry
from .schemas import schema_for
from .transforms import TRANSFORMS
from .validation import _target_known, node_problems
from .value_table_admin_views import PUBLISH_PERMISSION


def _list_path(fm: FieldMapping | None) -> str | None:
    parts = []
    while fm is not None:
        parts.insert(0, fm.target_field)
        fm = fm.parent
    return ".".join(parts) or None


class FieldMappingForm(forms.ModelForm):
    class Meta:
        model = FieldMapping
        fields = ["order", "kind", "parent", "target_field", "label", "item_label", "source_path", "transforms",
                  "default", "required", "max_length", "on_too_long", "condition", "notes"]
        widgets = {name: forms.Textarea(attrs={"rows": 2, "cols": 20}) for name in ("transforms", "condition", "default")}

    def __init__(self, *args, mapping_set=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping_set = mapping_set
        self.fields["parent"].queryset = FieldMapping.objects.filter(mapping_set=mapping_set, kind=FieldMapping.Kind.LIST)

    def clean(self):
        data = super().clean()
        if self.errors or not data.get("target_field"):
            return data
        node = Node(None, data.get("kind"), data["target_field"], data.get("source_path") or "",
                    data.get("transforms") or [], max_length=data.get("max_length"), condition=data.get("condition"))
        problems = node_problems(node)
        if self.mapping_set is not None:
            schema = schema_for(self.mapping_set.target_system, self.mapping_set.target_object)
            if schema and not _target_known(schema, _list_path(data.get("parent")), data["target_field"]):
                problems.append(f"{schema.system} {schema.object} has no field '{data['target_field']}'.")
        if problems:
            raise forms.ValidationError(problems)
        return data


class FieldMappingFormSet(forms.BaseInlineFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "mapping_set": self.instance if self.instance.pk else None}

    def clean(self):
        super().clean()
        scopes: dict = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("target_field"):
                continue
            parent = data.get("parent")
            node = Node(None, data.get("kind"), data["target_field"], condition=data.get("condition"))
            scopes.setdefault(parent.pk if parent else None, []).append(node)
        for nodes in scopes.values():
            targets = [n.target_field for n in nodes]
            dups = sorted({t for t in targets if targets.count(t) > 1})
            if dups:
                raise forms.ValidationError(f"Mapped more than once in the same place: {', '.join(dups)}.")
            _, cyclic = _order(nodes)
            if cyclic:
                raise forms.ValidationError("These fields' conditions depend on each other in a cycle: "
                                            + ", ".join(n.target_field for n in cyclic) + ".")


class FieldMappingInline(TabularInline):
    model = FieldMapping
    form = FieldMappingForm
    formset = FieldMappingFormSet
    fk_name = "mapping_set"
    extra = 1
    ordering = ["parent_id", "order", "id"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    has_add_permission = has_delete_permission = has_change_permission


class RecordedAdmin(ModelAdmin):
    """Records every save and every inline change in MappingChange (who, when, what)."""

    def history_mapping_set(self, obj):
        return None

    def save_model(self, request, obj, form, change):
        before = services.snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        services.mapping_change_record(user=request.user, obj=obj, mapping_set=self.history_mapping_set(obj),
                                       before=before, action="changed" if change else "created")

    def delete_model(self, request, obj):
        services.mapping_change_record(user=request.user, obj=obj, mapping_set=None, action="deleted",
                                       before=services.snapshot(obj))
        super().delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        pks = [f.instance.pk for f in formset.forms if f.instance.pk]
        before = {o.pk: services.snapshot(o) for o in formset.model.objects.filter(pk__in=pks)}
        instances = formset.save(commit=False)
        mapping_set, note = self.history_mapping_set(form.instance), f"{form.instance._meta.verbose_name} {form.instance}"
        for obj in formset.deleted_objects:
            services.mapping_change_record(user=request.user, obj=obj, mapping_set=mapping_set, action="deleted",
                                           before=before.get(obj.pk), note=note)
            obj.delete()
        for obj in instances:
            is_new = obj.pk is None
            obj.save()
            services.mapping_change_record(user=request.user, obj=obj, mapping_set=mapping_set, before=before.get(obj.pk),
                                           action="created" if is_new else "changed", note=note)
        formset.save_m2m()


@admin.register(MappingSet)
class MappingSetAdmin(RecordedAdmin):
    list_display = ["name", "version", "status", "source_system", "source_object", "target_system", "target_object",
                    "published_at"]
    list_filter = ["status", "source_system", "target_system"]
    search_fields = ["name"]
    inlines = [FieldMappingInline]
    readonly_fields = ["status", "published_at", "created_at"]
    change_form_template = "admin/mappings/mappingset/change_form.html"

    def has_change_permission(self, request, obj=None):
        # Published and retired versions are history; change them through "New draft".
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(admin_views.preview_view), name="mappings_mappingset_preview"),
            path("<int:pk>/canvas/", view(canvas_views.canvas_view), name="mappings_mappingset_canvas"),
            path("<int:pk>/canvas/data/", view(canvas_views.canvas_data_view), name="mappings_mappingset_canvas_data"),
            path("<int:pk>/canvas/link/", view(canvas_views.canvas_link_view), name="mappings_mappingset_canvas_link"),
            path("<int:pk>/canvas/unlink/", view(canvas_views.canvas_unlink_view),
                 name="mappings_mappingset_canvas_unlink"),
            path("<int:pk>/canvas/preview/", view(canvas_views.canvas_preview_view),
                 name="mappings_mappingset_canvas_preview"),
            path("<int:pk>/suggestions/", view(admin_views.suggestions_view), name="mappings_mappingset_suggestions"),
            path("<int:pk>/publish/", view(admin_views.publish_view), name="mappings_mappingset_publish"),
            path("<int:pk>/new-draft/", view(admin_views.draft_view), name="mappings_mappingset_draft"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            "transform_catalog": TRANSFORMS.values(),
            "history": MappingChange.objects.filter(mapping_set_id=object_id).select_related("user")[:50],
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def history_mapping_set(self, obj):
        return obj


def _may_edit_tables(request) -> bool:
    """Editing a value table's draft: the integration admin (change) or finance (the publish permission)."""
    return request.user.has_perm("mappings.change_valuetable") or request.user.has_perm(PUBLISH_PERMISSION)


class ValueTableDraftEntryInline(TabularInline):
    model = ValueTableDraftEntry
    extra = 3

    def has_add_permission(self, request, obj=None):
        return _may_edit_tables(request)

    def has_change_permission(self, request, obj=None):
        return _may_edit_tables(request)

    def has_delete_permission(self, request, obj=None):
        return _may_edit_tables(request)


@admin.register(ValueTable)
class ValueTableAdmin(RecordedAdmin):
    """Edits the draft only; the published rows change through *Preview & publish* (value_tables.py)."""

    list_display = ["name", "case_insensitive", "default_value", "unpublished_changes", "description"]
    search_fields = ["name", "description", "entries__source_value"]
    fields = ["name", "description", "draft_case_insensitive", "draft_default_value"]
    inlines = [ValueTableDraftEntryInline]
    change_form_template = "admin/mappings/valuetable/change_form.html"

    def has_change_permission(self, request, obj=None):
        return _may_edit_tables(request)

    def get_readonly_fields(self, request, obj=None):
        # Mapping sets name the table: renaming it would break them.
        return ["name"] if obj is not None else []

    def get_inline_instances(self, request, obj=None):
        if obj is not None and obj.draft_started_at is None and not _may_edit_tables(request):
            return []  # no draft open: the published rows below are the whole story
        return super().get_inline_instances(request, obj)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/publish/", view(value_table_admin_views.publish_view),
                     name="mappings_valuetable_publish"),
                path("<int:pk>/discard-draft/", view(value_table_admin_views.discard_view),
                     name="mappings_valuetable_discard")] + super().get_urls()

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        key = request.GET.get("add_key", "").strip()[:200]
        if request.method == "GET" and key and isinstance(inline, ValueTableDraftEntryInline):
            # The error console's fix link: a new draft row with the missing key, its target to fill in.
            if obj is None or obj.pk is None or not obj.draft_entries.filter(source_value=key).exists():
                kwargs["initial"] = [{"source_value": key}]
        return kwargs

    def change_view(self, request, object_id, form_url="", extra_context=None):
        table = self.get_object(request, object_id)
        if table is not None and _may_edit_tables(request):
            table = value_tables.value_table_draft_open(table=table)
        extra = {**(extra_context or {})}
        if table is not None:
            extra.update(published_entries=table.entries.all(), versions=table.versions.select_related("published_by"),
                         draft_changes=value_tables.value_table_draft_changes(table))
        return super().change_view(request, object_id, form_url, extra)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.draft_started_at = timezone.now()  # a new table is all draft until published
        super().save_model(request, obj, form, change)

    @admin.display(description="Unpublished changes")
    def unpublished_changes(self, obj):
        return len(value_tables.value_table_draft_changes(obj)) or "—"


@admin.register(CurrencyRate)
class CurrencyRateAdmin(EmptyStateAdmin, RecordedAdmin):
    list_display = ["date", "from_currency", "to_currency", "rate", "source"]
    list_filter = ["source", "from_currency", "to_currency"]
    date_hierarchy = "date"
    empty_help = (
        "No currency rates yet. Flows that convert amounts (an invoice in USD for a EUR ledger, say) look up the "
        "rate of the document's day here, the nearest earlier day when that day has none, and stop with "
        "\"No exchange rate\" when there is none at all.\n"
        "Load the European Central Bank's reference rates (EUR-based; other pairs are crossed through EUR), or "
        "add a rate by hand: a manual rate wins over a loaded one of the same day (an Integration admin does either)."
    )

    # Loading and adding rates is the Integration admin's; finance reads the help.
    empty_actions = (
        EmptyAction("Load ECB rates now", "admin:mappings_currencyrate_load_ecb", "post", "mappings.add_currencyrate",
                    note="The same as manage.py currency_rates_load on the command line."),
        EmptyAction("Add a rate by hand", "admin:mappings_currencyrate_add", permission="mappings.add_currencyrate"),
    )

    def get_urls(self):
        return [path("load-ecb/", self.admin_site.admin_view(admin_views.currency_rates_load_view),
                     name="mappings_currencyrate_load_ecb")] + super().get_urls()


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MappingChange)
class MappingChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "object_kind", "object_repr", "mapping_set"]
    list_filter = ["action", "object_kind"]
    search_fields = ["object_repr", "note"]


@admin.register(ConfigImport)
class ConfigImportAdmin(ReadOnlyAdmin):
    list_display = ["at", "source_name", "checksum", "format_version"]

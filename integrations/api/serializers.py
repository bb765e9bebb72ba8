"""What the operations API reads and returns (the OpenAPI schema is generated from these)."""
from __future__ import annotations

from rest_framework import serializers

from integrations.models import SyncItem
from integrations.operations.business import business_fields


class ItemSerializer(serializers.ModelSerializer):
    flow = serializers.SlugRelatedField(slug_field="name", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    business = serializers.SerializerMethodField(help_text="Customer, document, amount, currency and date "
                                                           "read from the source snapshot.")

    class Meta:
        model = SyncItem
        fields = ["id", "flow", "step", "source_object", "source_id", "status", "resolution", "resolution_note",
                  "attempts", "last_error", "cause_key", "cause_label", "assignee", "business", "target_external_id",
                  "entity", "received_at", "finished_at", "updated_at"]
        read_only_fields = fields

    def get_business(self, item) -> dict[str, str]:
        return business_fields(item.source_snapshot)


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(help_text="Why: required.", allow_blank=False, trim_whitespace=True)
    resolution = serializers.ChoiceField(choices=SyncItem.Resolution.choices, default=SyncItem.Resolution.RESOLVED)


class ActionResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    item = ItemSerializer()


class CauseSerializer(serializers.Serializer):
    cause_key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    flow = serializers.CharField()
    first_at = serializers.DateTimeField(allow_null=True)
    last_at = serializers.DateTimeField(allow_null=True)


class TimelineEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    what = serializers.CharField()
    detail = serializers.CharField()
    system = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_blank=True)
    sync_item_id = serializers.IntegerField(allow_null=True)


class TimelineRecordSerializer(serializers.Serializer):
    system = serializers.CharField()
    object_type = serializers.CharField()
    external_id = serializers.CharField()
    url = serializers.CharField(allow_null=True)


class TimelineEntitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    label = serializers.CharField(allow_blank=True)
    records = TimelineRecordSerializer(many=True)


class TimelineSerializer(serializers.Serializer):
    entity = serializers.IntegerField()
    chain = TimelineEntitySerializer(many=True)
    items = ItemSerializer(many=True)
    events = TimelineEventSerializer(many=True)

"""The operations API for operators' scripts (docs/operations-api.md): list items by status, flow
and cause, replay, resolve with a note, the cause groups, and a deal's timeline.

Token-authenticated (DRF's TokenAuthentication; `manage.py drf_create_token <user>`) and each
endpoint checks named permissions: ``operate_api_syncitem`` for all, plus the permission of the
action (replay, resolve). Thin callers of operations/.
"""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.api.serializers import (
    ActionResultSerializer,
    CauseSerializer,
    ItemSerializer,
    ResolveSerializer,
    TimelineSerializer,
)
from integrations.models import Entity, SyncItem
from integrations.operations.attention import AttentionRefused, item_replay, item_resolve
from integrations.operations.causes import cause_groups
from integrations.operations.timeline import timeline_build

API_PERMISSION = "integrations.operate_api_syncitem"


def named_permission(*perms: str) -> type[BasePermission]:
    """A DRF permission class requiring the operations API permission and ``perms``."""

    class HasNamedPermissions(BasePermission):
        message = "Your user lacks the permission for this: " + ", ".join((API_PERMISSION, *perms)) + "."

        def has_permission(self, request, view):
            return bool(request.user and request.user.has_perms([API_PERMISSION, *perms]))

    return HasNamedPermissions


class OperationsAPIView:
    authentication_classes = [TokenAuthentication]  # scripts only: a staff session is no API access
    permission_classes = [IsAuthenticated, named_permission()]


ITEM_FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=SyncItem.Status.values, description="e.g. dead"),
    OpenApiParameter("flow", OpenApiTypes.STR, description="The flow's name"),
    OpenApiParameter("cause", OpenApiTypes.STR, description="A cause_key (see /causes/)"),
    OpenApiParameter("resolution", OpenApiTypes.STR, enum=["open", *SyncItem.Resolution.values],
                     description="open: dead letters nobody resolved"),
]


class ItemPages(PageNumberPagination):
    page_size, page_size_query_param, max_page_size = 100, "page_size", 1000


class ItemList(OperationsAPIView, generics.ListAPIView):
    serializer_class = ItemSerializer
    pagination_class = ItemPages

    def get_queryset(self):
        items = SyncItem.objects.select_related("flow", "assignee").order_by("-pk")
        params = self.request.query_params
        if params.get("status"):
            items = items.filter(status=params["status"])
        if params.get("flow"):
            items = items.filter(flow__name=params["flow"])
        if params.get("cause"):
            items = items.filter(cause_key=params["cause"])
        if params.get("resolution"):
            items = items.filter(resolution="" if params["resolution"] == "open" else params["resolution"])
        return items

    @extend_schema(parameters=ITEM_FILTERS, summary="List sync items by status, flow, cause or resolution")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ItemDetail(OperationsAPIView, generics.RetrieveAPIView):
    serializer_class = ItemSerializer
    queryset = SyncItem.objects.select_related("flow", "assignee")


class ItemReplay(OperationsAPIView, APIView):
    permission_classes = [IsAuthenticated, named_permission("integrations.replay_syncitem")]

    @extend_schema(request=None, responses={202: ActionResultSerializer, 409: ActionResultSerializer},
                   summary="Replay an item (queued again with a fresh attempt budget)")
    def post(self, request, pk: int):
        item = get_object_or_404(SyncItem, pk=pk)
        item, message = item_replay(item=item, user=request.user)
        queued = message.endswith("queued again.")
        return Response({"detail": message, "item": ItemSerializer(item).data},
                        status=status.HTTP_202_ACCEPTED if queued else status.HTTP_409_CONFLICT)


class ItemResolve(OperationsAPIView, APIView):
    permission_classes = [IsAuthenticated, named_permission("integrations.resolve_syncitem")]

    @extend_schema(request=ResolveSerializer, responses={200: ActionResultSerializer, 409: ActionResultSerializer},
                   summary="Resolve or ignore a dead letter, with a note")
    def post(self, request, pk: int):
        item = get_object_or_404(SyncItem, pk=pk)
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            item = item_resolve(item=item, user=request.user, **data.validated_data)
        except AttentionRefused as exc:
            return Response({"detail": str(exc), "item": ItemSerializer(item).data}, status=status.HTTP_409_CONFLICT)
        return Response({"detail": f"Item {item.pk} {item.resolution}.", "item": ItemSerializer(item).data})


class CauseList(OperationsAPIView, APIView):
    @extend_schema(responses=CauseSerializer(many=True), summary="Open dead letters grouped by cause")
    def get(self, request):
        return Response(CauseSerializer(cause_groups(), many=True).data)


class DealTimeline(OperationsAPIView, APIView):
    @extend_schema(responses=TimelineSerializer, summary="A deal's timeline: its chain of records, items and events")
    def get(self, request, entity_id: int):
        built = timeline_build(entity=get_object_or_404(Entity, pk=entity_id))
        chain = [{"id": link["entity"].pk, "kind": link["entity"].kind, "label": link["entity"].label,
                  "records": [{"system": r["binding"].connection.system, "object_type": r["binding"].object_type,
                               "external_id": r["binding"].external_id, "url": r["url"]} for r in link["records"]]}
                 for link in built["chain"]]
        return Response(TimelineSerializer({"entity": entity_id, "chain": chain, "items": built["items"],
                                            "events": built["events"]}).data)

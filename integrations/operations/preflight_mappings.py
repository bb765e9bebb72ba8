"""The mapping checks: every mapping set a flow uses is published, and its target fields exist in the
target's schema (the known schemas; Salesforce targets are compared with describe, with the fields)."""
from __future__ import annotations

from django.urls import reverse

from integrations.connectors.preflight import CheckResult, check_fail, check_pass
from integrations.errors import UnknownFlowKind
from integrations.flows.registry import flow_mapping_sets
from integrations.models import Flow
from integrations.operations.preflight_needs import mapping_targets
from mappings.models import MappingSet
from mappings.schemas import schema_for


def mapping_checks(flow: Flow) -> list[CheckResult]:
    """Every mapping set the flow uses is published, and its target fields exist in the target's schema
    (Salesforce targets are checked against describe, with the Salesforce fields)."""
    results = []
    try:
        chosen = flow_mapping_sets(flow)
    except UnknownFlowKind as exc:
        return [check_fail("Flow kind", str(exc), "Choose a registered kind on the flow's page.")]
    for step, name, mapping_set in chosen:
        label = f"Mapping set {name}" + (f" ({step} step)" if step else "")
        link = reverse("admin:mappings_mappingset_changelist") + f"?q={name}"
        if mapping_set is None:
            drafts = MappingSet.objects.filter(name=name).exists()
            results.append(check_fail(label, f"Flow {flow.name} maps with mapping set '{name}', which has no published "
                                             f"version{' (only drafts)' if drafts else ''}.",
                                      "Publish a version of it (Mappings → Mapping sets).", url=link))
            continue
        if mapping_set.status != MappingSet.Status.PUBLISHED:
            results.append(check_fail(label, f"Flow {flow.name} names {mapping_set}, which is not published.",
                                      "Publish it, or choose a published version on the flow.", url=link))
            continue
        schema = schema_for(mapping_set.target_system, mapping_set.target_object)
        if mapping_set.target_system == "salesforce":
            results.append(check_pass(label, f"Published (v{mapping_set.version}); its Salesforce target fields are "
                                             "checked against describe with the Salesforce fields."))
            continue
        unknown = [path for path, _ in mapping_targets(mapping_set) if schema is not None and not schema.accepts(path)]
        if unknown:
            results.append(check_fail(label, f"Published (v{mapping_set.version}), but {', '.join(unknown)} "
                                             f"{'is' if len(unknown) == 1 else 'are'} not a field of "
                                             f"{mapping_set.target_system} {mapping_set.target_object}.",
                                      "Correct the target field in a new version of the mapping set.", url=link))
        else:
            results.append(check_pass(label, f"Published (v{mapping_set.version}); every target field exists in "
                                             f"{mapping_set.target_system} {mapping_set.target_object}."))
    return results

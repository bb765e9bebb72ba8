"""factory_boy factories for the core model."""
import factory

from integrations.models import Binding, Connection, Entity, Flow, InboundEvent, SyncItem


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    name = factory.Sequence(lambda n: f"connection-{n}")
    system = "freshbooks"
    is_sandbox = True
    base_url = "http://127.0.0.1:8000/sandbox/freshbooks/"


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    kind = Entity.Kind.CUSTOMER


class BindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Binding

    connection = factory.SubFactory(ConnectionFactory)
    object_type = "client"
    external_id = factory.Sequence(lambda n: str(1000 + n))
    entity = factory.SubFactory(EntityFactory)


class FlowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flow

    name = factory.Sequence(lambda n: f"flow-{n}")
    kind = "recording"
    source_connection = factory.SubFactory(ConnectionFactory, system="salesforce")
    source_object = "Account"
    target_connection = factory.SubFactory(ConnectionFactory, system="freshbooks")
    target_object = "client"


class SyncItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncItem

    flow = factory.SubFactory(FlowFactory)
    source_object = "Account"
    source_id = factory.Sequence(lambda n: f"001{n:015d}")
    identity_key = factory.LazyAttribute(lambda o: f"{o.flow.pk}:{o.source_object}:{o.source_id}")


class InboundEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundEvent

    connection = factory.SubFactory(ConnectionFactory)
    dedupe_key = factory.Sequence(lambda n: f"event-{n}")

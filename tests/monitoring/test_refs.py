from integrations.models import SyncItem
from monitoring import refs


def test_status_words_mirror_the_engine():
    assert set(SyncItem.Status.values) == {refs.PENDING, refs.RUNNING, refs.SUCCEEDED, refs.SKIPPED, refs.RETRYING, refs.DEAD, refs.HELD}
    assert tuple(SyncItem.OPEN_STATUSES) == refs.OPEN_STATUSES

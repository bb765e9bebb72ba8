"""The real-cluster harness (tests/cluster.py): what a failing test shows, and what it leaves behind."""
import pytest
from django.conf import settings
from django_q.conf import Conf

from tests.cluster import CONF_KEYS, qcluster

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_failure_under_the_cluster_shows_its_log_and_everything_is_restored(pg_only, tmp_path):
    q_cluster, conf = settings.Q_CLUSTER, {key: getattr(Conf, key) for key in CONF_KEYS}
    with pytest.raises(AssertionError) as failure, qcluster(tmp_path / "qcluster.log", workers=1) as cluster:
        # this process enqueues to the cluster's own queue, on the same broker
        assert (settings.Q_CLUSTER["name"], Conf.PREFIX, Conf.ORM) == (cluster.name, cluster.name, "default")
        cluster.log.write("a line of the cluster's output\n")  # it writes nothing while all is well
        cluster.log.flush()
        raise AssertionError("a scenario failed")
    assert str(failure.value).startswith("a scenario failed\n--- qcluster log, last 3000 characters ---\n")
    assert str(failure.value).endswith("a line of the cluster's output\n")
    assert cluster.process.poll() is not None  # stopped
    assert settings.Q_CLUSTER is q_cluster and {key: getattr(Conf, key) for key in CONF_KEYS} == conf

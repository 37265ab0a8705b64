"""ClickHouse over HTTPS (8443): hosts whose only HTTP interface is HTTPS in the CHI (secure on,
insecure off: the operator itself would use HTTPS for them) are reached with TLS, verified
against the CA given with --ca-file; without it the certificate is refused."""
import copy
import time

import grpc
import pytest

from conftest import Plugin
from stack_fixtures import call, plugin_env, stack  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def clean(stack):
    yield
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_tls SYNC")


def test_secure_hosts_round_trip_over_https_and_an_unknown_ca_is_refused(stack, stubs):
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_tls SYNC")
        stack.sql(host, "CREATE DATABASE e2e_tls")
        stack.sql(host, "CREATE TABLE e2e_tls.t (id UInt64) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, f"INSERT INTO e2e_tls.t SELECT number + {host} FROM numbers(3000)")
    before = [stack.checksum(h, "e2e_tls.t") for h in range(len(stack.hosts))]
    chi = copy.deepcopy(stack.chi)
    chi["spec"]["configuration"]["clusters"][0]["secure"] = "yes"
    chi["spec"]["configuration"]["clusters"][0]["insecure"] = "no"
    chb = stack.chb(f"tls-{time.time_ns()}", whitelist=["e2e_tls.t"])

    untrusting = Plugin(env=plugin_env(stack))
    try:
        with pytest.raises(grpc.RpcError) as error:
            call(untrusting, stubs, "Backup", chi, chb, timeout=60)
    finally:
        untrusting.stop()
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "https://chi-demo-main-0-0.stack.svc.cluster.local:8443" in error.value.details()
    assert "certificate" in error.value.details().lower()

    plugin = Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_CA_FILE=stack.info["ca_file"]))
    try:
        result = call(plugin, stubs, "Backup", chi, chb)
        assert result.metadata["hosts"].endswith(".stack.svc.cluster.local:8443")
        for host in range(len(stack.hosts)):
            stack.sql(host, "DROP DATABASE e2e_tls SYNC")
        call(plugin, stubs, "Restore", chi, chb)
    finally:
        plugin.stop()
    assert [stack.checksum(h, "e2e_tls.t") for h in range(len(stack.hosts))] == before


def test_clickhouse_tls_flag_reaches_every_host_over_https(stack, stubs):
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_tls SYNC")
        stack.sql(host, "CREATE DATABASE e2e_tls")
        stack.sql(host, "CREATE TABLE e2e_tls.t (id UInt64) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, "INSERT INTO e2e_tls.t SELECT number FROM numbers(100)")
    chb = stack.chb(f"tls-flag-{time.time_ns()}", whitelist=["e2e_tls.t"])
    plugin = Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_CA_FILE=stack.info["ca_file"],
                                   CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_TLS="true"))
    try:
        result = call(plugin, stubs, "Backup", stack.chi, chb)  # the CHI does not ask for TLS; the flag does
    finally:
        plugin.stop()
    assert [h.rsplit(":", 1)[1] for h in result.metadata["hosts"].split(",")] == ["8443", "8443"]
    assert result.metadata["state"] == "Completed"

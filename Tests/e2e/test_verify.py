"""VerifyBackup against the stack: a backup read back from S3 on one host per shard matches
its fingerprints (counts and hashes), the servers' own databases are untouched and no scratch
database stays; a backup with an object changed or removed fails, naming the table; leftovers
of a killed verification are cleaned by the next one; the one-shot `verify` exits 1 on a
mismatch."""
import json
import subprocess
import time

import grpc
import pytest

from stack_fixtures import call, on_every_host, stack, stack_plugin  # noqa: F401 (fixtures)
from test_catalog import catalog, s3_keys, s3_put


@pytest.fixture(autouse=True)
def tables(stack):
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_ver SYNC", "CREATE DATABASE e2e_ver",
                  "CREATE TABLE e2e_ver.events (id UInt64, name String) ENGINE = MergeTree ORDER BY id",
                  "INSERT INTO e2e_ver.events SELECT number, toString(number * ({host} + 1)) FROM numbers(20000)",
                  "CREATE TABLE e2e_ver.log (line String) ENGINE = TinyLog",
                  "INSERT INTO e2e_ver.log SELECT toString(number) FROM numbers(100 + {host})",
                  "CREATE VIEW e2e_ver.v AS SELECT count() FROM e2e_ver.events")
    yield
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_ver SYNC")


def scratch(stack):
    return [stack.sql(h, "SELECT name FROM system.databases WHERE name LIKE '\\\\_\\\\_verify\\\\_%'").split() for h in range(len(stack.hosts))]


def backed_up(stack, stack_plugin, stubs, name, prefix, parameters=None):
    chb = stack.chb(name, whitelist=["e2e_ver.*"], prefix=prefix)
    result = call(stack_plugin, stubs, "Backup", stack.chi, chb, {"type": "full", **(parameters or {})})
    return chb, result


def test_a_backup_verifies_and_nothing_of_the_servers_changes(stack, stack_plugin, stubs):
    prefix = f"ver-{time.time_ns()}/"
    chb, result = backed_up(stack, stack_plugin, stubs, "good", prefix, {"fingerprint": "data"})
    assert result.metadata["fingerprint.tables"] == "4" and result.metadata["fingerprint.mode"] == "data"
    assert result.metadata["fingerprint.rows"] == str(2 * 20000 + 100 + 101)
    before = [(stack.checksum(h, "e2e_ver.events"), stack.checksum(h, "e2e_ver.log")) for h in range(len(stack.hosts))]
    databases = [stack.sql(h, "SELECT name FROM system.databases ORDER BY name") for h in range(len(stack.hosts))]

    verified = catalog(stack_plugin, stubs, "VerifyBackup", stack, chb)
    assert verified.metadata["verified"] == "true", verified.metadata
    assert verified.metadata["verification"] == f"passed: 4 tables, {2 * 20000 + 201} rows"
    assert verified.metadata["table.0.e2e_ver.events"] == "ok: 20000 rows" and verified.metadata["table.1.e2e_ver.log"] == "ok: 101 rows"
    assert verified.backups[0].backup_name == "good" and verified.backups[0].verification.startswith("passed")
    assert [(stack.checksum(h, "e2e_ver.events"), stack.checksum(h, "e2e_ver.log")) for h in range(len(stack.hosts))] == before
    assert [stack.sql(h, "SELECT name FROM system.databases ORDER BY name") for h in range(len(stack.hosts))] == databases
    assert scratch(stack) == [[], []]
    listed = {b.backup_name: b for b in catalog(stack_plugin, stubs, "ListBackups", stack, chb).backups}
    assert listed["good"].verified_at >= int(time.time()) - 120 and listed["good"].verification.startswith("passed: 4 tables")


def test_a_changed_or_missing_object_fails_the_verification_naming_the_table(stack, stack_plugin, stubs):
    prefix = f"ver-{time.time_ns()}/"
    chb, _ = backed_up(stack, stack_plugin, stubs, "damaged", prefix)
    keys = s3_keys(stack, f"{prefix}stack/demo/damaged/shard-0/")
    data = [k for k in keys if "/events/" in k and k.endswith(".bin")]
    assert data, keys
    s3_put(stack, data[0], b"\x00" * 64)  # a data file of shard 0's events, overwritten
    failed = catalog(stack_plugin, stubs, "VerifyBackup", stack, chb)
    assert failed.metadata["verified"] == "false"
    assert failed.metadata["table.0.e2e_ver.events"].startswith("mismatch: unreadable: "), failed.metadata
    assert failed.metadata["table.1.e2e_ver.events"] == "ok: 20000 rows"
    assert "e2e_ver.events (part 0)" in failed.backups[0].verification
    assert scratch(stack) == [[], []]

    log = [k for k in s3_keys(stack, f"{prefix}stack/demo/damaged/shard-1/") if "/log/" in k and k.endswith(".bin")]
    assert log, s3_keys(stack, f"{prefix}stack/demo/damaged/shard-1/")
    subprocess.run(["curl", "-sf", "-X", "DELETE", "--aws-sigv4", f"aws:amz:{stack.info['region']}:s3",
                    "--user", f"{stack.info['access_key']}:{stack.info['secret_key']}",
                    f"{stack.info['s3_endpoint']}/{stack.info['bucket']}/{log[0]}"], check=True)
    removed = catalog(stack_plugin, stubs, "VerifyBackup", stack, chb)
    assert removed.metadata["table.1.e2e_ver.log"].startswith("mismatch: unreadable: "), removed.metadata
    listed = {b.backup_name: b for b in catalog(stack_plugin, stubs, "ListBackups", stack, chb).backups}
    assert listed["damaged"].verification.startswith("failed: ")


def test_leftovers_are_cleaned_and_bad_requests_are_refused(stack, stack_plugin, stubs):
    prefix = f"ver-{time.time_ns()}/"
    chb, _ = backed_up(stack, stack_plugin, stubs, "left", prefix)
    url = f"{stack.info['s3_endpoint']}/{stack.info['bucket']}/{prefix}stack/demo/left/shard-0/"
    # What a verification killed an hour ago would have left.
    stack.sql(0, f"CREATE DATABASE __verify_1000000000_0 ENGINE = Backup('e2e_ver', S3('{url}', "
                 f"'{stack.info['access_key']}', '{stack.info['secret_key']}'))")
    assert scratch(stack)[0] == ["__verify_1000000000_0"]
    assert catalog(stack_plugin, stubs, "VerifyBackup", stack, chb, {"host": stack.hosts[0]["fqdn"]}).metadata["verified"] == "true"
    assert scratch(stack) == [[], []]
    with pytest.raises(grpc.RpcError) as error:
        catalog(stack_plugin, stubs, "VerifyBackup", stack, chb, {"host": "chi-demo-main-9-9"})
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and 'parameters["host"]' in error.value.details()
    with pytest.raises(grpc.RpcError) as error:
        catalog(stack_plugin, stubs, "VerifyBackup", stack, chb, {"backup_name": "nope"})
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_verify_every_nth_backup(stack, stack_plugin, stubs):
    prefix = f"ver-{time.time_ns()}/"
    verdicts = []
    for n in range(3):
        _, result = backed_up(stack, stack_plugin, stubs, f"every-{n}", prefix, {"verify_every": "2"})
        verdicts.append(result.metadata.get("verification", ""))
    assert verdicts[0].startswith("passed: 4 tables") and verdicts[1] == "not due (verify_every=2)" and verdicts[2].startswith("passed")
    listed = {b.backup_name: b.verified_at > 0 for b in catalog(stack_plugin, stubs, "ListBackups", stack, stack.chb("every-0", prefix=prefix)).backups}
    assert listed == {"every-0": True, "every-1": False, "every-2": True}

"""Incremental chains through ClickHouse's base_backup: a full backup and five incremental ones,
restored at the last and at a middle link with checksums; a broken chain is refused."""
import json
import time

import grpc
import pytest

from stack_fixtures import call, stack, stack_plugin  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def clean(stack):
    yield
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_inc SYNC")


def checksums(stack):
    return [stack.checksum(host, "e2e_inc.t") for host in range(len(stack.hosts))]


def test_full_and_five_incremental_backups_restore_at_any_link(stack, stack_plugin, stubs):
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_inc SYNC")
        stack.sql(host, "CREATE DATABASE e2e_inc")
        stack.sql(host, "CREATE TABLE e2e_inc.t (id UInt64, v String) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, f"INSERT INTO e2e_inc.t SELECT number, toString(number * {host + 3}) FROM numbers(100000)")
    prefix = f"inc-{time.time_ns()}/"  # a catalog of its own
    links, sums = [], []
    for link in range(6):
        if link:
            for host in range(len(stack.hosts)):  # a 1% change
                stack.sql(host, f"INSERT INTO e2e_inc.t SELECT 1000000 * {link} + number, 'new' FROM numbers(1000)")
        chb = stack.chb(f"chain-{link}", whitelist=["e2e_inc.*"], prefix=prefix)
        result = call(stack_plugin, stubs, "Backup", stack.chi, chb)
        assert result.metadata["type"] == ("full" if link == 0 else "incremental"), result.metadata.get("type_reason")
        if link:
            assert result.metadata["base_backup"] == f"chain-{link - 1}"
            manifest = json.loads(stack.s3_get(result.metadata["location"].split("/", 3)[3] + "manifest.json"))
            assert manifest["type"] == "incremental" and manifest["base_backup"] == f"chain-{link - 1}"
            # ClickHouse itself recorded the base.
            backups = stack.sql(0, f"SELECT base_backup_name FROM system.backups WHERE id = '{result.metadata['host.0.0.id']}'")
            assert f"/chain-{link - 1}/shard-0/" in backups and "[HIDDEN]" in backups
        links.append(chb)
        sums.append(checksums(stack))

    full_type = call(stack_plugin, stubs, "Backup", stack.chi, stack.chb("chain-full", whitelist=["e2e_inc.*"], prefix=prefix),
                     {"type": "full"})
    assert full_type.metadata["type"] == "full" and "base_backup" not in full_type.metadata

    for link in (5, 2):
        for host in range(len(stack.hosts)):
            stack.sql(host, "DROP DATABASE IF EXISTS e2e_inc SYNC")
        call(stack_plugin, stubs, "Restore", stack.chi, links[link])
        assert checksums(stack) == sums[link], f"restore of link {link}"

    # Deleting a middle link's manifest breaks the chain after it: refused before anything runs.
    key = f"{prefix}stack/demo/chain-3/manifest.json"
    import subprocess
    subprocess.run(["curl", "-sf", "-X", "DELETE", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                    "--aws-sigv4", f"aws:amz:{stack.info['region']}:s3", "--user", f"{stack.info['access_key']}:{stack.info['secret_key']}",
                    f"{stack.info['s3_endpoint']}/{stack.info['bucket']}/{key}"], check=True)
    with pytest.raises(grpc.RpcError) as error:
        call(stack_plugin, stubs, "Restore", stack.chi, links[5], {"allow_non_empty_tables": "true"})
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "base backup chain-3 of chain-4 is missing" in error.value.details()

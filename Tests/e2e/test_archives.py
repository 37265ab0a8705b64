"""Issue 15 item 5 on the stack: backups whose parts are single archives (`archive=tar.zst`):
one object per part in S3, restored with the same rows and checksums, an incremental on an
archive base, a verification that reads the archive back, and zip refused with ClickHouse's
reason (zip needs seeking, which object storage has not)."""
import time

import grpc
import pytest

from stack_fixtures import call, on_every_host, stack, stack_plugin  # noqa: F401 (fixtures)
from test_catalog import catalog, s3_keys


@pytest.fixture(autouse=True)
def tables(stack):
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_arch SYNC", "CREATE DATABASE e2e_arch",
                  "CREATE TABLE e2e_arch.t (id UInt64, s String) ENGINE = MergeTree ORDER BY id",
                  "INSERT INTO e2e_arch.t SELECT number, toString(number * ({host} + 5)) FROM numbers(5000)",
                  "CREATE TABLE e2e_arch.log (k String) ENGINE = Log", "INSERT INTO e2e_arch.log SELECT toString(number) FROM numbers(50)")
    yield
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_arch SYNC")


def sums(stack):
    return [(stack.checksum(h, "e2e_arch.t"), stack.checksum(h, "e2e_arch.log")) for h in range(len(stack.hosts))]


def drop(stack):
    on_every_host(stack, "DROP DATABASE e2e_arch SYNC")


def test_an_archive_backup_is_one_object_per_part_and_restores_exactly(stack, stack_plugin, stubs):
    before = sums(stack)
    chb = stack.chb(f"arch-{time.time_ns()}", whitelist=["e2e_arch.*"], prefix="arch/")
    name = chb["metadata"]["name"]
    plan = call(stack_plugin, stubs, "Backup", stack.chi, chb, {"dry_run": "true", "type": "full", "archive": "tar.zst"})
    assert f"/arch/stack/demo/{name}/shard-0/backup.tar.zst', '[HIDDEN]', '[HIDDEN]') SETTINGS" in plan.metadata["sql.0.0"], plan.metadata["sql.0.0"]
    assert call(stack_plugin, stubs, "Backup", stack.chi, chb, {"type": "full", "archive": "tar.zst"}).metadata["state"] == "Completed"
    for shard in range(len(stack.hosts)):
        assert s3_keys(stack, f"arch/stack/demo/{name}/shard-{shard}/") == [f"arch/stack/demo/{name}/shard-{shard}/backup.tar.zst"]
    verified = catalog(stack_plugin, stubs, "VerifyBackup", stack, chb)
    assert verified.metadata["verified"] == "true", verified.metadata
    drop(stack)
    assert call(stack_plugin, stubs, "Restore", stack.chi, chb).metadata["state"] == "Completed"
    assert sums(stack) == before


def test_an_incremental_builds_on_an_archive_base(stack, stack_plugin, stubs):
    base = stack.chb(f"arch-base-{time.time_ns()}", whitelist=["e2e_arch.*"], prefix="arch-chain/")
    assert call(stack_plugin, stubs, "Backup", stack.chi, base, {"type": "full", "archive": "tar.gz"}).metadata["state"] == "Completed"
    on_every_host(stack, "INSERT INTO e2e_arch.t SELECT number + 100000, 'new' FROM numbers(700)")
    before = sums(stack)
    following = stack.chb(f"arch-incr-{time.time_ns()}", whitelist=["e2e_arch.*"], prefix="arch-chain/")
    result = call(stack_plugin, stubs, "Backup", stack.chi, following, {"type": "incremental", "archive": "tar.zst"})
    assert result.metadata["type"] == "incremental" and result.metadata["base_backup"] == base["metadata"]["name"]
    drop(stack)
    assert call(stack_plugin, stubs, "Restore", stack.chi, following).metadata["state"] == "Completed"
    assert sums(stack) == before


def test_zip_and_unknown_formats_are_refused(stack, stack_plugin, stubs):
    chb = stack.chb(f"arch-zip-{time.time_ns()}", whitelist=["e2e_arch.*"], prefix="arch/")
    for value, words in (("zip", "needs seeking"), ("rar", "must be one of tar")):
        with pytest.raises(grpc.RpcError) as refused:
            call(stack_plugin, stubs, "Backup", stack.chi, chb, {"archive": value}, check_dry_run=False)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and words in refused.value.details(), refused.value.details()

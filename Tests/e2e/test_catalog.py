"""BackupCatalog against the stack: list and get from the manifests, delete with dependency
checks, retention by whole chains, and cleaning broken backups; every restore still works."""
import calendar
import json
import subprocess
import time
import urllib.parse

import grpc
import pytest

from stack_fixtures import call, stack, stack_plugin  # noqa: F401 (fixtures)


def catalog(plugin, stubs, method, stack, chb, parameters=None):
    channel = grpc.insecure_channel(plugin.address)
    try:
        request = stubs.catalog.CatalogRequest(chi_definition=json.dumps(stack.chi).encode(),
                                               backup_definition=json.dumps(chb).encode(), parameters=parameters or {})
        return getattr(stubs.catalog_grpc.BackupCatalogStub(channel), method)(request, timeout=60)
    finally:
        channel.close()


def s3_keys(stack, prefix):
    out = subprocess.run(["curl", "-sf", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "--aws-sigv4", f"aws:amz:{stack.info['region']}:s3",
                          "--user", f"{stack.info['access_key']}:{stack.info['secret_key']}",
                          f"{stack.info['s3_endpoint']}/{stack.info['bucket']}/?list-type=2&prefix={urllib.parse.quote(prefix, safe='')}"],
                         capture_output=True, text=True, check=True).stdout
    return [part.split("</Key>")[0] for part in out.split("<Key>")[1:]]


def s3_get(stack, key):
    return subprocess.run(["curl", "-sf", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "--aws-sigv4", f"aws:amz:{stack.info['region']}:s3",
                           "--user", f"{stack.info['access_key']}:{stack.info['secret_key']}",
                           f"{stack.info['s3_endpoint']}/{stack.info['bucket']}/{key}"], capture_output=True, check=True).stdout


def s3_put(stack, key, body):
    subprocess.run(["curl", "-sf", "-T", "-", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "--aws-sigv4", f"aws:amz:{stack.info['region']}:s3",
                    "--user", f"{stack.info['access_key']}:{stack.info['secret_key']}",
                    f"{stack.info['s3_endpoint']}/{stack.info['bucket']}/{key}"], input=body, check=True)


@pytest.fixture(autouse=True)
def clean(stack):
    yield
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_cat SYNC")


def test_list_get_delete_retention_and_clean_broken(stack, stack_plugin, stubs):
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_cat SYNC")
        stack.sql(host, "CREATE DATABASE e2e_cat")
        stack.sql(host, "CREATE TABLE e2e_cat.t (id UInt64) ENGINE = MergeTree ORDER BY id")
    prefix = f"cat-{time.time_ns()}/"
    sums = {}
    for chain in range(4):  # four chains: a full backup and one incremental each
        for kind in ("full", "inc"):
            for host in range(len(stack.hosts)):
                stack.sql(host, f"INSERT INTO e2e_cat.t SELECT {chain * 10 + (kind == 'inc')} * 100000 + number FROM numbers(1000)")
            name = f"c{chain}-{kind}"
            call(stack_plugin, stubs, "Backup", stack.chi, stack.chb(name, whitelist=["e2e_cat.*"], prefix=prefix),
                 {"type": "full" if kind == "full" else "incremental"})
            sums[name] = [stack.checksum(h, "e2e_cat.t") for h in range(len(stack.hosts))]
    any_chb = stack.chb("c0-full", whitelist=["e2e_cat.*"], prefix=prefix)

    listed = catalog(stack_plugin, stubs, "ListBackups", stack, any_chb)
    assert [(b.backup_name, b.type, b.base_backup, b.state) for b in listed.backups] == [
        (f"c{c}-{k}", "full" if k == "full" else "incremental", "" if k == "full" else f"c{c}-full", "Completed")
        for c in range(4) for k in ("full", "inc")]
    assert all(b.total_size > 0 and b.location.startswith(f"s3://backups/{prefix}stack/demo/") for b in listed.backups)
    got = catalog(stack_plugin, stubs, "GetBackup", stack, any_chb, {"backup_name": "c1-inc"})
    assert [b.backup_name for b in got.backups] == ["c1-inc"] and got.backups[0].base_backup == "c1-full"
    with pytest.raises(grpc.RpcError) as error:
        catalog(stack_plugin, stubs, "GetBackup", stack, any_chb, {"backup_name": "nope"})
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as error:
        catalog(stack_plugin, stubs, "DeleteBackup", stack, any_chb, {"backup_name": "c3-full"})
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "c3-full is the base of c3-inc" in error.value.details()
    with pytest.raises(grpc.RpcError) as error:
        catalog(stack_plugin, stubs, "ApplyRetention", stack, any_chb)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "needs a retention rule (keep_full_chains" in error.value.details()

    plan = catalog(stack_plugin, stubs, "ApplyRetention", stack, any_chb, {"keep_full_chains": "2", "dry_run": "true"})
    assert [b.backup_name for b in plan.deleted] == ["c1-inc", "c1-full", "c0-inc", "c0-full"]
    assert len(s3_keys(stack, f"{prefix}stack/demo/c0-full/")) > 0  # a dry run deletes nothing
    done = catalog(stack_plugin, stubs, "ApplyRetention", stack, any_chb, {"keep_full_chains": "2"})
    assert [b.backup_name for b in done.deleted] == ["c1-inc", "c1-full", "c0-inc", "c0-full"]
    assert int(done.metadata["objects_deleted"]) > 8
    for gone in ("c0-full", "c0-inc", "c1-full", "c1-inc"):
        assert s3_keys(stack, f"{prefix}stack/demo/{gone}/") == []
    assert [b.backup_name for b in catalog(stack_plugin, stubs, "ListBackups", stack, any_chb).backups] == ["c2-full", "c2-inc", "c3-full", "c3-inc"]
    for kept in ("c2-full", "c2-inc", "c3-full", "c3-inc"):  # every kept backup still restores
        for host in range(len(stack.hosts)):
            stack.sql(host, "DROP DATABASE IF EXISTS e2e_cat SYNC")
        call(stack_plugin, stubs, "Restore", stack.chi, stack.chb(kept, whitelist=["e2e_cat.*"], prefix=prefix))
        assert [stack.checksum(h, "e2e_cat.t") for h in range(len(stack.hosts))] == sums[kept]

    # Broken: a folder with data and no manifest, and a backup abandoned in progress.
    s3_put(stack, f"{prefix}stack/demo/orphan/shard-0/data.bin", b"x")
    s3_put(stack, f"{prefix}stack/demo/abandoned/manifest.json", json.dumps(
        {"backup_name": "abandoned", "backup_id": "chb-x", "state": "InProgress", "started_at": 1700000000, "hosts": []}).encode())
    found = catalog(stack_plugin, stubs, "CleanBroken", stack, any_chb, {"dry_run": "true"})
    assert sorted(b.backup_name for b in found.deleted) == ["abandoned", "orphan"]
    assert found.metadata["reason.orphan"] == "no manifest" and "abandoned" in found.metadata["reason.abandoned"]
    catalog(stack_plugin, stubs, "CleanBroken", stack, any_chb)
    assert s3_keys(stack, f"{prefix}stack/demo/orphan/") == [] and s3_keys(stack, f"{prefix}stack/demo/abandoned/") == []
    assert [b.backup_name for b in catalog(stack_plugin, stubs, "ListBackups", stack, any_chb).backups] == ["c2-full", "c2-inc", "c3-full", "c3-inc"]

    forced = catalog(stack_plugin, stubs, "DeleteBackup", stack, any_chb, {"backup_name": "c3-full", "force": "true"})
    assert forced.metadata["broken"] == "c3-inc"
    cleaned = catalog(stack_plugin, stubs, "CleanBroken", stack, any_chb)
    assert [b.backup_name for b in cleaned.deleted] == ["c3-inc"] and "c3-full" in cleaned.metadata["reason.c3-inc"]


def test_calendar_retention_keeps_exactly_the_expected_real_backups(stack, stack_plugin, stubs):
    """Six real backups in three chains, dated by their manifests (ClickHouse's data is the
    real thing; only the recorded start times are moved onto a calendar): keep_daily=2 and
    keep_weekly=1 keep the newest two days and the newest week with every base they need,
    delete the rest, explain each, and every kept backup restores."""
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_cat SYNC")
        stack.sql(host, "CREATE DATABASE e2e_cat")
        stack.sql(host, "CREATE TABLE e2e_cat.t (id UInt64) ENGINE = MergeTree ORDER BY id")
    prefix = f"gfs-{time.time_ns()}/"
    days = {"a-full": "2026-05-09", "a-inc": "2026-05-10", "b-full": "2026-06-07", "b-inc1": "2026-06-13",
            "b-inc2": "2026-06-14", "c-full": "2026-06-15"}
    sums = {}
    for index, name in enumerate(days):
        for host in range(len(stack.hosts)):
            stack.sql(host, f"INSERT INTO e2e_cat.t SELECT {index} * 100000 + number FROM numbers(500)")
        call(stack_plugin, stubs, "Backup", stack.chi, stack.chb(name, whitelist=["e2e_cat.*"], prefix=prefix),
             {"type": "full" if name.endswith("full") else "incremental"})
        sums[name] = [stack.checksum(h, "e2e_cat.t") for h in range(len(stack.hosts))]
        key = f"{prefix}stack/demo/{name}/manifest.json"
        manifest = json.loads(s3_get(stack, key))
        manifest["started_at"] = calendar.timegm(time.strptime(days[name] + " 12", "%Y-%m-%d %H"))
        s3_put(stack, key, json.dumps(manifest).encode())
    any_chb = stack.chb("c-full", whitelist=["e2e_cat.*"], prefix=prefix)
    # The manifests were edited by hand: the index is rebuilt from them.
    bases = {b.backup_name: b.base_backup for b in catalog(stack_plugin, stubs, "ListBackups", stack, any_chb, {"rebuild_index": "true"}).backups}
    assert bases == {"a-full": "", "a-inc": "a-full", "b-full": "", "b-inc1": "b-full", "b-inc2": "b-inc1", "c-full": ""}

    rules = {"keep_daily": "2", "keep_weekly": "1"}
    plan = catalog(stack_plugin, stubs, "ApplyRetention", stack, any_chb, {**rules, "dry_run": "true"})
    assert [b.backup_name for b in plan.deleted] == ["a-inc", "a-full"]
    assert plan.metadata["why.c-full"] == ("kept: the newest backup; keep_daily=2: the newest of 2026-06-15; "
                                           "keep_weekly=1: the newest of week of 2026-06-15")
    assert plan.metadata["why.b-inc2"] == "kept: keep_daily=2: the newest of 2026-06-14"
    assert plan.metadata["why.b-full"] == "kept: base of b-inc2"
    assert plan.metadata["why.a-full"] == "deleted: no rule keeps it (keep_daily=2, keep_weekly=1)"
    assert len(s3_keys(stack, f"{prefix}stack/demo/a-full/")) > 0  # a dry run deletes nothing
    done = catalog(stack_plugin, stubs, "ApplyRetention", stack, any_chb, rules)
    assert [b.backup_name for b in done.deleted] == ["a-inc", "a-full"]
    assert s3_keys(stack, f"{prefix}stack/demo/a-full/") == [] and s3_keys(stack, f"{prefix}stack/demo/a-inc/") == []
    kept = [b.backup_name for b in catalog(stack_plugin, stubs, "ListBackups", stack, any_chb).backups]
    assert kept == ["b-full", "b-inc1", "b-inc2", "c-full"]
    for name in kept:  # every kept backup restores, an incremental through its bases
        for host in range(len(stack.hosts)):
            stack.sql(host, "DROP DATABASE IF EXISTS e2e_cat SYNC")
        call(stack_plugin, stubs, "Restore", stack.chi, stack.chb(name, whitelist=["e2e_cat.*"], prefix=prefix))
        assert [stack.checksum(h, "e2e_cat.t") for h in range(len(stack.hosts))] == sums[name]

"""Operations: the runs of a plugin process, listed, watched while they run, and cancelled."""
import json
import threading
import time

import grpc
import pytest

from stack_fixtures import call, stack, stack_plugin  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def clean(stack):
    yield
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_ops SYNC")
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_ops_copy SYNC")


def ops(plugin, stubs):
    channel = grpc.insecure_channel(plugin.address)
    return channel, stubs.operations_grpc.OperationsStub(channel)


def test_list_get_watch_and_cancel(stack, stack_plugin, stubs):
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_ops SYNC")
        stack.sql(host, "CREATE DATABASE e2e_ops")
        stack.sql(host, "CREATE TABLE e2e_ops.t (id UInt64, s String) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, "INSERT INTO e2e_ops.t SELECT number, repeat(toString(number), 8) FROM numbers(6000000)")
    channel, stub = ops(stack_plugin, stubs)
    prefix = f"ops-{time.time_ns()}/"  # a catalog of its own: the first backup is a full one
    try:
        with pytest.raises(grpc.RpcError) as error:
            stub.GetOperation(stubs.operations.OperationRequest(operation_id="chb-nope"), timeout=10)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND

        # A small backup and restore, then their records.
        small = stack.chb(f"ops-small-{time.time_ns()}", whitelist=["e2e_ops.t"], prefix=prefix)
        planned = call(stack_plugin, stubs, "Backup", stack.chi, small, {"dry_run": "true"}).metadata["sql.0.0"]
        done = call(stack_plugin, stubs, "Backup", stack.chi, small)
        # Exactly the statement the dry run showed reached ClickHouse.
        assert planned in queries(stack, 0)
        op = stub.GetOperation(stubs.operations.OperationRequest(operation_id=done.backup_id), timeout=10)
        assert (op.kind, op.state, op.name, op.chi) == ("backup", "BACKUP_COMPLETED", done.backup_name, "stack/demo")
        assert [(h.shard, h.status) for h in op.hosts] == [(0, "BACKUP_CREATED"), (1, "BACKUP_CREATED")]
        assert all(h.total_size > 0 and h.clickhouse_id.startswith(done.backup_id) for h in op.hosts)
        restored = call(stack_plugin, stubs, "Restore", stack.chi, small, {"database_mapping": "e2e_ops:e2e_ops_copy"})
        listed = stub.ListOperations(stubs.operations.ListOperationsRequest(limit=2), timeout=10).operations
        assert [(o.operation_id, o.state) for o in listed] == [(restored.restore_id, "RESTORE_COMPLETED"), (done.backup_id, "BACKUP_COMPLETED")]

        # A big backup: watched while it runs, then cancelled.
        big = stack.chb(f"ops-big-{time.time_ns()}", whitelist=["e2e_ops.*"], prefix=prefix)
        plan = json.loads(call(stack_plugin, stubs, "Backup", stack.chi, big, {"dry_run": "true", "type": "full"}).metadata["plan"])
        outcome = {}
        # A full copy (an incremental one on the small backup of the same rows would copy nothing).
        runner = threading.Thread(target=lambda: outcome.update(result=_backup(stack_plugin, stubs, stack, big)))
        runner.start()
        request = stubs.operations.OperationRequest(operation_id=plan["id"])
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if stub.GetOperation(request, timeout=10).hosts:
                    break
            except grpc.RpcError:
                pass
            time.sleep(0.02)
        watched = []
        watcher = threading.Thread(target=lambda: watched.extend(stub.WatchOperation(request, timeout=60)))
        watcher.start()
        # Cancel once a BACKUP runs somewhere (a fixed pause was too short on a loaded machine).
        while time.time() < deadline and not any(h.status == "CREATING_BACKUP" for h in stub.GetOperation(request, timeout=10).hosts):
            time.sleep(0.01)
        cancelled = stub.CancelOperation(request, timeout=60)
        runner.join(60)
        watcher.join(60)
        assert cancelled.state == "BACKUP_CANCELLED", cancelled
        assert outcome["result"] == grpc.StatusCode.CANCELLED
        assert watched[0].state == "BACKUP_RUNNING" and watched[-1].state == "BACKUP_CANCELLED"
        manifest = json.loads(stack.s3_get(f"{prefix}stack/demo/{big['metadata']['name']}/manifest.json"))
        assert manifest["state"] == "Cancelled"
        # Every host was told to stop. (chdb-core 26 answers `finished` yet lets the ASYNC backup run
        # on: the manifest says Cancelled, and CleanBroken removes what it wrote.)
        running = [h.shard for h in cancelled.hosts if h.status not in ("BACKUP_CREATED", "PENDING")]
        assert running, f"every host had finished before the cancel: {cancelled.hosts}"
        for host in running:
            assert f"KILL QUERY WHERE query_id IN (SELECT query_id FROM system.backups WHERE id = '{plan['id']}-s{host}-r0') SYNC" in queries(stack, host)
        # A host still PENDING (not polled yet) either sent nothing, or what it sent was killed.
        for host in [h.shard for h in cancelled.hosts if h.status == "PENDING"]:
            sent = [q for q in queries(stack, host) if q.startswith("BACKUP ") and f"{plan['id']}-s{host}-r0" in q]
            kill = f"KILL QUERY WHERE query_id IN (SELECT query_id FROM system.backups WHERE id = '{plan['id']}-s{host}-r0') SYNC"
            assert not sent or kill in queries(stack, host)
        with pytest.raises(grpc.RpcError) as error:
            stub.CancelOperation(request, timeout=10)
        assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    finally:
        channel.close()


def queries(stack, host):
    """The statements a host accepted (the stack's query log, credentials masked). A last line
    its writer has not finished is not one yet."""
    with open(stack.hosts[host]["query_log"]) as log:
        return [json.loads(line) for line in log if line.endswith("\n")]


def _backup(plugin, stubs, stack, chb):
    try:
        call(plugin, stubs, "Backup", stack.chi, chb, {"type": "full"})
        return "completed"
    except grpc.RpcError as error:
        return error.code()

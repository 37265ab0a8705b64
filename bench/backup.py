#!/usr/bin/env python3
"""Backup benchmark (issue 3): the plugin's Backup/Restore RPCs against raw SQL on the same host.

The baseline is the physical limit here: a synchronous `BACKUP TABLE ... TO S3(...)` (and
`CREATE DATABASE` + `RESTORE ... FROM S3(...)`, the same job as the plugin's restore into a new
database) sent straight to the host's HTTP interface over one kept-alive connection, which is
everything ClickHouse itself has to do. The plugin does the same work plus planning, table
listing, the manifest (two S3 PUTs), and following the operation: a backup under
--inline-backup-mib and a restore under --inline-restore-mib (both defaults take the 10M-row
table, ~126 MB) are sent as the raw side sends them, and awaited; bigger ones run ASYNC and are
followed. Measured in one run, alternating raw and plugin, medians of --repeat runs (the big
table's restores: --restore-passes pairs a round, since a restore is short and its engine time
spreads as much). Targets, judged as bench/verdicts.py says (what the plugin adds with
ClickHouse's own time equal on both sides, and ClickHouse's own time the same work on both):
  - plugin/raw time for backup and for restore of a --rows table (target <= 1.05),
  - added milliseconds for a 10-row table's backup (target < 30 ms),
  - the plugin's peak RSS (VmHWM) while it drives the backups (target < 30 MB),
and, to show what following an ASYNC RESTORE costs on this stack apart from the plugin, a raw
ASYNC RESTORE followed by the least a caller can do (printed, not a target). The wall ratios are
printed with their 90% bootstrap intervals, and every run's times are written to --samples.
Measuring starts once the load's merges are done, and each side after the last one's writes are
flushed (quiesce(), settle()); a restored table is checked (count() and sum(cityHash64(*)) equal
to the source) and dropped before the next side starts. The plugin's own phases (`timing.*_ms`
of its answers) are printed as medians, so a slip names the phase it came from.

Uses the running stack in .stack if there is one, else starts a 1-host stack in .stack-bench
and stops it at the end. Usage: make bench-backup  (or: python3 bench/backup.py [--rows N])
"""
import argparse
import http.client
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests/e2e"))
from conftest import Plugin  # noqa: E402  (the e2e harness: the real binary on a free port)

import grpc  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from backup_report import report  # noqa: E402


def stubs():
    from grpc_tools import protoc
    import grpc_tools
    out = tempfile.mkdtemp(prefix="bench-stubs-")
    protos = [str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto")]
    include = str(pathlib.Path(grpc_tools.__file__).parent / "_proto")
    if protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *protos]):
        raise SystemExit("protoc failed")
    sys.path.insert(0, out)
    import importlib
    return importlib.import_module("altinity.backup.v1.backup_pb2"), importlib.import_module("altinity.backup.v1.backup_pb2_grpc")


class Host:
    """One stack host's HTTP interface, over one kept-alive connection (as the plugin keeps
    its own): the raw side pays no TCP connect per statement."""

    def __init__(self, info):
        self.info = info
        self.address = info["hosts"][0]["address"]
        self.connection = None
        self.headers = {"X-ClickHouse-User": info["clickhouse_user"], "X-ClickHouse-Key": info["clickhouse_password"]}

    def sql(self, query):
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.address, 8123, timeout=3600)
            try:
                self.connection.request("POST", "/?wait_end_of_query=1", body=query.encode(), headers=self.headers)
                response = self.connection.getresponse()
                body = response.read().decode()
                break
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(body)
        return body

    def checksum(self, table):
        return self.sql(f"SELECT count(), sum(cityHash64(*)) FROM {table}").strip()

    def s3(self, path):
        return (f"S3('{self.info['s3_endpoint']}/{self.info['bucket']}/{path}', "
                f"'{self.info['access_key']}', '{self.info['secret_key']}')")


def one_host_chi(info, uid):
    """A CHI of the stack's first host alone, as the operator would send it."""
    return {"apiVersion": "clickhouse.altinity.com/v1", "kind": "ClickHouseInstallation",
            "metadata": {"name": "demo", "namespace": "stack", "uid": uid},
            "spec": {"configuration": {"clusters": [{"name": "main", "layout": {"shardsCount": 1, "replicasCount": 1}}]}},
            "status": {"fqdns": [info["hosts"][0]["fqdn"]]}}


def chb_definition(info, name, table, folder):
    """A CHB backing up `table` (db.name) to `folder` of the stack's bucket."""
    return {"apiVersion": "clickhouse-backup.altinity.com/v1", "kind": "ClickHouseBackup",
            "metadata": {"name": name, "namespace": "stack"},
            "spec": {"method": "plugin", "pluginConfiguration": {"name": "clickhouse.backup.altinity.com"},
                     "ClickhouseInstallation": {"name": "demo", "cluster": {"name": "main"}},
                     "backup": {"s3": {"destinationPath": f"s3://{info['bucket']}/{folder}",
                                       "endpointURL": info["s3_endpoint"],
                                       "s3Credentials": {"accessKeyId": {"name": "s3-credentials", "key": "accessKeyId"},
                                                         "secretAccessKey": {"name": "s3-credentials", "key": "secretAccessKey"}}},
                                "dbTable": {"whiteList": [table]}}}}


def plugin_for(info):
    """The release plugin wired to a stack (its --resolve list, ClickHouse password, secrets)."""
    return Plugin(env={"CLICKHOUSE_BACKUP_PLUGIN_RESOLVE": info["resolve"],
                       "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_USER": info["clickhouse_user"],
                       "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_PASSWORD": info["clickhouse_password"],
                       "CLICKHOUSE_BACKUP_PLUGIN_SECRETS_DIR": info["secrets_dir"]})


def settle(seconds):
    """Before a measured side: the previous side's writes flushed to disk (`sync`), then a pause.
    Without the flush, the kernel writes back the last backup's or restore's 126 MB while the
    next side runs: a raw RESTORE took 300 ms or 650 ms by where that write-back fell (every
    third run), which no median of 9 evens out between two sides."""
    os.sync()
    time.sleep(seconds)


def quiesce(hosts):
    """After loading: every host's merges of the new parts done (about 2 s for 10M rows here),
    so that they do not run under the first measured rounds, then the writes flushed."""
    deadline = time.time() + 120
    while time.time() < deadline and any(host.sql("SELECT count() FROM system.merges").strip() != "0" for host in hosts):
        time.sleep(0.2)
    os.sync()


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class PeakRSS:
    """Samples the plugin's VmHWM (peak resident set) from /proc."""

    def __init__(self, pid):
        self.path = pathlib.Path(f"/proc/{pid}/status")

    def peak_kib(self):
        for line in self.path.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=15, help="runs per side for the big table (median)")
    parser.add_argument("--tiny-repeat", type=int, default=15, help="runs per side for the tiny table (median)")
    parser.add_argument("--restore-passes", type=int, default=3, help="restore pairs per round of the big table")
    parser.add_argument("--plugin", default=str(ROOT / ".build/release/clickhouse-backup-plugin"))
    parser.add_argument("--samples", default=str(ROOT / ".build-bench/backup-samples.json"), help="where every run's times are written")
    args = parser.parse_args()

    stack_dir, started = ROOT / ".stack", False
    if not (stack_dir / "stack.json").exists():
        stack_dir, started = ROOT / ".stack-bench", True
        subprocess.run([str(ROOT / "scripts/stack"), "up", "--shards", "1", "--replicas", "1", "--dir", str(stack_dir)],
                       check=True, timeout=300)
    try:
        return run(args, json.loads((stack_dir / "stack.json").read_text()))
    finally:
        if started:
            subprocess.run([str(ROOT / "scripts/stack"), "down", "--dir", str(stack_dir)], check=True, timeout=120)


def run(args, info):
    os.environ["PLUGIN_BIN"] = args.plugin
    backup_pb2, backup_grpc = stubs()
    host = Host(info)
    first = info["hosts"][0]
    # A CHI of one host: the plugin does exactly the work of the raw statement, on the same host.
    chi = one_host_chi(info, "bench-chi")
    run_id = time.strftime("%Y%m%d%H%M%S")
    samples = []  # every measured run, written to --samples for a later look
    plugin_ids = []  # the ClickHouse id of every plugin call's statement, warm-up rounds included

    print(f"loading bench.big ({args.rows:,} rows) and bench.tiny (10 rows) on {first['fqdn']} ...", flush=True)
    host.sql("DROP DATABASE IF EXISTS bench SYNC")
    host.sql("CREATE DATABASE bench")
    host.sql("CREATE TABLE bench.big (id UInt64, name String, value Float64, at DateTime) ENGINE = MergeTree ORDER BY id")
    host.sql(f"INSERT INTO bench.big SELECT number, concat('name-', toString(number % 100000)), rand() / 7, "
             f"toDateTime('2026-01-01 00:00:00') + number % 31536000 FROM numbers({args.rows})")
    host.sql("CREATE TABLE bench.tiny (id UInt64, name String) ENGINE = MergeTree ORDER BY id")
    host.sql("INSERT INTO bench.tiny SELECT number, toString(number) FROM numbers(10)")
    sums = {table: host.checksum(f"bench.{table}") for table in ("big", "tiny")}
    quiesce([host])

    plugin = plugin_for(info)
    channel = grpc.insecure_channel(plugin.address)
    stub = backup_grpc.BackupStub(channel)
    rss = PeakRSS(plugin.process.pid)

    def chb(name, table):
        return chb_definition(info, name, f"bench.{table}", f"bench/{run_id}/plugin/")

    def rpc(method, definition, parameters=None):
        message = backup_pb2.BackupRequest if method == "Backup" else backup_pb2.RestoreRequest
        request = message(chi_definition=json.dumps(chi).encode(), backup_definition=json.dumps(definition).encode(),
                          parameters=parameters or {})
        return getattr(stub, method)(request, timeout=3600)

    def verify(table, restored):
        got = host.checksum(restored)
        if got != sums[table]:
            raise SystemExit(f"restore of bench.{table} into {restored}: {got} != {sums[table]}")
        host.sql(f"DROP DATABASE {restored.split('.')[0]} SYNC")

    def engine_seconds(operation):
        """How long ClickHouse itself spent on an operation, from system.backups."""
        row = host.sql(f"SELECT dateDiff('microsecond', start_time, end_time), status FROM system.backups "
                       f"WHERE id = '{operation}' FORMAT TSV").split()
        if len(row) != 2 or row[1] not in ("BACKUP_CREATED", "RESTORED"):
            raise SystemExit(f"operation {operation}: {row}")
        return int(row[0]) / 1e6

    def measure(table, runs, warmup=1, pause=0.0, restore_passes=1):
        """Median wall time per side, and median wall minus ClickHouse's own time (the driver's cost).
        `restore_passes`: restore pairs per round (each pass into tables of its own, the order
        alternating pass by pass): a restore is short, and its figure needs more samples
        than a backup's to hold still, for ClickHouse's own time spreads alike."""
        wall = {key: [] for key in ("raw backup", "plugin backup", "raw restore", "plugin restore", "raw async restore")}
        driver = {key: [] for key in wall}
        phases = {"backup": {}, "restore": {}}
        engine = {"sync": [], "async": []}

        def keep_phases(verb, metadata):
            for key, value in metadata.items():
                if key.startswith("timing.") and i >= 0:
                    phases[verb].setdefault(key[7:], []).append(int(value))
        for i in range(-warmup, runs):
            n = i + warmup
            name, raw_path = f"{table}-{n}", f"bench/{run_id}/raw/{table}-{n}/"
            ids = {}

            def raw_backup():
                ids["raw backup"] = f"bench-{run_id}-{name}-backup"
                host.sql(f"BACKUP TABLE bench.{table} TO {host.s3(raw_path)} SETTINGS id = '{ids['raw backup']}'")

            def raw_async_backup():
                # The same statement ASYNC, as the plugin sends it: ClickHouse's own time for it
                # (engine_seconds) is what ASYNC costs the engine, apart from any caller.
                ids["raw async backup"] = f"bench-{run_id}-{name}-async"
                host.sql(f"BACKUP TABLE bench.{table} TO {host.s3(raw_path + 'async/')} SETTINGS id = '{ids['raw async backup']}' ASYNC")
                while host.sql(f"SELECT status FROM system.backups WHERE id = '{ids['raw async backup']}' FORMAT TSV").strip() \
                        in ("CREATING_BACKUP", ""):
                    time.sleep(0.25)

            def plugin_backup():
                # type=full: like the raw side. The default (auto) would make every run after the
                # first an incremental of an unchanged table, which is not the same work.
                result = rpc("Backup", chb(name, table), {"type": "full"})
                assert result.metadata["type"] == "full", result.metadata
                ids["plugin backup"] = result.metadata["host.0.0.id"]
                plugin_ids.append(ids["plugin backup"])
                keep_phases("backup", result.metadata)

            def restore_into(database, operation):
                # Into a new database, as the plugin's restore goes: ClickHouse restores a
                # table into an existing database only, so the caller creates it first.
                host.sql(f"CREATE DATABASE {database}")
                host.sql(f"RESTORE TABLE bench.{table} AS {database}.{table} FROM {host.s3(raw_path)} SETTINGS id = '{operation}'")

            def raw_restore(k):
                ids["raw restore"] = f"bench-{run_id}-{name}-restore-{k}"
                restore_into(f"raw_{table}_{n}_{k}", ids["raw restore"])

            def warm_up_restore():
                # Not timed. The first restore after the round's backups took 2x as long (about
                # 440 ms against 225 ms here, inside ClickHouse's own time: its disk writes and
                # system time): whichever side went first. This machine is a nested VM with free
                # page reporting, and page cache the kernel takes from memory it has handed back
                # to the host costs a fault per page on the host's side; a restore right after a
                # table was dropped reuses the pages the drop freed. This restore takes the first
                # one's share, so both sides start their passes alike.
                restore_into(f"warm_{table}_{n}", f"bench-{run_id}-{name}-warm-up")
                verify(table, f"warm_{table}_{n}.{table}")

            def raw_async_restore():
                # The least a caller of an ASYNC RESTORE can do to see its end: a look in
                # system.processes at the plugin's pace (5% of the time run, at least 10 ms),
                # then one read of system.backups. What following costs here, apart from the plugin.
                ids["raw async restore"] = f"bench-{run_id}-{name}-async-restore"
                host.sql(f"RESTORE TABLE bench.{table} AS async_{table}_{n}.{table} FROM {host.s3(raw_path)} "
                         f"SETTINGS id = '{ids['raw async restore']}' ASYNC")
                started = time.perf_counter()
                needle = f"id = \\'{ids['raw async restore']}\\'"
                query = host.sql(f"SELECT query_id FROM system.processes WHERE position(query, '{needle}') > 0 FORMAT TSV").strip()
                while query and host.sql(f"SELECT 1 FROM system.processes WHERE query_id = '{query}' FORMAT TSV").strip():
                    time.sleep(max(0.01, 0.05 * (time.perf_counter() - started)))
                while host.sql(f"SELECT status FROM system.backups WHERE id = '{ids['raw async restore']}' FORMAT TSV").strip() == "RESTORING":
                    time.sleep(0.01)

            def plugin_restore(k):
                result = rpc("Restore", chb(name, table), {"database_mapping": f"bench:plugin_{table}_{n}_{k}"})
                ids["plugin restore"] = result.metadata["host.0.0.id"]
                plugin_ids.append(ids["plugin restore"])
                keep_phases("restore", result.metadata)

            settle(pause)
            raw_async_backup()
            if i >= 0:
                engine["sync"].append(engine_seconds(ids["raw backup"]) if "raw backup" in ids else None)
                engine["async"].append(engine_seconds(ids["raw async backup"]))
            # Round -1 warms caches and is not counted. Sides alternate who goes first (round by
            # round, and restore pass by pass), and each starts after settle(): the one right
            # after a large backup would meet its write-back. A restored table is checked and
            # dropped as soon as its side is timed: left in place, its parts are merged in the
            # background (a 3-part merge of 3.3M rows, 0.3-0.5 s of CPU, starting about 0.3 s
            # after the RESTORE returned) while the next side runs, which made restores of this
            # table take 200 to 660 ms here against 200 to 240 ms on a quiet engine.
            nothing = lambda: None
            steps = [(("raw backup", raw_backup, nothing), ("plugin backup", plugin_backup, nothing), n % 2)]
            steps += [(("raw restore", lambda k=k: raw_restore(k), lambda k=k: verify(table, f"raw_{table}_{n}_{k}.{table}")),
                       ("plugin restore", lambda k=k: plugin_restore(k), lambda k=k: verify(table, f"plugin_{table}_{n}_{k}.{table}")),
                       (n + k) % 2)
                      for k in range(restore_passes)]
            for step, (first, second, turn) in enumerate(steps):
                if step == 1:
                    warm_up_restore()
                for position, (label, action, check) in enumerate((first, second) if turn == 0 else (second, first)):
                    settle(pause)
                    elapsed = timed(action)
                    if i >= 0:
                        engine_time = engine_seconds(ids[label])
                        wall[label].append(elapsed)
                        driver[label].append(elapsed - engine_time)
                        samples.append({"table": table, "round": i, "step": step, "label": label, "first": position == 0,
                                        "wall": elapsed, "engine": engine_time})
                    check()
            host.sql(f"CREATE DATABASE async_{table}_{n}")
            settle(pause)
            elapsed = timed(raw_async_restore)
            if i >= 0:
                engine["sync"][-1] = engine_seconds(ids["raw backup"])
                wall["raw async restore"].append(elapsed)
            verify(table, f"async_{table}_{n}.{table}")
        return wall, driver, phases, engine

    try:
        print("tiny table ...", flush=True)
        tiny, tiny_driver, tiny_phases, tiny_engine = measure("tiny", args.tiny_repeat)
        print(f"big table ({args.repeat} runs per side, {args.repeat * args.restore_passes} restores) ...", flush=True)
        big, big_driver, big_phases, big_engine = measure("big", args.repeat, pause=0.5, restore_passes=args.restore_passes)
        peak = rss.peak_kib()
        # Issue 15: a throttled backup of the big table takes the time its limit implies.
        big_bytes = int(host.sql("SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench' AND table = 'big' AND active").strip())
        limit = max(1, big_bytes // 3)
        throttled = timed(lambda: rpc("Backup", chb(f"big-throttled-{run_id}", "big"), {"type": "full", "max_backup_bandwidth": str(limit)}))
        # What fingerprint=data adds to a backup: one read of every row (rows alone are free).
        hashing = sorted(timed(lambda: host.checksum("bench.big")) for _ in range(3))[1]
        backups_rows = host.sql("SELECT count() FROM system.backups").strip()
        backups_read = []
        for _ in range(9):
            backups_read.append(timed(lambda: host.sql("SELECT status FROM system.backups WHERE id = 'none'")))
    finally:
        channel.close()
        plugin.stop()
        host.sql("DROP DATABASE IF EXISTS bench SYNC")

    pathlib.Path(args.samples).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.samples).write_text(json.dumps(samples, indent=0))
    measured = {"big": (f"{args.rows:,} rows", big, big_driver, big_phases, big_engine),
                "tiny": ("10 rows", tiny, tiny_driver, tiny_phases, tiny_engine)}
    return report(args, measured, samples, statements=([host["query_log"] for host in info["hosts"]], plugin_ids), hashing=hashing, backups_rows=backups_rows,
                  backups_read=backups_read, throttled=(throttled, big_bytes, limit), peak=peak)


if __name__ == "__main__":
    sys.exit(main())

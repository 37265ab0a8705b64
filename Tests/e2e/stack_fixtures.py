"""Fixtures over the local stack (scripts/stack): ClickHouse hosts, S3, and a plugin wired to them."""
import json
import pathlib
import subprocess
import urllib.request

import grpc
import pytest

from conftest import ROOT, Plugin

STACK_DIR = ROOT / ".stack"


class Stack:
    """The stack: 2 shards x 2 replicas. `chi` is a 2 x 1 view of it (the first replica of each
    shard), which the single-replica tests use; `cluster_chi` is the whole cluster."""

    def __init__(self, info):
        self.info = info
        self.all_hosts = info["hosts"]
        self.hosts = [h for h in self.all_hosts if h["replica"] == 0]
        self.cluster_chi = json.loads(pathlib.Path(info["chi"]).read_text())
        self.chi = json.loads(json.dumps(self.cluster_chi))
        self.chi["spec"]["configuration"]["clusters"][0]["layout"]["replicasCount"] = 1
        self.chi["status"]["fqdns"] = [h["fqdn"] for h in self.hosts]

    def host(self, shard, replica):
        return next(h for h in self.all_hosts if h["shard"] == shard and h["replica"] == replica)

    def sql(self, host_index, query):
        """Runs `query` on a host (an index into `hosts`, or a host of `all_hosts`); returns the text or raises."""
        host = self.hosts[host_index] if isinstance(host_index, int) else host_index
        request = urllib.request.Request(f"http://{host['address']}:8123/?wait_end_of_query=1", data=query.encode(),
                                         headers={"X-ClickHouse-User": self.info["clickhouse_user"],
                                                  "X-ClickHouse-Key": self.info["clickhouse_password"]})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.read().decode()
        except urllib.error.HTTPError as error:
            raise RuntimeError(error.read().decode()) from None

    def checksum(self, host_index, table):
        return self.sql(host_index, f"SELECT count(), sum(cityHash64(*)) FROM {table}").strip()

    def s3_get(self, key):
        """An object from the stack's bucket (signed with the stack's keys), or None."""
        result = subprocess.run(["curl", "-s", "-f", "--aws-sigv4", f"aws:amz:{self.info['region']}:s3",
                                 "--user", f"{self.info['access_key']}:{self.info['secret_key']}",
                                 f"{self.info['s3_endpoint']}/{self.info['bucket']}/{key}"], capture_output=True)
        return result.stdout if result.returncode == 0 else None

    def chb(self, name, whitelist=None, blacklist=None, credentials=True, endpoint=None, prefix="e2e/", uid=None):
        s3 = {"destinationPath": f"s3://{self.info['bucket']}/{prefix}", "endpointURL": endpoint or self.info["s3_endpoint"]}
        if credentials:
            secret = credentials if isinstance(credentials, str) else "s3-credentials"
            s3["s3Credentials"] = {"accessKeyId": {"name": secret, "key": "accessKeyId"},
                                   "secretAccessKey": {"name": secret, "key": "secretAccessKey"}}
        backup = {"s3": s3}
        if whitelist or blacklist:
            backup["dbTable"] = {"whiteList": whitelist or [], "blackList": blacklist or []}
        metadata = {"name": name, "namespace": "stack"}
        if uid:
            metadata["uid"] = uid
        return {"apiVersion": "clickhouse-backup.altinity.com/v1", "kind": "ClickHouseBackup", "metadata": metadata,
                "spec": {"method": "plugin", "pluginConfiguration": {"name": "clickhouse.backup.altinity.com"},
                         "ClickhouseInstallation": {"name": "demo", "cluster": {"name": "main"}}, "backup": backup}}


@pytest.fixture(scope="session")
def stack():
    started = False
    if (STACK_DIR / "stack.json").exists():
        existing = json.loads((STACK_DIR / "stack.json").read_text())
        layout = {(h["shard"], h["replica"]) for h in existing["hosts"]}
        # Another layout, or a stack from an older checkout (no HTTPS, no query log): rebuild it.
        if layout != {(s, r) for s in range(2) for r in range(2)} or "ca_file" not in existing \
                or "query_log" not in existing["hosts"][0] or not existing.get("keeper"):
            subprocess.run([str(ROOT / "scripts/stack"), "down"], check=True, timeout=120)
    if not (STACK_DIR / "stack.json").exists():
        subprocess.run([str(ROOT / "scripts/stack"), "up", "--shards", "2", "--replicas", "2", "--replicated"], check=True, timeout=300)
        started = True
    stack = Stack(json.loads((STACK_DIR / "stack.json").read_text()))
    if not started:  # a stack left running (by `make demo`): tests that back up everything start from empty hosts
        for host in stack.all_hosts:
            for database in stack.sql(host, "SELECT name FROM system.databases WHERE name NOT IN "
                                            "('system', 'default', 'INFORMATION_SCHEMA', 'information_schema') FORMAT TSV").split():
                stack.sql(host, f"DROP DATABASE `{database}` SYNC")
    yield stack
    if started:
        subprocess.run([str(ROOT / "scripts/stack"), "down"], check=True, timeout=120)


def on_every_host(stack, *statements):
    """Runs `statements` in order on every host of the one-replica CHI (each shard's first)."""
    for host in range(len(stack.hosts)):
        for statement in statements:
            stack.sql(host, statement.format(host=host))


def plugin_env(stack, **extra):
    env = {"CLICKHOUSE_BACKUP_PLUGIN_RESOLVE": stack.info["resolve"],
           "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_USER": stack.info["clickhouse_user"],
           "CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_PASSWORD": stack.info["clickhouse_password"],
           "CLICKHOUSE_BACKUP_PLUGIN_SECRETS_DIR": stack.info["secrets_dir"],
           "CLICKHOUSE_BACKUP_PLUGIN_S3_RETRY_ATTEMPTS": "1"}
    env.update(extra)
    return env


@pytest.fixture
def stack_plugin(stack):
    plugin = Plugin(env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_SECRET_WRONG_ACCESSKEYID="AKWRONG",
                                   CLICKHOUSE_BACKUP_PLUGIN_SECRET_WRONG_SECRETACCESSKEY="wrong-secret-value"))
    yield plugin
    plugin.stop()


def call(plugin, stubs, method, chi, chb, parameters=None, timeout=120, check_dry_run=True):
    """A Backup or Restore call. Unless it is a dry run itself (or `check_dry_run` is off: tests
    that count calls), a dry run of the same request goes first, and once the call succeeds
    every statement the dry run showed must be in the query log of its host: the dry run shows
    what a run sends, byte for byte (credentials hidden as the log hides them)."""
    channel = grpc.insecure_channel(plugin.address)
    stub = stubs.backup_grpc.BackupStub(channel)
    message = stubs.backup.BackupRequest if method == "Backup" else stubs.backup.RestoreRequest

    def request(extra):
        return message(chi_definition=json.dumps(chi).encode(), backup_definition=json.dumps(chb).encode(),
                       parameters={**(parameters or {}), **extra})
    try:
        dry = check_dry_run and (parameters or {}).get("dry_run") not in ("true", "1", "yes")
        shown = {}
        if dry:
            try:
                preview = getattr(stub, method)(request({"dry_run": "true"}), timeout=timeout).metadata
                shown = {key[4:]: sql for key, sql in preview.items() if key.startswith("sql.") and sql.startswith(("BACKUP ", "RESTORE "))}
                planned_name = json.loads(preview["plan"])["name"]
            except grpc.RpcError:
                pass  # the real call says what is wrong
        result = getattr(stub, method)(request({}), timeout=timeout)
        if method == "Backup" and shown and result.backup_name != planned_name:
            shown = {}  # a schedule's run named by the clock: the second ticked between the two calls
        for key, sql in shown.items():
            shard, replica = (int(part) for part in key.split(".")[:2])
            log = pathlib.Path(f"{STACK_DIR}/queries-{shard}-{replica}.log").read_text().splitlines()
            assert json.dumps(sql) in log, f"the dry run showed for {key}:\n{sql}\nand the host's query log does not have it"
        return result
    finally:
        channel.close()

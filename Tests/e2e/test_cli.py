"""The one-shot commands (backup, restore, list, retention): the same code paths as the gRPC
services, JSON on stdout, the gRPC status code as the exit code."""
import json
import os
import subprocess
import tempfile
import time

from conftest import plugin_binary
from stack_fixtures import plugin_env, stack  # noqa: F401 (fixtures)


def cli(*args, env=None, files=None):
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, document in (files or {}).items():
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(document if isinstance(document, str) else json.dumps(document))
            paths += [f"--{name.split('.')[0]}", path]
        result = subprocess.run([plugin_binary(), *args, *paths], capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, **(env or {})))
    return result.returncode, result.stdout, result.stderr


def test_a_dry_run_prints_the_plan_and_bad_input_exits_with_its_status_code(stack):
    chb = stack.chb(f"cli-dry-{time.time_ns()}", whitelist=["e2e_cli.t"])
    code, out, _ = cli("backup", "--param", "dry_run=true", files={"chi.json": stack.chi, "backup.json": chb})
    assert code == 0
    plan = json.loads(out)
    assert plan["metadata"]["state"] == "Planned" and plan["backup_name"] == chb["metadata"]["name"]
    code, out, err = cli("backup", files={"chi.json": stack.chi, "backup.json": "{not json"})
    assert code == 3 and out == ""  # INVALID_ARGUMENT
    assert json.loads(err.strip().splitlines()[-1])["code"] == "INVALID_ARGUMENT"


def test_backup_list_retention_restore_on_the_stack(stack):
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_cli SYNC")
        stack.sql(host, "CREATE DATABASE e2e_cli")
        stack.sql(host, "CREATE TABLE e2e_cli.t (id UInt64) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, f"INSERT INTO e2e_cli.t SELECT number * {host + 2} FROM numbers(5000)")
    before = [stack.checksum(h, "e2e_cli.t") for h in range(len(stack.hosts))]
    prefix = f"cli-{time.time_ns()}/"
    env = plugin_env(stack)
    chb = stack.chb("cli-one", whitelist=["e2e_cli.t"], prefix=prefix)
    code, out, err = cli("backup", env=env, files={"chi.json": stack.chi, "backup.json": chb})
    assert code == 0, err
    made = json.loads(out)
    assert made["metadata"]["state"] == "Completed" and made["backup_id"].startswith("chb-")
    code, out, _ = cli("list", env=env, files={"chi.json": stack.chi, "backup.json": chb})
    assert code == 0 and [b["backup_name"] for b in json.loads(out)["backups"]] == ["cli-one"]
    code, out, _ = cli("retention", "--param", "keep_full_chains=1", "--param", "dry_run=true", env=env,
                       files={"chi.json": stack.chi, "backup.json": chb})
    assert code == 0 and json.loads(out)["deleted"] == []
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE e2e_cli SYNC")
    code, out, err = cli("restore", env=env, files={"chi.json": stack.chi, "backup.json": chb})
    assert code == 0, err
    assert json.loads(out)["metadata"]["backup_name"] == "cli-one"
    assert [stack.checksum(h, "e2e_cli.t") for h in range(len(stack.hosts))] == before
    # A missing secret: FAILED_PRECONDITION, exit code 9.
    missing = stack.chb("cli-two", whitelist=["e2e_cli.t"], prefix=prefix, credentials="absent")
    code, _, err = cli("backup", env=env, files={"chi.json": stack.chi, "backup.json": missing})
    assert code == 9 and "absent/accessKeyId" in err
    for host in range(len(stack.hosts)):
        stack.sql(host, "DROP DATABASE IF EXISTS e2e_cli SYNC")

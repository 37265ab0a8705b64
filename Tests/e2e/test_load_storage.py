"""Issue 15's load and storage options on the stack: in the dry-run plan's SQL exactly, and what
the stack can check end to end: a throttled backup takes at least the time its limit implies,
and the storage class reaches the objects' metadata."""
import re
import subprocess
import time

import pytest

from stack_fixtures import call, on_every_host, stack, stack_plugin  # noqa: F401 (fixtures)
from test_catalog import s3_keys


@pytest.fixture(autouse=True)
def table(stack):
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_load SYNC", "CREATE DATABASE e2e_load",
                  "CREATE TABLE e2e_load.t (id UInt64, s String) ENGINE = MergeTree ORDER BY id",
                  "INSERT INTO e2e_load.t SELECT number, randomPrintableASCII(200) FROM numbers(20000)")  # ~4 MB, incompressible
    yield
    on_every_host(stack, "DROP DATABASE IF EXISTS e2e_load SYNC")


def test_the_options_are_settings_of_the_statement(stack, stack_plugin, stubs):
    chb = stack.chb(f"load-{time.time_ns()}", whitelist=["e2e_load.t"], prefix="load/")
    plan = call(stack_plugin, stubs, "Backup", stack.chi, chb,
                {"dry_run": "true", "type": "full", "max_backup_bandwidth": "2M", "storage_class": "STANDARD_IA", "allow_s3_native_copy": "false"})
    sql = plan.metadata["sql.0.0"]
    assert re.search(r"SETTINGS id = 'chb-[0-9a-f]+-s0-r0', max_backup_bandwidth = 2000000, s3_storage_class = 'STANDARD_IA', "
                     r"allow_s3_native_copy = 0, backup_restore_s3_retry_attempts = 1 ASYNC$", sql), sql
    assert "'[HIDDEN]'" in sql
    # The plugin's own concurrency is in the plan too: the server's default, or the request's.
    assert plan.metadata["parallel_shards"] == "8"
    assert call(stack_plugin, stubs, "Backup", stack.chi, chb, {"dry_run": "true", "parallel_shards": "1"}).metadata["parallel_shards"] == "1"


def test_a_throttled_backup_takes_the_time_its_limit_implies(stack, stack_plugin, stubs):
    size = int(stack.sql(0, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'e2e_load' AND active").strip())
    limit = size // 4  # bytes per second: about four seconds of reading
    chb = stack.chb(f"slow-{time.time_ns()}", whitelist=["e2e_load.t"], prefix="load/")
    start = time.monotonic()
    result = call(stack_plugin, stubs, "Backup", stack.chi, chb, {"type": "full", "max_backup_bandwidth": str(limit), "storage_class": "STANDARD_IA"})
    elapsed = time.monotonic() - start
    assert result.metadata["state"] == "Completed"
    # ClickHouse's throttler lets one second's worth through at once (its burst), then keeps the rate.
    assert elapsed >= 0.9 * (size / limit - 1), f"{size} bytes at {limit} B/s took {elapsed:.2f} s"
    keys = [k for k in s3_keys(stack, f"load/stack/demo/{chb['metadata']['name']}/shard-0/") if k.endswith(".bin")]
    head = subprocess.run(["curl", "-sfI", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "--aws-sigv4", f"aws:amz:{stack.info['region']}:s3",
                           "--user", f"{stack.info['access_key']}:{stack.info['secret_key']}",
                           f"{stack.info['s3_endpoint']}/{stack.info['bucket']}/{keys[0]}"], capture_output=True, text=True, check=True).stdout
    assert "x-amz-storage-class: standard_ia" in head.lower(), head


def test_the_one_shot_backup_shows_live_progress_on_a_terminal(stack, tmp_path):
    """Under a real terminal (tmux): a line per host redrawn while a throttled backup runs,
    then the result as text lines; a pipe gets JSON only (test_cli)."""
    import json as json_module
    import shlex
    from conftest import plugin_binary
    from stack_fixtures import plugin_env
    size = int(stack.sql(0, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'e2e_load' AND active").strip())
    chb = stack.chb(f"tty-{time.time_ns()}", whitelist=["e2e_load.t"], prefix="load/")
    (tmp_path / "chi.json").write_text(json_module.dumps(stack.chi))
    (tmp_path / "chb.json").write_text(json_module.dumps(chb))
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in plugin_env(stack).items())
    command = (f"env {env} {plugin_binary()} backup --chi {tmp_path}/chi.json --backup {tmp_path}/chb.json "
               f"--param type=full --param max_backup_bandwidth={size // 3} > /dev/tty; echo EXIT=$?; sleep 60")
    session = f"e2e-{time.time_ns()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "220", "-y", "40", command], check=True)
    try:
        seen_running, screen = False, ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-S", "-", "-t", session], capture_output=True, text=True).stdout
            if "BACKUP_RUNNING" in screen and "CREATING_BACKUP" in screen and stack.hosts[0]["fqdn"] in screen:
                seen_running = True
            if "EXIT=" in screen:
                break
            time.sleep(0.2)
        assert seen_running, screen
        assert "EXIT=0" in screen and "state: Completed" in screen and "BACKUP_COMPLETED" in screen, screen
        assert screen.count("backup " + chb["metadata"]["name"] + ":") == 1, screen  # redrawn in place, not appended
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session])


def test_a_long_backup_logs_progress_at_the_interval(stack, stubs):
    from conftest import Plugin
    from stack_fixtures import plugin_env
    plugin = Plugin("--progress-log-interval", "1", env=plugin_env(stack))
    try:
        size = int(stack.sql(0, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'e2e_load' AND active").strip())
        chb = stack.chb(f"log-{time.time_ns()}", whitelist=["e2e_load.t"], prefix="load/")
        # About five seconds a host: a line is written at a poll once a second has passed, and polls
        # are spaced by their own cost, so three seconds left room for one line only on a busy machine.
        call(plugin, stubs, "Backup", stack.chi, chb, {"type": "full", "max_backup_bandwidth": str(size // 5)})
        lines = [line for line in plugin.log_text.splitlines() if 'msg="host progress"' in line]
        assert len(lines) >= 2 * 2, plugin.log_text[-2000:]  # two hosts, at least two lines each
        assert all("status=CREATING_BACKUP" in line and "elapsed_ms=" in line and "host=chi-demo-main-" in line for line in lines)
    finally:
        plugin.stop()

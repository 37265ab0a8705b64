"""Metrics on their own port, parsed as Prometheus parses them, and webhook/Slack notifications
delivered with retries, never holding up a call's answer; on the real stack."""
import http.server
import json
import re
import threading
import time
import urllib.request

import grpc
from prometheus_client.parser import text_string_to_metric_families

from conftest import Plugin
from stack_fixtures import call, plugin_env, stack  # noqa: F401 (fixtures)
from test_cli import cli


class Receiver:
    """A webhook receiver on loopback: answers each POST with the next status of `statuses`
    (the last one repeats), records bodies; `gate` can hold requests until released."""

    def __init__(self, statuses=(200,), hold=False):
        self.statuses, self.bodies, self.arrived = list(statuses), [], threading.Event()
        self.gate = threading.Event()
        if not hold:
            self.gate.set()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((self.path, self.headers["Content-Type"], body))
                receiver.arrived.set()
                receiver.gate.wait(30)
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/s3cr3t-hook-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count, timeout=20):
        deadline = time.time() + timeout
        while len(self.bodies) < count and time.time() < deadline:
            time.sleep(0.02)
        return [json.loads(body) for _, _, body in self.bodies]

    def close(self):
        self.gate.set()
        self.server.shutdown()


def scrape(plugin):
    address = re.search(r"metrics_address=(\S+)", plugin.log_text).group(1)
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def sample(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def make_table(stack, database, rows):
    for host in range(len(stack.hosts)):
        stack.sql(host, f"DROP DATABASE IF EXISTS {database} SYNC")
        stack.sql(host, f"CREATE DATABASE {database}")
        stack.sql(host, f"CREATE TABLE {database}.t (id UInt64, s String) ENGINE = MergeTree ORDER BY id")
        stack.sql(host, f"INSERT INTO {database}.t SELECT number, toString(number) FROM numbers({rows})")


def test_metrics_and_notifications_after_real_runs(stack, stubs, tmp_path):
    make_table(stack, "e2e_obs", 20000)
    webhook, slack = Receiver(statuses=(503, 200)), Receiver()
    (tmp_path / "webhook").write_text(webhook.url + "\n")
    (tmp_path / "slack").write_text(slack.url)
    plugin = Plugin("--metrics-listen", "127.0.0.1:0", "--notify-webhook-file", str(tmp_path / "webhook"),
                    "--notify-slack-webhook-file", str(tmp_path / "slack"),
                    env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_SECRET_WRONG_ACCESSKEYID="AKWRONG",
                                   CLICKHOUSE_BACKUP_PLUGIN_SECRET_WRONG_SECRETACCESSKEY="wrong-secret-value"))
    try:
        before = time.time()
        chb = stack.chb(f"obs-{time.time_ns()}", whitelist=["e2e_obs.t"])
        result = call(plugin, stubs, "Backup", stack.chi, chb, check_dry_run=False)
        assert result.metadata["state"] == "Completed"
        failing = stack.chb(f"obs-wrong-{time.time_ns()}", whitelist=["e2e_obs.t"], credentials="wrong")
        try:
            call(plugin, stubs, "Backup", stack.chi, failing, check_dry_run=False)
            raise AssertionError("a backup with wrong credentials completed")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        try:
            call(plugin, stubs, "Backup", stack.chi, {"kind": "ClickHouseBackup", "spec": {}}, check_dry_run=False)
            raise AssertionError("a backup without a destination was accepted")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT

        # webhook: the first try got 503 and was retried (the failure's own went through at once)
        hooks = webhook.wait_for(3)
        assert len(hooks) == 3 and hooks[0]["event"] == "backup.completed"
        done = hooks[0]
        assert [h["id"] for h in hooks].count(result.backup_id) == 2 and [h for h in hooks if h["id"] == done["id"]] == [done, done]
        assert done["event"] == "backup.completed" and done["state"] == "completed" and done["code"] == "OK"
        assert done["id"] == result.backup_id and done["backup_name"] == chb["metadata"]["name"]
        assert done["chi"] == "stack/demo" and done["cluster"] == "main"
        assert done["bytes"] == int(result.metadata["total_size"]) > 0
        failed = next(h for h in hooks if h["id"] != result.backup_id)
        assert failed["event"] == "backup.failed" and failed["code"] == "PERMISSION_DENIED" and failed["error"]
        assert all(path == "/hooks/T000/s3cr3t-hook-token" and kind == "application/json" for path, kind, _ in webhook.bodies)
        texts = [body["text"] for body in slack.wait_for(2)]
        assert texts[0].startswith(":white_check_mark: backup of `" + chb["metadata"]["name"] + "`")
        assert texts[1].startswith(":x: backup of `" + failing["metadata"]["name"] + "`") and "PERMISSION_DENIED" in texts[1]

        # the receivers saw the bodies before the plugin saw their answers: wait for those to count
        deadline = time.time() + 10
        while True:
            samples = scrape(plugin)
            counted = [sample(samples, "clickhouse_backup_plugin_notifications_total", target=kind, result="delivered")
                       for kind in ("webhook", "slack")]
            if counted == [2, 2] or time.time() > deadline:
                break
            time.sleep(0.05)
        calls = "rpc_server_duration_seconds_count"
        backup = dict(rpc_system="grpc", rpc_service="altinity.backup.v1.Backup", rpc_method="Backup")
        assert sample(samples, calls, **backup, rpc_grpc_status_code="0") == 1
        assert sample(samples, calls, **backup, rpc_grpc_status_code="7") == 1  # PERMISSION_DENIED
        assert sample(samples, calls, **backup, rpc_grpc_status_code="3") == 1  # INVALID_ARGUMENT
        assert sample(samples, "rpc_server_duration_seconds_bucket", **backup, rpc_grpc_status_code="0", le="21600.0") == 1
        runs = "clickhouse_backup_plugin_operations_total"
        assert sample(samples, runs, operation="backup", result="completed", code="OK") == 1
        assert sample(samples, runs, operation="backup", result="failed", code="PERMISSION_DENIED") == 1
        assert sample(samples, "clickhouse_backup_plugin_operation_bytes_total", operation="backup") == int(result.metadata["total_size"])
        assert sample(samples, "clickhouse_backup_plugin_last_size_bytes", operation="backup", chi="stack/demo") == int(result.metadata["total_size"])
        last = sample(samples, "clickhouse_backup_plugin_last_success_timestamp_seconds", operation="backup", chi="stack/demo")
        assert before - 1 <= last <= time.time() + 1
        assert sample(samples, "clickhouse_backup_plugin_operations_running", operation="backup") == 0
        assert sample(samples, "clickhouse_backup_plugin_notifications_total", target="webhook", result="delivered") == 2
        assert sample(samples, "clickhouse_backup_plugin_notifications_total", target="slack", result="delivered") == 2
        assert sample(samples, "clickhouse_backup_plugin_build_info", version=re.search(r"version=(\S+)", plugin.log_text).group(1)) == 1
    finally:
        plugin.stop()
        webhook.close()
        slack.close()
    log = plugin.log_text
    assert "s3cr3t-hook-token" not in log and "wrong-secret-value" not in log
    delivered = [line for line in log.splitlines() if 'msg="notification delivered"' in line and "target=webhook" in line]
    assert any("attempts=2" in line for line in delivered)
    calls = [line for line in log.splitlines() if "msg=call" in line and "method=/altinity.backup.v1.Backup/Backup" in line]
    assert len(calls) == 3
    assert f"operation_id={result.backup_id}" in calls[0] and "chi=stack/demo" in calls[0] and "code=OK" in calls[0]


def test_a_slow_receiver_never_holds_up_the_answer(stack, stubs, tmp_path):
    make_table(stack, "e2e_obs_slow", 100)
    receiver = Receiver(hold=True)
    (tmp_path / "webhook").write_text(receiver.url)
    plugin = Plugin("--notify-webhook-file", str(tmp_path / "webhook"), "--notify-attempts", "1", env=plugin_env(stack))
    try:
        result = call(plugin, stubs, "Backup", stack.chi, stack.chb(f"obs-slow-{time.time_ns()}", whitelist=["e2e_obs_slow.t"]), check_dry_run=False)
        assert result.metadata["state"] == "Completed"
        # the answer came back while the receiver still holds the notification's request
        assert receiver.arrived.wait(10) and not receiver.gate.is_set()
        receiver.gate.set()
        assert receiver.wait_for(1)[0]["id"] == result.backup_id
    finally:
        plugin.stop()
        receiver.close()


def test_a_one_shot_command_delivers_its_notification_before_exiting(stack):
    make_table(stack, "e2e_obs_cli", 100)
    receiver = Receiver(statuses=(500, 200))
    try:
        chb = stack.chb(f"obs-cli-{time.time_ns()}", whitelist=["e2e_obs_cli.t"], prefix=f"obs-cli-{time.time_ns()}/")
        code, out, err = cli("backup", env=plugin_env(stack, CLICKHOUSE_BACKUP_PLUGIN_NOTIFY_WEBHOOK_URL=receiver.url),
                             files={"chi.json": stack.chi, "backup.json": chb})
        assert code == 0, err
        bodies = [json.loads(body) for _, _, body in receiver.bodies]  # no waiting: the process has exited
        assert len(bodies) == 2 and bodies[1]["id"] == json.loads(out)["backup_id"]
        assert "s3cr3t-hook-token" not in err
    finally:
        receiver.close()


def test_sigterm_waits_for_a_notification_under_way(stack, stubs, tmp_path):
    make_table(stack, "e2e_obs_stop", 100)
    receiver = Receiver(hold=True)
    (tmp_path / "webhook").write_text(receiver.url)
    plugin = Plugin("--notify-webhook-file", str(tmp_path / "webhook"), "--notify-attempts", "1", "--shutdown-grace", "10",
                    env=plugin_env(stack))
    try:
        call(plugin, stubs, "Backup", stack.chi, stack.chb(f"obs-stop-{time.time_ns()}", whitelist=["e2e_obs_stop.t"]), check_dry_run=False)
        assert receiver.arrived.wait(10)
        threading.Timer(0.5, receiver.gate.set).start()  # the receiver answers after SIGTERM
        assert plugin.stop() == 0
    finally:
        receiver.close()
    messages = [re.search(r'msg=("[^"]*"|\S+)', line).group(1) for line in plugin.log_text.splitlines()]
    assert messages.index("stopping") < messages.index('"notification delivered"') < messages.index("stopped")

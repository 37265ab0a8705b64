"""The gRPC runtime as a client sees it: concurrency, cancellation, limits, unknown methods,
flags from the environment, and signals, all against the real binary."""
import json
import os
import pathlib
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc

from conftest import Plugin, example, grpcurl, plugin_binary

RAW = dict(request_serializer=lambda b: b, response_deserializer=lambda b: b)


def threads_of(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def dry_run_request(stubs, name_suffix=""):
    chb = example("chb-demo.json")
    chb["metadata"]["name"] += name_suffix
    return stubs.backup.BackupRequest(chi_definition=json.dumps(example("chi-demo.json")).encode(),
                                      backup_definition=json.dumps(chb).encode(),
                                      parameters={"dry_run": "true"})


def test_two_hundred_concurrent_calls(plugin, stubs):
    channel = grpc.insecure_channel(plugin.address)
    backup = stubs.backup_grpc.BackupStub(channel)
    check = channel.unary_unary("/grpc.health.v1.Health/Check", **RAW)
    futures = []
    for index in range(200):
        if index % 2:
            futures.append(("check", index, check.future(b"", timeout=30)))
        else:
            futures.append(("backup", index, backup.Backup.future(dry_run_request(stubs, f"-{index}"), timeout=30)))
    locations = set()
    for kind, index, future in futures:
        result = future.result()
        if kind == "check":
            assert result == b"\x08\x01"
        else:
            assert result.backup_name == f"nightly-2026-11-22-{index}"
            assert result.metadata["state"] == "Planned"
            # Each reply carries its own request's plan: none crossed over.
            assert result.metadata["location"].endswith(f"/nightly-2026-11-22-{index}/")
            locations.add(result.metadata["location"])
    assert len(locations) == 100
    channel.close()


def test_cancelled_streams_leave_nothing_behind(plugin):
    channel = grpc.insecure_channel(plugin.address)
    watch = channel.unary_stream("/grpc.health.v1.Health/Watch", **RAW)
    check = channel.unary_unary("/grpc.health.v1.Health/Check", **RAW)

    def open_and_cancel(count):
        for _ in range(count):
            stream = watch(b"")
            assert next(stream) == b"\x08\x01"
            stream.cancel()

    open_and_cancel(200)  # warm up
    time.sleep(0.5)
    rss_before, threads_before = plugin.rss_kib(), threads_of(plugin.process.pid)
    open_and_cancel(1000)
    time.sleep(0.5)
    rss_after, threads_after = plugin.rss_kib(), threads_of(plugin.process.pid)
    print(f"cancelled watches: RSS {rss_before} -> {rss_after} KiB, threads {threads_before} -> {threads_after}")
    assert rss_after - rss_before < 4096
    assert threads_after <= threads_before + 1
    assert check(b"", timeout=5) == b"\x08\x01"
    # Every cancelled Watch was released: shutdown has no call left to wait for.
    started = time.monotonic()
    assert plugin.stop() == 0
    assert time.monotonic() - started < 5
    channel.close()


def test_unknown_methods_are_unimplemented(plugin):
    channel = grpc.insecure_channel(plugin.address)
    for method in ("/altinity.backup.v1.Backup/Nope", "/no.such.Service/Call"):
        try:
            channel.unary_unary(method, **RAW)(b"", timeout=5)
            raise AssertionError("call succeeded")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNIMPLEMENTED
            assert method in error.details()
    channel.close()


def test_requests_over_the_size_limit_are_resource_exhausted():
    plugin = Plugin("--max-message-bytes", "4096")
    try:
        channel = grpc.insecure_channel(plugin.address)
        backup = channel.unary_unary("/altinity.backup.v1.Backup/Backup", **RAW)
        try:
            backup(b"\x0a" + bytes([0x80, 0x40]) + b"x" * 8192, timeout=5)  # chi_definition of 8 KiB
            raise AssertionError("call succeeded")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        # The connection and the server are fine afterwards.
        check = channel.unary_unary("/grpc.health.v1.Health/Check", **RAW)
        assert check(b"", timeout=5) == b"\x08\x01"
        channel.close()
    finally:
        plugin.stop()


def test_the_default_limit_is_16_mib(plugin):
    channel = grpc.insecure_channel(plugin.address, options=[("grpc.max_send_message_length", -1)])
    backup = channel.unary_unary("/altinity.backup.v1.Backup/Backup", **RAW)
    size = 16 * 1024 * 1024 + 1
    varint = bytes([(size & 0x7F) | 0x80, ((size >> 7) & 0x7F) | 0x80, ((size >> 14) & 0x7F) | 0x80, size >> 21])
    try:
        backup(b"\x0a" + varint + b"x" * size, timeout=30)
        raise AssertionError("call succeeded")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    channel.close()


def test_flags_come_from_the_environment_too(tmp_path):
    log = tmp_path / "plugin.log"
    env = dict(os.environ, CLICKHOUSE_BACKUP_PLUGIN_LISTEN="127.0.0.1:0", CLICKHOUSE_BACKUP_PLUGIN_SHUTDOWN_GRACE="1")
    with open(log, "w") as out:
        process = subprocess.Popen([plugin_binary(), "serve"], stdout=out, stderr=out, env=env)
    try:
        deadline = time.time() + 15
        while "msg=listening" not in log.read_text() and time.time() < deadline:
            time.sleep(0.02)
        text = log.read_text()
        assert "msg=listening address=127.0.0.1:" in text
        address = text.split("msg=listening address=")[1].split()[0]
        rc, out, _ = grpcurl(address, "grpc.health.v1.Health/Check")
        assert rc == 0 and json.loads(out) == {"status": "SERVING"}
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    assert "msg=stopped" in log.read_text()


def test_bad_flags_exit_with_usage_and_no_listener(tmp_path):
    result = subprocess.run([plugin_binary(), "serve", "--listen", "not-an-address"], capture_output=True, text=True,
                            timeout=15)
    assert result.returncode != 0
    assert "not-an-address" in result.stderr
    result = subprocess.run([plugin_binary(), "--version"], capture_output=True, text=True, timeout=15)
    assert result.returncode == 0 and result.stdout.strip()


def test_sigterm_during_a_stream_lets_the_grace_period_run_then_ends(tmp_path):
    plugin = Plugin("--shutdown-grace", "2")
    channel = grpc.insecure_channel(plugin.address)
    watch = channel.unary_stream("/grpc.health.v1.Health/Watch", **RAW)
    streams = [watch(b"") for _ in range(20)]
    for stream in streams:
        assert next(stream) == b"\x08\x01"
    started = time.monotonic()
    plugin.process.send_signal(signal.SIGTERM)
    for stream in streams:
        assert list(stream) == [b"\x08\x02"]  # NOT_SERVING, then the stream closes cleanly
    assert plugin.process.wait(timeout=15) == 0
    assert time.monotonic() - started < 5
    # After the listener closed, new calls fail as UNAVAILABLE.
    try:
        channel.unary_unary("/grpc.health.v1.Health/Check", **RAW)(b"", timeout=2)
        raise AssertionError("call succeeded after shutdown")
    except grpc.RpcError as error:
        assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    plugin.stop()
    channel.close()


def test_idle_memory(plugin):
    time.sleep(0.5)
    rss = plugin.rss_kib()
    print(f"idle RSS of the debug build: {rss} KiB")
    assert rss < 64 * 1024


def malloc_arenas(pid):
    """glibc's arenas besides the main one: each is a heap of 64 MiB of address space, aligned
    to its size, mapped anonymously in a read-write part and a reserved (---p) rest."""
    size = 64 << 20
    regions = []
    for line in pathlib.Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        low, high = (int(bound, 16) for bound in fields[0].split("-"))
        regions.append((low, high, fields[1], len(fields) > 5))
    reserved = {low: high for low, high, permissions, named in regions if permissions == "---p" and not named}
    return sum(1 for low, high, permissions, named in regions
               if permissions == "rw-p" and not named and low % size == 0 and reserved.get(high) == low + size)


def test_concurrent_calls_share_two_malloc_arenas(plugin, stubs):
    # glibc would give each of the process's threads an arena of its own (11 after 20k health
    # checks): RSS then grew for a while after the start. main() limits them to two.
    channel = grpc.insecure_channel(plugin.address)
    backup = stubs.backup_grpc.BackupStub(channel)
    check = channel.unary_unary("/grpc.health.v1.Health/Check", **RAW)

    def calls(index):
        for _ in range(20):
            assert check(b"", timeout=30) == b"\x08\x01"
        assert backup.Backup(dry_run_request(stubs, f"-{index}"), timeout=30).metadata["state"] == "Planned"
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(calls, range(128)))
    channel.close()
    assert malloc_arenas(plugin.process.pid) == 1  # the one besides glibc's main arena


def mapped_libraries(pid):
    return {pathlib.Path(line.split()[-1]).name for line in pathlib.Path(f"/proc/{pid}/maps").read_text().splitlines()
            if line.split()[-1].startswith("/")}


def test_libcurl_is_loaded_by_the_first_transfer_not_at_start(stubs):
    # libcurl and its ~25 dependencies are opened by the first HTTP transfer: a serve that only
    # answers probes never maps them (issue 13's idle RSS).
    secrets = {f"CLICKHOUSE_BACKUP_PLUGIN_SECRET_S3_CREDENTIALS_{key}": "not-used" for key in ("ACCESSKEYID", "SECRETACCESSKEY")}
    plugin = Plugin(env=secrets)
    channel = grpc.insecure_channel(plugin.address)
    health = channel.unary_unary("/grpc.health.v1.Health/Check", **RAW)
    assert health(b"", timeout=5) is not None
    before = mapped_libraries(plugin.process.pid)
    assert not any(name.startswith(("libcurl", "libgnutls", "libkrb5", "libldap")) for name in before), sorted(before)
    backup = stubs.backup_grpc.BackupStub(channel)
    request = dry_run_request(stubs)
    del request.parameters["dry_run"]
    try:  # the demo CHI's hosts do not resolve here: the backup fails, after trying them over HTTP
        backup.Backup(request, timeout=60)
        raise AssertionError("the demo CHI's hosts answered")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.UNAVAILABLE, (error.code(), error.details())
    assert any(name.startswith("libcurl.so") for name in mapped_libraries(plugin.process.pid))
    assert health(b"", timeout=5) is not None
    channel.close()
    assert plugin.stop() == 0

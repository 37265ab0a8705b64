"""Reflection, health and identity through grpcurl (reflection v1alpha) and grpcio."""
import json
import signal
import threading

import grpc
import pytest

from conftest import Plugin, grpcurl

SERVICES = ["altinity.backup.v1.Backup", "altinity.backup.v1.BackupCatalog", "altinity.backup.v1.Operations", "altinity.identity.v1.Identity", "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]


def test_grpcurl_lists_every_service(plugin):
    rc, out, err = grpcurl(plugin.address, "list")
    assert rc == 0, err
    assert out.split() == SERVICES


def test_grpcurl_describes_the_contract_with_its_field_numbers(plugin):
    rc, out, err = grpcurl(plugin.address, "describe", "altinity.backup.v1.Backup")
    assert rc == 0, err
    assert "rpc Backup ( .altinity.backup.v1.BackupRequest ) returns ( .altinity.backup.v1.BackupResult );" in out
    assert "rpc Restore ( .altinity.backup.v1.RestoreRequest ) returns ( .altinity.backup.v1.RestoreResult );" in out
    rc, out, _ = grpcurl(plugin.address, "describe", "altinity.backup.v1.BackupRequest")
    assert rc == 0
    for line in ["bytes chi_definition = 1;", "bytes backup_definition = 2;", "map<string, string> parameters = 3;"]:
        assert line in out
    rc, out, _ = grpcurl(plugin.address, "describe", "altinity.backup.v1.BackupResult")
    for line in ["string backup_id = 1;", "string backup_name = 2;", "int64 started_at = 3;", "int64 stopped_at = 4;",
                 "map<string, string> metadata = 5;"]:
        assert line in out
    rc, out, err = grpcurl(plugin.address, "describe", "no.such.Symbol")
    assert rc != 0 and "Symbol not found" in err


def test_reflection_v1_through_grpcio(plugin):
    # grpcurl 1.8.6 speaks v1alpha; v1 is checked with a raw grpcio stream and hand-built bytes.
    channel = grpc.insecure_channel(plugin.address)
    call = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                 request_serializer=lambda b: b, response_deserializer=lambda b: b)
    list_services = b"\x3a\x01*"  # field 7 (list_services) = "*"
    responses = list(call(iter([list_services, list_services])))
    assert len(responses) == 2
    for name in SERVICES:
        assert name.encode() in responses[0]
    channel.close()


def test_health_check_per_service(plugin):
    rc, out, _ = grpcurl(plugin.address, "grpc.health.v1.Health/Check")
    assert rc == 0 and json.loads(out) == {"status": "SERVING"}
    rc, out, _ = grpcurl(plugin.address, "grpc.health.v1.Health/Check", data='{"service":"altinity.backup.v1.Backup"}')
    assert rc == 0 and json.loads(out) == {"status": "SERVING"}
    rc, out, err = grpcurl(plugin.address, "grpc.health.v1.Health/Check", data='{"service":"nope"}')
    assert rc == 64 + 5 and "unknown service nope" in err


def test_health_watch_reports_not_serving_at_shutdown_and_ends():
    plugin = Plugin()
    channel = grpc.insecure_channel(plugin.address)
    watch = channel.unary_stream("/grpc.health.v1.Health/Watch", request_serializer=lambda b: b,
                                 response_deserializer=lambda b: b)
    stream = watch(b"")
    assert next(stream) == b"\x08\x01"  # SERVING
    threading.Timer(0.2, plugin.process.send_signal, args=(signal.SIGTERM,)).start()
    rest = list(stream)  # NOT_SERVING, then the stream ends with OK when the plugin stops
    assert rest == [b"\x08\x02"]
    assert plugin.stop() == 0
    assert "msg=stopping" in plugin.log_text and "msg=stopped" in plugin.log_text
    channel.close()


def test_health_watch_unknown_service(plugin):
    channel = grpc.insecure_channel(plugin.address)
    watch = channel.unary_stream("/grpc.health.v1.Health/Watch", request_serializer=lambda b: b,
                                 response_deserializer=lambda b: b)
    stream = watch(b"\x0a\x04nope")
    assert next(stream) == b"\x08\x03"  # SERVICE_UNKNOWN
    stream.cancel()
    channel.close()


def test_identity(plugin, stubs):
    rc, out, _ = grpcurl(plugin.address, "altinity.identity.v1.Identity/GetPluginMetadata")
    metadata = json.loads(out)
    assert rc == 0
    assert metadata["name"] == "clickhouse.backup.altinity.com"
    assert set(metadata) == {"name", "version", "displayName", "description", "projectUrl", "repositoryUrl", "license",
                             "maturity", "vendor"}
    channel = grpc.insecure_channel(plugin.address)
    identity = stubs.identity_grpc.IdentityStub(channel)
    capabilities = identity.GetPluginCapabilities(stubs.identity.GetPluginCapabilitiesRequest())
    kinds = [stubs.identity.PluginCapability.Type.Name(c.type) for c in capabilities.capabilities]
    assert kinds == ["TYPE_BACKUP", "TYPE_RESTORE", "TYPE_DRY_RUN"]
    assert identity.Probe(stubs.identity.ProbeRequest()).ready is True
    channel.close()

"""TLS, mutual TLS (with certificate reload) and the bearer token on the gRPC port, with real
certificates made by openssl for each test run."""
import os
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import time

import grpc
import pytest

from conftest import Plugin, grpcurl_binary, plugin_binary


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class Certificates:
    """Two independent CAs; server and client leaf certificates under each on demand."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        for ca in ("ca", "other-ca"):
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(self.dir / f"{ca}.key"), "-out", str(self.dir / f"{ca}.pem"), "-days", "1",
                    "-subj", f"/CN={ca}")

    def leaf(self, name, ca="ca"):
        key, csr, pem, ext = (self.dir / f"{name}.{s}" for s in ("key", "csr", "pem", "ext"))
        ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:" + name + "\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
                "-out", str(csr), "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", str(csr), "-CA", str(self.dir / f"{ca}.pem"), "-CAkey", str(self.dir / f"{ca}.key"),
                "-set_serial", str(time.time_ns() % 10**12), "-out", str(pem), "-days", "1", "-extfile", str(ext))
        return pem, key

    def read(self, path):
        return pathlib.Path(path).read_bytes()


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return Certificates(tmp_path_factory.mktemp("certs"))


def health(address, credentials, metadata=()):
    """Health/Check over a fresh channel; returns the status code name."""
    channel = grpc.secure_channel(address, credentials) if credentials else grpc.insecure_channel(address)
    try:
        stub = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda _: b"",
                                   response_deserializer=lambda b: b)
        stub(None, timeout=5, metadata=metadata)
        return "OK"
    except grpc.RpcError as error:
        return error.code().name
    finally:
        channel.close()


def identity(address, credentials, stubs, metadata=()):
    channel = grpc.secure_channel(address, credentials) if credentials else grpc.insecure_channel(address)
    try:
        stubs.identity_grpc.IdentityStub(channel).GetPluginMetadata(stubs.identity.GetPluginMetadataRequest(),
                                                                    timeout=5, metadata=metadata)
        return "OK", ""
    except grpc.RpcError as error:
        return error.code().name, error.details()
    finally:
        channel.close()


def served_certificate(address, ca, client=None):
    """The DER certificate a new TLS connection is served (client cert for mTLS)."""
    host, port = address.rsplit(":", 1)
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    if client:
        context.load_cert_chain(*client)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def der(pem_path):
    return ssl.PEM_cert_to_DER_cert(pathlib.Path(pem_path).read_text())


def test_tls_serves_clients_that_trust_its_ca_only_and_probes_use_the_plaintext_health_port(certs, stubs):
    server = certs.leaf("server-tls")
    plugin = Plugin("--tls-cert", str(server[0]), "--tls-key", str(server[1]), "--health-listen", "127.0.0.1:0")
    try:
        assert "tls=tls" in plugin.log_text
        health_address = re.search(r"health_address=(\S+)", plugin.log_text).group(1)
        assert health(health_address, None) == "OK"  # what a Kubernetes gRPC probe does
        assert identity(health_address, None, stubs)[0] == "UNIMPLEMENTED"  # nothing else on that port
        trusted = grpc.ssl_channel_credentials(root_certificates=certs.read(certs.dir / "ca.pem"))
        assert health(plugin.address, trusted) == "OK"
        wrong_ca = grpc.ssl_channel_credentials(root_certificates=certs.read(certs.dir / "other-ca.pem"))
        assert health(plugin.address, wrong_ca) == "UNAVAILABLE"
        assert health(plugin.address, None) == "UNAVAILABLE"  # plaintext against a TLS port
    finally:
        plugin.stop()
    # the core's own handshake errors come through our log, one logfmt line each
    assert all(line.startswith("ts=") for line in plugin.log_text.splitlines())


def test_mutual_tls_refuses_no_certificate_and_a_foreign_ca(certs, stubs):
    server = certs.leaf("server-mtls")
    client = certs.leaf("client-good")
    foreign = certs.leaf("client-foreign", ca="other-ca")
    plugin = Plugin("--tls-cert", str(server[0]), "--tls-key", str(server[1]), "--tls-client-ca", str(certs.dir / "ca.pem"))
    ca = certs.read(certs.dir / "ca.pem")
    try:
        good = grpc.ssl_channel_credentials(root_certificates=ca, private_key=certs.read(client[1]),
                                            certificate_chain=certs.read(client[0]))
        assert identity(plugin.address, good, stubs) == ("OK", "")
        assert identity(plugin.address, grpc.ssl_channel_credentials(root_certificates=ca), stubs)[0] == "UNAVAILABLE"
        bad = grpc.ssl_channel_credentials(root_certificates=ca, private_key=certs.read(foreign[1]),
                                           certificate_chain=certs.read(foreign[0]))
        assert identity(plugin.address, bad, stubs)[0] == "UNAVAILABLE"
        # grpcurl, as people test with it
        port = plugin.address.rsplit(":", 1)[1]
        result = subprocess.run([grpcurl_binary(), "-cacert", str(certs.dir / "ca.pem"), "-cert", str(client[0]),
                                 "-key", str(client[1]), f"localhost:{port}", "grpc.health.v1.Health/Check"],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0 and '"SERVING"' in result.stdout, result.stderr
        result = subprocess.run([grpcurl_binary(), "-cacert", str(certs.dir / "ca.pem"), f"localhost:{port}",
                                 "grpc.health.v1.Health/Check"], capture_output=True, text=True, timeout=30)
        assert result.returncode != 0
    finally:
        plugin.stop()
    calls = [line for line in plugin.log_text.splitlines() if "msg=call" in line and "GetPluginMetadata" in line]
    assert len(calls) == 1 and "peer_identity=" in calls[0] and "code=OK" in calls[0]


def test_a_changed_certificate_is_served_to_new_connections_and_a_broken_one_is_not(certs, tmp_path):
    first = certs.leaf("server-first")
    second = certs.leaf("server-second")
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    shutil.copy(first[0], cert)
    shutil.copy(first[1], key)
    plugin = Plugin("--tls-cert", str(cert), "--tls-key", str(key))
    ca = str(certs.dir / "ca.pem")
    try:
        assert served_certificate(plugin.address, ca) == der(first[0])
        # a Kubernetes Secret update: new files, then the link swapped (here: renamed into place)
        for source, target in ((second[1], key), (second[0], cert)):
            shutil.copy(source, str(target) + ".new")
            os.replace(str(target) + ".new", target)
        assert served_certificate(plugin.address, ca) == der(second[0])
        assert "msg=\"tls certificate reloaded\"" in plugin.log_text
        cert.write_text("not a certificate\n")
        assert served_certificate(plugin.address, ca) == der(second[0])  # the previous one stays
        assert "tls certificate reload failed" in plugin.log_text
        # a half-done manual update: the first certificate back, the second's key still in place;
        # the core refuses the pair and keeps serving the last good one
        shutil.copy(first[0], cert)
        assert served_certificate(plugin.address, ca) == der(second[0])
        shutil.copy(first[1], key)  # the update completes
        assert served_certificate(plugin.address, ca) == der(first[0])
    finally:
        plugin.stop()


def test_unusable_tls_files_stop_the_start_with_a_clear_message(certs, tmp_path):
    server = certs.leaf("server-start")
    result = subprocess.run([plugin_binary(), "serve", "--listen", "127.0.0.1:0", "--tls-cert", str(tmp_path / "missing.pem"),
                             "--tls-key", str(server[1])], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "missing.pem" in result.stderr
    result = subprocess.run([plugin_binary(), "serve", "--listen", "127.0.0.1:0", "--tls-cert", str(server[0])],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 64 and "--tls-cert and --tls-key go together" in result.stderr


def test_the_bearer_token_guards_every_call_but_health_and_can_rotate(stubs, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cr3t-token-one\n")
    plugin = Plugin("--auth-token-file", str(token_file))
    try:
        assert identity(plugin.address, None, stubs) == (
            "UNAUTHENTICATED", "this server requires a bearer token: send the metadata 'authorization: Bearer <token>'")
        assert identity(plugin.address, None, stubs, [("authorization", "Bearer wrong")]) == (
            "UNAUTHENTICATED", "the bearer token is not valid")
        assert identity(plugin.address, None, stubs, [("authorization", "Basic czNjcjN0")])[0] == "UNAUTHENTICATED"
        assert identity(plugin.address, None, stubs, [("authorization", "Bearer s3cr3t-token-one")]) == ("OK", "")
        assert health(plugin.address, None) == "OK"  # probes need no token
        token_file.write_text("s3cr3t-token-two-longer\n")
        # The file is looked at once a second (not a stat per call): the new token within that.
        deadline = time.time() + 5
        while identity(plugin.address, None, stubs, [("authorization", "Bearer s3cr3t-token-two-longer")]) != ("OK", ""):
            assert time.time() < deadline, "the rotated token was not taken"
            time.sleep(0.1)
        assert identity(plugin.address, None, stubs, [("authorization", "Bearer s3cr3t-token-one")])[0] == "UNAUTHENTICATED"
    finally:
        plugin.stop()
    assert "s3cr3t" not in plugin.log_text
    assert "code=UNAUTHENTICATED" in plugin.log_text

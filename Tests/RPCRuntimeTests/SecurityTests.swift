import Foundation
import RPCRuntime
import Testing
#if canImport(Glibc)
import Glibc
import PluginSupport
#endif

extension RuntimeSuites {
@Suite struct SecurityTests {
    let observations = Observations()

    private func temporaryFile(_ contents: String) -> String {
        var template = Array("/tmp/rpcruntime-test-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        let path = String(cString: template)
        _ = contents.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        return path
    }

    @Test func theTokenIsCheckedOnEveryCallButExemptOnesAndTheEndIsReported() async throws {
        let tokenFile = temporaryFile("  expected-token \n")
        defer { unlink(tokenFile) }
        let authenticator = try BearerTokenAuthenticator(tokenFile: tokenFile, exemptPrefixes: ["/test.Test/Echo"])
        let ended = LockedState<[CallRecord]>([])
        let configuration = ServerConfiguration(address: "127.0.0.1:0", authenticate: { authenticator.check($0) },
                                                onEvent: { if case .callEnded(let call) = $0 { ended.withLock { $0.append(call) } } })
        let server = Server(configuration: configuration, services: [testService(observations)])
        let client = CoreTestClient(port: try server.start())
        let missing = await client.callOffPool("/test.Test/Fail", [])
        #expect(missing.code == StatusCode.unauthenticated.rawValue)
        let wrong = await client.callOffPool("/test.Test/Fail", [], metadata: [("authorization", "Bearer expected-tokem")])
        #expect(wrong.code == StatusCode.unauthenticated.rawValue && wrong.message == "the bearer token is not valid")
        let right = await client.callOffPool("/test.Test/Fail", [], metadata: [("authorization", "bearer expected-token")])
        #expect(right.code == StatusCode.failedPrecondition.rawValue)  // reached the handler, which fails on purpose
        let exempt = await client.callOffPool("/test.Test/Echo", Array("hi".utf8))
        #expect(exempt.code == 0)
        await server.shutdown(grace: .seconds(1))
        let records = ended.withLock { $0 }
        #expect(records.map(\.code) == [.unauthenticated, .unauthenticated, .failedPrecondition, .ok])
        #expect(records.allSatisfy { $0.service == "test.Test" } && records.last?.methodName == "Echo")
    }

    @Test func unusableTLSFilesStopTheStart() async throws {
        let notPEM = temporaryFile("hello")
        defer { unlink(notPEM) }
        for tls in [ServerTLS(certificateChainFile: "/nonexistent/cert.pem", privateKeyFile: notPEM),
                    ServerTLS(certificateChainFile: notPEM, privateKeyFile: notPEM)] {
            let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0", tls: tls), services: [])
            #expect(throws: RPCError.self) { try server.start() }
            await server.shutdown(grace: .zero)
        }
    }
}
}

/// TLS through the core's certificate fetcher, in process (so the sanitizer runs see the
/// fetcher called on core threads): served, refused without a client certificate, reloaded.
extension RuntimeSuites {
@Suite struct TLSTests {
    let observations = Observations()

    /// A CA and leaf certificates made by openssl in a fresh directory.
    final class Certificates {
        let directory: String

        init() throws {
            directory = "/tmp/rpcruntime-tls-\(UInt64.random(in: 0...UInt64.max))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "1", "-subj", "/CN=test-ca"])
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        func path(_ name: String) -> String { "\(directory)/\(name)" }
        func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

        /// `name.pem` and `name.key`, signed by the CA, valid for localhost.
        func leaf(_ name: String) throws {
            try "subjectAltName=DNS:localhost\n".write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
            try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path("\(name).key"),
                         "-out", path("\(name).csr"), "-subj", "/CN=\(name)"])
            try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                         "-set_serial", String(UInt32.random(in: 1...UInt32.max)), "-out", path("\(name).pem"), "-days", "1",
                         "-extfile", path("\(name).ext")])
        }

        /// Runs openssl through posix_spawn (Foundation's Process leaks a weak reference that
        /// LeakSanitizer reports in `make sanitize`).
        private func openssl(_ arguments: [String]) throws {
            let argv = (["openssl"] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            var pid = pid_t()
            guard posix_spawnp(&pid, "openssl", &actions, nil, argv, environ) == 0 else { throw RPCError(.internal, "cannot run openssl") }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            guard status == 0 else { throw RPCError(.internal, "openssl \(arguments[0]) failed") }
        }
    }

    @Test func servesRefusesWithoutAClientCertificateAndReloads() async throws {
        let certs = try Certificates()
        for name in ["first", "second", "client"] { try certs.leaf(name) }
        try FileManager.default.copyItem(atPath: certs.path("first.pem"), toPath: certs.path("tls.crt"))
        try FileManager.default.copyItem(atPath: certs.path("first.key"), toPath: certs.path("tls.key"))
        let events = LockedState<[String]>([])
        let configuration = ServerConfiguration(
            address: "127.0.0.1:0",
            tls: ServerTLS(certificateChainFile: certs.path("tls.crt"), privateKeyFile: certs.path("tls.key"), clientCAFile: certs.path("ca.pem")),
            onEvent: { event in
                if case .certificatesReloaded = event { events.withLock { $0.append("reloaded") } }
            })
        let server = Server(configuration: configuration, services: [testService(observations)])
        let port = try server.start()
        let root = try certs.read("ca.pem")
        let client = (certificate: try certs.read("client.pem"), key: try certs.read("client.key"))

        let served = await CoreTestClient(port: port, rootPEM: root, clientPEM: client).callOffPool("/test.Test/Echo", Array("hi".utf8), timeout: 5)
        #expect(served.code == 0 && served.messages == [Array("hi".utf8)])
        let anonymous = await CoreTestClient(port: port, rootPEM: root).callOffPool("/test.Test/Echo", [], timeout: 5)
        #expect(anonymous.code == StatusCode.unavailable.rawValue)
        let plaintext = await CoreTestClient(port: port).callOffPool("/test.Test/Echo", [], timeout: 5)
        #expect(plaintext.code == StatusCode.unavailable.rawValue)

        // Replace the files (as a Secret update does): the next handshake loads the new pair.
        for (source, target) in [("second.key", "tls.key"), ("second.pem", "tls.crt")] {
            try FileManager.default.removeItem(atPath: certs.path(target))
            try FileManager.default.copyItem(atPath: certs.path(source), toPath: certs.path(target))
        }
        let again = await CoreTestClient(port: port, rootPEM: root, clientPEM: client).callOffPool("/test.Test/Echo", [], timeout: 5)
        #expect(again.code == 0)
        #expect(events.withLock { $0 } == ["reloaded"])
        await server.shutdown(grace: .seconds(1))
        #expect(server.liveCalls == 0)
    }
}
}

import RPCRuntime
import Testing
#if canImport(Glibc)
import Glibc
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

import CGRPC
import RPCRuntime
import Testing

@Suite(.serialized) struct ServerTests {
    let observations = Observations()

    func withServer(maxReceive: Int = 1 << 20, _ body: (Server, CoreTestClient) throws -> Void) throws {
        let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0", maxReceiveMessageBytes: maxReceive),
                            services: [testService(observations)])
        let port = try server.start()
        do {
            let client = CoreTestClient(port: port)
            try body(server, client)
        }
        blocking { await server.shutdown(grace: .seconds(1)) }
        #expect(server.liveCalls == 0)
    }

    func text(_ reply: CoreTestClient.Reply) -> String? { reply.messages.first.map { String(decoding: $0, as: UTF8.self) } }

    @Test func unaryEchoAndEmptyMessages() throws {
        try withServer { _, client in
            let reply = client.call("/test.Test/Echo", Array("hello".utf8))
            #expect(reply.code == 0 && text(reply) == "hello")
            let empty = client.call("/test.Test/Echo", [])
            #expect(empty.code == 0 && empty.messages == [[]])
        }
    }

    @Test func unknownMethodsAreUnimplemented() throws {
        try withServer { _, client in
            let reply = client.call("/test.Test/Nope", [])
            #expect(reply.code == StatusCode.unimplemented.rawValue)
            #expect(reply.message == "unknown method /test.Test/Nope")
            #expect(client.call("/other.Service/Echo", []).code == StatusCode.unimplemented.rawValue)
        }
    }

    @Test func errorsCarryTheirCodeAndNeverTheirPayload() throws {
        try withServer { _, client in
            let failed = client.call("/test.Test/Fail", [])
            #expect(failed.code == StatusCode.failedPrecondition.rawValue && failed.message == "cluster not ready")
            let crashed = client.call("/test.Test/Crash", [])
            #expect(crashed.code == StatusCode.internal.rawValue && crashed.message == "internal error (Boom)")
        }
    }

    @Test func metadataAndDeadlinesReachHandlers() throws {
        try withServer { _, client in
            #expect(text(client.call("/test.Test/Metadata", Array("x-test".utf8), metadata: [("x-test", "value-1")])) == "value-1")
            #expect(text(client.call("/test.Test/Metadata", Array("x-absent".utf8))) == "<none>")
            #expect(text(client.call("/test.Test/Deadline", [], timeout: 5)) == "set")
            #expect(text(client.call("/test.Test/Deadline", [])) == "none")
        }
    }

    @Test func serverStreamingSendsEveryMessage() throws {
        try withServer { _, client in
            let reply = client.call("/test.Test/Count", Array("50".utf8), maxMessages: 100)
            #expect(reply.code == 0)
            #expect(reply.messages.map { String(decoding: $0, as: UTF8.self) } == (0..<50).map(String.init))
        }
    }

    @Test func aPassedDeadlineCancelsTheHandler() throws {
        try withServer { _, client in
            let reply = client.call("/test.Test/Slow", Array("60".utf8), timeout: 0.3)
            #expect(reply.code == StatusCode.deadlineExceeded.rawValue)
        }
        #expect(observations.count("slow-cancelled") == 1)
        #expect(observations.count("slow-finished") == 0)
    }

    @Test func clientCancellationCancelsTheHandler() throws {
        try withServer { _, client in
            let reply = client.call("/test.Test/Forever", [], cancelAfterMessages: 3, maxMessages: 100)
            #expect(reply.code == StatusCode.cancelled.rawValue)
            #expect(reply.messages.count == 3)
        }
        #expect(observations.count("forever-stopped") == 1)
    }

    @Test func oversizedRequestsAreRefused() throws {
        try withServer(maxReceive: 1024) { _, client in
            let reply = client.call("/test.Test/Echo", [UInt8](repeating: 7, count: 4096))
            #expect(reply.code == StatusCode.resourceExhausted.rawValue)
            #expect(client.call("/test.Test/Echo", [UInt8](repeating: 7, count: 512)).code == 0)
        }
    }

    @Test func shutdownLetsCallsFinishWithinTheGracePeriod() throws {
        let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0"), services: [testService(observations)])
        let port = try server.start()
        let client = CoreTestClient(port: port)
        let stopping = Task.detached {
            try await Task.sleep(for: .milliseconds(200))
            await server.shutdown(grace: .seconds(5))
        }
        let reply = client.call("/test.Test/Slow", Array("1".utf8))
        #expect(reply.code == 0 && text(reply) == "done")
        _ = blocking { try? await stopping.value }
        #expect(observations.events == ["slow-finished"])
        // Stopped: new calls cannot connect.
        #expect(client.call("/test.Test/Echo", [], timeout: 1).code == StatusCode.unavailable.rawValue)
    }

    @Test func shutdownCancelsCallsThatOutliveTheGracePeriod() throws {
        let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0"), services: [testService(observations)])
        let port = try server.start()
        let client = CoreTestClient(port: port)
        let clock = ContinuousClock()
        let started = clock.now
        let stopping = Task.detached {
            try await Task.sleep(for: .milliseconds(200))
            await server.shutdown(grace: .milliseconds(300))
        }
        let reply = client.call("/test.Test/Slow", Array("60".utf8))
        _ = blocking { try? await stopping.value }
        #expect(reply.code == StatusCode.cancelled.rawValue || reply.code == StatusCode.unavailable.rawValue)
        #expect(clock.now - started < .seconds(5))
        #expect(observations.events == ["slow-cancelled"])
        #expect(server.liveCalls == 0)
        blocking { await server.shutdown(grace: .zero) }  // a second shutdown returns at once
    }

    @Test func lifecycleMisuseAndBusyPorts() throws {
        let first = Server(configuration: ServerConfiguration(address: "127.0.0.1:0"), services: [])
        let port = try first.start()
        #expect(throws: RPCError(.failedPrecondition, "the server was already started")) { try first.start() }
        let second = Server(configuration: ServerConfiguration(address: "127.0.0.1:\(port)"), services: [])
        #expect(throws: RPCError(.unavailable, "cannot listen on 127.0.0.1:\(port)")) { try second.start() }
        blocking { await first.shutdown(grace: .zero) }
        #expect(throws: RPCError.self) { try first.start() }
    }
}

import CGRPC
import RPCRuntime
import Testing

extension RuntimeSuites {
@Suite struct ServerTests {
    let observations = Observations()

    func withServer(maxReceive: Int = 1 << 20, _ body: (Server, CoreTestClient) async throws -> Void) async throws {
        let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0", maxReceiveMessageBytes: maxReceive),
                            services: [testService(observations)])
        let port = try server.start()
        try await body(server, CoreTestClient(port: port))
        await server.shutdown(grace: .seconds(1))
        #expect(server.liveCalls == 0)
    }

    func text(_ reply: CoreTestClient.Reply) -> String? { reply.messages.first.map { String(decoding: $0, as: UTF8.self) } }

    @Test func unaryEchoAndEmptyMessages() async throws {
        try await withServer { _, client in
            let reply = await client.callOffPool("/test.Test/Echo", Array("hello".utf8))
            #expect(reply.code == 0 && text(reply) == "hello")
            let empty = await client.callOffPool("/test.Test/Echo", [])
            #expect(empty.code == 0 && empty.messages == [[]])
        }
    }

    /// Immediate handlers answer on the polling thread, message and status and close in one
    /// batch: the answer, the mapped errors and a missing request behave as for `.unary`.
    @Test func immediateHandlersAnswerAndMapErrors() async throws {
        try await withServer { _, client in
            let reply = await client.callOffPool("/test.Test/EchoNow", Array("hello".utf8))
            #expect(reply.code == 0 && text(reply) == "/test.Test/EchoNow hello")
            let notFound = await client.callOffPool("/test.Test/FailNow", Array("x.Y".utf8))
            #expect(notFound.code == StatusCode.notFound.rawValue && notFound.message == "unknown service x.Y")
            let crashed = await client.callOffPool("/test.Test/FailNow", [])
            #expect(crashed.code == StatusCode.internal.rawValue && crashed.message == "internal error (Boom)")
            let missing = await client.callOffPool("/test.Test/EchoNow", nil)
            #expect(missing.code == StatusCode.invalidArgument.rawValue && missing.message == "the call carried no request message")
            let calls = await client.offPool { client in
                (0..<200).map { client.call("/test.Test/EchoNow", [UInt8($0 & 0xFF)]).messages.first?.last }
            }
            #expect(calls == (0..<200).map { UInt8($0 & 0xFF) })
        }
    }

    /// The polling thread answers one call at a time alone; while calls overlap the helper
    /// polls too (alone at 64 calls in flight, p99 was 1.3x-1.6x gRPC C++'s).
    @Test func theHelperPollsOnlyWhileCallsOverlap() async throws {
        try await withServer { _, client in
            @Sendable func threads(_ client: CoreTestClient, _ calls: Int, holding milliseconds: Int) -> [String] {
                (0..<calls).compactMap { _ in
                    client.call("/test.Test/ThreadNow", Array("\(milliseconds)".utf8)).messages.first.map { String(decoding: $0, as: UTF8.self) }
                }
            }
            #expect(Set(await client.offPool { threads($0, 300, holding: 0) }) == ["grpc poll"])
            // A slow call stays live meanwhile, so every other call overlaps one; each call
            // holds the thread that answers it for 2 ms, so the others need the second poller.
            let slow = Task { await client.callOffPool("/test.Test/Slow", Array("2".utf8)) }
            try await Task.sleep(for: .milliseconds(100))
            let port = client.port
            let seen = await withTaskGroup(of: [String].self) { group in
                for _ in 0..<8 { group.addTask { await CoreTestClient(port: port).offPool { threads($0, 50, holding: 2) } } }
                return await group.reduce(into: Set<String>()) { $0.formUnion($1) }
            }
            #expect(seen == ["grpc poll", "grpc poll help"])
            #expect(await slow.value.code == 0)
        }
    }

    @Test func unknownMethodsAreUnimplemented() async throws {
        try await withServer { _, client in
            let reply = await client.callOffPool("/test.Test/Nope", [])
            #expect(reply.code == StatusCode.unimplemented.rawValue)
            #expect(reply.message == "unknown method /test.Test/Nope")
            #expect(await client.callOffPool("/other.Service/Echo", []).code == StatusCode.unimplemented.rawValue)
        }
    }

    /// A unary call's request is read by the core with the call (registered methods): a call
    /// that half-closes without one is refused, for unary and server-streaming methods alike.
    @Test func aCallWithoutItsRequestMessageIsRefused() async throws {
        try await withServer { _, client in
            for method in ["/test.Test/Echo", "/test.Test/Count"] {
                let reply = await client.callOffPool(method, nil)
                #expect(reply.code == StatusCode.invalidArgument.rawValue && reply.message == "the call carried no request message", "\(method)")
            }
            #expect(await client.callOffPool("/test.Test/Echo", Array("back".utf8)).messages == [Array("back".utf8)])
        }
    }

    @Test func errorsCarryTheirCodeAndNeverTheirPayload() async throws {
        try await withServer { _, client in
            let failed = await client.callOffPool("/test.Test/Fail", [])
            #expect(failed.code == StatusCode.failedPrecondition.rawValue && failed.message == "cluster not ready")
            let crashed = await client.callOffPool("/test.Test/Crash", [])
            #expect(crashed.code == StatusCode.internal.rawValue && crashed.message == "internal error (Boom)")
        }
    }

    @Test func metadataAndDeadlinesReachHandlers() async throws {
        try await withServer { _, client in
            #expect(text(await client.callOffPool("/test.Test/Metadata", Array("x-test".utf8), metadata: [("x-test", "value-1")])) == "value-1")
            #expect(text(await client.callOffPool("/test.Test/Metadata", Array("x-absent".utf8))) == "<none>")
            #expect(text(await client.callOffPool("/test.Test/Deadline", [], timeout: 5)) == "set")
            #expect(text(await client.callOffPool("/test.Test/Deadline", [])) == "none")
        }
    }

    @Test func serverStreamingSendsEveryMessage() async throws {
        try await withServer { _, client in
            let reply = await client.callOffPool("/test.Test/Count", Array("50".utf8), maxMessages: 100)
            #expect(reply.code == 0)
            #expect(reply.messages.map { String(decoding: $0, as: UTF8.self) } == (0..<50).map(String.init))
        }
    }

    @Test func aPassedDeadlineCancelsTheHandler() async throws {
        try await withServer { _, client in
            let reply = await client.callOffPool("/test.Test/Slow", Array("60".utf8), timeout: 0.3)
            #expect(reply.code == StatusCode.deadlineExceeded.rawValue)
        }
        #expect(observations.count("slow-cancelled") == 1)
        #expect(observations.count("slow-finished") == 0)
    }

    @Test func clientCancellationCancelsTheHandler() async throws {
        try await withServer { _, client in
            let reply = await client.callOffPool("/test.Test/Forever", [], cancelAfterMessages: 3, maxMessages: 100)
            #expect(reply.code == StatusCode.cancelled.rawValue)
            #expect(reply.messages.count == 3)
        }
        #expect(observations.count("forever-stopped") == 1)
    }

    @Test func oversizedRequestsAreRefused() async throws {
        try await withServer(maxReceive: 1024) { _, client in
            let reply = await client.callOffPool("/test.Test/Echo", [UInt8](repeating: 7, count: 4096))
            #expect(reply.code == StatusCode.resourceExhausted.rawValue)
            #expect(await client.callOffPool("/test.Test/Echo", [UInt8](repeating: 7, count: 512)).code == 0)
        }
    }

    @Test func shutdownLetsCallsFinishWithinTheGracePeriod() async throws {
        let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0"), services: [testService(observations)])
        let port = try server.start()
        let client = CoreTestClient(port: port)
        let stopping = Task.detached {
            try await Task.sleep(for: .milliseconds(200))
            await server.shutdown(grace: .seconds(5))
        }
        let reply = await client.callOffPool("/test.Test/Slow", Array("1".utf8))
        #expect(reply.code == 0 && text(reply) == "done")
        _ = try? await stopping.value
        #expect(observations.events == ["slow-finished"])
        // Stopped: new calls cannot connect.
        #expect(await client.callOffPool("/test.Test/Echo", [], timeout: 1).code == StatusCode.unavailable.rawValue)
    }

    @Test func shutdownCancelsCallsThatOutliveTheGracePeriod() async throws {
        let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0"), services: [testService(observations)])
        let port = try server.start()
        let client = CoreTestClient(port: port)
        let clock = ContinuousClock()
        let started = clock.now
        let stopping = Task.detached {
            try await Task.sleep(for: .milliseconds(200))
            await server.shutdown(grace: .milliseconds(300))
        }
        let reply = await client.callOffPool("/test.Test/Slow", Array("60".utf8))
        _ = try? await stopping.value
        #expect(reply.code == StatusCode.cancelled.rawValue || reply.code == StatusCode.unavailable.rawValue)
        #expect(clock.now - started < .seconds(5))
        #expect(observations.events == ["slow-cancelled"])
        #expect(server.liveCalls == 0)
        await server.shutdown(grace: .zero)  // a second shutdown returns at once
    }

    @Test func lifecycleMisuseAndBusyPorts() async throws {
        let first = Server(configuration: ServerConfiguration(address: "127.0.0.1:0"), services: [])
        let port = try first.start()
        #expect(throws: RPCError(.failedPrecondition, "the server was already started")) { try first.start() }
        let second = Server(configuration: ServerConfiguration(address: "127.0.0.1:\(port)"), services: [])
        #expect(throws: RPCError(.unavailable, "cannot listen on 127.0.0.1:\(port)")) { try second.start() }
        await first.shutdown(grace: .zero)
        #expect(throws: RPCError.self) { try first.start() }
    }
}
}

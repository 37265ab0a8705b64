import Foundation
import PluginSupport
@testable import RPCRuntime
import Testing

/// Issue 13's C-boundary defects, each with the test that shows it.
extension RuntimeSuites {
@Suite struct BoundaryDefectTests {
    /// The right token followed by 256 NUL bytes compared equal: the length difference was
    /// folded into a byte.
    @Test func tokenLengthsAreComparedAsLengths() {
        let token = Array("expected-token".utf8)
        #expect(BearerTokenAuthenticator.equal(token, token))
        #expect(!BearerTokenAuthenticator.equal(token + [UInt8](repeating: 0, count: 256), token))
        #expect(!BearerTokenAuthenticator.equal(token, token + [UInt8](repeating: 0, count: 512)))
        #expect(!BearerTokenAuthenticator.equal(Array("expected-tokem".utf8), token))
    }

    /// When the polling thread cannot start, the start undoes everything: no grpc_init left
    /// held, the server is stopped (a second start says so instead of trying again).
    @Test func aStartWhosePollingFailsLeavesNothingHeld() async throws {
        let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0"), services: [],
                            startPolling: { _ in throw RPCError(.internal, "no thread for you") })
        #expect(throws: RPCError(.internal, "no thread for you")) { try server.start() }
        #expect(!server.holdsCore.withLock { $0 })
        #expect(throws: RPCError(.failedPrecondition, "the server was already started")) { try server.start() }
        await server.shutdown(grace: .zero)
    }

    /// A batch the core refuses gives its tag back; the buffer the batch was to send goes
    /// with it (it was left allocated).
    @Test func aRefusedBatchFreesItsBuffer() {
        let freed = LockedState(false)
        do {
            let buffer = OwnedByteBuffer(copying: Array("the last message".utf8), onFree: { freed.withLock { $0 = true } })
            let tag = CompletionTag { _ in _ = buffer }.retainedPointer()
            CompletionTag.releaseUnused(tag)  // what startBatch does when grpc_call_start_batch refuses
        }
        #expect(freed.withLock { $0 })
    }

    /// A handler that ignores cancellation held SIGTERM forever (the drain had no bound).
    /// Now shutdown returns after the grace period, says which calls are held, and tears the
    /// core down once they let go.
    @Test func shutdownIsBoundedByAHandlerThatHoldsOn() async throws {
        let release = LockedState<CheckedContinuation<Void, Never>?>(nil)
        let entered = LockedState(false)
        let left = LockedState<[String]>([])
        let stubborn = ServiceDefinition(name: "test.Stubborn", methods: [
            "Hold": .unary { _, _ in
                await withCheckedContinuation { continuation in
                    release.withLock { $0 = continuation }
                    entered.withLock { $0 = true }
                }
                return []
            },
        ])
        let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0",
                                                               onEvent: { if case .shutdownLeftCalls(let calls) = $0 { left.withLock { $0 = calls } } }),
                            services: [stubborn])
        let client = CoreTestClient(port: try server.start())
        let call = Task { await client.callOffPool("/test.Stubborn/Hold", [], timeout: 30) }
        while !entered.withLock({ $0 }) { await Task.yield() }
        let clock = ContinuousClock()
        let started = clock.now
        await server.shutdown(grace: .milliseconds(200))
        #expect(clock.now - started < .seconds(5))
        #expect(left.withLock { $0 } == ["/test.Stubborn/Hold x1"])
        #expect(server.holdsCore.withLock { $0 })  // not torn down under a live call
        release.withLock { $0 }?.resume()
        _ = await call.value
        while server.holdsCore.withLock({ $0 }) { await Task.yield() }  // torn down once it let go
    }
}
}

import RPCRuntime
import Testing
@testable import BackupService
import PluginSupport

/// One run per backup id in a process: joining, leaving, and cancel_on_abort.
@Suite struct RunningOperationsTests {
    typealias RunResult = OperationRunner.RunResult

    /// A run that ends when `release()` is called (or is cancelled), counting how often it ran.
    final class Gate: Sendable {
        let runs = LockedState(0)
        let cancelled = LockedState(false)
        private let released = LockedState(false)

        func release() { released.withLock { $0 = true } }

        func body() async throws -> RunResult {
            runs.withLock { $0 += 1 }
            do {
                while !released.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
            } catch {
                cancelled.withLock { $0 = true }
                throw error
            }
            return RunResult(metadata: ["state": "Completed"], startedAt: 1, stoppedAt: 2)
        }
    }

    @Test func callsForOneIDShareOneRunAndJoinersSayReused() async throws {
        let registry = RunningOperations()
        let gate = Gate()
        async let first = registry.run(id: "a", cancelOnAbort: false) { try await gate.body() }
        try await Task.sleep(for: .milliseconds(20))
        async let second = registry.run(id: "a", cancelOnAbort: false) { try await gate.body() }
        try await Task.sleep(for: .milliseconds(20))
        gate.release()
        let (one, two) = try await (first, second)
        #expect(gate.runs.withLock { $0 } == 1)
        #expect(one.metadata["reused"] == nil && two.metadata["reused"] == "true")
        #expect(registry.count == 0)
    }

    @Test func aCallerThatLeavesDoesNotStopTheRun() async throws {
        let registry = RunningOperations()
        let gate = Gate()
        let caller = Task { try await registry.run(id: "b", cancelOnAbort: false) { try await gate.body() } }
        try await Task.sleep(for: .milliseconds(20))
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(registry.count == 1 && !gate.cancelled.withLock { $0 })
        let later = Task { try await registry.run(id: "b", cancelOnAbort: false) { try await gate.body() } }
        try await Task.sleep(for: .milliseconds(20))  // joined before the run ends
        gate.release()
        #expect(try await later.value.metadata["reused"] == "true")
        #expect(gate.runs.withLock { $0 } == 1)
    }

    @Test func cancelOnAbortStopsTheRun() async throws {
        let registry = RunningOperations()
        let gate = Gate()
        let caller = Task { try await registry.run(id: "c", cancelOnAbort: true) { try await gate.body() } }
        try await Task.sleep(for: .milliseconds(20))
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        for _ in 0..<200 where registry.count > 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(gate.cancelled.withLock { $0 } && registry.count == 0)
    }
}

import RPCRuntime
import PluginSupport

/// Backups running in this process, by backup id. A second call for a backup that is running
/// waits for the same run instead of starting anything, and a call that goes away (client
/// cancel, deadline) stops waiting without stopping the run, unless it asked for
/// `cancel_on_abort`: the run then finishes and records its manifest on its own.
final class RunningOperations: Sendable {
    typealias RunResult = OperationRunner.RunResult
    private let entries = LockedState<[String: Entry]>([:])

    init() {}

    /// Runs `body` for `id`, or joins the run already going. A joining call's result says
    /// `reused = true`.
    func run(id: String, cancelOnAbort: Bool, _ body: @escaping @Sendable () async throws -> RunResult) async throws -> RunResult {
        let registry = entries
        let (entry, joined) = registry.withLock { map -> (Entry, Bool) in
            if let entry = map[id] { return (entry, true) }
            let entry = Entry()
            map[id] = entry
            // The task removes its entry when it ends; it cannot get the lock before this returns.
            entry.start(Task {
                let result = await Result { try await body() }
                registry.withLock { $0[id] = nil }
                entry.finish(result)
                return try result.get()
            })
            return (entry, false)
        }
        var result = try await entry.wait(cancelOnAbort: cancelOnAbort)
        if joined { result.metadata["reused"] = "true" }
        return result
    }

    /// How many runs are going (for tests and shutdown).
    var count: Int { entries.withLock { $0.count } }

    private final class Entry: Sendable {
        private enum State { case running([Waiter]), done(Result<RunResult, Error>) }
        private let state = LockedState<State>(.running([]))
        private let task = LockedState<Task<RunResult, Error>?>(nil)

        func start(_ task: Task<RunResult, Error>) { self.task.withLock { $0 = task } }

        func finish(_ result: Result<RunResult, Error>) {
            let waiters = state.withLock { state -> [Waiter] in
                guard case .running(let waiters) = state else { return [] }
                state = .done(result)
                return waiters
            }
            for waiter in waiters { waiter.resolve(result) }
        }

        func wait(cancelOnAbort: Bool) async throws -> RunResult {
            let waiter = Waiter()
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    waiter.attach(continuation)
                    let finished = state.withLock { state -> Result<RunResult, Error>? in
                        switch state {
                        case .running(let waiters): state = .running(waiters + [waiter]); return nil
                        case .done(let result): return result
                        }
                    }
                    if let finished { waiter.resolve(finished) }
                }
            } onCancel: {
                waiter.resolve(.failure(CancellationError()))
                if cancelOnAbort { task.withLock { $0 }?.cancel() }
            }
        }
    }

    /// One waiting call: resumed exactly once, by the run's end or by its own cancellation,
    /// whichever comes first (either may also come before the continuation exists).
    private final class Waiter: Sendable {
        private enum State { case empty, waiting(CheckedContinuation<RunResult, Error>), resolved(Result<RunResult, Error>), done }
        private let state = LockedState<State>(.empty)

        func attach(_ continuation: CheckedContinuation<RunResult, Error>) {
            let early = state.withLock { state -> Result<RunResult, Error>? in
                if case .resolved(let result) = state { state = .done; return result }
                state = .waiting(continuation)
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        func resolve(_ result: Result<RunResult, Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<RunResult, Error>? in
                switch state {
                case .empty: state = .resolved(result); return nil
                case .waiting(let continuation): state = .done; return continuation
                case .resolved, .done: return nil
                }
            }
            continuation?.resume(with: result)
        }
    }
}

/// Work that goes on after the call that started it has answered (a webhook delivery, a
/// backup's catalog-index update), kept so that the process can wait for it before it exits:
/// a one-shot command exits right after its answer, and a request still in flight then meets
/// a torn-down libcurl.
public final class BackgroundTasks: Sendable {
    private let inFlight = LockedState<(tasks: [Int: Task<Void, Never>], next: Int)>(([:], 0))

    public init() {}

    /// Starts `work` on a task of its own and returns at once.
    public func start(_ work: @escaping @Sendable () async -> Void) {
        // Created under the lock, so the task's own removal (same lock) comes after its insertion.
        inFlight.withLock { inFlight in
            inFlight.next += 1
            let id = inFlight.next
            inFlight.tasks[id] = Task { [weak self] in
                await work()
                _ = self?.inFlight.withLock { $0.tasks.removeValue(forKey: id) }
            }
        }
    }

    /// How many are under way.
    public var count: Int { inFlight.withLock { $0.tasks.count } }

    /// Waits for the work under way, at most `timeout`; cancels what is left then (and still
    /// waits for it to end: cancelled HTTP requests end within milliseconds).
    public func drain(timeout: Duration) async {
        let tasks = inFlight.withLock { Array($0.tasks.values) }
        guard !tasks.isEmpty else { return }
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { tasks.forEach { $0.cancel() } }
        }
        for task in tasks { await task.value }
        watchdog.cancel()
    }
}

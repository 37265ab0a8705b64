import PluginSupport
/// A one-way gate: tasks wait until it opens; once open it stays open.
/// Waiting is cancellation-aware, so a timed wait can race it against a sleep.
final class Latch: Sendable {
    private struct State {
        var isOpen = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = LockedState(State())

    var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Opens the gate and wakes every waiter.
    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.isOpen else { return [] }
            state.isOpen = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the gate opens or the task is cancelled.
    func wait() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.isOpen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    /// Waits until the gate opens or `timeout` passes.
    /// - Returns: true when the gate opened in time.
    func wait(timeout: Duration) async -> Bool {
        if isOpen { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.wait(); return self.isOpen }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return self.isOpen
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || isOpen
        }
    }
}

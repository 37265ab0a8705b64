import PluginSupport

/// Counts live calls (a call is live until its last tag is delivered and its handler has
/// returned: the moment its owner object is freed), by method. Shutdown waits for zero before
/// it shuts the completion queue down, because starting a batch on a shut-down queue aborts;
/// the wait is bounded, and what was still held is reported.
final class CallTracker: Sendable {
    private struct State {
        /// By route (``CallRecord/route``; 0 for calls to no registered method): its method and live count.
        var live: [Int: (method: String, count: Int)] = [:]
        var count = 0
        var drained: Latch?
    }
    private let state = LockedState(State())

    var liveCalls: Int { state.withLock { $0.count } }

    func callStarted(_ route: Int, _ method: String) {
        state.withLock { state in
            state.live[route, default: (route == 0 ? "(unregistered methods)" : method, 0)].count += 1
            state.count += 1
        }
    }

    func callEnded(_ route: Int) {
        let latch = state.withLock { state -> Latch? in
            state.live[route]?.count -= 1
            if state.live[route]?.count == 0 { state.live[route] = nil }
            state.count -= 1
            return state.count == 0 ? state.drained : nil
        }
        latch?.open()
    }

    /// Waits until no call is live (no timer: a far deadline would outlive the process).
    func waitUntilDrained() async {
        let latch = state.withLock { state -> Latch? in
            if state.count == 0 { return nil }
            if state.drained == nil { state.drained = Latch() }
            return state.drained
        }
        await latch?.wait()
    }

    /// Waits until no call is live, at most `timeout`.
    /// - Returns: the calls still held then, as `method x count` (empty when drained).
    func waitUntilDrained(timeout: Duration) async -> [String] {
        let latch = state.withLock { state -> Latch? in
            if state.count == 0 { return nil }
            if state.drained == nil { state.drained = Latch() }
            return state.drained
        }
        guard let latch, await !latch.wait(timeout: timeout) else { return [] }
        return state.withLock { $0.live.values.sorted { $0.method < $1.method }.map { "\($0.method) x\($0.count)" } }
    }
}

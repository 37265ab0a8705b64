import PluginSupport

/// Counts live calls (a call is live until its last tag is delivered and its handler has
/// returned: the moment its owner object is freed), by method. Shutdown waits for zero before
/// it shuts the completion queue down, because starting a batch on a shut-down queue aborts;
/// the wait is bounded, and what was still held is reported.
final class CallTracker: Sendable {
    /// One method's live calls. Each registered method holds its own, so counting a call
    /// looks nothing up; guarded by the tracker's lock.
    final class Counter: @unchecked Sendable {
        let method: String
        fileprivate var live = 0
        init(method: String) { self.method = method }
    }

    private struct State {
        var counters: [Counter] = []
        var count = 0
        var drained: Latch?
    }
    private let state = LockedState(State())
    /// Calls to methods nobody registered.
    let unregistered: Counter

    init() {
        unregistered = Counter(method: "(unregistered methods)")
        state.withLock { $0.counters.append(unregistered) }
    }

    /// A counter for `method`'s calls (once per registered method).
    func counter(for method: String) -> Counter {
        let counter = Counter(method: method)
        state.withLock { $0.counters.append(counter) }
        return counter
    }

    var liveCalls: Int { state.withLock { $0.count } }

    func callStarted(_ counter: Counter) {
        state.withLock { state in
            counter.live += 1
            state.count += 1
        }
    }

    func callEnded(_ counter: Counter) {
        let latch = state.withLock { state -> Latch? in
            counter.live -= 1
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
        return state.withLock { state in
            state.counters.filter { $0.live > 0 }.sorted { $0.method < $1.method }.map { "\($0.method) x\($0.live)" }
        }
    }
}

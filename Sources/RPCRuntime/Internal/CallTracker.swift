import PluginSupport
/// Counts live calls (a call is live until its last tag is delivered and its handler has
/// returned: the moment its owner object is freed). Shutdown waits for zero before it
/// shuts the completion queue down, because starting a batch on a shut-down queue aborts.
final class CallTracker: Sendable {
    private struct State {
        var live = 0
        var drained: Latch?
    }
    private let state = LockedState(State())

    var liveCalls: Int { state.withLock { $0.live } }

    func callStarted() { state.withLock { $0.live += 1 } }

    func callEnded() {
        let latch = state.withLock { state -> Latch? in
            state.live -= 1
            return state.live == 0 ? state.drained : nil
        }
        latch?.open()
    }

    /// Waits until no call is live.
    func waitUntilDrained() async {
        let latch = state.withLock { state -> Latch? in
            if state.live == 0 { return nil }
            if state.drained == nil { state.drained = Latch() }
            return state.drained
        }
        await latch?.wait()
    }
}

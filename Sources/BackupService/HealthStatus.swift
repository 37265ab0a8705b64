import BackupProtocol
import RPCRuntime
import PluginSupport

/// Serving status per service name ("" is the server as a whole), with watchers.
/// Shared by the Health service, Identity's Probe, and the process's shutdown.
public final class HealthStatus: Sendable {
    public typealias Status = HealthCheckResponse.ServingStatus

    private struct Watcher {
        let service: String
        let continuation: AsyncStream<Status>.Continuation
    }

    private struct State {
        var statuses: [String: Status]
        var watchers: [Int: Watcher] = [:]
        var nextID = 0
    }

    private let state: LockedState<State>

    /// - Parameter services: the services served; each, and "", start SERVING.
    public init(services: [String]) {
        var statuses: [String: Status] = ["": .serving]
        for service in services { statuses[service] = .serving }
        state = LockedState(State(statuses: statuses))
    }

    /// The status of `service`, or nil when it is not known.
    public func status(of service: String) -> Status? { state.withLock { $0.statuses[service] } }

    /// Sets every known service's status and tells the watchers.
    public func setAll(_ status: Status) {
        let notify = state.withLock { state -> [Watcher] in
            for key in state.statuses.keys { state.statuses[key] = status }
            return Array(state.watchers.values)
        }
        for watcher in notify { watcher.continuation.yield(status) }
    }

    /// Ends every watch stream (at shutdown, so Watch calls do not hold the server open).
    public func finishWatchers() {
        let all = state.withLock { state -> [Watcher] in
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in all { watcher.continuation.finish() }
    }

    /// The current status of `service` (SERVICE_UNKNOWN when unknown), then every change.
    public func updates(for service: String) -> AsyncStream<Status> {
        let (stream, continuation) = AsyncStream.makeStream(of: Status.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> Int in
            state.nextID += 1
            state.watchers[state.nextID] = Watcher(service: service, continuation: continuation)
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }
}

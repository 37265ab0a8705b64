import BackupDomain
import BackupProtocol
import RPCRuntime
import PluginSupport

/// The Backup and Restore runs of this process, newest last, at most `capacity` kept: what
/// GetOperation, ListOperations, WatchOperation and CancelOperation answer from.
public final class OperationRegistry: Sendable {
    private struct Entry {
        var operation: Operation
        var watchers: [Int: AsyncStream<Operation>.Continuation] = [:]
        var cancel: (@Sendable () -> Void)?
        var cancelRequested = false
    }

    private struct State {
        var order: [String] = []
        var entries: [String: Entry] = [:]
        var nextWatcher = 0
    }

    private let state = LockedState(State())
    private let capacity: Int

    public init(capacity: Int = 100) { self.capacity = capacity }

    /// Where an operation of this process is: `BACKUP_RUNNING`, `RESTORE_COMPLETED`, ... on the wire.
    enum Phase: String, CaseIterable {
        case running = "RUNNING", completed = "COMPLETED", failed = "FAILED", cancelled = "CANCELLED"

        /// The wire state for an operation of `kind`.
        func state(_ kind: OperationParameters.Operation) -> String { "\(kind.rawValue.uppercased())_\(rawValue)" }
    }

    static func isTerminal(_ state: String) -> Bool { !state.hasSuffix("_" + Phase.running.rawValue) }

    /// Runs `body` as the operation `plan` describes, recorded from start to end. A cancelled
    /// caller cancels the run (callers that must not, such as a backup's waiters, run this
    /// inside a task of their own).
    func track(_ plan: OperationPlan, startedAt: Int64, now: @escaping @Sendable () -> Int64,
               _ body: @escaping @Sendable (OperationTracker) async throws -> OperationRunner.RunResult) async throws -> OperationRunner.RunResult {
        let id = plan.id
        let tracker = OperationTracker(registry: self, id: id)
        let task = Task { try await body(tracker) }
        state.withLock { state in
            if state.entries[id] == nil { state.order.append(id) }
            state.entries[id] = Entry(operation: Operation(operationID: id, kind: plan.operation.rawValue, name: plan.name,
                                                           chi: "\(plan.chi.namespace)/\(plan.chi.name)", state: Phase.running.state(plan.operation),
                                                           startedAt: startedAt),
                                      cancel: { task.cancel() })
            while state.order.count > capacity, let oldest = state.order.first,
                  state.entries[oldest].map({ Self.isTerminal($0.operation.state) }) ?? true {
                state.order.removeFirst()
                state.entries[oldest] = nil
            }
        }
        do {
            let result = try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
            finish(id, state: Phase.completed.state(plan.operation), stoppedAt: now(), error: "")
            return result
        } catch {
            let cancelled = error is CancellationError || ErrorMap.rpcError(error).code == .cancelled || tracker.cancelRequested
            finish(id, state: (cancelled ? Phase.cancelled : .failed).state(plan.operation), stoppedAt: now(),
                   error: cancelled ? "cancelled" : ErrorMap.rpcError(error).message)
            throw error
        }
    }

    func update(_ id: String, _ change: (inout Operation) -> Void) {
        let (snapshot, watchers) = state.withLock { state -> (Operation?, [AsyncStream<Operation>.Continuation]) in
            guard var entry = state.entries[id] else { return (nil, []) }
            change(&entry.operation)
            state.entries[id] = entry
            return (entry.operation, Array(entry.watchers.values))
        }
        guard let snapshot else { return }
        for watcher in watchers { watcher.yield(snapshot) }
    }

    private func finish(_ id: String, state newState: String, stoppedAt: Int64, error: String) {
        update(id) { operation in
            operation.state = newState
            operation.stoppedAt = stoppedAt
            operation.error = error
        }
        let watchers = state.withLock { state -> [AsyncStream<Operation>.Continuation] in
            // The cancel closure holds the run's task, and an ended task still holds its result:
            // kept for the last 100 operations, that grew the resident set ~100 kB a run.
            defer { state.entries[id]?.watchers = [:]; state.entries[id]?.cancel = nil }
            return Array(state.entries[id]?.watchers.values ?? [:].values)
        }
        for watcher in watchers { watcher.finish() }
    }

    public func get(_ id: String) -> Operation? { state.withLock { $0.entries[id]?.operation } }

    /// Whether the entry of `id` still holds its run (the task, and through it the result):
    /// only while it runs, so that what is kept of an ended run is its `Operation` alone.
    func holdsRun(_ id: String) -> Bool { state.withLock { $0.entries[id]?.cancel != nil } }

    /// Runs going on now, by kind (`backup`, `restore`): running runs are never evicted.
    public func runningCounts() -> [String: Int] {
        state.withLock { state in
            state.entries.values.filter { !Self.isTerminal($0.operation.state) }
                .reduce(into: [:]) { counts, entry in counts[entry.operation.kind, default: 0] += 1 }
        }
    }

    /// Newest first.
    public func list(limit: Int) -> [Operation] {
        state.withLock { state in state.order.reversed().prefix(limit).compactMap { state.entries[$0]?.operation } }
    }

    /// The operation now and at every change, ending when it ends; nil for an unknown id.
    public func watch(_ id: String) -> AsyncStream<Operation>? {
        let (stream, continuation) = AsyncStream<Operation>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let registered = state.withLock { state -> Operation? in
            guard let entry = state.entries[id] else { return nil }
            if !Self.isTerminal(entry.operation.state) {
                state.nextWatcher += 1
                let key = state.nextWatcher
                state.entries[id]!.watchers[key] = continuation
                // A watcher that goes away (client gone) stops being fed.
                continuation.onTermination = { [weak self] _ in self?.state.withLock { $0.entries[id]?.watchers[key] = nil } }
            }
            return entry.operation
        }
        guard let registered else { return nil }
        continuation.yield(registered)
        if Self.isTerminal(registered.state) { continuation.finish() }
        return stream
    }

    /// Asks a running operation to stop: its queries are killed on every host whatever
    /// `cancel_on_abort` says. - Returns: false for an unknown id.
    public func cancel(_ id: String) -> Bool {
        let cancel = state.withLock { state -> (@Sendable () -> Void)?? in
            guard state.entries[id] != nil else { return .none }
            state.entries[id]!.cancelRequested = true
            return .some(state.entries[id]!.cancel)
        }
        guard let cancel else { return false }
        cancel?()
        return true
    }

    func cancelRequested(_ id: String) -> Bool { state.withLock { $0.entries[id]?.cancelRequested ?? false } }
}

/// What a run tells the registry: its hosts and their progress, and whether it was cancelled.
struct OperationTracker: Sendable {
    let registry: OperationRegistry
    let id: String

    var cancelRequested: Bool { registry.cancelRequested(id) }

    func hosts(_ planned: [PlannedHost]) {
        registry.update(id) { operation in
            operation.hosts = planned.map {
                HostProgress(shard: Int32($0.host.shardIndex), replica: Int32($0.host.replicaIndex), fqdn: $0.host.fqdn,
                             clickHouseID: $0.operationID, status: BackupStatus.pending.rawValue)
            }
        }
    }

    func progress(_ planned: PlannedHost, status: String, numFiles: Int64, totalSize: Int64, error: String?) {
        registry.update(id) { operation in
            guard let index = operation.hosts.firstIndex(where: { $0.clickHouseID == planned.operationID }) else { return }
            operation.hosts[index].status = status
            operation.hosts[index].numFiles = numFiles
            operation.hosts[index].totalSize = totalSize
            operation.hosts[index].error = error ?? ""
        }
    }
}

import BackupClients
import BackupDomain
import PluginSupport

/// Each host's read of `system.tables` (``HostOperation/stateTablesQuery``), started at the
/// same time as the replica probe instead of after it: a 10-row backup waited for the probe
/// (3-7 ms) and then for this read (about 8 ms), one after the other, though neither needs
/// the other.
///
/// A read taken ahead is only as good as the moment it was read, so it is used where nothing
/// can have changed the host's tables since: by the first operation of a host in the run's
/// first stage (``take(_:)`` gives each host's read once; a restore's later stages run after
/// the first has created tables), and only for a decision that reads no attempts
/// (``HostOperation/readState(withAttempts:)``: the attempts must be read before the tables).
/// A host that does not answer fails its read, which nobody awaits: the probe decides what
/// becomes of it. What is not taken is cancelled when the run ends (``cancel()``).
final class TablesReadAhead: Sendable {
    /// One host's read: its statement, so that an operation uses it only when it would have
    /// sent the same, and the read under way.
    struct Read: Sendable {
        let sql: String
        let rows: Task<[JSONValue], any Error>

        /// The rows, or nil when the read failed (the operation then reads them itself and
        /// meets the fault as it would have). Cancelling the caller cancels the read.
        func value() async -> [JSONValue]? {
            await withTaskCancellationHandler { try? await rows.value } onCancel: { rows.cancel() }
        }
    }

    private let reads: LockedState<[String: Read]>

    /// Starts the read of every one of `operations`' hosts (the first operation of a host
    /// gives its statement and connection).
    init(_ operations: [HostOperation]) {
        var reads: [String: Read] = [:]
        for operation in operations where reads[operation.planned.host.fqdn] == nil {
            let client = operation.client, sql = operation.stateTablesQuery
            reads[operation.planned.host.fqdn] = Read(sql: sql, rows: Task { try await client.select(sql, timeout: .seconds(30)) })
        }
        self.reads = LockedState(reads)
    }

    /// `host`'s read, once: nil after the first call.
    func take(_ host: Host) -> Read? {
        reads.withLock { $0.removeValue(forKey: host.fqdn) }
    }

    /// Cancels every read nobody took.
    func cancel() {
        let untaken = reads.withLock { reads -> [Read] in
            defer { reads = [:] }
            return Array(reads.values)
        }
        for read in untaken { read.rows.cancel() }
    }
}

extension OperationRunner {
    /// Whether a run's hosts may decide without reading their attempts, so that their tables
    /// are worth reading ahead: a restore guesses its first attempt; a backup with a manifest
    /// store reads none when it had no manifest (``HostOperation/noEarlierAttempts``).
    func readsTablesAhead(_ store: ManifestStore?) -> Bool {
        plan.operation == .restore || store != nil
    }

    /// What a candidate's read ahead needs of its operation: its connection and its statement.
    fileprivate func aheadOperation(_ candidate: PlannedHost, _ resolved: ResolvedSecrets) -> HostOperation {
        hostOperation(candidate, verb: plan.operation == .backup ? .backup : .restore, resolved: resolved, renames: renames)
    }

    /// The read ahead of every candidate's tables, when the run's hosts may use it.
    func tablesReadAhead(_ store: ManifestStore?, _ resolved: ResolvedSecrets) -> TablesReadAhead? {
        readsTablesAhead(store) ? TablesReadAhead(plan.candidates.map { aheadOperation($0, resolved) }) : nil
    }
}

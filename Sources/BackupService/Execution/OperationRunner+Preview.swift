import BackupClients
import BackupDomain
import RPCRuntime

/// A dry run that reads what a real run reads (the manifest, the catalog for the chain, the
/// replicas that answer, each host's tables and attempts, a restore's target rows) and writes
/// nothing: `sql.S.R` is then, byte for byte with credentials hidden, the statement a run
/// would send now. When something cannot be read, the plan's statements stay and `preview`
/// says why (a real run would stop at the same point).
extension OperationRunner {
    func preview() async -> [String: String] {
        var metadata = plan.metadata()
        // The plugin's own concurrency: hosts run at once (ClickHouse's backup and restore
        // thread pools are server settings, `backup_threads` / `restore_threads`).
        metadata["parallel_shards"] = String(plan.parameters.parallelShards ?? environment.parallelShards)
        do {
            let statements = try await previewStatements()
            for key in metadata.keys where key.hasPrefix("sql.") { metadata[key] = nil }
            metadata.merge(statements) { _, new in new }
            metadata["preview"] = "read: the statements a run would send now"
        } catch {
            metadata["preview"] = "not read: \(ErrorMap.rpcError(error).message); sql.* are the statements as planned"
        }
        return metadata
    }

    private func previewStatements() async throws -> [String: String] {
        let resolved = try resolveSecrets()
        let store = manifestStore(resolved)
        if plan.operation == .backup, let store, let state = try await recordedRun(store)?.state, [.completed, .inProgress].contains(state) {
            return ["sql": "(none: the manifest says \(state.rawValue); a run answers from it)"]
        }
        let recorded = plan.operation == .restore ? try await restoreChecks(store, resolved: resolved)?.parts : nil
        let assignment = try await assignHosts(resolved, layout: recorded?.layout ?? BackupLayout())
        var manifest = Manifest(plan: plan, assignment: assignment, startedAt: startedAt)
        var result: [String: String] = [:]
        if plan.operation == .backup {
            if plan.parameters.localTables == .refuse { try await refuseLocalTables(assignment, resolved) }
            result = try await chooseChain(&manifest, resolved)
        }
        for planned in stages(assignment).flatMap({ $0 }) {
            let key = "sql." + Self.hostKey(planned)
            switch try await hostOperation(planned, manifest: manifest, recorded: recorded, resolved).decide() {
            case .start(let statement, _, _, _, _, _, _): result[key] = statement.redacted
            case .follow(let id, _, _, _): result[key] = "(none: follows \(id), which ClickHouse already knows)"
            case .nothing(let outcome) where outcome.status == .noLocalTables: result[key] = "(none: no table that is not replicated)"
            case .nothing: result[key] = "(none: every table already holds the backup's rows)"
            }
        }
        return result
    }

    /// `S.R`, with `.fromB` for a backup shard merged onto this one and `.local` for a
    /// replica's own copy: the same keys as the result's `host.*`.
    static func hostKey(_ planned: PlannedHost) -> String {
        var key = "\(planned.host.shardIndex).\(planned.host.replicaIndex)"
        if planned.operationID.hasSuffix("-from\(planned.sourceShard)") { key += ".from\(planned.sourceShard)" }
        if planned.role == .local { key += ".local" }
        return key
    }
}

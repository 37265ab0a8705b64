#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import BackupClients
import BackupDomain
import RPCRuntime

/// A backup asked for again: answered from its manifest when it completed, followed to its
/// end when it is still in progress (another call, or a plugin process that died).
extension OperationRunner {
    /// The hosts a manifest records, matched to this plan's candidates by shard and replica.
    private func recordedHosts(_ recorded: BackupManifest) -> [(planned: PlannedHost, record: BackupManifest.HostEntry)] {
        recorded.hosts.compactMap { record in
            guard let planned = plan.candidates.first(where: { $0.host.shardIndex == record.shard && $0.host.replicaIndex == record.replica })
            else { return nil }
            if record.role == .local {
                return (plan.localCopy(of: planned, reason: "replica \(record.replica) of shard \(record.shard): its own copy of the tables that are not replicated"), record)
            }
            return (planned, record)
        }
    }

    private func recordedSkipped(_ recorded: BackupManifest) -> [HostAssignment.Skipped] {
        recorded.skipped.compactMap { record in
            guard let host = plan.candidates.first(where: { $0.host.fqdn == record.fqdn })?.host else { return nil }
            return HostAssignment.Skipped(host: host, reason: record.reason)
        }
    }

    /// The result of a backup its manifest records as completed.
    func completedResult(_ recorded: BackupManifest) -> RunResult {
        let outcomes = recordedHosts(recorded).map { planned, record in
            var outcome = HostOperation.Outcome(planned: planned, status: record.status, error: nil, tables: record.tables,
                                                clickHouseID: record.clickHouseID.isEmpty ? planned.operationID : record.clickHouseID)
            outcome.numFiles = record.numFiles
            outcome.totalSize = record.totalSize
            outcome.compressedSize = record.compressedSize
            outcome.uncompressedSize = record.uncompressedSize
            outcome.fingerprints = record.fingerprints
            return outcome
        }
        var metadata = metadata(outcomes, skipped: recordedSkipped(recorded), manifest: "\(plan.location)\(BackupManifest.fileName)")
        metadata["reused"] = "true"
        // The backup's own record: its type, base and times, as the first call wrote them.
        metadata["type"] = recorded.kind.rawValue
        if let base = recorded.base { metadata["base_backup"] = base.name }
        return RunResult(metadata: metadata, startedAt: recorded.startedAt, stoppedAt: recorded.stoppedAt ?? recorded.startedAt)
    }

    /// Takes the backup's lock before its manifest is written. When another plugin process
    /// holds it, that process is running this backup: the answer is its run, followed through
    /// the manifest it writes (nil means this process took the lock and goes on).
    func takeLock(_ store: ManifestStore, resolved: ResolvedSecrets) async throws -> RunResult? {
        let owner = "pid \(ProcessInfo.processInfo.processIdentifier) at \(now())"
        if try await store.lock(owner: owner) { return nil }
        // The holder writes its manifest right after taking the lock; give it a moment.
        for _ in 0..<30 {
            if let recorded = try await store.read(), recorded.backupID == plan.id {
                switch recorded.state {
                case .completed: return completedResult(recorded)
                case .inProgress: return try await attach(recorded, store: store, resolved: resolved)
                default: break
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        // A lock with no manifest behind it for 3 s: its holder died before writing one.
        await store.unlock()
        guard try await store.lock(owner: owner) else {
            throw DomainError(.unavailable, "another plugin process is starting backup \(plan.backupName); try again")
        }
        return nil
    }

    /// Follows the operations an in-progress manifest records, then records their end.
    func attach(_ recorded: BackupManifest, store: ManifestStore, resolved: ResolvedSecrets) async throws -> RunResult {
        let hosts = recordedHosts(recorded)
        let skipped = recordedSkipped(recorded)
        let started = recorded.startedAt
        let assignment = HostAssignment(data: hosts.map(\.planned).filter { $0.role != .local },
                                        local: hosts.map(\.planned).filter { $0.role == .local }, skipped: skipped)
        tracker?.hosts(assignment.data + assignment.local)
        var manifest = Manifest(plan: plan, assignment: assignment, startedAt: started)
        manifest.kind = recorded.kind  // keep what the first call chose
        manifest.base = recorded.base
        let parts = recorded.parts
        var outcomes: [HostOperation.Outcome] = []
        var failures: [any Error & Sendable] = []
        await withTaskGroup(of: Result<HostOperation.Outcome, Error>.self) { group in
            for (planned, _) in hosts {
                let operation = hostOperation(planned, verb: .backup, resolved: resolved)
                let shardTables = parts.tables[Manifest.partKey(planned)] ?? []
                let databases = (parts.wholeDatabases[Manifest.partKey(planned)] ?? []).sorted()
                // A manifest written moments ago may belong to a run still starting its BACKUPs.
                let grace: Duration = now() - started < 30 ? .seconds(15) : .zero
                group.addTask {
                    await Result {
                        var outcome = try await operation.attach(tables: shardTables, grace: grace)
                        outcome.wholeDatabases = databases  // as the first run recorded them
                        return outcome
                    }
                }
            }
            for await result in group {
                switch result {
                case .success(let outcome): outcomes.append(outcome)
                case .failure(let error): failures.append(ErrorMap.rpcError(error))
                }
            }
        }
        return try await finish(outcomes, failures, manifest: manifest, store: store, skipped: skipped, startedAt: started, reused: true)
    }
}

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
    private func recordedHosts(_ recorded: JSONValue) -> [(planned: PlannedHost, record: JSONValue)] {
        guard case .array(let hosts)? = recorded["hosts"] else { return [] }
        return hosts.compactMap { record in
            guard case .number(let shard)? = record["shard"], case .number(let replica)? = record["replica"],
                  let planned = plan.candidates.first(where: { "\($0.host.shardIndex)" == shard && "\($0.host.replicaIndex)" == replica })
            else { return nil }
            if case .string("local")? = record["role"] {
                return (plan.localCopy(of: planned, reason: "replica \(replica) of shard \(shard): its own copy of the tables that are not replicated"), record)
            }
            return (planned, record)
        }
    }

    private func recordedSkipped(_ recorded: JSONValue) -> [HostAssignment.Skipped] {
        guard case .array(let skipped)? = recorded["skipped"] else { return [] }
        return skipped.compactMap { record in
            guard case .string(let fqdn)? = record["fqdn"], case .string(let reason)? = record["reason"],
                  let host = plan.candidates.first(where: { $0.host.fqdn == fqdn })?.host else { return nil }
            return HostAssignment.Skipped(host: host, reason: reason)
        }
    }

    private static func integer(_ value: JSONValue?) -> Int64? {
        if case .number(let text)? = value { return Int64(text) }
        return nil
    }

    /// The result of a backup its manifest records as completed.
    func completedResult(_ recorded: JSONValue) -> RunResult {
        let outcomes = recordedHosts(recorded).map { planned, record in
            func text(_ key: String) -> String? { if case .string(let value)? = record[key] { return value }; return nil }
            var outcome = HostOperation.Outcome(planned: planned, status: text("status") ?? "", error: nil,
                                                tables: Manifest.tables(ofHost: record),
                                                clickHouseID: text("clickhouse_id") ?? planned.operationID)
            outcome.numFiles = Self.integer(record["num_files"]) ?? 0
            outcome.totalSize = Self.integer(record["total_size"]) ?? 0
            outcome.compressedSize = Self.integer(record["compressed_size"]) ?? 0
            outcome.uncompressedSize = Self.integer(record["uncompressed_size"]) ?? 0
            return outcome
        }
        var metadata = metadata(outcomes, skipped: recordedSkipped(recorded), manifest: "\(plan.location)\(Manifest.fileName)")
        metadata["reused"] = "true"
        // The backup's own record: its type, base and times, as the first call wrote them.
        guard let record = BackupRecord(manifest: recorded) else {
            return RunResult(metadata: metadata, startedAt: startedAt, stoppedAt: startedAt)
        }
        metadata["type"] = record.kind.rawValue
        if let base = record.base { metadata["base_backup"] = base }
        return RunResult(metadata: metadata, startedAt: record.startedAt, stoppedAt: record.stoppedAt ?? record.startedAt)
    }

    /// Takes the backup's lock before its manifest is written. When another plugin process
    /// holds it, that process is running this backup: the answer is its run, followed through
    /// the manifest it writes (nil means this process took the lock and goes on).
    func takeLock(_ store: ManifestStore, resolved: ResolvedSecrets) async throws -> RunResult? {
        let owner = "pid \(ProcessInfo.processInfo.processIdentifier) at \(now())"
        if try await store.lock(owner: owner) { return nil }
        // The holder writes its manifest right after taking the lock; give it a moment.
        for _ in 0..<30 {
            if let recorded = try await store.read().map({ try JSONParser.parse($0) }), case .string(plan.id)? = recorded["backup_id"] {
                switch recorded["state"] {
                case .string("Completed")?: return completedResult(recorded)
                case .string("InProgress")?: return try await attach(recorded, store: store, resolved: resolved)
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
    func attach(_ recorded: JSONValue, store: ManifestStore, resolved: ResolvedSecrets) async throws -> RunResult {
        let hosts = recordedHosts(recorded)
        let skipped = recordedSkipped(recorded)
        let record = BackupRecord(manifest: recorded)
        let started = record?.startedAt ?? startedAt
        let assignment = HostAssignment(data: hosts.map(\.planned).filter { $0.role != .local },
                                        local: hosts.map(\.planned).filter { $0.role == .local }, skipped: skipped)
        tracker?.hosts(assignment.data + assignment.local)
        var manifest = Manifest(plan: plan, assignment: assignment, startedAt: started)
        if let record {  // keep what the first call chose
            manifest.kind = record.kind
            if let base = record.base, case .string(let baseID)? = recorded["base_backup_id"] { manifest.base = (base, baseID) }
        }
        let parts = Manifest.parts(in: recorded)
        var outcomes: [HostOperation.Outcome] = []
        var failures: [any Error & Sendable] = []
        await withTaskGroup(of: Result<HostOperation.Outcome, Error>.self) { group in
            for (planned, _) in hosts {
                let operation = hostOperation(planned, verb: .backup, resolved: resolved)
                let shardTables = parts.tables[Manifest.tablesKey(planned)] ?? []
                let databases = (parts.wholeDatabases[Manifest.tablesKey(planned)] ?? []).sorted()
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

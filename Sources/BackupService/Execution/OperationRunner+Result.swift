import BackupClients
import BackupDomain

/// What a finished run answers: its metadata (per host, the totals, the warnings).
extension OperationRunner {
    /// The result's metadata from the hosts' outcomes, the replicas skipped and where the
    /// manifest is (nil: not written).
    func metadata(_ allOutcomes: [HostOperation.Outcome], skipped: [HostAssignment.Skipped], manifest: String?) -> [String: String] {
        // Tables are the data's; sizes add the replicas' own copies; structure-only restores
        // read the same backup again and add nothing.
        let outcomes = allOutcomes.filter { $0.planned.role == .data }
        let written = allOutcomes.filter { $0.planned.role != .schema }
        let listed = Set(outcomes.flatMap(\.tables))
        let tables = Set(listed.map(\.name)).sorted()
        let definitionOnly = Set(listed.filter { $0.kind == .definitionOnly }.map(\.name)).sorted()
        let replicated = Set(listed.filter { $0.kind == .replicated }.map(\.name)).sorted()
        var metadata: [String: String] = [
            "state": ManifestState.completed.rawValue,
            "operation": plan.operation.rawValue,
            "chi": "\(plan.chi.namespace)/\(plan.chi.name)",
            "cluster": plan.cluster,
            "location": plan.location,
            "hosts": written.map { environment.address(of: $0.planned.host) }
                .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: ","),
            "tables": tables.isEmpty ? plan.tables : tables.map { "\($0.database).\($0.table)" }.joined(separator: ","),
            "num_files": String(written.reduce(0) { $0 + $1.numFiles }),
            "total_size": String(written.reduce(0) { $0 + $1.totalSize }),
            "compressed_size": String(written.reduce(0) { $0 + $1.compressedSize }),
            "uncompressed_size": String(written.reduce(0) { $0 + $1.uncompressedSize }),
            "compression": plan.parameters.compressionMethod ?? "default",
            "manifest": manifest ?? "not written: the plugin holds no S3 credentials for this destination",
        ]
        if !tables.isEmpty { metadata["databases"] = Set(tables.map(\.database)).sorted().joined(separator: ",") }
        if let policy = plan.policy { metadata["policy"] = policy }
        if let warning = oneReplicaWarning(outcomes, skipped: skipped) {
            metadata["one_replica_only"] = warning.tables
            metadata["warning"] = warning.text
        }
        // Replicated tables come from one replica per shard; the others' copies hold the rest.
        if !replicated.isEmpty { metadata["replicated"] = replicated.map { "\($0.database).\($0.table)" }.joined(separator: ",") }
        // Distributed, Merge, Buffer, URL, S3, MySQL... hold no rows of their own: say so.
        if !definitionOnly.isEmpty { metadata["definition_only"] = definitionOnly.map { "\($0.database).\($0.table)" }.joined(separator: ",") }
        if plan.operation == .backup { metadata.merge(Self.fingerprintSummary(written.flatMap(\.fingerprints))) { _, new in new } }
        if plan.operation == .restore {
            metadata["backup_name"] = plan.backupName
            metadata.merge(tableReport(outcomes)) { _, new in new }
        }
        if let endpoint = plan.endpoint { metadata["endpoint"] = endpoint }
        if outcomes.contains(where: \.reused) { metadata["reused"] = "true" }
        for outcome in allOutcomes {
            // A host restoring several backup shards (merged by shard_mapping), or a replica's own
            // copy next to its structure: one key set each.
            let key = "host." + Self.hostKey(outcome.planned)
            metadata["\(key).fqdn"] = outcome.planned.host.fqdn
            metadata["\(key).id"] = outcome.clickHouseID
            if !outcome.alreadyPresent.isEmpty {
                metadata["\(key).already_present"] = outcome.alreadyPresent.map { "\($0.database).\($0.table)" }.joined(separator: ",")
            }
            metadata["\(key).status"] = outcome.status.rawValue
            metadata["\(key).location"] = outcome.planned.location
            metadata["\(key).role"] = outcome.planned.role.rawValue
        }
        for skipped in skipped {
            let key = "host.\(skipped.host.shardIndex).\(skipped.host.replicaIndex)"
            metadata["\(key).fqdn"] = skipped.host.fqdn
            metadata["\(key).status"] = "SKIPPED"
            metadata["\(key).reason"] = skipped.reason
        }
        if !skipped.isEmpty {
            metadata["skipped"] = skipped.map { "\($0.host.fqdn): \($0.reason)" }.joined(separator: "; ")
        }
        return metadata
    }

    /// A backup that holds one replica's rows of tables that are not replicated (MergeTree,
    /// Log, Memory...) though every replica of the shard holds its own (`local_tables =
    /// first_replica`, or a replica that did not answer): said in the result and the log line,
    /// never silently.
    func oneReplicaWarning(_ outcomes: [HostOperation.Outcome], skipped: [HostAssignment.Skipped]) -> (tables: String, text: String)? {
        guard plan.operation == .backup, plan.parameters.replicas == .first else { return nil }
        let skippedShards = Set(skipped.map(\.host.shardIndex))
        let local = outcomes.filter { outcome in
            let shard = outcome.planned.host.shardIndex
            let replicated = plan.candidates.filter { $0.host.shardIndex == shard }.count > 1
            return replicated && (plan.parameters.localTables == .firstReplica || skippedShards.contains(shard))
        }.flatMap { $0.tables.filter { $0.kind == .local }.map(\.name) }
        guard !local.isEmpty else { return nil }
        let names = Set(local).sorted().map { "\($0.database).\($0.table)" }
        return (names.joined(separator: ","),
                "\(names.count) \(names.count == 1 ? "table is" : "tables are") not replicated (\(BoundedText.bounded(names.joined(separator: ", ")))): "
                + "each replica holds its own rows, and this backup lacks the copies of "
                + (plan.parameters.localTables == .firstReplica ? "every replica but the first (local_tables = first_replica)"
                   : "the replicas that did not answer (see skipped)")
                + "; back up with local_tables = each_replica and every replica answering, or replicas = all")
    }

    /// The S3 credentials of the CHB, resolved; the values are kept to mask them in errors.
    struct ResolvedSecrets {
        var accessKeyID: String?
        var secretAccessKey: String?
        var values: [String] { [accessKeyID, secretAccessKey].compactMap { $0 } }

        func destination(_ destination: BackupDestination) -> BackupDestination {
            guard case .s3(let url, let key, let secret) = destination, key != nil, secret != nil,
                  let accessKeyID, let secretAccessKey else { return destination }
            return .s3(url: url, accessKeyID: .value(accessKeyID), secretAccessKey: .value(secretAccessKey))
        }
    }

    /// The fingerprints in short: how many tables and rows, and the tables that changed
    /// while they were backed up (their content is not certain).
    static func fingerprintSummary(_ prints: [TableFingerprint]) -> [String: String] {
        guard !prints.isEmpty else { return [:] }
        var summary = ["fingerprint.tables": String(prints.filter(\.comparable).count),
                       "fingerprint.rows": String(prints.filter(\.comparable).compactMap(\.rows).reduce(0, +))]
        if prints.contains(where: { $0.hash != nil }) { summary["fingerprint.mode"] = "data" } else { summary["fingerprint.mode"] = "rows" }
        let changed = prints.filter(\.changed).map { "\($0.table.database).\($0.table.table)" }
        if !changed.isEmpty { summary["fingerprint.changed"] = BoundedText.bounded(changed.joined(separator: ",")) }
        return summary
    }

    /// A restore, table by table (`table.DB.TABLE`, as restored under its target name):
    /// `restored`, `already present` (it held the backup's rows: left alone) or `not restored:
    /// <why>`.
    func tableReport(_ outcomes: [HostOperation.Outcome]) -> [String: String] {
        let renames = Dictionary(plan.parameters.databaseMapping.map { ($0.source, $0.target) }, uniquingKeysWith: { a, _ in a })
        var report: [String: String] = [:]
        for outcome in outcomes {
            let present = Set(outcome.alreadyPresent)
            let conflicts = Dictionary(outcome.conflicts.map { ($0.table, $0.reason) }, uniquingKeysWith: { a, _ in a })
            for table in outcome.tables where table.kind != .inner {
                let lands = TableName(database: renames[table.name.database] ?? table.name.database, table: table.name.table)
                let key = "table.\(lands.database).\(lands.table)"
                if let reason = conflicts[lands] { report[key] = "not restored: \(reason)" }
                else if present.contains(lands) { report[key] = report[key] ?? "already present" }
                else { report[key] = outcome.status.succeeded ? "restored" : "failed: \(outcome.status)" }
            }
        }
        return report
    }

    /// Tables a restore left because they hold other rows than the backup's: the run fails
    /// with every table's fate, after restoring the rest (calling again after dropping them
    /// restores only those).
    func conflictFailure(_ outcomes: [HostOperation.Outcome]) -> DomainError? {
        let conflicts = outcomes.flatMap(\.conflicts)
        guard !conflicts.isEmpty else { return nil }
        let report = tableReport(outcomes).values
        let restored = report.filter { $0 == "restored" }.count, present = report.filter { $0 == "already present" }.count
        let listed = conflicts.prefix(20).map { "\($0.table.database).\($0.table.table) \($0.reason)" }.joined(separator: "; ")
        let more = conflicts.count > 20 ? " and \(conflicts.count - 20) more" : ""
        return DomainError(.failedPrecondition,
                           "restored \(restored) tables, \(present) already present; \(conflicts.count) not restored: \(listed)\(more). "
                           + "They were left as they are (a restore never appends): drop them and call again to restore only them, "
                           + "or restore under other names with parameters[\"database_mapping\"]")
    }
}

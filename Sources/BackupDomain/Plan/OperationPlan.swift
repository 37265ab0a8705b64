/// A host's part in an operation: which host, why it was chosen, and the statement it runs.
public struct PlannedHost: Equatable, Sendable {
    /// What a host does: its shard's data; (restore, the other replicas of a shard) only the
    /// tables' structure, so that replicated tables fetch the data themselves; or its own copy
    /// of the tables that are not replicated (`shard-S-replica-R/`).
    public enum Role: String, Sendable { case data, schema, local }

    public let host: Host
    /// Why this host takes part, in words.
    public let reason: String
    public let role: Role
    /// The backup's shard this host reads (restore) or writes (backup): its own shard unless
    /// `parameters["shard_mapping"]` maps another one onto it.
    public let sourceShard: Int
    /// This host's folder inside a backup: `shard-S/` (`shard-S-replica-R/` with replicas=all).
    public let shardKey: String
    /// The id given to ClickHouse (`SETTINGS id = ...`), unique per host and operation.
    public let operationID: String
    /// Where this shard's backup lives.
    public let location: String
    /// The statement, or nil when the table list must be read from the server first.
    public let statement: BackupStatement?
    /// What the statement reads or writes, and its settings: the executor builds the
    /// statement from these once it has listed the tables.
    public let destination: BackupDestination
    public let settings: [(name: String, value: SettingValue)]

    public static func == (a: PlannedHost, b: PlannedHost) -> Bool {
        a.host == b.host && a.reason == b.reason && a.role == b.role && a.sourceShard == b.sourceShard
            && a.operationID == b.operationID && a.location == b.location
            && a.statement == b.statement && a.destination == b.destination
            && a.settings.map(\.name) == b.settings.map(\.name) && a.settings.map(\.value) == b.settings.map(\.value)
    }

    /// The statement for `elements` on this host.
    public func statement(verb: BackupStatement.Verb, elements: [BackupElement]) -> BackupStatement {
        BackupStatement(verb: verb, elements: elements, destination: destination, settings: settings)
    }

    /// The same host writing or reading its own copy of the shard's tables that are not
    /// replicated, in `shard-S-replica-R/` of the same backup.
    func localCopy(destination: BackupDestination, location: String, reason: String) -> PlannedHost {
        let shardKey = "shard-\(host.shardIndex)-replica-\(host.replicaIndex)/"
        var settings = self.settings.filter { $0.name != "structure_only" && $0.name != "allow_non_empty_tables" }
        if let index = settings.firstIndex(where: { $0.name == "id" }) { settings[index].value = .string(operationID + "-local") }
        return PlannedHost(host: host, reason: reason, role: .local, sourceShard: host.shardIndex, shardKey: shardKey,
                           operationID: operationID + "-local", location: location + shardKey, statement: nil,
                           destination: destination, settings: settings)
    }

    /// The same host restoring only the structure (`structure_only = true`).
    public func schemaOnly(reason: String) -> PlannedHost {
        var settings = self.settings.filter { $0.name != "structure_only" && $0.name != "allow_non_empty_tables" }
        settings.append(("structure_only", .bool(true)))
        var statement = self.statement
        statement?.settings = settings
        return PlannedHost(host: host, reason: reason, role: .schema, sourceShard: sourceShard, shardKey: shardKey, operationID: operationID,
                           location: location, statement: statement, destination: destination, settings: settings)
    }
}

/// Everything an operation will do, decided before anything is touched.
public struct OperationPlan: Equatable, Sendable {
    public let operation: OperationParameters.Operation
    /// `backup_id` / `restore_id`.
    public let id: String
    /// `backup_name` / `restore_name`.
    public let name: String
    /// The backup read or written (for a restore: the one restored).
    public let backupName: String
    public let chi: ClickHouseInstallation
    public let cluster: String
    /// Root of the backup: `s3://bucket/prefix/NAMESPACE/CHI/BACKUP/` or `disk:NAME:path/`.
    public let location: String
    /// The S3 endpoint, when there is one.
    public let endpoint: String?
    /// How the servers authenticate to S3, in words (never a secret).
    public let credentials: String
    public let filter: TableFilter
    /// The tables in words: `all non-system tables`, a list, or the patterns to resolve.
    public let tables: String
    /// The hosts expected to take part: one replica per shard (or every replica with
    /// `replicas=all`). ``assign(unreachable:)`` adapts it to the replicas that answer.
    public let hosts: [PlannedHost]
    /// Every host of the cluster with the part it would play, by shard then replica: the
    /// replicas to fall back on when the first does not answer.
    public let candidates: [PlannedHost]
    /// Shards of the target cluster.
    public let shardCount: Int
    public let parameters: OperationParameters
    /// The CHB (or ScheduledBackup) the operation came from.
    public let definition: BackupDefinition
    /// The backup's root, where the manifest lives (hosts write below it).
    public let rootDestination: BackupDestination
    /// Where every backup of the CHI lives, below the destination's prefix: `NAMESPACE/CHI/`.
    public let catalogKey: String
    /// The policy of the policy file whose parameters this plan took, if any.
    public var policy: String? = nil

    /// `candidate`'s own copy of its shard's tables that are not replicated, in this backup.
    public func localCopy(of candidate: PlannedHost, reason: String) -> PlannedHost {
        let shardKey = "shard-\(candidate.host.shardIndex)-replica-\(candidate.host.replicaIndex)/"
        let destination = Planner.destination(definition.s3, disk: parameters.disk, key: "\(catalogKey)\(backupName)/\(shardKey)").0
        return candidate.localCopy(destination: destination, location: location, reason: reason)
    }

    /// Where `host` reads or writes in another backup of the same CHI (an incremental
    /// backup's base), with the same credentials.
    public func destination(ofBackup name: String, for host: PlannedHost) -> BackupDestination {
        Planner.destination(definition.s3, disk: parameters.disk, key: "\(catalogKey)\(name)/\(host.shardKey)").0
    }

    /// Where part `key` (`shard-0/`, `shard-0-replica-1/`) of backup `name` lives, with the
    /// same credentials.
    public func destination(ofBackup name: String, part key: String) -> BackupDestination {
        Planner.destination(definition.s3, disk: parameters.disk, key: "\(catalogKey)\(name)/\(key)").0
    }

    /// What retention follows a successful backup, in words (nil: none).
    public var retention: String? {
        guard operation == .backup, parameters.appliesRetention else { return nil }
        let rules = [parameters.keepFullChains.map { "keep the newest \($0) chains" }, parameters.maxAge.map { "drop chains older than \($0)s" }]
        return "after the backup: " + rules.compactMap { $0 }.joined(separator: ", ") + " (the newest chain always stays)"
    }

    /// The plan as `metadata` for a dry run: flat keys for people reading grpcurl output,
    /// and `plan` with the whole plan as JSON. SQL is redacted.
    public func metadata() -> [String: String] {
        var metadata: [String: String] = [
            "dry_run": "true",
            "state": "Planned",
            "operation": operation.rawValue,
            "chi": "\(chi.namespace)/\(chi.name)",
            "cluster": cluster,
            "location": location,
            "credentials": credentials,
            "tables": tables,
            "hosts": hosts.map { "\($0.host.fqdn):\($0.host.clickHousePort)" }.joined(separator: ","),
            "plan": JSONWriter.string(json),
        ]
        if operation == .restore { metadata["backup_name"] = backupName }
        if let policy { metadata["policy"] = policy }
        if let retention { metadata["retention"] = retention }
        if let endpoint { metadata["endpoint"] = endpoint }
        for planned in hosts {
            let key = "\(planned.host.shardIndex).\(planned.host.replicaIndex)"
            metadata["fqdn_source.\(key)"] = planned.host.fqdnSourceText
            metadata["port_source.\(key)"] = planned.host.portSource
            metadata["sql.\(key)"] = planned.statement?.redacted ?? "(built after listing the server's tables: \(tables))"
        }
        return metadata
    }

    /// The whole plan as JSON.
    public var json: JSONValue {
        .object([
            "operation": .string(operation.rawValue),
            "id": .string(id),
            "name": .string(name),
            "backup_name": .string(backupName),
            "chi": .object(["namespace": .string(chi.namespace), "name": .string(chi.name)]),
            "cluster": .string(cluster),
            "policy": policy.map(JSONValue.string) ?? .null,
            "retention": retention.map(JSONValue.string) ?? .null,
            "location": .string(location),
            "endpoint": endpoint.map(JSONValue.string) ?? .null,
            "credentials": .string(credentials),
            "tables": .string(tables),
            "whitelist": .array(filter.whiteList.map { .string($0.source) }),
            "blacklist": .array(filter.blackList.map { .string($0.source) }),
            "hosts": .array(hosts.map { planned in
                .object([
                    "fqdn": .string(planned.host.fqdn),
                    "fqdn_source": .string(planned.host.fqdnSourceText),
                    "port": .number(String(planned.host.clickHousePort)),
                    "port_source": .string(planned.host.portSource),
                    "secure": .bool(planned.host.secure),
                    "shard": .number(String(planned.host.shardIndex)),
                    "replica": .number(String(planned.host.replicaIndex)),
                    "reason": .string(planned.reason),
                    "clickhouse_id": .string(planned.operationID),
                    "location": .string(planned.location),
                    "sql": planned.statement.map { .string($0.redacted) } ?? .null,
                ])
            }),
        ])
    }
}

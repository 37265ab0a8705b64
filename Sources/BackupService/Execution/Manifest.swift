import BackupClients
import BackupDomain

/// The record of one backup, written next to its data as `manifest.json`: at start with
/// state InProgress, rewritten at the end as Completed or Failed. The source of truth for
/// listing backups and for restoring with filters that need a table list.
struct Manifest {
    static let fileName = "manifest.json"
    static let format = 1

    let plan: OperationPlan
    /// The hosts that write the backup, and the replicas skipped because they did not answer.
    let assignment: HostAssignment
    let startedAt: Int64
    var kind: BackupRecord.Kind = .full
    /// The backup an incremental one builds on: its name and id.
    var base: (name: String, id: String)? = nil

    func json(state: String, stoppedAt: Int64?, outcomes: [HostOperation.Outcome], error: String?) -> JSONValue {
        let definition = plan.definition
        var hosts: [JSONValue] = []
        for planned in assignment.data + assignment.local {
            let outcome = outcomes.first { $0.planned.operationID == planned.operationID }
            hosts.append(.object([
                "shard": .number(String(planned.host.shardIndex)),
                "replica": .number(String(planned.host.replicaIndex)),
                "fqdn": .string(planned.host.fqdn),
                "role": .string(planned.role.rawValue),
                "clickhouse_id": .string(outcome?.clickHouseID ?? planned.operationID),
                "location": .string(planned.location),
                "status": outcome.map { .string($0.status) } ?? .string("PENDING"),
                "error": outcome?.error.map(JSONValue.string) ?? .null,
                "tables": .array((outcome?.tables ?? []).map { .array([.string($0.name.database), .string($0.name.table), .string($0.engine)]) }),
                "databases": .array((outcome?.wholeDatabases ?? []).map(JSONValue.string)),
                "num_files": .number(String(outcome?.numFiles ?? 0)),
                "total_size": .number(String(outcome?.totalSize ?? 0)),
                "compressed_size": .number(String(outcome?.compressedSize ?? 0)),
                "uncompressed_size": .number(String(outcome?.uncompressedSize ?? 0)),
            ]))
        }
        return .object([
            "format": .number(String(Self.format)),
            "plugin_version": .string(PluginInfo.version),
            "state": .string(state),
            "backup_id": .string(plan.id),
            "backup_name": .string(plan.backupName),
            "chi": .object(["namespace": .string(plan.chi.namespace), "name": .string(plan.chi.name), "cluster": .string(plan.cluster)]),
            "chb": .object(["namespace": .string(definition.namespace), "name": .string(definition.name),
                            "uid": definition.uid.map(JSONValue.string) ?? .null]),
            "location": .string(plan.location),
            "type": .string(kind.rawValue),
            "base_backup": base.map { .string($0.name) } ?? .null,
            "base_backup_id": base.map { .string($0.id) } ?? .null,
            "tables": .string(plan.tables),
            "compression": .string(plan.parameters.compressionMethod ?? "default"),
            "started_at": .number(String(startedAt)),
            "stopped_at": stoppedAt.map { .number(String($0)) } ?? .null,
            "shards": .number(String(plan.shardCount)),
            "hosts": .array(hosts),
            "skipped": .array(assignment.skipped.map {
                .object(["fqdn": .string($0.host.fqdn), "shard": .number(String($0.host.shardIndex)),
                         "replica": .number(String($0.host.replicaIndex)), "reason": .string($0.reason)])
            }),
            "error": error.map(JSONValue.string) ?? .null,
        ])
    }

    /// The key of a host's part in ``Parts``: its shard's index for the shard's data, `S/rR`
    /// for replica R's own copy.
    static func tablesKey(_ planned: PlannedHost) -> String {
        planned.role == .local ? "\(planned.sourceShard)/r\(planned.host.replicaIndex)" : String(planned.sourceShard)
    }

    /// What a restore reads of a backup's manifest, parsed once: each part's tables and the
    /// databases it holds whole (keyed as ``tablesKey(_:)`` says), and the backup's layout.
    struct Parts: Sendable {
        var tables: [String: [ServerTable]] = [:]
        var wholeDatabases: [String: Set<String>] = [:]
        var layout = BackupLayout()
    }

    static func parts(in manifest: JSONValue) -> Parts {
        var parts = Parts()
        guard case .array(let hosts)? = manifest["hosts"] else { return parts }
        for host in hosts {
            guard case .number(let shardText)? = host["shard"], case .number(let replicaText)? = host["replica"] else { continue }
            let isLocal: Bool
            if case .string("local")? = host["role"] { isLocal = true } else { isLocal = false }
            let key = isLocal ? "\(shardText)/r\(replicaText)" : shardText
            parts.tables[key] = tables(ofHost: host)
            if case .array(let names)? = host["databases"] {
                parts.wholeDatabases[key] = Set(names.compactMap { if case .string(let name) = $0 { return name }; return nil })
            }
            guard let shard = Int(shardText), let replica = Int(replicaText) else { continue }
            if !isLocal {
                parts.layout.dataReplica[shard] = replica
            } else if case .string(let status)? = host["status"], HostOperation.succeeded.contains(status), status != HostOperation.nothingToCopy {
                // A replica with no table to copy wrote none.
                parts.layout.localCopies[shard, default: []].append(replica)
            }
        }
        return parts
    }

    /// A host record's tables: `[database, table, engine]` (manifests before the engine was
    /// recorded list `[database, table]`; their manifests hold no whole databases: TABLE elements).
    static func tables(ofHost host: JSONValue) -> [ServerTable] {
        guard case .array(let tables)? = host["tables"] else { return [] }
        return tables.compactMap { value -> ServerTable? in
            guard case .array(let parts) = value, parts.count >= 2,
                  case .string(let database) = parts[0], case .string(let table) = parts[1] else { return nil }
            var engine = ""
            if parts.count > 2, case .string(let recorded) = parts[2] { engine = recorded }
            return ServerTable(name: TableName(database: database, table: table), engine: engine)
        }
    }
}

/// Where a backup's manifest is read and written: one object in the backup's bucket, with a
/// `lock` object next to it that only one plugin process can create (S3 conditional PUT).
struct ManifestStore {
    let client: S3Client
    let url: String

    private var lockURL: String { String(url.dropLast(Manifest.fileName.count)) + "lock" }

    /// Creates the lock; false when another process holds it. On a store that ignores
    /// `If-None-Match` every create succeeds, and ClickHouse's refusal of a second operation
    /// with the same id is what keeps a backup from being written twice.
    func lock(owner: String) async throws -> Bool {
        try await client.put(lockURL, body: Array(owner.utf8), contentType: "text/plain", ifNoneMatch: true)
    }

    func unlock() async { try? await client.delete(lockURL) }

    func write(_ manifest: JSONValue) async throws {
        try await client.put(url, body: Array(JSONWriter.string(manifest).utf8))
    }

    func read() async throws -> [UInt8]? { try await client.get(url) }
}

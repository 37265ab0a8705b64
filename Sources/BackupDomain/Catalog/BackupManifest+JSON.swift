extension BackupManifest {
    /// The manifest as written: `manifest.json`, format 1.
    public var json: JSONValue {
        func number<T: BinaryInteger>(_ value: T) -> JSONValue { .number(String(value)) }
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        return .object([
            "format": number(format),
            "plugin_version": .string(pluginVersion),
            "state": .string(state.rawValue),
            "backup_id": .string(backupID),
            "backup_name": .string(backupName),
            "chi": .object(["namespace": .string(chi.namespace), "name": .string(chi.name), "cluster": .string(chi.cluster)]),
            "chb": .object(["namespace": .string(chb.namespace), "name": .string(chb.name), "uid": optional(chb.uid)]),
            "location": .string(location),
            "type": .string(kind.rawValue),
            "base_backup": optional(base?.name),
            "base_backup_id": optional(base?.id),
            "tables": .string(tables),
            "compression": .string(compression),
            "started_at": number(startedAt),
            "stopped_at": stoppedAt.map(number) ?? .null,
            "shards": number(shards),
            "hosts": .array(hosts.map { host in
                .object([
                    "shard": number(host.shard), "replica": number(host.replica), "fqdn": .string(host.fqdn),
                    "role": .string(host.role.rawValue), "clickhouse_id": .string(host.clickHouseID), "location": .string(host.location),
                    "status": .string(host.status.rawValue), "error": optional(host.error),
                    "tables": .array(host.tables.map { .array([.string($0.name.database), .string($0.name.table), .string($0.engine)]) }),
                    "databases": .array(host.databases.map(JSONValue.string)),
                    "num_files": number(host.numFiles), "total_size": number(host.totalSize),
                    "compressed_size": number(host.compressedSize), "uncompressed_size": number(host.uncompressedSize),
                    "fingerprints": .array(host.fingerprints.map { print in
                        .object(["database": .string(print.table.database), "table": .string(print.table.table),
                                 "rows": print.rows.map(number) ?? .null, "hash": optional(print.hash), "changed": .bool(print.changed)])
                    }),
                ])
            }),
            "skipped": .array(skipped.map {
                .object(["fqdn": .string($0.fqdn), "shard": number($0.shard), "replica": number($0.replica), "reason": .string($0.reason)])
            }),
            "error": optional(error),
            "verification": verification?.json ?? .null,
            "partitions": optional(partitions),
            "includes": .array(includes.map(JSONValue.string)),
            "archive": optional(archive),
        ])
    }

    /// Reads a manifest of any format this plugin wrote; nil when `json` is not one (no name
    /// or id). Older manifests lack host roles (data), engines (`[database, table]` pairs) and
    /// whole databases; they read as such.
    public init?(json: JSONValue) {
        let fields = Fields(json)
        guard let name = fields.string("backup_name"), let id = fields.string("backup_id") else { return nil }
        let hosts = fields.array("hosts").compactMap(Self.host)
        let chi = Fields(json["chi"] ?? .null), chb = Fields(json["chb"] ?? .null)
        let base = fields.string("base_backup").map { (name: $0, id: fields.string("base_backup_id") ?? "") }
        self.init(pluginVersion: fields.string("plugin_version") ?? "", state: ManifestState(rawValue: fields.string("state") ?? "") ?? .unknown,
                  backupID: id, backupName: name,
                  chi: (chi.string("namespace") ?? "", chi.string("name") ?? "", chi.string("cluster") ?? ""),
                  chb: (chb.string("namespace") ?? "", chb.string("name") ?? "", chb.string("uid")),
                  location: fields.string("location") ?? "", kind: BackupRecord.Kind(rawValue: fields.string("type") ?? "full") ?? .full,
                  base: base, tables: fields.string("tables") ?? "", compression: fields.string("compression") ?? "default",
                  startedAt: fields.integer("started_at") ?? 0, stoppedAt: fields.integer("stopped_at"),
                  shards: fields.integer("shards").map(Int.init) ?? Set(hosts.map(\.shard)).count,
                  hosts: hosts, skipped: fields.array("skipped").compactMap(Self.skipped), error: fields.string("error"))
        format = fields.integer("format").map(Int.init) ?? Self.currentFormat
        verification = json["verification"].flatMap(BackupVerification.init(json:))
        partitions = fields.string("partitions")
        archive = fields.string("archive")
        includes = fields.array("includes").compactMap { if case .string(let text) = $0 { return text }; return nil }
    }

    private static func host(_ value: JSONValue) -> HostEntry? {
        let fields = Fields(value)
        guard let shard = fields.integer("shard") else { return nil }
        let replica = fields.integer("replica") ?? 0
        var host = HostEntry(shard: Int(shard), replica: Int(replica), fqdn: fields.string("fqdn") ?? "",
                             role: PlannedHost.Role(rawValue: fields.string("role") ?? "data") ?? .data,
                             clickHouseID: fields.string("clickhouse_id") ?? "", location: fields.string("location") ?? "",
                             status: BackupStatus(rawValue: fields.string("status") ?? BackupStatus.pending.rawValue),
                             error: fields.string("error"), tables: fields.array("tables").compactMap(Self.table),
                             databases: fields.array("databases").compactMap { if case .string(let name) = $0 { return name }; return nil })
        host.numFiles = fields.integer("num_files") ?? 0
        host.totalSize = fields.integer("total_size") ?? 0
        host.compressedSize = fields.integer("compressed_size") ?? 0
        host.uncompressedSize = fields.integer("uncompressed_size") ?? 0
        host.fingerprints = fields.array("fingerprints").compactMap(Self.fingerprint)
        return host
    }

    /// `[database, table, engine]`, or `[database, table]` before engines were recorded.
    private static func table(_ value: JSONValue) -> ServerTable? {
        guard case .array(let parts) = value, parts.count >= 2, case .string(let database) = parts[0], case .string(let table) = parts[1]
        else { return nil }
        var engine = ""
        if parts.count > 2, case .string(let recorded) = parts[2] { engine = recorded }
        return ServerTable(name: TableName(database: database, table: table), engine: engine)
    }

    private static func fingerprint(_ value: JSONValue) -> TableFingerprint? {
        let fields = Fields(value)
        guard let database = fields.string("database"), let table = fields.string("table") else { return nil }
        var changed = false
        if case .bool(let flag)? = value["changed"] { changed = flag }
        return TableFingerprint(table: TableName(database: database, table: table), rows: fields.integer("rows"), hash: fields.string("hash"),
                                changed: changed)
    }

    private static func skipped(_ value: JSONValue) -> SkippedEntry? {
        let fields = Fields(value)
        guard let fqdn = fields.string("fqdn"), let reason = fields.string("reason") else { return nil }
        return SkippedEntry(fqdn: fqdn, shard: Int(fields.integer("shard") ?? 0), replica: Int(fields.integer("replica") ?? 0), reason: reason)
    }

    /// Typed reads of an object's members (absent or of another type: nil).
    private struct Fields {
        let value: JSONValue
        init(_ value: JSONValue) { self.value = value }

        func string(_ key: String) -> String? { if case .string(let text)? = value[key] { return text }; return nil }
        func integer(_ key: String) -> Int64? { if case .number(let text)? = value[key] { return Int64(text) }; return nil }
        func array(_ key: String) -> [JSONValue] { if case .array(let items)? = value[key] { return items }; return [] }
    }
}

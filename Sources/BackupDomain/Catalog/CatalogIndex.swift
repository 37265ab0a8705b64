/// The index of a CHI's backups: one object (`NAMESPACE/CHI/index.json`) holding every
/// backup's record, so listing 5,000 backups reads one object and a folder listing instead of
/// 5,000 manifests. The manifests stay the truth: a folder the index lacks, and a backup the
/// index says is in progress, are read from their manifests, and a backup whose folder is gone
/// leaves the index; writers update it with S3 conditional writes.
public struct CatalogIndex: Equatable, Sendable {
    public static let fileName = "index.json"
    public var records: [String: BackupRecord]

    public init(records: [String: BackupRecord] = [:]) { self.records = records }

    /// Of the backup folders found, those whose manifest must be read: not indexed yet, or
    /// indexed in any state but completed. Completed is the one state a backup never leaves;
    /// a failed or cancelled one is retried in its own folder, and the retry's index update
    /// comes after its manifest (it can be lost, and a run answers before it lands).
    public func needsReading(_ folders: [String]) -> [String] {
        folders.filter { records[$0].map { $0.state != .completed } ?? true }
    }

    /// The index after a folder listing and the manifests read (`read[name]` nil: the folder has
    /// no readable manifest). - Returns: the records in folder order, and the new index.
    public func refreshed(folders: [String], read: [String: BackupRecord?]) -> (records: [BackupRecord], index: CatalogIndex) {
        var updated: [String: BackupRecord] = [:]
        for folder in folders {
            if let fresh = read[folder] {
                if let fresh { updated[folder] = fresh }
            } else if let known = records[folder] {
                updated[folder] = known
            }
        }
        return (folders.compactMap { updated[$0] }, CatalogIndex(records: updated))
    }

    public var json: JSONValue {
        .object(["format": .number("1"), "backups": .array(records.keys.sorted().map { Self.json(records[$0]!) })])
    }

    public init?(json: JSONValue) {
        guard case .array(let items)? = json["backups"] else { return nil }
        var records: [String: BackupRecord] = [:]
        for item in items { if let record = Self.record(item) { records[record.name] = record } }
        self.init(records: records)
    }

    static func json(_ record: BackupRecord) -> JSONValue {
        func number(_ value: Int64) -> JSONValue { .number(String(value)) }
        var object: [String: JSONValue] = [
            "name": .string(record.name), "id": .string(record.id), "state": .string(record.state.rawValue), "type": .string(record.kind.rawValue),
            "base": record.base.map(JSONValue.string) ?? .null, "started_at": number(record.startedAt),
            "stopped_at": record.stoppedAt.map(number) ?? .null, "total_size": number(record.totalSize), "shards": number(Int64(record.shards)),
            "location": .string(record.location),
        ]
        if let partitions = record.partitions { object["partitions"] = .string(partitions) }
        if let archive = record.archive { object["archive"] = .string(archive) }
        if let verdict = record.verification {
            object["verification"] = .object(["at": number(verdict.at), "passed": .bool(verdict.passed), "summary": .string(verdict.summary)])
        }
        return .object(object)
    }

    static func record(_ value: JSONValue) -> BackupRecord? {
        func integer(_ key: String, in object: JSONValue) -> Int64? { if case .number(let text)? = object[key] { return Int64(text) }; return nil }
        guard case .string(let name)? = value["name"], case .string(let id)? = value["id"], case .string(let state)? = value["state"],
              let startedAt = integer("started_at", in: value) else { return nil }
        var base: String?
        if case .string(let text)? = value["base"] { base = text }
        var location = ""
        if case .string(let text)? = value["location"] { location = text }
        var kind = BackupRecord.Kind.full
        if case .string(let text)? = value["type"], let known = BackupRecord.Kind(rawValue: text) { kind = known }
        var record = BackupRecord(name: name, id: id, state: ManifestState(rawValue: state) ?? .unknown, kind: kind, base: base,
                                  startedAt: startedAt, stoppedAt: integer("stopped_at", in: value), totalSize: integer("total_size", in: value) ?? 0,
                                  shards: Int(integer("shards", in: value) ?? 1), location: location)
        if case .string(let partitions)? = value["partitions"] { record.partitions = partitions }
        if case .string(let archive)? = value["archive"] { record.archive = archive }
        if let verdict = value["verification"], let at = integer("at", in: verdict), case .string(let summary)? = verdict["summary"] {
            var passed = false
            if case .bool(let flag)? = verdict["passed"] { passed = flag }
            record.verification = BackupRecord.Verdict(at: at, passed: passed, summary: summary)
        }
        return record
    }
}

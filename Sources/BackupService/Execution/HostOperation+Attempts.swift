import BackupClients
import BackupDomain
import RPCRuntime

/// Attempts: the planned ClickHouse id is a host's first attempt; each retry of a failed or
/// cancelled one is `<id>-aN`. system.backups is the record of what ran, so any plugin process
/// finds the attempt to follow or the number of the next one there.
extension HostOperation {
    /// One run of this host's operation as ClickHouse knows it.
    struct Attempt: Sendable, Equatable {
        let id: String
        let number: Int
        let status: String
    }

    /// The ClickHouse id of attempt `number` (the planned id for the first, so the ids of
    /// operations started before attempts existed are still found).
    func attemptID(_ number: Int) -> String {
        number <= 1 ? planned.operationID : "\(planned.operationID)-a\(number)"
    }

    /// The attempts system.backups holds for this host's operation, oldest first.
    func attempts() async throws -> [Attempt] {
        let base = planned.operationID
        let rows = try await client.rows("SELECT id, status FROM system.backups WHERE startsWith(id, \(SQLQuoting.string(base)))",
                                         timeout: .seconds(30))
        return Self.attempts(of: base, rows.compactMap { row in
            guard case .string(let id)? = row["id"], case .string(let status)? = row["status"] else { return nil }
            return (id, status)
        })
    }

    /// Rows of system.backups that are attempts of `base`, by number (other ids sharing the
    /// prefix, such as a merged shard's `-from1`, are not).
    static func attempts(of base: String, _ rows: [(id: String, status: String)]) -> [Attempt] {
        rows.compactMap { row -> Attempt? in
            if row.id == base { return Attempt(id: row.id, number: 1, status: row.status) }
            guard row.id.hasPrefix(base + "-a"), let number = Int(row.id.dropFirst(base.count + 2)), number > 1,
                  row.id == "\(base)-a\(number)" else { return nil }
            return Attempt(id: row.id, number: number, status: row.status)
        }.sorted { $0.number < $1.number }
    }

    /// A table a restore writes: its name in the backup and where it lands (nil: same name).
    struct RestoreTarget: Sendable {
        let name: TableName
        let target: TableName?
        var landsAt: TableName { target ?? name }
    }

    /// What a restore on this host writes.
    enum RestoreScope {
        /// The planned statement, whole.
        case all
        /// Only `missing`: an earlier attempt of this restore succeeded and `present` still hold its rows.
        case only(missing: [RestoreTarget], present: [TableName])
    }

    /// Never two RESTOREs into one table, never rows appended to a table that holds some: the
    /// target tables' rows decide. After an earlier attempt that succeeded, tables holding rows
    /// are its work and are left alone (the rest is restored again: the user dropped them);
    /// otherwise a table holding rows is refused before anything starts, since a failed RESTORE
    /// may have left part of the backup in it. Without the backup's table list (no manifest)
    /// ClickHouse's own refusal of non-empty tables stands in.
    func restoreScope(_ tables: [ServerTable], earlierSucceeded: Bool) async throws -> RestoreScope {
        guard !tables.isEmpty else { return .all }
        let targets = tables.filter { $0.kind != .definitionOnly && $0.kind != .dictionary }
            .map { RestoreTarget(name: $0.name, target: target(of: $0.name)) }
        let rows = try await rowsHeld()
        let held = targets.filter { (rows[$0.landsAt] ?? 0) > 0 }
        if earlierSucceeded {
            let present = Set(held.map(\.landsAt))
            let missing = tables.map { RestoreTarget(name: $0.name, target: target(of: $0.name)) }.filter { !present.contains($0.landsAt) }
            return held.isEmpty ? .all : .only(missing: missing, present: held.map(\.landsAt))
        }
        guard !held.isEmpty, !expectsRows else { return .all }
        let shown = held.prefix(20).map { "\($0.landsAt.database).\($0.landsAt.table) (\(rows[$0.landsAt]!) rows)" }.joined(separator: ", ")
        let more = held.count > 20 ? " and \(held.count - 20) more" : ""
        throw RPCError(.failedPrecondition,
                       "\(client.endpoint): \(held.count == 1 ? "a table already holds" : "\(held.count) tables already hold") rows: \(shown)\(more); "
                       + "nothing was restored on this host. A restore never appends (a failed earlier restore may have left part of the "
                       + "backup there): drop them and call again, restore under other names with parameters[\"database_mapping\"], "
                       + "or set parameters[\"allow_non_empty_tables\"] = \"true\" to append")
    }

    /// Rows per table on this host (tables whose engine keeps no count are left out).
    private func rowsHeld() async throws -> [TableName: Int64] {
        let rows = try await client.rows("SELECT database, name, total_rows FROM system.tables WHERE NOT is_temporary AND total_rows > 0",
                                         timeout: .seconds(30))
        var held: [TableName: Int64] = [:]
        for row in rows {
            guard case .string(let database)? = row["database"], case .string(let name)? = row["name"] else { continue }
            switch row["total_rows"] {
            case .number(let text)?, .string(let text)?: held[TableName(database: database, table: name)] = Int64(text) ?? 0
            default: continue
            }
        }
        return held
    }

    /// Whether this host's restore appends by design: the user asked for it, or a later
    /// backup shard merged onto this one by `shard_mapping`.
    var expectsRows: Bool {
        planned.settings.contains { $0.name == "allow_non_empty_tables" }
    }
}

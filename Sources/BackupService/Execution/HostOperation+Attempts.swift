import BackupClients
import BackupDomain
import PluginSupport
import RPCRuntime

/// Attempts: the planned ClickHouse id is a host's first attempt; each retry of a failed or
/// cancelled one is `<id>-aN`. system.backups is the record of what ran, so any plugin process
/// finds the attempt to follow or the number of the next one there.
extension HostOperation {
    /// One run of this host's operation as ClickHouse knows it.
    struct Attempt: Sendable, Equatable {
        let id: String
        let number: Int
        let status: BackupStatus
    }

    /// The ClickHouse id of attempt `number` (the planned id for the first, so the ids of
    /// operations started before attempts existed are still found).
    func attemptID(_ number: Int) -> String {
        number <= 1 ? planned.operationID : "\(planned.operationID)-a\(number)"
    }

    /// What a run reads from its host before it decides: the tables with their engines and
    /// rows, and the attempts of this operation in system.backups.
    struct HostState: Sendable {
        var tables: [ServerTable] = []
        /// Tables holding rows, by `system.tables.total_rows`.
        var rows: [TableName: Int64] = [:]
        /// Every table whose engine counts its rows (zero included).
        var counted: [TableName: Int64] = [:]
        /// Tables whose engine knows its size on disk (`system.tables.total_bytes`).
        var bytes: [TableName: Int64] = [:]
        /// Each table's partition key as ClickHouse writes it (empty: none).
        var partitionKeys: [TableName: String] = [:]
        var attempts: [Attempt] = []

        /// The rows of ``HostOperation/tablesQuery`` taken in.
        mutating func read(_ rows: [JSONValue]) {
            for row in rows {
                guard case .string(let database)? = row["a"], case .string(let table)? = row["b"],
                      case .string(let engine)? = row["c"], case .string(let count)? = row["d"] else { continue }
                let name = TableName(database: database, table: table)
                tables.append(ServerTable(name: name, engine: engine))
                if let rows = Int64(count) {
                    counted[name] = rows
                    if rows > 0 { self.rows[name] = rows }
                }
                if case .string(let size)? = row["e"], let bytes = Int64(size) { self.bytes[name] = bytes }
                if case .string(let key)? = row["f"] { partitionKeys[name] = key }
            }
            tables.sort { $0.name < $1.name }
        }
    }

    /// A host's tables read as its replica probe, before the run decided anything: the first
    /// state read without attempts of the host's first operation takes it (once: a host's next
    /// operation, after the first one changed its tables, reads them again).
    final class EarlyTables: Sendable {
        private let state: LockedState<HostState?>

        init(_ rows: [JSONValue]) {
            var state = HostState()
            state.read(rows)
            self.state = LockedState(state)
        }

        func take() -> HostState? { state.withLock { state in defer { state = nil }; return state } }
    }

    /// Without `withAttempts` (a backup whose manifest did not exist: no process can have sent
    /// its statement, since the manifest is written first; a restore that guesses its first
    /// attempt) system.backups is not read: that read costs the server time in proportion to
    /// every operation it has run. With it, the attempts are read first and the tables after,
    /// in two queries: the two halves of one `UNION ALL` are read in no set order, and a
    /// restore that ended between them showed as `RESTORED` beside its targets still empty,
    /// so it was restored again (ClickHouse refused: the table "already contains some data").
    /// Read in this order, an attempt seen ended had put its rows there before they were read.
    /// A state read as this host's replica probe (``earlyTables``) stands for the first read
    /// without attempts; any other is read here.
    func readState(withAttempts: Bool = true) async throws -> HostState {
        if !withAttempts, let early = earlyTables?.take() { return early }
        var state = HostState()
        if withAttempts { state.attempts = try await attempts() }
        state.read(try await client.select(tablesQuery, timeout: .seconds(30)))
        return state
    }

    /// The read of this host's tables with what the run decides from: engine, rows, bytes,
    /// partition key.
    var tablesQuery: String {
        "SELECT database AS a, name AS b, engine AS c, ifNull(toString(total_rows), '') AS d, "
            + "ifNull(toString(total_bytes), '') AS e, partition_key AS f FROM system.tables WHERE \(tablesCondition)"
    }

    /// The attempts system.backups holds for this host's operation, oldest first.
    func attempts() async throws -> [Attempt] {
        let base = planned.operationID
        let rows = try await client.select("SELECT id, status FROM system.backups WHERE startsWith(id, \(SQLQuoting.string(base)))",
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
            if row.id == base { return Attempt(id: row.id, number: 1, status: BackupStatus(rawValue: row.status)) }
            guard row.id.hasPrefix(base + "-a"), let number = Int(row.id.dropFirst(base.count + 2)), number > 1,
                  row.id == "\(base)-a\(number)" else { return nil }
            return Attempt(id: row.id, number: number, status: BackupStatus(rawValue: row.status))
        }.sorted { $0.number < $1.number }
    }

    /// ClickHouse refused a guessed first attempt's id: an earlier attempt exists, so the host
    /// decides again knowing the attempts (``HostOperation/guessesFirstAttempt``).
    struct AttemptTaken: Error {}

    /// The tables a restore writes rows into, with where each lands.
    func rowTargets(_ tables: [ServerTable]) -> [RestoreTarget] {
        tables.filter { $0.kind != .definitionOnly && $0.kind != .dictionary }.map { RestoreTarget(name: $0.name, target: target(of: $0.name)) }
    }

    /// The targets of `tables` that already hold rows (which ``restoreScope`` judges).
    func heldTargets(_ tables: [ServerTable], rows: [TableName: Int64]) -> [RestoreTarget] {
        rowTargets(tables).filter { (rows[$0.landsAt] ?? 0) > 0 }
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
        /// Only `missing`: `present` hold the backup's rows already (an earlier call's work, by
        /// their fingerprints or that call's success), `conflicts` hold other rows and are left.
        case only(missing: [RestoreTarget], present: [TableName], conflicts: [TableConflict])
    }

    /// Never two RESTOREs into one table, never rows appended to a table that holds some: the
    /// target tables' rows decide. A table holding exactly the rows the backup recorded for it
    /// is already restored and left alone; one holding other rows is a conflict, reported and
    /// left as it is while the rest is restored. Without a fingerprint (older backups, Log
    /// tables), after an earlier attempt that succeeded a table holding rows is its work;
    /// otherwise a table holding rows is refused before anything starts, since a failed RESTORE
    /// may have left part of the backup in it. Without the backup's table list (no manifest)
    /// ClickHouse's own refusal of non-empty tables stands in.
    func restoreScope(_ tables: [ServerTable], earlierSucceeded: Bool, rows: [TableName: Int64],
                      hashes: [TableName: String] = [:]) throws -> RestoreScope {
        guard !tables.isEmpty else { return .all }
        let held = heldTargets(tables, rows: rows)
        guard !held.isEmpty, !(expectsRows && !earlierSucceeded) else { return .all }
        var present: [TableName] = [], conflicts: [TableConflict] = [], unknown: [RestoreTarget] = []
        for target in held {
            let have = rows[target.landsAt] ?? 0
            guard !expectsRows, let print = fingerprintsFromManifest[target.name], print.comparable, let want = print.rows else {
                unknown.append(target)
                continue
            }
            if have != want {
                conflicts.append(TableConflict(table: target.landsAt, reason: "holds \(have) rows, the backup's copy has \(want)"))
            } else if let hash = print.hash, hashes[target.landsAt] != hash {
                conflicts.append(TableConflict(table: target.landsAt, reason: "holds \(have) rows, as many as the backup's copy, but other ones (their hash differs)"))
            } else {
                present.append(target.landsAt)
            }
        }
        if !unknown.isEmpty, !earlierSucceeded {
            let shown = unknown.prefix(20).map { "\($0.landsAt.database).\($0.landsAt.table) (\(rows[$0.landsAt]!) rows)" }.joined(separator: ", ")
            let more = unknown.count > 20 ? " and \(unknown.count - 20) more" : ""
            throw DomainError(.failedPrecondition,
                           "\(client.endpoint): \(unknown.count == 1 ? "a table already holds" : "\(unknown.count) tables already hold") rows: \(shown)\(more); "
                           + "nothing was restored on this host. A restore never appends (a failed earlier restore may have left part of the "
                           + "backup there): drop them and call again, restore under other names with parameters[\"database_mapping\"], "
                           + "or set parameters[\"allow_non_empty_tables\"] = \"true\" to append")
        }
        present += unknown.map(\.landsAt)
        let skipped = Set(present + conflicts.map(\.table))
        let missing = tables.map { RestoreTarget(name: $0.name, target: target(of: $0.name)) }.filter { !skipped.contains($0.landsAt) }
        return .only(missing: missing, present: present, conflicts: conflicts)
    }

    /// The content hashes of the target tables that hold as many rows as the backup recorded
    /// with a hash (`fingerprint=data`): whether they hold the backup's rows is then certain.
    func targetHashes(_ tables: [ServerTable], rows: [TableName: Int64]) async throws -> [TableName: String] {
        guard !expectsRows else { return [:] }
        var hashes: [TableName: String] = [:]
        for table in tables {
            let lands = target(of: table.name) ?? table.name
            guard let print = fingerprintsFromManifest[table.name], print.comparable, print.hash != nil,
                  let have = rows[lands], have == print.rows else { continue }
            hashes[lands] = try await client.contentHash(of: lands, where: partitionFilter(of: table.name)).hash
        }
        return hashes
    }

    /// Whether this host's restore appends by design: the user asked for it, or a later
    /// backup shard merged onto this one by `shard_mapping`.
    var expectsRows: Bool {
        planned.settings.contains { $0.name == "allow_non_empty_tables" }
    }
}

/// Fingerprints: what each backed-up table held, read around the BACKUP on the host that ran it.
extension HostOperation {
    /// Rows before (from the state read) and after the backup, and with `fingerprint=data`
    /// a hash of every row; a table whose rows changed meanwhile is marked `changed`.
    /// `rowsAfter`: the rows read with the operation's last status (an inline statement's), else read here.
    func fingerprints(of tables: [ServerTable], rowsBefore: [TableName: Int64], rowsAfter: [TableName: Int64]?) async throws -> [TableFingerprint] {
        let names = tables.filter(\.kind.holdsRows).map(\.name)
        guard fingerprintMode != .none, !names.isEmpty else { return [] }
        var after: [TableName: Int64]
        if let rowsAfter { after = rowsAfter } else { after = Self.tableRows(try await client.select(rowsQuery, timeout: .seconds(30))) }
        if let partitions {  // a table of some partitions counts their rows
            for name in names { if let values = partitions.partitions(of: name), after[name] != nil { after[name] = try await rows(of: name, in: values) } }
        }
        var hashes: [TableName: (rows: Int64, hash: String)] = [:]
        if fingerprintMode == .data {
            for name in names { hashes[name] = try await client.contentHash(of: name, where: partitionFilter(of: name)) }
        }
        return TableFingerprint.record(names, before: rowsBefore, after: after, hashes: hashes)
    }
}

extension ClickHouseSession {
    /// `count()` and `sum(cityHash64(*))` of `table` (in `database` when given): reads and
    /// decompresses every column of every row, so a damaged block fails the read.
    /// `filter` restricts it to some rows (a condition on `_partition_value`, for some partitions).
    func contentHash(of table: TableName, in database: String? = nil, where filter: String? = nil) async throws -> (rows: Int64, hash: String) {
        let name = "\(SQLQuoting.identifier(database ?? table.database)).\(SQLQuoting.identifier(table.table))"
        let condition = filter.map { " WHERE \($0)" } ?? ""
        let row = try await select("SELECT toString(count()) AS rows, toString(sum(cityHash64(*))) AS hash FROM \(name)\(condition)",
                                   timeout: .seconds(3600)).first
        guard case .string(let rows)? = row?["rows"], let count = Int64(rows), case .string(let hash)? = row?["hash"] else {
            throw DomainError(.internal, "\(endpoint): no count and hash for \(name)")
        }
        return (count, hash)
    }
}

/// A restore's target table that holds other rows than the backup's: left as it is.
struct TableConflict: Sendable, Equatable {
    let table: TableName
    let reason: String
}

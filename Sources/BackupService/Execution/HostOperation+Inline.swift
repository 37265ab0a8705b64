import BackupClients
import BackupDomain

/// Small operations are awaited on their own connection instead of polled. A backup of a few
/// megabytes ends in tens of milliseconds, while each poll of `system.backups` costs the server
/// time in proportion to every operation it has run (tens of milliseconds on a server with a
/// few hundred): two polls were more than the whole backup. Sent without ASYNC, the statement
/// answers when it ends; it is still registered under its id in `system.backups`, so it is
/// followed there as any other when its answer is lost (timeout, connection, restart of the
/// plugin: ClickHouse does not cancel a BACKUP whose client went away), and killed by that id.
/// Each verb has its bound (``PollSchedule/inlineBytes``, ``PollSchedule/inlineRestoreBytes``):
/// up to it, awaiting also spares what ASYNC costs ClickHouse itself and the lateness of a
/// followed end; past it, the operation shows progress while it runs.
extension HostOperation {
    /// The bytes this host's statement reads or writes, when every part of it is known: a
    /// backup's from `system.tables.total_bytes` of the selected tables and of the inner tables
    /// of their databases (a materialized view's data travels with it), a restore's from what
    /// the backup recorded of this part. Nil when a table's engine does not say.
    func expectedBytes(of tables: [ServerTable], state: HostState) -> Int64? {
        guard verb == .backup else { return restoreBytesFromManifest }
        let databases = Set(tables.map(\.name.database))
        let inner = state.tables.filter { $0.kind == .inner && databases.contains($0.name.database) }
        var total: Int64 = 0
        for table in tables + inner where table.kind.holdsRows || table.kind == .inner {
            guard let bytes = state.bytes[table.name] else { return nil }
            total += bytes
        }
        return total
    }

    /// Whether `statement` is sent without ASYNC and awaited: its bytes are known and under
    /// the schedule's bound for its verb (``PollSchedule/inlineRestoreBytes`` for a restore),
    /// and a bandwidth limit would not stretch it past half a second.
    func awaitsInline(_ statement: BackupStatement, bytes: Int64?) -> Bool {
        let bound = verb == .restore ? environment.poll.inlineRestoreBytes : environment.poll.inlineBytes
        // A bound of 0 turns it off, as documented (an empty table's 0 bytes must not slip under it).
        guard bound > 0, let bytes, bytes <= bound else { return false }
        for setting in statement.settings where setting.name == "max_backup_bandwidth" {
            if case .integer(let limit) = setting.value, limit > 0, bytes > Int64(limit) / 2 { return false }
        }
        return true
    }

    /// An inline RESTORE that answered `id RESTORED` ended so; its sizes are those its backup
    /// recorded (ClickHouse reports a RESTORE with the backup's four sizes), so it needs no read
    /// of system.backups. Nil when the sizes are unknown or the answer says anything else.
    func restoredInline(_ answer: String, id: String) -> Outcome? {
        guard verb == .restore, let sizes = sizesFromManifest, Self.answer(answer, is: .restored, of: id) else { return nil }
        return ended(.restored, id: id, sizes: sizes)
    }

    /// An operation that ended with `status` and `sizes` known without a read, as the tracker
    /// and the run see it.
    private func ended(_ status: BackupStatus, id: String, sizes: BackupManifest.PartSizes) -> Outcome {
        tracker?.progress(planned, status: status.rawValue, numFiles: sizes.numFiles, totalSize: sizes.totalSize, error: nil)
        return Outcome(planned: planned, status: status, error: nil, tables: [], clickHouseID: id, numFiles: sizes.numFiles,
                       totalSize: sizes.totalSize, compressedSize: sizes.compressedSize, uncompressedSize: sizes.uncompressedSize)
    }

    /// The end of an inline BACKUP that answered `id BACKUP_CREATED`: its sizes from the
    /// `.backup` file it wrote last (one GET, where the plugin holds the bucket's credentials
    /// and the backup is a folder), and every table's rows after it for the fingerprints, read
    /// at the same time. When that file cannot be read, the sizes come from system.backups.
    /// Nil for any other statement or answer.
    func createdInline(_ answer: String, id: String) async throws -> Outcome? {
        guard let file = markerURL, let bucket, Self.answer(answer, is: .backupCreated, of: id) else { return nil }
        async let rows = fingerprintMode == .none ? nil : Self.tableRows(try await client.select(rowsQuery, timeout: .seconds(30)))
        var outcome: Outcome
        if let file = try? await bucket.get(file), let sizes = BackupMetadataFile.sizes(of: file) {
            outcome = ended(.backupCreated, id: id, sizes: sizes)
        } else {
            outcome = try await follow(id: id, ended: true)
        }
        outcome.rowsAfter = try await rows
        return outcome
    }

    /// Whether a statement's answer (`id<TAB>status`, as the HTTP interface writes its row) says `status`.
    static func answer(_ answer: String, is status: BackupStatus, of id: String) -> Bool {
        answer.split(separator: "\n").first?.split(separator: "\t").map(String.init) == [id, status.rawValue]
    }

    /// Every table's rows (the fingerprints' "after"), as ``tableRows(_:)`` reads them.
    var rowsQuery: String { "SELECT database, name, ifNull(toString(total_rows), '') AS rows FROM system.tables WHERE \(tablesCondition)" }

    /// What every read of this host's `system.tables` keeps: no temporary table, and none of
    /// the system databases the filter leaves out (a backup takes them only when its white
    /// list names them). On a busy server their log tables are the ones with the most parts
    /// to sum rows and bytes over, and on any server they are most of the answer: 170 of 172
    /// tables, 23 of 24 KB, on the stack's. A rename's target is always kept.
    var tablesCondition: String {
        let skipped = TableFilter.systemDatabases.filter { filter.isExcludedSystemDatabase($0) && !renames.values.contains($0) }
        guard !skipped.isEmpty else { return "NOT is_temporary" }
        return "NOT is_temporary AND database NOT IN (\(skipped.map(SQLQuoting.string).joined(separator: ", ")))"
    }

    /// Whether `system.backups` knows operation `id`.
    func hasRecord(_ id: String) async throws -> Bool {
        !(try await client.select("SELECT status FROM system.backups WHERE id = \(SQLQuoting.string(id))", timeout: .seconds(30))).isEmpty
    }

    /// The one read that ends an inline backup: its row of `system.backups` and, in the same
    /// query, every table's rows after it (the fingerprints' "after"): one round trip instead
    /// of two. Every column is a string on both sides of the UNION ALL. `id` is quoted.
    func statusAndRowsQuery(id: String) -> String {
        "SELECT 'operation' AS kind, toString(status) AS status, error, query_id, toString(num_files) AS num_files, "
            + "toString(total_size) AS total_size, toString(compressed_size) AS compressed_size, "
            + "toString(uncompressed_size) AS uncompressed_size, '' AS database, '' AS name, '' AS rows FROM system.backups WHERE id = \(id) "
            + "UNION ALL SELECT 'table', '', '', '', '', '', '', '', database, name, ifNull(toString(total_rows), '') "
            + "FROM system.tables WHERE \(tablesCondition)"
    }

    /// That read's answer split: the operation's row (nil when ClickHouse does not know it) and
    /// each table's rows.
    static func splitStatusAndRows(_ rows: [JSONValue]) -> (operation: JSONValue?, rows: [TableName: Int64]) {
        let operation = rows.first { $0["kind"] == .string("operation") }
        return (operation, tableRows(rows.filter { $0["kind"] == .string("table") }))
    }

    /// `database`, `name` and `rows` (`total_rows` as a string, empty when the engine does not
    /// count) of system.tables rows, by table.
    static func tableRows(_ rows: [JSONValue]) -> [TableName: Int64] {
        var counted: [TableName: Int64] = [:]
        for row in rows {
            guard case .string(let database)? = row["database"], case .string(let name)? = row["name"],
                  case .string(let text)? = row["rows"], let count = Int64(text) else { continue }
            counted[TableName(database: database, table: name)] = count
        }
        return counted
    }
}

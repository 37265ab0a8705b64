import BackupClients
import BackupDomain

/// Partitions: a backup or restore of some partitions of some tables (`parameters["partitions"]`).
extension HostOperation {
    /// Every entry selects a table this host's part takes (a typo would otherwise take the
    /// whole table), and a backup's tables have a partition key for the values named (ClickHouse's
    /// own refusal comes only after the statement started, in other words).
    func checkPartitions(_ selection: PartitionSelection, of tables: [ServerTable], keys: [TableName: String]) throws {
        if let entry = selection.unmatched(by: tables.map(\.name)).first {
            throw DomainError(.failedPrecondition, "\(client.endpoint): parameters[\"partitions\"] names \(entry.pattern.source.trimmingSpaces), "
                           + "which matches none of the tables this \(verb == .backup ? "backup" : "restore") takes here")
        }
        guard verb == .backup else { return }
        for table in tables {
            guard let values = selection.partitions(of: table.name), values.contains(where: { !$0.literals.isEmpty }),
                  let key = keys[table.name], key.isEmpty else { continue }
            throw DomainError(.failedPrecondition, "\(client.endpoint): table \(table.name.database).\(table.name.table) (\(table.engine)) has no partition key, "
                           + "so it has no partition \(values.map(\.sql).joined(separator: ", ")): name it with tuple() (its only partition) "
                           + "or leave it out of parameters[\"partitions\"]")
        }
    }
}

extension HostOperation {
    /// A host's state as partitions make it count: a backup's rows before are those of its
    /// partitions; a restore's targets hold rows when the restored partitions do (the others
    /// stay, and ClickHouse is told it restores into a table that holds some), and their
    /// fingerprints are compared only where the backup took the same partitions.
    struct PartitionView {
        var state: HostState
        var judge: HostOperation
        var appendsToTables = false
    }

    func partitionView(of tables: [ServerTable], _ state: HostState) async throws -> PartitionView {
        var view = PartitionView(state: state, judge: self)
        guard let partitions else { return view }
        let withRows = tables.filter(\.kind.holdsRows)  // views, dictionaries: definitions, no partitions
        try checkPartitions(partitions, of: withRows, keys: state.partitionKeys)
        for table in withRows {
            guard let values = partitions.partitions(of: table.name) else { continue }
            if verb == .backup {
                if state.counted[table.name] != nil { view.state.counted[table.name] = try await rows(of: table.name, in: values) }
                continue
            }
            let lands = target(of: table.name) ?? table.name
            if partitionsFromManifest?.partitions(of: table.name) != values { view.judge.fingerprintsFromManifest[table.name] = nil }
            guard state.rows[lands] != nil else { continue }  // missing or empty: nothing there to keep
            let held = try await rows(of: lands, in: values)
            view.state.rows[lands] = held > 0 ? held : nil
            if held == 0 { view.appendsToTables = true }
        }
        return view
    }

    /// The rows of `table` in `values`, its selected partitions.
    func rows(of table: TableName, in values: [PartitionValue]) async throws -> Int64 {
        let filter = Self.partitionFilter(values).map { " WHERE \($0)" } ?? ""
        let row = try await client.select("SELECT toString(count()) AS rows FROM \(table)\(filter)", timeout: .seconds(600)).first
        guard case .string(let text)? = row?["rows"], let rows = Int64(text) else {
            throw DomainError(.internal, "\(client.endpoint): no row count for \(table.database).\(table.table)")
        }
        return rows
    }

    /// The rows of `values` as a condition; nil when one is `tuple()` (the whole table).
    static func partitionFilter(_ values: [PartitionValue]) -> String? {
        let tuples = values.compactMap(\.partitionValueSQL)
        guard tuples.count == values.count else { return nil }
        return "_partition_value IN (\(tuples.joined(separator: ", ")))"
    }

    /// The filter of `table`'s selected partitions, when it has some.
    func partitionFilter(of table: TableName) -> String? {
        partitions?.partitions(of: table).flatMap(Self.partitionFilter)
    }
}

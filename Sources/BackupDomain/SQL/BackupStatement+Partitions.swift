extension BackupStatement {
    /// The statement taking only the selected partitions of `tables` (the ones it covers).
    /// `PARTITIONS` belongs to `TABLE` elements only, so a table with partitions that a
    /// `DATABASE` or `ALL` element covers is named on its own, first (ClickHouse's parser
    /// wants `EXCEPT TABLES` lists last), and left out of that element. ClickHouse 26.9 reads
    /// an `ALL` right after a `PARTITIONS` list as one more partition, so such an `ALL` becomes
    /// the `DATABASE` elements of `databases` (those the host has) that it covers.
    public func selectingPartitions(_ selection: PartitionSelection, of tables: [TableName], databases: [String]) -> BackupStatement {
        var chosen: [TableName: [PartitionValue]] = [:]
        for table in tables { if let partitions = selection.partitions(of: table) { chosen[table] = partitions } }
        guard !chosen.isEmpty else { return self }
        var named: [BackupElement] = [], rest: [BackupElement] = []
        for element in elements {
            switch element {
            case .table:
                named.append(element)
            case .database(let database, let renamed, let except):
                let inside = chosen.keys.filter { $0.database == database && !except.contains($0) }.sorted()
                guard !inside.isEmpty else { rest.append(element); continue }
                rest.append(.database(database, renamedTo: renamed, exceptTables: except + inside))
                named += inside.map { table in .table(table, renamedTo: renamed.map { TableName(database: $0, table: table.table) }) }
            case .all(let excluded, let except):
                let inside = chosen.keys.filter { !excluded.contains($0.database) && !except.contains($0) }.sorted()
                guard !inside.isEmpty else { rest.append(element); continue }
                for database in databases where !excluded.contains(database) {
                    rest.append(.database(database, exceptTables: (except + inside).filter { $0.database == database }))
                }
                named += inside.map { .table($0) }
            }
        }
        var statement = self
        statement.elements = named + rest
        statement.partitions = chosen.filter { name, _ in named.contains { $0.tableName == name } }
        return statement
    }
}

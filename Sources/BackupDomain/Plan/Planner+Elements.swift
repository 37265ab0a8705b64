extension Planner {
    /// The BACKUP/RESTORE element list when the filter can be written without listing the
    /// server's tables; nil when it has wildcards (the executor lists tables first).
    static func statementElements(_ operation: OperationParameters.Operation, _ filter: TableFilter,
                                  _ parameters: OperationParameters) -> [BackupElement]? {
        guard filter.isStatic else { return nil }
        let blackDatabases = filter.blackList.filter(\.isWholeDatabase).compactMap(\.database.exactName)
        let blackTables = filter.blackList.filter { !$0.isWholeDatabase }.compactMap { pattern -> TableName? in
            guard let db = pattern.database.exactName, let table = pattern.table.exactName else { return nil }
            return TableName(database: db, table: table)
        }
        let mapping = Dictionary(parameters.databaseMapping.map { ($0.source, $0.target) }, uniquingKeysWith: { a, _ in a })
        let renames = operation == .restore ? mapping : [:]
        var elements: [BackupElement] = []
        if filter.whiteList.isEmpty {
            // ClickHouse refuses ALL next to other elements, and ALL cannot rename: a restore
            // that renames everything-but-some is built from the backup's table list instead.
            if !renames.isEmpty { return nil }
            return [.all(exceptDatabases: TableFilter.systemDatabases + blackDatabases, exceptTables: blackTables)]
        }
        var wholeDatabases: [String] = []
        for pattern in filter.whiteList where pattern.isWholeDatabase {
            let db = pattern.database.exactName!
            guard !blackDatabases.contains(db), !wholeDatabases.contains(db) else { continue }
            wholeDatabases.append(db)
            elements.append(.database(db, renamedTo: renames[db], exceptTables: blackTables.filter { $0.database == db }))
        }
        var tables: [TableName] = []
        for pattern in filter.whiteList where !pattern.isWholeDatabase {
            let name = TableName(database: pattern.database.exactName!, table: pattern.table.exactName!)
            guard !wholeDatabases.contains(name.database), !blackDatabases.contains(name.database),
                  !blackTables.contains(name), !tables.contains(name) else { continue }
            tables.append(name)
            elements.append(.table(name, renamedTo: renames[name.database].map { TableName(database: $0, table: name.table) }))
        }
        return elements
    }
}

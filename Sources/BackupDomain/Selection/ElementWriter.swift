/// Writes a selection of tables as BACKUP/RESTORE elements, resolved against what is there
/// (the server's tables for a backup, the backup's for a restore). A database whose tables are
/// all selected becomes `DATABASE db`, one whose tables are mostly selected `DATABASE db EXCEPT
/// TABLES ...`: shorter statements, and the database's own definition (its engine, its
/// comment) travels with it. A restore writes every database the backup holds whole in the
/// `DATABASE` form, however few of its tables are selected: `TABLE` elements would leave the
/// target to create the database with the server's default engine.
public enum ElementWriter {
    /// - Parameters:
    ///   - selected: the tables to write (never inner tables of views; sorted or not).
    ///   - available: every table the source has (the selected ones included).
    ///   - wholeDatabases: the databases that may be written whole (a restore: those the backup
    ///     holds with their definition); nil for any.
    ///   - renames: database → target database (a restore's `database_mapping`).
    ///   - preferWhole: write an allowed database whole even when most of it is left out.
    public static func elements(selected: [TableName], available: [TableName], wholeDatabases: Set<String>? = nil,
                                renames: [String: String] = [:], preferWhole: Bool = false) -> [BackupElement] {
        let chosen = Set(selected)
        var order: [String] = []
        for name in selected.sorted() where !order.contains(name.database) { order.append(name.database) }
        var elements: [BackupElement] = []
        for database in order {
            let picked = selected.filter { $0.database == database }.sorted()
            let others = Set(available.filter { $0.database == database && !TableKind.isInnerTable($0.table) && !chosen.contains($0) }).sorted()
            let whole = !TableFilter.systemDatabases.contains(database) && (wholeDatabases?.contains(database) ?? true)
            if whole, preferWhole || others.count < picked.count {
                elements.append(.database(database, renamedTo: renames[database], exceptTables: others))
            } else {
                elements += picked.map { name in .table(name, renamedTo: renames[database].map { TableName(database: $0, table: name.table) }) }
            }
        }
        return elements
    }

    /// The databases a statement writes whole, with their definitions: its `DATABASE`
    /// elements, and for `ALL` every database of `tables`.
    public static func wholeDatabases(of elements: [BackupElement], tables: [TableName]) -> [String] {
        var databases: [String] = []
        for element in elements {
            switch element {
            case .database(let name, _, _): databases.append(name)
            case .all(let except, _): databases += tables.map(\.database).filter { !except.contains($0) }
            case .table: continue
            }
        }
        return Array(Set(databases)).sorted()
    }
}

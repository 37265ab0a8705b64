/// A database table, by name.
public struct TableName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let database: String
    public let table: String

    public init(database: String, table: String) {
        self.database = database
        self.table = table
    }

    public static func < (a: TableName, b: TableName) -> Bool { (a.database, a.table) < (b.database, b.table) }

    /// `db.table` with both parts quoted for SQL.
    public var description: String { "\(SQLQuoting.identifier(database)).\(SQLQuoting.identifier(table))" }
}

/// Which tables a backup takes: the CHB's white list (empty = everything), minus its black
/// list, minus the system databases unless a white-list entry names one exactly.
public struct TableFilter: Equatable, Sendable {
    /// Databases skipped unless named: ClickHouse's own state, not user data.
    public static let systemDatabases = ["system", "INFORMATION_SCHEMA", "information_schema"]

    public let whiteList: [TablePattern]
    public let blackList: [TablePattern]

    public init(whiteList: [TablePattern] = [], blackList: [TablePattern] = []) {
        self.whiteList = whiteList
        self.blackList = blackList
    }

    /// Whether `database` is a system database that no white-list entry names exactly.
    public func isExcludedSystemDatabase(_ database: String) -> Bool {
        Self.systemDatabases.contains(database) && !whiteList.contains { $0.database.exactName == database }
    }

    /// Whether the filter takes `database.table`. A materialized view's inner table is never
    /// taken by name: it travels with its view (ClickHouse refuses `BACKUP TABLE` of it).
    public func includes(_ name: TableName) -> Bool {
        if TableKind.isInnerTable(name.table) || isExcludedSystemDatabase(name.database) { return false }
        if !whiteList.isEmpty, !whiteList.contains(where: { $0.matches(database: name.database, table: name.table) }) {
            return false
        }
        return !blackList.contains { $0.matches(database: name.database, table: name.table) }
    }

    /// The tables of `available` the filter takes, sorted.
    public func select(from available: [TableName]) -> [TableName] {
        available.filter(includes).sorted()
    }

    /// The server's tables the filter takes, sorted by name.
    public func select(from available: [ServerTable]) -> [ServerTable] {
        available.filter { includes($0.name) }.sorted { $0.name < $1.name }
    }

    /// Whether the selection can be written in SQL without listing the server's tables:
    /// true when no pattern has a wildcard (other than a whole-database `db.*`, and `*`
    /// alone in the white list).
    public var isStatic: Bool {
        let whiteStatic = whiteList.allSatisfy { pattern in
            (pattern.database.exactName != nil && (pattern.table.exactName != nil || pattern.isWholeDatabase))
        }
        let blackStatic = blackList.allSatisfy { pattern in
            pattern.database.exactName != nil && (pattern.table.exactName != nil || pattern.isWholeDatabase)
        }
        return whiteStatic && blackStatic
    }
}

/// What a backup recorded of one table's content, to check a verification or a restore
/// against. Rows come from `system.tables.total_rows` read before and after the BACKUP (free:
/// MergeTree keeps them in its parts' metadata); with `fingerprint=data` also
/// `sum(cityHash64(*))`, which reads every column of every row.
public struct TableFingerprint: Equatable, Sendable {
    public var table: TableName
    /// nil: the engine keeps no row count (Log, Memory...) and no data fingerprint was asked.
    public var rows: Int64?
    /// `sum(cityHash64(*))` as ClickHouse prints it (a UInt64), with `fingerprint=data`.
    public var hash: String?
    /// The table's rows changed while it was backed up: the backup holds one of the states in
    /// between, and nothing about its content is certain.
    public var changed: Bool

    public init(table: TableName, rows: Int64?, hash: String? = nil, changed: Bool = false) {
        (self.table, self.rows, self.hash, self.changed) = (table, rows, hash, changed)
    }

    /// What to record: `rows` (the default), `data` (rows and a hash of every row), `none`.
    public enum Mode: String, Sendable, CaseIterable { case rows, data, none }

    /// Whether anything about the table is certain enough to compare.
    public var comparable: Bool { !changed && (rows != nil || hash != nil) }

    /// The difference between this fingerprint and what was found (`rows`, `hash`), or nil
    /// when they agree on everything this fingerprint holds.
    public func mismatch(rows found: Int64, hash foundHash: String?) -> String? {
        guard comparable else { return nil }
        if let rows, rows != found { return "\(found) rows, the backup recorded \(rows)" }
        if let hash, let foundHash, hash != foundHash { return "the rows' hash is \(foundHash), the backup recorded \(hash)" }
        return nil
    }

    /// The fingerprints of `tables` from the row counts read before and after the backup
    /// (and the hashes read after it).
    public static func record(_ tables: [TableName], before: [TableName: Int64], after: [TableName: Int64],
                              hashes: [TableName: (rows: Int64, hash: String)] = [:]) -> [TableFingerprint] {
        tables.map { table in
            let hashed = hashes[table]
            let rows = after[table] ?? hashed?.rows
            let changed = before[table].map { $0 != after[table] } ?? false
            return TableFingerprint(table: table, rows: rows, hash: hashed?.hash, changed: changed)
        }
    }
}

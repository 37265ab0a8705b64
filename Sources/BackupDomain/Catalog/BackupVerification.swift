/// What a verification found: each table of each backup part read back from the backup itself
/// and compared with the fingerprint the backup recorded. Written into the backup's manifest
/// (`verification`), so listing shows it.
public struct BackupVerification: Equatable, Sendable {
    /// One table of one part, as read.
    public struct Table: Equatable, Sendable {
        /// The part: `0` for shard 0's data, `0/r1` for replica 1's own copy.
        public var part: String
        public var table: TableName
        public var rows: Int64?
        public var hash: String?
        /// nil: it agrees with the fingerprint (or the backup recorded nothing certain).
        public var problem: String?

        public init(part: String, table: TableName, rows: Int64?, hash: String?, problem: String?) {
            (self.part, self.table, self.rows, self.hash, self.problem) = (part, table, rows, hash, problem)
        }
    }

    public var verifiedAt: Int64
    /// `fqdn` of each host that read a part.
    public var hosts: [String]
    public var tables: [Table]
    /// A failure that stopped the verification before every table was read.
    public var error: String?

    public init(verifiedAt: Int64, hosts: [String], tables: [Table], error: String? = nil) {
        (self.verifiedAt, self.hosts, self.tables, self.error) = (verifiedAt, hosts, tables, error)
    }

    public var passed: Bool { error == nil && tables.allSatisfy { $0.problem == nil } }

    /// The verdict in one bounded line: `passed: 4 tables, 2000 rows` or
    /// `failed: db.t (part 1): 10 rows, the backup recorded 12; ...`.
    public var summary: String {
        if passed { return "passed: \(tables.count) tables, \(tables.compactMap(\.rows).reduce(0, +)) rows" }
        let problems = tables.compactMap { table in
            table.problem.map { "\(table.table.database).\(table.table.table) (part \(table.part)): \($0)" }
        }
        return BoundedText.bounded("failed: " + ((error.map { [$0] } ?? []) + problems).joined(separator: "; "))
    }

    public var json: JSONValue {
        func number(_ value: Int64) -> JSONValue { .number(String(value)) }
        return .object([
            "verified_at": number(verifiedAt), "passed": .bool(passed), "hosts": .array(hosts.map(JSONValue.string)),
            "error": error.map(JSONValue.string) ?? .null,
            "tables": .array(tables.map { table in
                .object(["part": .string(table.part), "database": .string(table.table.database), "table": .string(table.table.table),
                         "rows": table.rows.map(number) ?? .null, "hash": table.hash.map(JSONValue.string) ?? .null,
                         "problem": table.problem.map(JSONValue.string) ?? .null])
            }),
        ])
    }

    public init?(json: JSONValue) {
        guard case .number(let at)? = json["verified_at"], let verifiedAt = Int64(at) else { return nil }
        func string(_ value: JSONValue?) -> String? { if case .string(let text)? = value { return text }; return nil }
        var hosts: [String] = [], tables: [Table] = []
        if case .array(let items)? = json["hosts"] { hosts = items.compactMap { string($0) } }
        if case .array(let items)? = json["tables"] {
            tables = items.compactMap { item in
                guard let part = string(item["part"]), let database = string(item["database"]), let name = string(item["table"]) else { return nil }
                var rows: Int64?
                if case .number(let text)? = item["rows"] { rows = Int64(text) }
                return Table(part: part, table: TableName(database: database, table: name), rows: rows, hash: string(item["hash"]),
                             problem: string(item["problem"]))
            }
        }
        self.init(verifiedAt: verifiedAt, hosts: hosts, tables: tables, error: string(json["error"]))
    }
}

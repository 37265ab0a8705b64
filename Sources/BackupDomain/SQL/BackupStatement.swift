/// A secret value in a statement: a reference not yet resolved, or the resolved text.
/// Rendering for people (plans, logs, metadata) always hides it.
public enum SQLSecret: Equatable, Sendable {
    case reference(SecretReference)
    case value(String)
}

/// What a BACKUP writes to or a RESTORE reads from.
public enum BackupDestination: Equatable, Sendable {
    /// `S3('url')` with the servers' own credentials, or `S3('url', key, secret)`.
    case s3(url: String, accessKeyID: SQLSecret?, secretAccessKey: SQLSecret?)
    /// `Disk('disk', 'path')`: a backup disk configured on the servers.
    case disk(name: String, path: String)

    /// The single-object archive `backup.FORMAT` in this folder (a part of a backup taken
    /// with `archive`): ClickHouse writes and reads the archive by its name's extension.
    public func archived(_ format: String?) -> BackupDestination {
        guard let format else { return self }
        switch self {
        case .s3(let url, let key, let secret): return .s3(url: url + "backup." + format, accessKeyID: key, secretAccessKey: secret)
        case .disk(let name, let path): return .disk(name: name, path: path + "backup." + format)
        }
    }
}

/// One element of a BACKUP/RESTORE list.
public enum BackupElement: Equatable, Sendable {
    /// `TABLE db.t [AS db2.t2]`.
    case table(TableName, renamedTo: TableName? = nil)
    /// `DATABASE db [AS db2] [EXCEPT TABLES db.x, ...]`.
    case database(String, renamedTo: String? = nil, exceptTables: [TableName] = [])
    /// `ALL [EXCEPT DATABASES a, b] [EXCEPT TABLES db.x]`.
    case all(exceptDatabases: [String], exceptTables: [TableName] = [])

    /// Whether this is a `TABLE` element.
    public var isTable: Bool { tableName != nil }

    /// The table a `TABLE` element names.
    public var tableName: TableName? {
        if case .table(let name, _) = self { return name }
        return nil
    }

    func sql(partitions: [PartitionValue]? = nil) -> String {
        switch self {
        case .table(let name, let renamed):
            return "TABLE \(name)" + (renamed.map { " AS \($0)" } ?? "")
                + (partitions.map { " PARTITIONS " + $0.map(\.sql).joined(separator: ", ") } ?? "")
        case .database(let name, let renamed, let except):
            return "DATABASE \(SQLQuoting.identifier(name))" + (renamed.map { " AS \(SQLQuoting.identifier($0))" } ?? "")
                + (except.isEmpty ? "" : " EXCEPT TABLES " + except.map(\.description).joined(separator: ", "))
        case .all(let databases, let tables):
            return "ALL"
                + (databases.isEmpty ? "" : " EXCEPT DATABASES " + databases.map(SQLQuoting.identifier).joined(separator: ", "))
                + (tables.isEmpty ? "" : " EXCEPT TABLES " + tables.map(\.description).joined(separator: ", "))
        }
    }
}

/// A value in a SETTINGS clause.
public enum SettingValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case bool(Bool)

    var sql: String {
        switch self {
        case .string(let text): return SQLQuoting.string(text)
        case .integer(let number): return String(number)
        case .bool(let flag): return flag ? "1" : "0"
        }
    }
}

/// A BACKUP or RESTORE statement, built from parts so every name and string is quoted.
public struct BackupStatement: Equatable, Sendable {
    public enum Verb: String, Sendable { case backup = "BACKUP", restore = "RESTORE" }

    public var verb: Verb
    public var elements: [BackupElement]
    public var destination: BackupDestination
    /// Settings in the order written.
    public var settings: [(name: String, value: SettingValue)]
    /// `base_backup = S3(...)` / `Disk(...)`: the backup an incremental one builds on (its
    /// credentials are secrets like the destination's).
    public var baseBackup: BackupDestination?
    public var async: Bool
    /// The partitions of `TABLE` elements that take only some (``selectingPartitions(_:of:)``).
    public var partitions: [TableName: [PartitionValue]] = [:]

    public init(verb: Verb, elements: [BackupElement], destination: BackupDestination,
                settings: [(name: String, value: SettingValue)] = [], async: Bool = true) {
        self.verb = verb
        self.elements = elements
        self.destination = destination
        self.settings = settings
        self.async = async
    }

    public static func == (a: BackupStatement, b: BackupStatement) -> Bool {
        a.verb == b.verb && a.elements == b.elements && a.destination == b.destination && a.async == b.async
            && a.baseBackup == b.baseBackup && a.partitions == b.partitions
            && a.settings.map(\.name) == b.settings.map(\.name) && a.settings.map(\.value) == b.settings.map(\.value)
    }

    /// The statement with every secret shown as `'[HIDDEN]'` (ClickHouse's own convention):
    /// the only form that may reach a plan, a log line, metadata or an error.
    public var redacted: String { render { _ in "'[HIDDEN]'" } }

    /// The statement to execute, with secrets resolved.
    /// - Throws: ``DomainError`` `.internal` if a secret is still a reference (a bug: the
    ///   executor resolves references first).
    public func executable() throws -> String {
        var unresolved: SecretReference?
        let text = render { secret in
            switch secret {
            case .value(let value): return SQLQuoting.string(value)
            case .reference(let reference):
                unresolved = reference
                return "''"
            }
        }
        if let unresolved { throw DomainError(.internal, "\(unresolved) was not resolved before execution") }
        return text
    }

    private func render(_ secret: (SQLSecret) -> String) -> String {
        let direction = verb == .backup ? "TO" : "FROM"
        let list = elements.map { $0.sql(partitions: $0.tableName.flatMap { partitions[$0] }) }.joined(separator: ", ")
        var parts = ["\(verb.rawValue) \(list) \(direction) \(Self.sql(destination, secret))"]
        var assignments = settings.map { "\($0.name) = \($0.value.sql)" }
        if let baseBackup { assignments.append("base_backup = \(Self.sql(baseBackup, secret))") }
        if !assignments.isEmpty { parts.append("SETTINGS " + assignments.joined(separator: ", ")) }
        if async { parts.append("ASYNC") }
        return parts.joined(separator: " ")
    }

    static func sql(_ destination: BackupDestination, _ secret: (SQLSecret) -> String) -> String {
        switch destination {
        case .s3(let url, let key, let secretKey):
            if let key, let secretKey {
                return "S3(\(SQLQuoting.string(url)), \(secret(key)), \(secret(secretKey)))"
            }
            return "S3(\(SQLQuoting.string(url)))"
        case .disk(let name, let path):
            return "Disk(\(SQLQuoting.string(name)), \(SQLQuoting.string(path)))"
        }
    }
}

/// `CREATE DATABASE name ENGINE = Backup('database', <destination>)`: one database of a backup
/// attached read-only, as verification reads it (nothing is copied, Keeper is not involved),
/// with its secrets handled as a BACKUP statement's.
public struct AttachedBackupDatabase: Equatable, Sendable {
    public var name: String
    /// The database in the backup.
    public var database: String
    public var destination: BackupDestination

    public init(name: String, database: String, destination: BackupDestination) {
        (self.name, self.database, self.destination) = (name, database, destination)
    }

    public var redacted: String { render { _ in "'[HIDDEN]'" } }

    /// - Throws: ``DomainError`` `.internal` if a secret is still a reference.
    public func executable() throws -> String {
        var resolved = true
        let text = render { secret in
            guard case .value(let value) = secret else { resolved = false; return "''" }
            return SQLQuoting.string(value)
        }
        guard resolved else { throw DomainError(.internal, "a secret of \(name) was not resolved before execution") }
        return text
    }

    private func render(_ secret: (SQLSecret) -> String) -> String {
        "CREATE DATABASE \(SQLQuoting.identifier(name)) ENGINE = Backup(\(SQLQuoting.string(database)), \(BackupStatement.sql(destination, secret)))"
    }
}


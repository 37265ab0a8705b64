#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it brings ICU and ~10 MB of resident pages
#else
import Foundation
#endif
import BackupDomain
import PluginSupport

/// An error ClickHouse reported: `Code: N. DB::Exception: message. (NAME)`, kept whole so the
/// caller sees ClickHouse's own code and words. Secrets the caller knows are masked out of
/// `text` before it is stored.
public struct ClickHouseError: ClassifiedError {
    public let host: String
    public let code: Int
    public let name: String
    /// ClickHouse's own words.
    public let text: String

    public init(host: String, code: Int, name: String, message text: String) {
        self.host = host
        self.code = code
        self.name = name
        self.text = text
    }

    public var description: String { "ClickHouse \(host): code \(code) \(name): \(text)" }

    /// What the caller is told: ClickHouse's code, name and words, then the remedy.
    public var message: String { remedy.isEmpty ? description : "\(description); \(remedy)" }

    /// What kind of failure it is, which tells the operator what to do about it (``ClickHouseErrorMap``).
    public var kind: FailureKind {
        switch code {
        case 499:  // S3_ERROR: refused keys or a missing bucket are the caller's to fix
            let refused = ["AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "Access Denied", "403"]
            if refused.contains(where: { text.contains($0) }) { return .permission }
            if text.contains("NoSuchBucket") { return .refused }
            return .unavailable
        case _ where text.contains("already contains some data"):  // a RESTORE onto rows, whatever the code
            return .refused
        default:
            return ClickHouseErrorMap.entry(code)?.kind ?? ClickHouseErrorMap.fallback
        }
    }

    /// What the caller can do, from ``ClickHouseErrorMap`` (empty when the message says enough);
    /// a replica left in Keeper gets the exact statement that clears it.
    public var remedy: String {
        if let stale = staleReplica {
            return "table \(stale.table): Keeper path \(stale.zookeeperPath) still has replica \(stale.replica) (left by a table "
                + "dropped without SYNC, or a lost host): run \(stale.dropStatement) on this host and call again, "
                + "or call with parameters[\"drop_stale_replicas\"] = \"true\" to have the plugin run it"
        }
        return ClickHouseErrorMap.entry(code)?.remedy ?? ""
    }

    /// A replicated table's replica that Keeper still holds (REPLICA_ALREADY_EXISTS, 253).
    public struct StaleReplica: Sendable, Equatable {
        public let table: String
        public let zookeeperPath: String
        public let replica: String

        public init(table: String, zookeeperPath: String, replica: String) {
            self.table = table
            self.zookeeperPath = zookeeperPath
            self.replica = replica
        }

        /// `SYSTEM DROP REPLICA 'r' FROM ZKPATH '/path'`: removes the replica's nodes only.
        public var dropStatement: String {
            "SYSTEM DROP REPLICA \(SQLQuoting.string(replica)) FROM ZKPATH \(SQLQuoting.string(zookeeperPath))"
        }
    }

    /// From "Replica /clickhouse/tables/0/db/t/replicas/r1 already exists: While creating table db.t".
    public var staleReplica: StaleReplica? {
        guard code == 253, let start = text.firstRange(of: "Replica "),
              let end = text[start.upperBound...].firstRange(of: " already exists") else { return nil }
        let path = text[start.upperBound..<end.lowerBound]
        guard let marker = path.ranges(of: "/replicas/").last else { return nil }
        let replica = String(path[marker.upperBound...])
        var table = "?"
        if let creating = text.firstRange(of: "creating table ") {
            table = String(text[creating.upperBound...].prefix { !$0.isWhitespace })
            while table.hasSuffix(".") { table.removeLast() }
        }
        guard !replica.isEmpty, !replica.contains("/") else { return nil }
        return StaleReplica(table: table, zookeeperPath: String(path[..<marker.lowerBound]), replica: replica)
    }

    /// Parses ClickHouse's exception text; nil when `text` holds none.
    public static func parse(_ text: String, host: String, fallbackCode: Int? = nil) -> ClickHouseError? {
        guard let codeStart = text.firstRange(of: "Code: ") else {
            guard let fallbackCode else { return nil }
            return ClickHouseError(host: host, code: fallbackCode, name: "", message: text.trimmingSpaces)
        }
        let afterCode = text[codeStart.upperBound...]
        let digits = afterCode.prefix { $0.isNumber }
        let code = Int(digits) ?? fallbackCode ?? 0
        var message = Substring(afterCode.dropFirst(digits.count))
        if message.hasPrefix(". ") { message = message.dropFirst(2) }
        if message.hasPrefix("DB::Exception: ") { message = message.dropFirst("DB::Exception: ".count) }
        var name = ""
        // The name is the last "(UPPER_CASE)" group; a "(version ...)" may follow it.
        var body = String(message).trimmingSpaces
        if body.hasSuffix(")"), let open = body.ranges(of: " (version ").last { body = String(body[..<open.lowerBound]) }
        if body.hasSuffix(")"), let open = body.lastIndex(of: "(") {
            let candidate = body[body.index(after: open)..<body.index(before: body.endIndex)]
            if !candidate.isEmpty, candidate.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) {
                name = String(candidate)
                body = String(body[..<open]).trimmingSpaces
                if body.hasSuffix(".") { body.removeLast() }
            }
        }
        return ClickHouseError(host: host, code: code, name: name, message: body)
    }
}

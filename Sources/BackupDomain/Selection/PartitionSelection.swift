/// Which partitions of which tables a backup or restore takes (`parameters["partitions"]`):
/// `db.events:202611,202612;db.logs:tuple()`. Entries are separated by `;`, each a table
/// pattern (as in the CHB's lists: `db.t`, `db.*`, globs, quoted names), a colon, and the
/// partitions as ClickHouse's `PARTITIONS` clause takes them, separated by `,`: numbers
/// (`202611`), quoted strings (`'2026-11-01'`), tuples of those (`('eu', 2026)`) and `tuple()`
/// (the one partition of a table without a partition key); any other bare word is a string
/// (`2026-11-01`). Nothing else reaches the SQL: every value is re-rendered from its parts.
/// A table matched by several entries takes the first's.
public struct PartitionSelection: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public let pattern: TablePattern
        public let partitions: [PartitionValue]
    }

    public let entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    /// Parses the parameter's text.
    /// - Throws: what is wrong and where (the caller adds the parameter's name).
    public init(parsing text: String) throws(PatternError) {
        var entries: [Entry] = []
        for item in PartitionScanner.split(text, on: ";") where !item.trimmingSpaces.isEmpty {
            let parts = PartitionScanner.split(item, on: ":", limit: 1)
            guard parts.count == 2 else { throw PatternError("entry \(BoundedText.bounded(item.trimmingSpaces, limit: 80)) must be db.table:partition,...") }
            let pattern = try TablePattern(parsing: parts[0])
            var values: [PartitionValue] = []
            for value in PartitionScanner.split(parts[1], on: ",") {
                values.append(try PartitionValue(parsing: value, table: pattern.source.trimmingSpaces))
            }
            guard !values.isEmpty else { throw PatternError("entry \(pattern.source.trimmingSpaces) names no partition") }
            entries.append(Entry(pattern: pattern, partitions: values))
        }
        guard !entries.isEmpty else { throw PatternError("names no table and partition (db.table:partition,...)") }
        self.entries = entries
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The partitions selected of `table`; nil: the whole table.
    public func partitions(of table: TableName) -> [PartitionValue]? {
        entries.first { $0.pattern.matches(database: table.database, table: table.table) }?.partitions
    }

    /// The entries that select none of `tables` (a typo would otherwise take whole tables).
    public func unmatched(by tables: [TableName]) -> [Entry] {
        entries.filter { entry in !tables.contains { entry.pattern.matches(database: $0.database, table: $0.table) } }
    }

    /// The parameter's canonical text (each value as the SQL renders it).
    public var description: String {
        entries.map { "\($0.pattern.source.trimmingSpaces):\($0.partitions.map(\.sql).joined(separator: ","))" }.joined(separator: ";")
    }
}

/// One partition, as a `PARTITIONS` clause names it.
public struct PartitionValue: Equatable, Sendable {
    /// A literal of a partition expression.
    public enum Literal: Equatable, Sendable {
        case number(String)
        case string(String)

        var sql: String {
            switch self {
            case .number(let text): return text
            case .string(let text): return SQLQuoting.string(text)
            }
        }
    }

    /// One literal (a single-column key), a tuple of them, or none: `tuple()`.
    public let literals: [Literal]
    public let isTuple: Bool

    /// As the `PARTITIONS` clause takes it.
    public var sql: String {
        if !isTuple, let only = literals.first { return only.sql }
        return literals.isEmpty ? "tuple()" : "(" + literals.map(\.sql).joined(separator: ", ") + ")"
    }

    /// As a value of `_partition_value` (always a tuple): nil for `tuple()`, which is the
    /// whole of a table without a partition key.
    public var partitionValueSQL: String? {
        guard !literals.isEmpty else { return nil }
        return isTuple ? sql : "tuple(\(sql))"
    }

    public init(literals: [Literal], isTuple: Bool) { (self.literals, self.isTuple) = (literals, isTuple) }

    init(parsing text: String, table: String) throws(PatternError) {
        let value = text.trimmingSpaces
        guard !value.isEmpty else { throw PatternError("entry \(table) has an empty partition") }
        if value.lowercased() == "tuple()" {
            self.init(literals: [], isTuple: true)
        } else if value.hasPrefix("(") {
            guard value.hasSuffix(")"), value.count > 2 else { throw PatternError("entry \(table): partition \(BoundedText.bounded(value, limit: 80)) is not a tuple of values") }
            let inner = PartitionScanner.split(String(value.dropFirst().dropLast()), on: ",")
            var literals: [Literal] = []
            for part in inner { literals.append(try Self.literal(part, table: table)) }
            self.init(literals: literals, isTuple: true)
        } else {
            self.init(literals: [try Self.literal(value, table: table)], isTuple: false)
        }
    }

    static func literal(_ text: String, table: String) throws(PatternError) -> Literal {
        let value = text.trimmingSpaces
        let shown = BoundedText.bounded(value, limit: 80)
        if value.hasPrefix("'") {
            guard let unquoted = PartitionScanner.unquote(value) else { throw PatternError("entry \(table): partition value \(shown) is not one quoted string") }
            return .string(unquoted)
        }
        if PartitionScanner.isNumber(value) { return .number(value) }
        guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:/ ".contains($0) }) else {
            throw PatternError("entry \(table): partition value \(shown) must be a number, a 'quoted string' or a plain word")
        }
        return .string(value)
    }
}

/// Splitting outside quotes and parentheses, and the literals of partition values.
enum PartitionScanner {
    /// `text` cut at each `separator` that is outside quotes (`'`, `` ` ``, `"`) and
    /// parentheses, at most `limit` times.
    static func split(_ text: String, on separator: Character, limit: Int = .max) -> [String] {
        var parts: [String] = [], current = "", quote: Character? = nil, depth = 0, escaped = false, cuts = 0
        for char in text {
            if let open = quote {
                if escaped { escaped = false } else if char == "\\" { escaped = true } else if char == open { quote = nil }
                current.append(char)
                continue
            }
            switch char {
            case "'", "`", "\"": quote = char
            case "(": depth += 1
            case ")": depth -= 1
            case separator where depth == 0 && cuts < limit:
                parts.append(current)
                current = ""
                cuts += 1
                continue
            default: break
            }
            current.append(char)
        }
        parts.append(current)
        return parts
    }

    /// The content of one single-quoted SQL string (`\'` and `''` escapes), nil when `text`
    /// is not exactly one.
    static func unquote(_ text: String) -> String? {
        let chars = Array(text)
        guard chars.count >= 2, chars.first == "'" else { return nil }
        var result = "", index = 1
        while index < chars.count {
            let char = chars[index]
            if char == "\\", index + 1 < chars.count {
                result.append(chars[index + 1])
                index += 2
            } else if char == "'" {
                if index + 1 < chars.count, chars[index + 1] == "'" {
                    result.append("'")
                    index += 2
                } else {
                    return index == chars.count - 1 ? result : nil
                }
            } else {
                result.append(char)
                index += 1
            }
        }
        return nil
    }

    /// An integer or decimal, optionally negative.
    static func isNumber(_ text: String) -> Bool {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        return !digits.isEmpty && parts.count <= 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}

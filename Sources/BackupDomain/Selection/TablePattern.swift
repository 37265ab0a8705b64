/// A `database.table` pattern from a CHB white or black list.
///
/// Forms: `db.table`, `db.*`, `*` (every table of every non-system database), with `*`
/// (any run of characters) and `?` (one character) globs in either part. A part in
/// backticks or double quotes is literal: `` `my.db`.`t*` `` names the table `t*` of the
/// database `my.db`; inside quotes a backslash escapes the next character and a doubled
/// quote stands for one.
public struct TablePattern: Equatable, Sendable, CustomStringConvertible {
    /// One side of the dot.
    public enum Part: Equatable, Sendable {
        case literal(String)
        case glob(String)

        /// Whether `name` matches.
        public func matches(_ name: String) -> Bool {
            switch self {
            case .literal(let literal): return literal == name
            case .glob(let glob): return Glob.matches(Array(glob), Array(name))
            }
        }

        /// The exact name when the part has no wildcard.
        public var exactName: String? {
            switch self {
            case .literal(let name): return name
            case .glob(let glob): return glob.contains(where: { $0 == "*" || $0 == "?" }) ? nil : glob
            }
        }

        var rendered: String {
            switch self {
            case .literal(let name): return SQLQuoting.identifier(name)
            case .glob(let glob): return glob
            }
        }
    }

    public let database: Part
    public let table: Part
    /// The text as written in the CHB.
    public let source: String

    /// Parses a pattern.
    /// - Throws: a message saying what is wrong (the caller adds the JSON path).
    public init(parsing text: String) throws(PatternError) {
        source = text
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty else { throw PatternError("must not be empty") }
        if trimmed == "*" {
            database = .glob("*")
            table = .glob("*")
            return
        }
        var scanner = PatternScanner(Array(trimmed))
        database = try scanner.part()
        guard scanner.consumeDot() else {
            throw PatternError("must be db.table, db.* or * (write db.* for a whole database)")
        }
        table = try scanner.part()
        guard scanner.atEnd else { throw PatternError("has text after the table name") }
    }

    /// Whether the pattern selects `database.table`.
    public func matches(database: String, table: String) -> Bool {
        self.database.matches(database) && self.table.matches(table)
    }

    /// Whether the pattern selects the whole database (`db.*`).
    public var isWholeDatabase: Bool { table == .glob("*") }

    public var description: String { "\(database.rendered).\(table.rendered)" }
}

/// Why a pattern was refused.
public struct PatternError: Error, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

private struct PatternScanner {
    let chars: [Character]
    var index = 0

    init(_ chars: [Character]) { self.chars = chars }

    var atEnd: Bool { index == chars.count }

    mutating func consumeDot() -> Bool {
        guard index < chars.count, chars[index] == "." else { return false }
        index += 1
        return true
    }

    mutating func part() throws(PatternError) -> TablePattern.Part {
        guard index < chars.count else { throw PatternError("has an empty name part") }
        let first = chars[index]
        if first == "`" || first == "\"" { return .literal(try quoted(first)) }
        var text = ""
        while index < chars.count, chars[index] != "." {
            let char = chars[index]
            if char == "`" || char == "\"" { throw PatternError("has a quote inside an unquoted name") }
            text.append(char)
            index += 1
        }
        guard !text.isEmpty else { throw PatternError("has an empty name part") }
        return .glob(text)
    }

    private mutating func quoted(_ quote: Character) throws(PatternError) -> String {
        index += 1
        var text = ""
        while index < chars.count {
            let char = chars[index]
            if char == "\\" {
                guard index + 1 < chars.count else { break }
                text.append(chars[index + 1])
                index += 2
            } else if char == quote {
                if index + 1 < chars.count, chars[index + 1] == quote {
                    text.append(quote)
                    index += 2
                } else {
                    index += 1
                    guard !text.isEmpty else { throw PatternError("has an empty quoted name") }
                    return text
                }
            } else {
                text.append(char)
                index += 1
            }
        }
        throw PatternError("has an unterminated quoted name")
    }
}

/// `*`/`?` matching over characters, iterative with one backtrack point (linear-ish, no
/// exponential blow-up on patterns like `a*a*a*a*b`).
enum Glob {
    static func matches(_ pattern: [Character], _ text: [Character]) -> Bool {
        var p = 0, t = 0
        var star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || (pattern[p] != "*" && pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                mark = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

extension String {
    /// The string without leading and trailing whitespace (Foundation-free).
    public var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

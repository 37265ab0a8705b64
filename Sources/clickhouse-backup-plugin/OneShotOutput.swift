import ArgumentParser
import BackupDomain
import BackupService
#if canImport(Glibc)
import Glibc
#endif

/// How a one-shot command prints its result.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Live progress of a one-shot Backup or Restore on a terminal: the operation's lines
/// (``ProgressLines``) redrawn in place twice a second, and once more at the end.
enum ProgressDisplay {
    /// Runs `body`, drawing `registry`'s newest operation meanwhile when `shown` and stdout is
    /// a terminal (never into a pipe or file: JSON readers get JSON only).
    static func showing<T: Sendable>(_ registry: OperationRegistry, when shown: Bool, _ body: () async throws -> T) async throws -> T {
        guard shown, isatty(1) != 0 else { return try await body() }
        let drawing = Task {
            var drawn = 0
            while !Task.isCancelled {
                drawn = draw(registry, over: drawn)
                try? await Task.sleep(for: .milliseconds(500))
            }
            _ = draw(registry, over: drawn)
        }
        let result: Result<T, Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        drawing.cancel()
        await drawing.value  // the last draw shows the end before the result is printed
        return try result.get()
    }

    /// Draws the lines over the `drawn` lines drawn before; returns how many it drew.
    private static func draw(_ registry: OperationRegistry, over drawn: Int) -> Int {
        guard let operation = registry.list(limit: 1).first else { return drawn }
        let lines = ProgressLines.lines(operation, now: WallClock.unixSeconds())
        var text = drawn > 0 ? "\u{1B}[\(drawn)F" : ""
        for line in lines { text += "\u{1B}[2K" + line + "\n" }
        var bytes = Array(text.utf8)
        _ = write(1, &bytes, bytes.count)
        return lines.count
    }
}

/// A result as lines for people: `key: value`, nested objects indented, lists item by item.
enum TextOutput {
    static func render(_ value: JSONValue, indent: String = "") -> String {
        switch value {
        case .object(let members):
            return members.keys.sorted().map { key in
                let member = members[key]!
                switch member {
                case .object, .array: return "\(indent)\(key):\n" + render(member, indent: indent + "  ")
                default: return "\(indent)\(key): \(render(member))"
                }
            }.joined(separator: "\n")
        case .array(let items):
            if items.isEmpty { return "\(indent)(none)" }
            return items.map { item in
                if case .object = item { return "\(indent)-\n" + render(item, indent: indent + "  ") }
                return "\(indent)- \(render(item))"
            }.joined(separator: "\n")
        case .string(let text): return text
        case .number(let text): return text
        case .bool(let flag): return String(flag)
        case .null: return "-"
        }
    }
}

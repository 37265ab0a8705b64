#if canImport(Glibc)
import Glibc
#endif
import BackupDomain
import BackupService

/// logfmt lines on stderr: `ts=... level=info msg=listening address=...`.
enum Log {
    static func info(_ message: String, _ fields: [String: String]) { write("info", message, fields) }
    static func error(_ message: String, _ fields: [String: String]) { write("error", message, fields) }

    private static func write(_ level: String, _ message: String, _ fields: [String: String]) {
        var line = "ts=\(UTCTime(unixSeconds: WallClock.unixSeconds()).iso8601) level=\(level) msg=\(quote(message))"
        for key in fields.keys.sorted() { line += " \(key)=\(quote(fields[key]!))" }
        line += "\n"
        var bytes = Array(line.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)  // one write per line: lines never interleave
    }

    private static func quote(_ value: String) -> String {
        let plain = !value.isEmpty && value.allSatisfy { !$0.isWhitespace && $0 != "\"" && $0 != "=" && $0 != "\\" }
        return plain ? value : JSONWriter.quoted(value)
    }
}

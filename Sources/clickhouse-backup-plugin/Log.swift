#if canImport(Glibc)
import Glibc
#endif
import BackupDomain
import BackupService
import Logging

/// The process's logger: swift-log with one handler that writes one line per event to
/// stderr, as logfmt (`ts=... level=info msg=listening address=...`) or JSON. Made once by
/// the command and passed to everything that logs. Values reaching it never hold secrets
/// (they are masked where they arise).
enum Log {
    enum Format: String, CaseIterable, Sendable { case logfmt, json }

    /// A logger writing `format` lines at `level` and above.
    static func logger(format: Format, level: Logger.Level) -> Logger {
        var logger = Logger(label: "clickhouse-backup-plugin") { _ in LineLogHandler(format: format) }
        logger.logLevel = level
        return logger
    }
}

extension Logger {
    /// `message` with plain string fields, the form the plugin's lines take.
    func info(_ message: String, _ fields: [String: String]) { log(level: .info, "\(message)", metadata: fields.mapValues { .string($0) }) }
    func error(_ message: String, _ fields: [String: String]) { log(level: .error, "\(message)", metadata: fields.mapValues { .string($0) }) }
    func debug(_ message: String, _ fields: [String: String]) { log(level: .debug, "\(message)", metadata: fields.mapValues { .string($0) }) }
}

/// Writes each event as one line (one `write(2)`: lines from different threads never interleave).
struct LineLogHandler: LogHandler {
    let format: Log.Format
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        // Values are bounded: one hostile request field must not become megabytes of log.
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
            fields[key] = BoundedText.bounded("\(value)", limit: Self.maxValueCharacters)
        }
        let time = UTCTime(unixSeconds: WallClock.unixSeconds()).iso8601
        var line: String
        switch format {
        case .json:
            var object: [String: JSONValue] = fields.mapValues(JSONValue.string)
            object["ts"] = .string(time)
            object["level"] = .string(event.level.rawValue)
            object["msg"] = .string("\(event.message)")
            line = JSONWriter.string(.object(object))
        case .logfmt:
            line = "ts=\(time) level=\(event.level.rawValue) msg=\(Self.quote("\(event.message)"))"
            for key in fields.keys.sorted() { line += " \(key)=\(Self.quote(fields[key]!))" }
        }
        line += "\n"
        var bytes = Array(line.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }

    /// The longest field value written whole (a status message fits).
    static let maxValueCharacters = 2000

    static func quote(_ value: String) -> String {
        let plain = !value.isEmpty && value.allSatisfy { !$0.isWhitespace && $0 != "\"" && $0 != "=" && $0 != "\\" }
        return plain ? value : JSONWriter.quoted(value)
    }
}

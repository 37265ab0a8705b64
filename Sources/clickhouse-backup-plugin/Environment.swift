#if canImport(Glibc)
import Glibc
#endif

/// Flag defaults from the environment: a flag on the command line wins, then the variable,
/// then the built-in default. Every variable is `CLICKHOUSE_BACKUP_PLUGIN_<FLAG>`. An optional
/// path is a `String` option whose empty default means "not set" (ArgumentParser deprecates
/// optional options with defaults).
enum Environment {
    static let prefix = "CLICKHOUSE_BACKUP_PLUGIN_"

    static func string(_ name: String, default fallback: String) -> String {
        guard let value = getenv(prefix + name) else { return fallback }
        return String(cString: value)
    }

    static func integer(_ name: String, default fallback: Int) -> Int {
        guard let value = getenv(prefix + name), let number = Int(String(cString: value)) else { return fallback }
        return number
    }

    static func optionalString(_ name: String) -> String? {
        guard let value = getenv(prefix + name) else { return nil }
        return String(cString: value)
    }

    static func list(_ name: String) -> [String] {
        guard let value = getenv(prefix + name) else { return [] }
        return String(cString: value).split(separator: ",").map { String($0).filter { !$0.isWhitespace } }.filter { !$0.isEmpty }
    }

    static func flag(_ name: String) -> Bool {
        ["1", "true", "yes"].contains(string(name, default: "").lowercased())
    }
}

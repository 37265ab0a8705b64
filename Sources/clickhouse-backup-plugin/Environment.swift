#if canImport(Glibc)
import Glibc
#endif

/// Flag defaults from the environment: a flag on the command line wins, then the variable,
/// then the built-in default. Every variable is `CLICKHOUSE_BACKUP_PLUGIN_<FLAG>`.
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
}

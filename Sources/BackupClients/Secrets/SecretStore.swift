import BackupDomain
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it brings ICU and ~10 MB of resident pages
#else
import Foundation
#endif
import PluginSupport

/// Resolves the CHB's secret references (`{name, key}`) to values, at execution time only.
///
/// Where it looks, in order:
/// 1. `DIRECTORY/<namespace>/<name>/<key>`: a Secret of the CHB's own namespace (the
///    operator's references name Secrets of the CHB's namespace), mounted per namespace.
/// 2. `DIRECTORY/<name>/<key>`: a Kubernetes Secret mounted as a volume (`--secrets-dir`).
///    One trailing newline is dropped (editors add one to files written by hand).
/// 3. The environment variable `CLICKHOUSE_BACKUP_PLUGIN_SECRET_<NAME>_<KEY>`, upper-cased,
///    every other character than A-Z and 0-9 turned into `_` (e.g. secret `s3-credentials`,
///    key `accessKeyId` → `CLICKHOUSE_BACKUP_PLUGIN_SECRET_S3_CREDENTIALS_ACCESSKEYID`).
///
/// A reference found nowhere is a ``Failure`` (`refused`) naming the secret and key; values
/// are never part of a message.
public struct SecretStore: Sendable {
    public var directory: String?
    public var environment: [String: String]

    public init(directory: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.directory = directory
        self.environment = environment
    }

    public static func environmentName(_ reference: SecretReference) -> String {
        let raw = "CLICKHOUSE_BACKUP_PLUGIN_SECRET_\(reference.name)_\(reference.key)".uppercased()
        return String(raw.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
    }

    /// - Parameter namespace: the CHB's namespace, looked in first.
    public func value(_ reference: SecretReference, namespace: String? = nil) throws -> String {
        let paths = candidatePaths(reference, namespace: namespace)
        for path in paths {
            if let data = FileManager.default.contents(atPath: path) {
                var text = String(decoding: data, as: UTF8.self)
                if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
                return text
            }
        }
        if let value = environment[Self.environmentName(reference)] { return value }
        let looked = paths + ["$" + Self.environmentName(reference)]
        throw Failure(.refused, "\(reference) not found (looked in \(looked.joined(separator: ", ")))")
    }

    private func candidatePaths(_ reference: SecretReference, namespace: String?) -> [String] {
        guard let directory, Self.isSafeComponent(reference.name), Self.isSafeComponent(reference.key) else { return [] }
        var paths: [String] = []
        if let namespace, Self.isSafeComponent(namespace) { paths.append("\(directory)/\(namespace)/\(reference.name)/\(reference.key)") }
        paths.append("\(directory)/\(reference.name)/\(reference.key)")
        return paths
    }

    /// A secret's name or key as a single path component: no traversal out of the directory.
    static func isSafeComponent(_ text: String) -> Bool {
        !text.isEmpty && text != "." && text != ".." && !text.contains("/") && !text.contains("\0")
    }
}

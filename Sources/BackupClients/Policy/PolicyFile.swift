import BackupDomain
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import PluginSupport

/// The policy file (`--policy-file`, YAML or JSON, typically a mounted ConfigMap), read at
/// start and again whenever it changes (inode, size or modification time: a ConfigMap update
/// swaps the `..data` link). A bad file is refused at start with the path of every bad field;
/// a bad version later keeps the last good policies and is logged once.
public final class PolicyFile: Sendable {
    /// Why a policy file was refused; `problems` name fields as `policy_file: policies[0].match`.
    public struct Refused: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let problems: [String]
        public var description: String { "policy file \(path) refused: " + problems.joined(separator: "; ") }
    }

    public let path: String
    private struct Loaded {
        /// The version last looked at, good or bad: a bad one is logged once and left.
        var seen: WatchedFile.Signature?
        var policies: PolicySet
    }
    private let state: LockedState<Loaded>
    private let logger: Logger

    /// Reads `path`. - Throws: ``Refused`` when it cannot be read or holds a bad field.
    public init(path: String, logger: Logger = Logger(label: "policy-file", factory: { _ in SwiftLogNoOpLogHandler() })) throws(Refused) {
        self.path = path
        self.logger = logger
        let seen = WatchedFile(path: path).signature()
        let policies = try Self.load(path)
        state = LockedState(Loaded(seen: seen, policies: policies))
        logger.info("policy file loaded", metadata: ["path": .string(path), "policies": .string(String(policies.policies.count))])
    }

    /// The policies now: the file is read again first when it changed.
    public func current() -> PolicySet {
        let signature = WatchedFile(path: path).signature()
        let (policies, changed) = state.withLock { loaded in
            defer { loaded.seen = signature }
            return (loaded.policies, loaded.seen != signature)
        }
        guard changed else { return policies }
        do {
            let fresh = try Self.load(path)
            state.withLock { $0.policies = fresh }
            logger.info("policy file reloaded", metadata: ["path": .string(path), "policies": .string(String(fresh.policies.count))])
            return fresh
        } catch {
            logger.error("policy file change refused; the last good policies stay", metadata: ["path": .string(path), "error": .string(error.description)])
            return policies
        }
    }

    /// Reads and decodes the file. - Throws: ``Refused``.
    public static func load(_ path: String) throws(Refused) -> PolicySet {
        guard let data = FileManager.default.contents(atPath: path) else { throw Refused(path: path, problems: ["cannot be read"]) }
        let value: JSONValue
        do { value = try YAMLDocument.parse(Array(data)) } catch { throw Refused(path: path, problems: [error.description]) }
        let issues = IssueLog()
        let policies = PolicySet.decode(JSONNode(value, document: "policy_file", log: issues))
        guard let policies, issues.issues.isEmpty else { throw Refused(path: path, problems: issues.issues.map(\.description)) }
        return policies
    }

}

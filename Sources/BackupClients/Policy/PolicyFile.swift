import BackupDomain
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import RPCRuntime

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
        var signature: [String]
        var policies: PolicySet
        /// The signature of a bad version already logged.
        var refusedSignature: [String]?
    }
    private let state: LockedState<Loaded>
    private let log: @Sendable (_ isError: Bool, _ message: String, _ fields: [String: String]) -> Void

    /// Reads `path`. - Throws: ``Refused`` when it cannot be read or holds a bad field.
    public init(path: String, log: @escaping @Sendable (Bool, String, [String: String]) -> Void = { _, _, _ in }) throws(Refused) {
        self.path = path
        self.log = log
        let signature = Self.signature(path)
        state = LockedState(Loaded(signature: signature, policies: try Self.load(path), refusedSignature: nil))
        log(false, "policy file loaded", ["path": path, "policies": String(current().policies.count)])
    }

    /// The policies now: the file is read again first when it changed.
    public func current() -> PolicySet {
        let signature = Self.signature(path)
        let (policies, changed) = state.withLock { ($0.policies, $0.signature != signature && $0.refusedSignature != signature) }
        guard changed else { return policies }
        do {
            let fresh = try Self.load(path)
            state.withLock { $0 = Loaded(signature: signature, policies: fresh, refusedSignature: nil) }
            log(false, "policy file reloaded", ["path": path, "policies": String(fresh.policies.count)])
            return fresh
        } catch {
            state.withLock { $0.refusedSignature = signature }
            log(true, "policy file change refused; the last good policies stay", ["path": path, "error": error.description])
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

    /// Inode, size and modification time (`stat` follows links), or nothing when it cannot be read.
    private static func signature(_ path: String) -> [String] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        return [String(info.st_ino), String(info.st_size), String(info.st_mtim.tv_sec), String(info.st_mtim.tv_nsec)]
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it brings ICU and ~10 MB of resident pages
#else
import Foundation
#endif
import BackupDomain
import RPCRuntime

/// An error ClickHouse reported: `Code: N. DB::Exception: message. (NAME)`, kept whole so the
/// caller sees ClickHouse's own code and words. Secrets the caller knows are masked out of
/// `message` before it is stored.
public struct ClickHouseError: Error, RPCErrorConvertible, CustomStringConvertible {
    public let host: String
    public let code: Int
    public let name: String
    public let message: String

    public init(host: String, code: Int, name: String, message: String) {
        self.host = host
        self.code = code
        self.name = name
        self.message = message
    }

    public var description: String { "ClickHouse \(host): code \(code) \(name): \(message)" }

    /// The gRPC status that tells the operator what to do about it (``ClickHouseErrorMap``).
    public var statusCode: StatusCode {
        switch code {
        case 499:  // S3_ERROR: refused keys or a missing bucket are the caller's to fix
            let refused = ["AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "Access Denied", "403"]
            if refused.contains(where: { message.contains($0) }) { return .permissionDenied }
            if message.contains("NoSuchBucket") { return .failedPrecondition }
            return .unavailable
        case _ where message.contains("already contains some data"):  // a RESTORE onto rows, whatever the code
            return .failedPrecondition
        default:
            return ClickHouseErrorMap.entry(code)?.status ?? ClickHouseErrorMap.fallback
        }
    }

    /// What the caller can do, from ``ClickHouseErrorMap`` (empty when the message says enough).
    public var remedy: String { ClickHouseErrorMap.entry(code)?.remedy ?? "" }

    public var rpcError: RPCError { RPCError(statusCode, remedy.isEmpty ? description : "\(description); \(remedy)") }

    /// Parses ClickHouse's exception text; nil when `text` holds none.
    public static func parse(_ text: String, host: String, fallbackCode: Int? = nil) -> ClickHouseError? {
        guard let codeStart = text.firstRange(of: "Code: ") else {
            guard let fallbackCode else { return nil }
            return ClickHouseError(host: host, code: fallbackCode, name: "", message: text.trimmingSpaces)
        }
        let afterCode = text[codeStart.upperBound...]
        let digits = afterCode.prefix { $0.isNumber }
        let code = Int(digits) ?? fallbackCode ?? 0
        var message = Substring(afterCode.dropFirst(digits.count))
        if message.hasPrefix(". ") { message = message.dropFirst(2) }
        if message.hasPrefix("DB::Exception: ") { message = message.dropFirst("DB::Exception: ".count) }
        var name = ""
        // The name is the last "(UPPER_CASE)" group; a "(version ...)" may follow it.
        var body = String(message).trimmingSpaces
        if body.hasSuffix(")"), let open = body.ranges(of: " (version ").last { body = String(body[..<open.lowerBound]) }
        if body.hasSuffix(")"), let open = body.lastIndex(of: "(") {
            let candidate = body[body.index(after: open)..<body.index(before: body.endIndex)]
            if !candidate.isEmpty, candidate.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) {
                name = String(candidate)
                body = String(body[..<open]).trimmingSpaces
                if body.hasSuffix(".") { body.removeLast() }
            }
        }
        return ClickHouseError(host: host, code: code, name: name, message: body)
    }
}

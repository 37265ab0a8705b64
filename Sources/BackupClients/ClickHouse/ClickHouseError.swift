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

    /// The gRPC status that tells the operator what to do about it (house error map).
    public var statusCode: StatusCode {
        switch code {
        case 192, 194, 516: return .unauthenticated  // UNKNOWN_USER, REQUIRED_PASSWORD, AUTHENTICATION_FAILED
        case 164, 497: return .permissionDenied       // READONLY, ACCESS_DENIED
        case 60, 81: return .notFound                 // UNKNOWN_TABLE, UNKNOWN_DATABASE
        case 598: return .alreadyExists               // BACKUP_ALREADY_EXISTS
        case 159, 209, 210, 394: return .unavailable  // TIMEOUT_EXCEEDED, SOCKET_TIMEOUT, NETWORK_ERROR, QUERY_WAS_CANCELLED
        case 62: return .internal                     // SYNTAX_ERROR: our SQL is wrong
        case 499:                                     // S3_ERROR
            let refused = ["AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "Access Denied", "403"]
            return refused.contains { message.contains($0) } ? .permissionDenied : .unavailable
        default:
            if message.contains("already contains some data") { return .failedPrecondition }
            return .unknown
        }
    }

    public var rpcError: RPCError { RPCError(statusCode, description) }

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

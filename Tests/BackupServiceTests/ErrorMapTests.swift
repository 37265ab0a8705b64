import BackupClients
import BackupDomain
import BackupService
import Foundation
import HTTPTransport
import PluginSupport
import RPCRuntime
import Testing

/// The one error map, as a table: every kind of failure and of domain error, and what each
/// layer's errors become.
@Suite struct ErrorMapTests {
    @Test func everyFailureKindHasItsStatus() {
        let expected: [FailureKind: StatusCode] = [
            .invalid: .invalidArgument, .refused: .failedPrecondition, .notFound: .notFound, .alreadyExists: .alreadyExists,
            .permission: .permissionDenied, .unauthenticated: .unauthenticated, .unavailable: .unavailable,
            .deadline: .deadlineExceeded, .cancelled: .cancelled, .exhausted: .resourceExhausted, .dataLoss: .dataLoss,
            .unimplemented: .unimplemented, .internal: .internal, .unknown: .unknown,
        ]
        #expect(Set(expected.keys) == Set(FailureKind.allCases))
        for (kind, code) in expected { #expect(ErrorMap.code(kind) == code, "\(kind)") }
    }

    @Test func everyDomainKindHasItsStatus() {
        let expected: [(DomainError.Kind, StatusCode)] = [
            (.invalidArgument, .invalidArgument), (.failedPrecondition, .failedPrecondition), (.notFound, .notFound),
            (.alreadyExists, .alreadyExists), (.aborted, .aborted), (.unavailable, .unavailable),
            (.permissionDenied, .permissionDenied), (.unauthenticated, .unauthenticated), (.unimplemented, .unimplemented),
            (.deadlineExceeded, .deadlineExceeded), (.cancelled, .cancelled), (.internal, .internal),
        ]
        for (kind, code) in expected { #expect(ErrorMap.code(kind) == code, "\(kind)") }
    }

    /// Each layer's error keeps its message and becomes its kind's status, with itself as the cause.
    @Test func eachLayersErrorsMapOnce() throws {
        let clickHouse = ClickHouseError(host: "h:8123", code: 60, name: "UNKNOWN_TABLE", message: "Table db.t does not exist")
        let cases: [(any Error, StatusCode, String)] = [
            (clickHouse, .notFound, "ClickHouse h:8123: code 60 UNKNOWN_TABLE: Table db.t does not exist"),
            (S3Error(.permission, "S3 s3/b/k: AccessDenied (HTTP 403)", status: 403), .permissionDenied, "S3 s3/b/k: AccessDenied (HTTP 403)"),
            (Failure(.refused, "secret s3/id not found"), .failedPrecondition, "secret s3/id not found"),
            (DomainError(.alreadyExists, "taken"), .alreadyExists, "taken"),
            (RunFailure([clickHouse, Failure(.unavailable, "b")], message: "2 hosts failed; first: x"), .notFound, "2 hosts failed; first: x"),
            (CancellationError(), .cancelled, "the call was cancelled"),
            (RPCError(.aborted, "as it is"), .aborted, "as it is"),
        ]
        for (error, code, message) in cases {
            let mapped = ErrorMap.rpcError(error)
            #expect(mapped.code == code && mapped.message == message, "\(error)")
        }
        #expect(ErrorMap.rpcError(clickHouse).cause is ClickHouseError)
        struct Opaque: Error { let secret = "never shown" }
        #expect(ErrorMap.rpcError(Opaque()) == RPCError(.internal, "internal error (Opaque)"))
    }

    /// docs/clickhouse-errors.md, row by row, is the table in force: code → name, status, remedy.
    @Test func theDocumentedClickHouseTableIsTheTableInForce() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/clickhouse-errors.md"), encoding: .utf8)
        var rows: [Int: (String, String, String)] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.dropFirst(2).dropLast(2).components(separatedBy: " | ")
            guard cells.count == 4, let code = Int(cells[0]) else { continue }
            rows[code] = (cells[1], cells[2], cells[3].replacingOccurrences(of: "\\|", with: "|").trimmingCharacters(in: .whitespaces))
        }
        #expect(Set(rows.keys) == Set(ClickHouseErrorMap.table.keys))
        for (code, entry) in ClickHouseErrorMap.table {
            let row = try #require(rows[code])
            #expect(row.0 == entry.name, "code \(code)")
            #expect(row.1 == ErrorMap.code(entry.kind).description, "code \(code)")
            #expect(row.2 == entry.remedy, "code \(code)")
        }
        #expect(ErrorMap.code(ClickHouseErrorMap.fallback) == .unknown)
    }
}

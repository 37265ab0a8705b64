@testable import BackupClients
import BackupDomain
import Foundation
import PluginSupport
import Testing

@Suite struct ClickHouseErrorTests {
    @Test func parsesCodeNameAndMessage() throws {
        let error = try #require(ClickHouseError.parse("Code: 60. DB::Exception: Table db.t does not exist. (UNKNOWN_TABLE) (version 26.9.2.1)\n", host: "h:8123"))
        #expect(error.code == 60 && error.name == "UNKNOWN_TABLE" && error.text == "Table db.t does not exist")
        #expect(error.kind == .notFound)
    }

    @Test func classifiesCodes() {
        func kind(_ code: Int, _ message: String = "x") -> FailureKind {
            ClickHouseError(host: "h", code: code, name: "", message: message).kind
        }
        #expect(kind(516) == .permission && kind(195) == .permission)
        #expect(kind(497) == .permission)
        #expect(kind(81) == .notFound)
        #expect(kind(598) == .alreadyExists)
        #expect(kind(209) == .unavailable)
        #expect(kind(499, "HTTP response code: 403, error type: ACCESS_DENIED") == .permission)
        #expect(kind(499, "Connection refused") == .unavailable)
        #expect(kind(608, "Cannot restore the table db.t because it already contains some data") == .refused)
        #expect(kind(62) == .internal)
    }

    @Test func textWithoutAnExceptionUsesTheFallbackCode() {
        #expect(ClickHouseError.parse("Bad Gateway", host: "h") == nil)
        #expect(ClickHouseError.parse("Bad Gateway", host: "h", fallbackCode: 1502)?.code == 1502)
    }
}

@Suite struct SecretStoreTests {
    @Test func mountedFilesThenEnvironment() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("s3-credentials"), withIntermediateDirectories: true)
        try "key-from-file\n".write(to: directory.appendingPathComponent("s3-credentials/accessKeyId"), atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = SecretStore(directory: directory.path,
                                environment: ["CLICKHOUSE_BACKUP_PLUGIN_SECRET_S3_CREDENTIALS_SECRETACCESSKEY": "from-env"])
        #expect(try store.value(SecretReference(name: "s3-credentials", key: "accessKeyId")) == "key-from-file")
        #expect(try store.value(SecretReference(name: "s3-credentials", key: "secretAccessKey")) == "from-env")
        do {
            _ = try store.value(SecretReference(name: "other", key: "k"))
            Issue.record("expected a failure")
        } catch let error as Failure {
            #expect(error.kind == .refused)
            #expect(error.message.hasPrefix("secret other/k not found"))
            #expect(error.message.contains("CLICKHOUSE_BACKUP_PLUGIN_SECRET_OTHER_K"))
        }
        // Issue 11: a Secret of the CHB's own namespace comes first, the shared one after.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("analytics/s3-credentials"), withIntermediateDirectories: true)
        try "key-of-analytics".write(to: directory.appendingPathComponent("analytics/s3-credentials/accessKeyId"), atomically: true, encoding: .utf8)
        let reference = SecretReference(name: "s3-credentials", key: "accessKeyId")
        #expect(try store.value(reference, namespace: "analytics") == "key-of-analytics")
        #expect(try store.value(reference, namespace: "other") == "key-from-file")
        #expect(try store.value(reference, namespace: "..") == "key-from-file")  // never a path outside
        do {
            _ = try store.value(SecretReference(name: "gone", key: "k"), namespace: "analytics")
            Issue.record("expected a failure")
        } catch let error as Failure {
            #expect(error.message.contains("\(directory.path)/analytics/gone/k, \(directory.path)/gone/k"))
        }
        // No escape from the directory through the reference.
        #expect(throws: Failure.self) { try store.value(SecretReference(name: "..", key: "etc")) }
    }
}

/// The trailing-exception check reads only the body's last line.
@Suite struct LastLineTests {
    @Test func theLastNonEmptyLine() {
        #expect(ClickHouseClient.lastLine(of: Array("a\nb\nCode: 1. DB::Exception: x\n\n".utf8)) == "Code: 1. DB::Exception: x")
        #expect(ClickHouseClient.lastLine(of: Array("only".utf8)) == "only")
        #expect(ClickHouseClient.lastLine(of: Array("\n\n".utf8)) == nil && ClickHouseClient.lastLine(of: []) == nil)
        #expect(ClickHouseClient.lastLine(of: Array("x\n\ny".utf8)) == "y")
    }
}

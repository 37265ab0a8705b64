import BackupDomain
import Foundation
import Logging
import Testing
@testable import BackupClients

@Suite struct YAMLDocumentTests {
    private func parse(_ text: String) throws -> JSONValue { try YAMLDocument.parse(Array(text.utf8)) }

    @Test func scalarsKeepTheirYAMLMeaning() throws {
        let value = try parse("""
        a: 4
        b: "4"
        c: true
        d: 'yes'
        e: ~
        f: [x, 2.5, "y"]
        g:
          - h: 30d
        """)
        #expect(value == .object(["a": .number("4"), "b": .string("4"), "c": .bool(true), "d": .string("yes"), "e": .null,
                                  "f": .array([.string("x"), .number("2.5"), .string("y")]),
                                  "g": .array([.object(["h": .string("30d")])])]))
    }

    @Test func jsonIsYAML() throws {
        #expect(try parse(#"{"policies": [{"name": "a"}]}"#) == .object(["policies": .array([.object(["name": .string("a")])])]))
    }

    @Test func aliasesRepeatedKeysAndSeveralDocumentsAreRefused() {
        for (text, message) in [("a: &x [1]\nb: *x\n", "an alias (line 1)"), ("a: 1\na: 2\n", "key \"a\" twice"),
                                ("a: 1\n---\nb: 2\n", "more than one document"), ("a: [1\n", "at line")] {
            #expect(throws: YAMLDocument.ParseError.self) { try parse(text) }
            do { _ = try parse(text) } catch { #expect(String(describing: error).contains(message), "\(error)") }
        }
    }
}

@Suite struct PolicyFileTests {
    private func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "policy-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aBadFileIsRefusedAtStartWithThePathOfTheBadField() throws {
        let path = try temporaryFile("policies:\n  - name: a\n    parameters: {type: weekly}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: PolicyFile.Refused.self) { try PolicyFile(path: path) }
        do { _ = try PolicyFile(path: path) } catch let error as PolicyFile.Refused {
            #expect(error.problems == ["policy_file: policies[0].parameters.type: must be full, incremental or auto, not \"weekly\""])
        }
        #expect(throws: PolicyFile.Refused.self) { try PolicyFile(path: path + ".missing") }
    }

    /// A change is read on the next call; a bad change keeps the last good policies, once logged.
    @Test func changesAreReadAndABadChangeKeepsTheLastGoodOne() throws {
        let path = try temporaryFile("policies: [{name: one, parameters: {type: full}}]\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let logged = LockedLines()
        let file = try PolicyFile(path: path, logger: Logger(label: "test") { _ in RecordingLogHandler(errors: logged) })
        #expect(file.current().policies.map(\.name) == ["one"])
        try "policies: [{name: two, parameters: {type: incremental}}]\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(file.current().policies.map(\.name) == ["two"])
        try "policies: [{name: three, parameters: {type: nope}}]\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(file.current().policies.map(\.name) == ["two"])
        #expect(file.current().policies.map(\.name) == ["two"])
        #expect(logged.lines == ["policy file change refused; the last good policies stay"])
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

/// Keeps the messages of error lines.
struct RecordingLogHandler: LogHandler {
    let errors: LockedLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        if event.level >= .error { errors.append("\(event.message)") }
    }
}

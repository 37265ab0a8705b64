import Foundation
@testable import BackupDomain

/// Test fixtures from the Fixtures folder beside this file.
enum Fixture {
    static func bytes(_ name: String) -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        return Array(try! Data(contentsOf: url))
    }

    static func chi(_ name: String) -> (ClickHouseInstallation?, [ValidationIssue]) {
        let log = IssueLog()
        let chi = ClickHouseInstallation.decode(JSONNode(try! JSONParser.parse(bytes(name)), document: "chi_definition", log: log))
        return (chi, log.issues)
    }

    static func chb(_ name: String) -> (BackupDefinition?, [ValidationIssue]) {
        chb(bytes: bytes(name))
    }

    static func chb(bytes: [UInt8]) -> (BackupDefinition?, [ValidationIssue]) {
        let log = IssueLog()
        let definition = BackupDefinition.decode(JSONNode(try! JSONParser.parse(bytes), document: "backup_definition", log: log))
        return (definition, log.issues)
    }

    static func chi(json: String) -> (ClickHouseInstallation?, [ValidationIssue]) {
        let log = IssueLog()
        let chi = ClickHouseInstallation.decode(JSONNode(try! JSONParser.parse(json), document: "chi_definition", log: log))
        return (chi, log.issues)
    }
}

import Testing
@testable import BackupService

/// Issue 10 item 3: a failed backup kept its ClickHouse id, which ClickHouse refuses a second
/// time, so the CHB could never be backed up again. Retries get `<id>-aN`.
@Suite struct AttemptTests {
    @Test func attemptsAreReadFromSystemBackupsByNumber() {
        let rows: [(id: String, status: String)] = [
            ("chb-x-s0-r0-a3", "CREATING_BACKUP"), ("chb-x-s0-r0", "BACKUP_FAILED"), ("chb-x-s0-r0-a2", "BACKUP_CANCELLED"),
            ("chb-x-s0-r0-from1", "RESTORED"), ("chb-x-s0-r0-a02", "BACKUP_CREATED"), ("chb-x-s0-r0-a1", "BACKUP_CREATED"),
            ("chb-x-s0-r0-ab", "BACKUP_CREATED"), ("chb-x-s0-r01", "BACKUP_CREATED"),
        ]
        let attempts = HostOperation.attempts(of: "chb-x-s0-r0", rows)
        #expect(attempts.map(\.number) == [1, 2, 3])
        #expect(attempts.map(\.id) == ["chb-x-s0-r0", "chb-x-s0-r0-a2", "chb-x-s0-r0-a3"])
        #expect(attempts.last?.status == .creatingBackup)
        #expect(HostOperation.attempts(of: "chb-x-s0-r0", []).isEmpty)
    }

    @Test func longStatementsRaiseMaxQuerySizeForThemselves() {
        #expect(HostOperation.settings(forStatementOfBytes: 10_000).isEmpty)
        #expect(HostOperation.settings(forStatementOfBytes: 1_200_000) == ["max_query_size": "1265536"])
    }
}

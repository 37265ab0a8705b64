import BackupProtocol
import Testing
@testable import BackupService

@Suite struct ProgressLinesTests {
    @Test func oneLinePerHostWithStatusFilesBytesAndTheElapsedTime() {
        let operation = Operation(operationID: "chb-1", kind: "backup", name: "nightly", chi: "ns/demo", state: "BACKUP_RUNNING", startedAt: 100,
                                  hosts: [HostProgress(shard: 0, replica: 0, fqdn: "chi-demo-main-0-0", status: "CREATING_BACKUP", numFiles: 12,
                                                       totalSize: 3_565_158),
                                          HostProgress(shard: 1, replica: 0, fqdn: "chi-demo-main-1-0-long", status: "", error: "")])
        #expect(ProgressLines.lines(operation, now: 107) == [
            "backup nightly: BACKUP_RUNNING, 7 s",
            "  0/0  chi-demo-main-0-0       CREATING_BACKUP    12 files  3.4 MiB",
            "  1/0  chi-demo-main-1-0-long  PENDING            0 files  0 B",
        ])
        #expect(ProgressLines.bytes(1023) == "1023 B" && ProgressLines.bytes(1536) == "1.5 KiB" && ProgressLines.bytes(5 << 30) == "5.0 GiB")
    }
}

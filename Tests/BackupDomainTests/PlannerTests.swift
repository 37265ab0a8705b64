import Testing
@testable import BackupDomain
import CryptoDigest

@Suite struct PlannerTests {
    static let now: Int64 = 1_795_356_987  // 2026-11-22T14:16:27Z

    func plan(_ operation: OperationParameters.Operation = .backup, chi: String = "chi-2x2-explicit.json",
              chb: [UInt8] = Fixture.bytes("chb-full.json"), parameters: [String: String] = ["dry_run": "true"]) throws(DomainError) -> OperationPlan {
        try Planner.plan(operation, Planner.Request(chiDefinition: Fixture.bytes(chi), backupDefinition: chb, parameters: parameters, digest: .openSSL), now: Self.now)
    }

    @Test func backupPlanChoosesOneReplicaPerShardAndBuildsExactSQL() throws {
        let plan = try plan()
        #expect(plan.id == "chb-" + Digest.openSSL.hex("backup\nuid:1111-2222\ns3://backups/ch/analytics/repl/nightly/").prefix(24))
        #expect(plan.name == "nightly")
        #expect(plan.location == "s3://backups/ch/analytics/repl/nightly/")
        #expect(plan.hosts.map(\.host.fqdn) == ["chi-repl-main-0-0.analytics.svc.cluster.local", "chi-repl-main-1-0.analytics.svc.cluster.local"])
        #expect(plan.hosts[0].reason.hasPrefix("replica 0 of 2 of shard 0: the first that answers"))
        #expect(plan.hosts[0].statement?.redacted == "BACKUP DATABASE `sales` EXCEPT TABLES `sales`.`tmp`, TABLE `events`.`page_views` TO S3('http://minio:9000/backups/ch/analytics/repl/nightly/shard-0/', '[HIDDEN]', '[HIDDEN]') SETTINGS id = '\(plan.id)-s0-r0' ASYNC")
        #expect(plan.hosts[1].location == "s3://backups/ch/analytics/repl/nightly/shard-1/")
        let metadata = plan.metadata()
        #expect(metadata["state"] == "Planned" && metadata["dry_run"] == "true")
        #expect(metadata["sql.1.0"] == plan.hosts[1].statement?.redacted)
        #expect(metadata["credentials"] == "access key from secret s3/id, secret key from secret s3/secret")
        #expect(try JSONParser.parse(metadata["plan"]!)["hosts"] != nil)
    }

    @Test func sameDefinitionGivesTheSameIDAndAllReplicasOnRequest() throws {
        #expect(try plan().id == plan().id)
        let all = try plan(parameters: ["dry_run": "true", "replicas": "all", "compression_method": "zstd", "compression_level": "3"])
        #expect(all.hosts.count == 4)
        #expect(all.hosts[3].location == "s3://backups/ch/analytics/repl/nightly/shard-1-replica-1/")
        #expect(all.hosts[3].statement?.redacted.hasSuffix("SETTINGS id = '\(all.id)-s1-r1', compression_method = 'zstd', compression_level = 3 ASYNC") == true)
    }

    @Test func defaultSelectionExcludesSystemDatabases() throws {
        let chb = Array(#"{"metadata":{"name":"b"},"spec":{"backup":{"s3":{"destinationPath":"s3://bkt/"}}}}"#.utf8)
        let plan = try plan(chi: "chi-1x1.json", chb: chb)
        #expect(plan.hosts[0].statement?.redacted == "BACKUP ALL EXCEPT DATABASES `system`, `INFORMATION_SCHEMA`, `information_schema` TO S3('https://bkt.s3.amazonaws.com/clickhouse/simple-01/b/shard-0/') SETTINGS id = '\(plan.id)-s0-r0' ASYNC")
        #expect(plan.tables == "all non-system tables")
        #expect(plan.credentials == "the servers' own S3 credentials (no keys in the statement)")
    }

    @Test func globsAreResolvedAtExecution() throws {
        let chb = Array(#"{"metadata":{"name":"b"},"spec":{"backup":{"dbTable":{"whiteList":["logs.events_*"]},"s3":{"destinationPath":"s3://bkt/"}}}}"#.utf8)
        let plan = try plan(chi: "chi-1x1.json", chb: chb)
        #expect(plan.hosts[0].statement == nil)
        #expect(plan.metadata()["sql.0.0"]?.hasPrefix("(built after listing the server's tables") == true)
    }

    @Test func diskDestinationNeedsNoS3() throws {
        let chb = Array(#"{"metadata":{"name":"b"}}"#.utf8)
        let plan = try plan(chi: "chi-1x1.json", chb: chb, parameters: ["dry_run": "true", "disk": "s3_backup"])
        #expect(plan.location == "disk:s3_backup:clickhouse/simple-01/b/")
        #expect(plan.hosts[0].statement?.redacted.contains("TO Disk('s3_backup', 'clickhouse/simple-01/b/shard-0/')") == true)
    }

    @Test func scheduledBackupsAreNamedAfterTheCall() throws {
        let plan = try plan(chb: Fixture.bytes("chb-scheduled.json"))
        #expect(plan.name == "hourly-20261122-141627")
        #expect(plan.location == "s3://backups/analytics/repl/hourly-20261122-141627/")
    }

    @Test func restorePlanWithRenamesAndSettings() throws {
        let plan = try plan(.restore, parameters: ["dry_run": "true", "database_mapping": "sales:sales_copy",
                                                   "allow_non_empty_tables": "true", "create_table": "if-not-exists"])
        #expect(plan.id.hasPrefix("chr-") && plan.name == "nightly-restore-20261122-141627")
        #expect(plan.hosts[0].statement?.redacted == "RESTORE DATABASE `sales` AS `sales_copy` EXCEPT TABLES `sales`.`tmp`, TABLE `events`.`page_views` FROM S3('http://minio:9000/backups/ch/analytics/repl/nightly/shard-0/', '[HIDDEN]', '[HIDDEN]') SETTINGS id = '\(plan.id)-s0-r0', allow_non_empty_tables = 1, create_table = 'if-not-exists' ASYNC")
    }

    /// Issue 10 item 1: restore ids were unique per call, so a retried restore started a
    /// second RESTORE into the same tables and doubled the rows.
    @Test func aRestoreIdIsStablePerBackupAndTarget() throws {
        let first = try plan(.restore)
        let later = try Planner.plan(.restore, Planner.Request(chiDefinition: Fixture.bytes("chi-2x2-explicit.json"),
                                                               backupDefinition: Fixture.bytes("chb-full.json"), parameters: [:], digest: .openSSL),
                                     now: Self.now + 3600)
        #expect(later.id == first.id, "the same restore an hour later is the same operation")
        #expect(later.hosts[0].operationID == first.hosts[0].operationID)
        // Another target, or another shape of what is written, is another restore.
        #expect(try plan(.restore, parameters: ["database_mapping": "sales:sales_copy"]).id != first.id)
        #expect(try plan(.restore, parameters: ["structure_only": "true"]).id != first.id)
        let otherCHI = Array(String(decoding: Fixture.bytes("chi-2x2-explicit.json"), as: UTF8.self)
            .replacingOccurrences(of: "\"name\":\"repl\"", with: "\"name\":\"repl-copy\"").utf8)
        #expect(try Planner.plan(.restore, Planner.Request(chiDefinition: otherCHI, backupDefinition: Fixture.bytes("chb-full.json"),
                                                           parameters: [:], digest: .openSSL), now: Self.now).id != first.id)
        #expect(try plan(.restore, parameters: ["allow_non_empty_tables": "true"]).id == first.id)
    }

    @Test func restoreOfAScheduleNeedsABackupName() throws {
        #expect(throws: DomainError.invalid([ValidationIssue(path: "parameters[\"backup_name\"]", problem: "is required to restore from a ClickHouseScheduledBackup: name one of its backups")])) {
            try plan(.restore, chb: Fixture.bytes("chb-scheduled.json"))
        }
        let named = try plan(.restore, chb: Fixture.bytes("chb-scheduled.json"), parameters: ["dry_run": "1", "backup_name": "hourly-20261122-130000"])
        #expect(named.location == "s3://backups/analytics/repl/hourly-20261122-130000/")
    }

    @Test func crossDocumentProblems() {
        let wrongCHI = Array(#"{"metadata":{"name":"b"},"spec":{"ClickhouseInstallation":{"name":"other","cluster":{"name":"nope"}}}}"#.utf8)
        do {
            _ = try plan(chb: wrongCHI, parameters: ["dry_run": "true", "restore_only": "x", "compression_method": "rar"])
            Issue.record("expected a failure")
        } catch {
            #expect(error.kind == .invalidArgument)
            #expect(error.issues.map(\.description) == [
                "parameters[\"compression_method\"]: must be one of lz4, lz4hc, zstd, deflate, brotli, xz, bz2, lzma, gzip, none, not \"rar\"",
                "parameters[\"restore_only\"]: is not a backup parameter; known: " + OperationParameters.keys(for: .backup).sorted().joined(separator: ", "),
                "backup_definition: spec.backup.s3: is required (or name a backup disk in parameters[\"disk\"])",
                "backup_definition: spec.ClickhouseInstallation.name: names ClickHouseInstallation \"other\", but chi_definition is \"repl\"",
                "backup_definition: spec.ClickhouseInstallation.cluster.name: names cluster \"nope\", which the CHI does not have (it has \"main\")",
            ])
        }
        do {
            _ = try plan(chb: wrongCHI)
            Issue.record("expected a failure")
        } catch {
            #expect(error.issues.map(\.description) == [
                "backup_definition: spec.backup.s3: is required (or name a backup disk in parameters[\"disk\"])",
                "backup_definition: spec.ClickhouseInstallation.name: names ClickHouseInstallation \"other\", but chi_definition is \"repl\"",
                "backup_definition: spec.ClickhouseInstallation.cluster.name: names cluster \"nope\", which the CHI does not have (it has \"main\")",
            ])
            #expect(error.message.hasPrefix("invalid request, 3 problems:\n- backup_definition: spec.backup.s3"))
        }
    }

    @Test func blackListThatRemovesEverythingIsRefused() {
        let chb = Array(#"{"metadata":{"name":"b"},"spec":{"backup":{"dbTable":{"whiteList":["a.t"],"blackList":["a.*"]},"s3":{"destinationPath":"s3://bkt/"}}}}"#.utf8)
        #expect(throws: DomainError.self) { try plan(chi: "chi-1x1.json", chb: chb) }
    }

    @Test func emptyAndBrokenDocuments() {
        do {
            _ = try Planner.plan(.backup, Planner.Request(chiDefinition: [], backupDefinition: Array("{".utf8), parameters: [:], digest: .openSSL), now: 0)
        } catch {
            #expect(error.issues.map(\.description) == [
                "backup_definition: (root): is not valid JSON (invalid JSON at byte 1: expected a member name)",
                "chi_definition: (root): is required (the ClickHouseInstallation as JSON)",
            ])
        }
    }
}

/// Issue 15's load and storage options: parameters to ClickHouse's own settings, in the plan's SQL.
@Suite struct LoadAndStorageOptionTests {
    @Test func bandwidthStorageClassAndNativeCopyAreSettingsOfTheStatement() throws {
        let log = IssueLog()
        let parsed = OperationParameters.parse(["max_backup_bandwidth": "50M", "storage_class": "STANDARD_IA", "allow_s3_native_copy": "false"],
                                               for: .backup, log: log)
        #expect(log.issues.isEmpty && parsed.maxBackupBandwidth == 50_000_000 && parsed.storageClass == "STANDARD_IA" && parsed.allowS3NativeCopy == false)
        #expect(OperationParameters.parseByteRate("1G") == 1_000_000_000 && OperationParameters.parseByteRate("12") == 12)
        #expect(OperationParameters.parseByteRate("x") == nil && OperationParameters.parseByteRate("99999999999999999G") == nil)
        let bad = IssueLog()
        _ = OperationParameters.parse(["max_backup_bandwidth": "fast", "storage_class": "glacier'"], for: .backup, log: bad)
        #expect(bad.issues.map(\.path) == ["parameters[\"max_backup_bandwidth\"]", "parameters[\"storage_class\"]"])
        let restore = IssueLog()
        _ = OperationParameters.parse(["allow_s3_native_copy": "true", "max_backup_bandwidth": "1M"], for: .restore, log: restore)
        #expect(restore.issues.map(\.path) == ["parameters[\"max_backup_bandwidth\"]"])  // native copy applies to restores too
    }
}

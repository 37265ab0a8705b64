import Testing
@testable import BackupDomain

@Suite struct BackupChainsTests {
    static let day: Int64 = 86400
    func record(_ name: String, _ kind: BackupRecord.Kind, base: String? = nil, at: Int64, state: ManifestState = .completed, shards: Int = 2) -> BackupRecord {
        BackupRecord(name: name, id: "id-\(name)", state: state, kind: kind, base: base, startedAt: at, stoppedAt: at + 10,
                     totalSize: 100, shards: shards, location: "s3://b/\(name)/")
    }

    var chain: [BackupRecord] {
        [record("f1", .full, at: 0), record("i1", .incremental, base: "f1", at: 100), record("i2", .incremental, base: "i1", at: 200)]
    }

    @Test func autoBuildsOnTheLatestLinkOfTheLastFullChain() throws {
        let choice = try BackupChains.choose(.auto, records: chain, shards: 2, now: 300, fullInterval: 7 * Self.day)
        guard case .incremental(let base, _) = choice else { Issue.record("expected incremental, got \(choice)"); return }
        #expect(base.name == "i2")
    }

    @Test func autoTakesAFullBackupWhenTheLastFullIsTooOldOrMissing() throws {
        guard case .full(let reason) = try BackupChains.choose(.auto, records: chain, shards: 2, now: 8 * Self.day, fullInterval: 7 * Self.day) else {
            Issue.record("expected full"); return
        }
        #expect(reason.contains("the last full backup f1 is 691200s old"))
        guard case .full = try BackupChains.choose(.auto, records: [], shards: 2, now: 0, fullInterval: 1) else { Issue.record("expected full"); return }
    }

    @Test func failedIncompleteAndBrokenBackupsAreNeverBases() throws {
        var records = chain + [record("i3", .incremental, base: "i2", at: 300, state: .failed),
                               record("i4", .incremental, base: "gone", at: 400)]
        guard case .incremental(let base, _) = try BackupChains.choose(.auto, records: records, shards: 2, now: 500, fullInterval: Self.day) else {
            Issue.record("expected incremental"); return
        }
        #expect(base.name == "i2")
        records.append(record("other", .full, at: 450, shards: 3))  // another layout: not a base here
        guard case .incremental(let same, _) = try BackupChains.choose(.incremental, records: records, shards: 2, now: 500, fullInterval: Self.day) else {
            Issue.record("expected incremental"); return
        }
        #expect(same.name == "i2")
    }

    @Test func explicitIncrementalWithNothingToBuildOnIsRefused() {
        #expect(throws: DomainError.self) { try BackupChains.choose(.incremental, records: [], shards: 2, now: 0, fullInterval: 1) }
    }

    @Test func basesAreWalkedNearestFirstAndABrokenLinkIsNamed() throws {
        #expect(try BackupChains.bases(of: chain[2], in: chain).get().map(\.name) == ["i1", "f1"])
        let broken = [chain[0], chain[2]]
        guard case .failure(let error) = BackupChains.bases(of: chain[2], in: broken) else { Issue.record("expected failure"); return }
        #expect(error.message == "base backup i1 of i2 is missing: the chain of i2 is broken")
    }

    @Test func recordsComeFromManifests() throws {
        let manifest = try JSONParser.parse(Array(#"""
        {"backup_name":"i1","backup_id":"chb-1","state":"Completed","type":"incremental","base_backup":"f1","started_at":5,
         "stopped_at":9,"shards":2,"location":"s3://b/i1/","hosts":[{"shard":0,"total_size":7},{"shard":1,"total_size":8}]}
        """#.utf8))
        #expect(BackupManifest(json: manifest)?.record == BackupRecord(name: "i1", id: "chb-1", state: .completed, kind: .incremental, base: "f1",
                                                                startedAt: 5, stoppedAt: 9, totalSize: 15, shards: 2, location: "s3://b/i1/"))
    }

    @Test func durations() {
        #expect(OperationParameters.parseDuration("7d") == 604800)
        #expect(OperationParameters.parseDuration("90") == 90)
        #expect(OperationParameters.parseDuration("12h") == 43200)
        #expect(OperationParameters.parseDuration("x") == nil && OperationParameters.parseDuration("") == nil && OperationParameters.parseDuration("d") == nil)
    }

    @Test func incrementalStatementsNameTheirBaseAsASecretBearingSetting() throws {
        var statement = BackupStatement(verb: .backup, elements: [.table(TableName(database: "d", table: "t"))],
                                        destination: .s3(url: "http://s3/b/new/shard-0/", accessKeyID: .value("AK"), secretAccessKey: .value("SK")),
                                        settings: [("id", .string("x"))])
        statement.baseBackup = .s3(url: "http://s3/b/old/shard-0/", accessKeyID: .value("AK"), secretAccessKey: .value("SK"))
        #expect(statement.redacted == "BACKUP TABLE `d`.`t` TO S3('http://s3/b/new/shard-0/', '[HIDDEN]', '[HIDDEN]') SETTINGS id = 'x', base_backup = S3('http://s3/b/old/shard-0/', '[HIDDEN]', '[HIDDEN]') ASYNC")
        #expect(try statement.executable().hasSuffix("base_backup = S3('http://s3/b/old/shard-0/', 'AK', 'SK') ASYNC"))
    }
}

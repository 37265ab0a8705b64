import Testing
@testable import BackupDomain

/// Fingerprints, verification records and the SQL verification sends.
@Suite struct VerificationTests {
    let events = TableName(database: "shop", table: "events")

    @Test func fingerprintsCompareOnlyWhatIsCertain() {
        let prints = TableFingerprint.record([events, TableName(database: "shop", table: "log")], before: [events: 10],
                                             after: [events: 10], hashes: [events: (10, "123")])
        #expect(prints[0] == TableFingerprint(table: events, rows: 10, hash: "123") && prints[1].rows == nil && !prints[1].comparable)
        #expect(prints[0].mismatch(rows: 10, hash: "123") == nil)
        #expect(prints[0].mismatch(rows: 9, hash: "123") == "9 rows, the backup recorded 10")
        #expect(prints[0].mismatch(rows: 10, hash: "5") == "the rows' hash is 5, the backup recorded 123")
        let changed = TableFingerprint.record([events], before: [events: 10], after: [events: 12])[0]
        #expect(changed.changed && changed.mismatch(rows: 0, hash: nil) == nil)  // nothing certain to compare
    }

    @Test func verificationsRoundTripThroughTheManifestAndSummarise() throws {
        let passed = BackupVerification(verifiedAt: 1_796_000_000, hosts: ["h0"], tables: [
            .init(part: "0", table: events, rows: 10, hash: "1", problem: nil), .init(part: "1", table: events, rows: 20, hash: "2", problem: nil)])
        #expect(passed.passed && passed.summary == "passed: 2 tables, 30 rows")
        var failed = passed
        failed.tables[1].problem = "unreadable: CANNOT_READ_ALL_DATA"
        #expect(!failed.passed && failed.summary == "failed: shop.events (part 1): unreadable: CANNOT_READ_ALL_DATA")
        #expect(BackupVerification(json: try JSONParser.parse(Array(JSONWriter.string(failed.json).utf8))) == failed)
        var manifest = BackupManifest(pluginVersion: "t", state: .completed, backupID: "id", backupName: "b", chi: ("ns", "c", "m"),
                                      chb: ("ns", "b", nil), location: "s3://x/", kind: .full, base: nil, tables: "all", compression: "default",
                                      startedAt: 1, stoppedAt: 2, shards: 2, hosts: [], skipped: [], error: nil)
        manifest.verification = failed
        let read = try #require(BackupManifest(json: try JSONParser.parse(Array(JSONWriter.string(manifest.json).utf8))))
        #expect(read.verification == failed && read.record.verification == BackupRecord.Verdict(at: 1_796_000_000, passed: false, summary: failed.summary))
    }

    @Test func theBackupDatabaseStatementQuotesAndHidesItsSecrets() throws {
        let destination = BackupDestination.s3(url: "http://s3/b/p/shard-0/", accessKeyID: .value("AK'1"), secretAccessKey: .value("SECRET"))
        let statement = AttachedBackupDatabase(name: "__verify_1_0", database: "shop", destination: destination)
        #expect(try statement.executable() == #"CREATE DATABASE `__verify_1_0` ENGINE = Backup('shop', S3('http://s3/b/p/shard-0/', 'AK\'1', 'SECRET'))"#)
        #expect(statement.redacted == "CREATE DATABASE `__verify_1_0` ENGINE = Backup('shop', S3('http://s3/b/p/shard-0/', '[HIDDEN]', '[HIDDEN]'))")
        let unresolved = AttachedBackupDatabase(name: "x", database: "shop",
                                                destination: .s3(url: "u", accessKeyID: .reference(SecretReference(name: "s", key: "k")), secretAccessKey: .value("v")))
        #expect(throws: DomainError.self) { try unresolved.executable() }
    }

    @Test func verifyTakesAHostAndABackupName() throws {
        let chb = Array(#"{"metadata":{"name":"b","namespace":"ns"},"spec":{"ClickhouseInstallation":{"name":"demo"},"backup":{"s3":{"destinationPath":"s3://bucket/p/","endpointURL":"http://s3","s3Credentials":{"accessKeyId":{"name":"s","key":"a"},"secretAccessKey":{"name":"s","key":"b"}}}}}}"#.utf8)
        let scope = try CatalogScope.decode(.verify, chiDefinition: [], backupDefinition: chb, parameters: ["host": "chi-demo-main-0-0", "backup_name": "b"])
        #expect(scope.host == "chi-demo-main-0-0" && scope.backupName == "b")
        #expect(throws: DomainError.self) { try CatalogScope.decode(.verify, chiDefinition: [], backupDefinition: chb, parameters: ["keep_last": "1"]) }
    }
}

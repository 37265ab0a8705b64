import Testing
@testable import BackupDomain

@Suite struct BackupDefinitionDecodingTests {
    @Test func fullDefinitionDecodesAndIgnoresUnknownFields() throws {
        let (chb, issues) = Fixture.chb("chb-full.json")
        #expect(issues.isEmpty)
        let definition = try #require(chb)
        #expect(definition.kind == .backup)
        #expect(definition.name == "nightly" && definition.namespace == "analytics" && definition.uid == "1111-2222")
        #expect(definition.chiName == "repl" && definition.clusterName == "main")
        #expect(definition.filter.whiteList.map(\.source) == ["sales.*", "events.page_views"])
        #expect(definition.filter.blackList.map(\.source) == ["sales.tmp"])
        let s3 = try #require(definition.s3)
        #expect(s3.bucket == "backups" && s3.prefix == "ch/" && s3.endpoint == "http://minio:9000")
        #expect(s3.credentials == S3Destination.Credentials(accessKeyID: SecretReference(name: "s3", key: "id"),
                                                            secretAccessKey: SecretReference(name: "s3", key: "secret")))
        #expect(s3.url(forKey: "ch/x y/") == "http://minio:9000/backups/ch/x%20y/")
    }

    @Test func scheduledBackupIsRecognised() throws {
        let (chb, issues) = Fixture.chb("chb-scheduled.json")
        #expect(issues.isEmpty)
        #expect(chb?.kind == .scheduled(schedule: "0 * * * *"))
        #expect(chb?.s3?.prefix == "" && chb?.s3?.endpoint == nil && chb?.s3?.credentials == nil)
        #expect(chb?.s3?.url(forKey: "a/b/") == "https://backups.s3.amazonaws.com/a/b/")
    }

    @Test func everyProblemIsReportedAtOnceWithItsPath() {
        let (_, issues) = Fixture.chb("chb-invalid.json")
        let described = issues.map(\.description)
        #expect(described == [
            "backup_definition: metadata.name: is required",
            "backup_definition: metadata.namespace: must be a Kubernetes namespace name, not \"Bad_NS\"",
            "backup_definition: spec.method: must be \"plugin\" for this plugin, not \"velero\"",
            "backup_definition: spec.pluginConfiguration.name: names plugin \"other.plugin\"; this is clickhouse.backup.altinity.com",
            "backup_definition: spec.backup.dbTable.whiteList[0]: \"nodot\" must be db.table, db.* or * (write db.* for a whole database)",
            "backup_definition: spec.backup.dbTable.whiteList[1]: \"db.`unterminated\" has an unterminated quoted name",
            "backup_definition: spec.backup.dbTable.whiteList[2]: must be a string, not a number",
            "backup_definition: spec.backup.dbTable.blackList: must be an array, not a string",
            "backup_definition: spec.backup.s3.destinationPath: must be s3://BUCKET/PREFIX/ with a valid bucket name, not \"gs://bucket/x\"",
            "backup_definition: spec.backup.s3.endpointURL: must be http(s)://HOST[:PORT] with no path, query or credentials, not \"http://user:pw@minio:9000/path\"",
            "backup_definition: spec.backup.s3.s3Credentials.accessKeyId.key: is required",
            "backup_definition: spec.backup.s3.s3Credentials.secretAccessKey: is required when the other key of s3Credentials is set ({\"name\": SECRET, \"key\": KEY})",
        ])
    }

    @Test func destinationPaths() {
        #expect(BackupDefinition.parseDestination("s3://bucket") ?? ("", "x") == ("bucket", ""))
        #expect(BackupDefinition.parseDestination("s3://bucket/a/b") ?? ("", "") == ("bucket", "a/b/"))
        #expect(BackupDefinition.parseDestination("s3://bucket//a/") == nil || BackupDefinition.parseDestination("s3://bucket//a/")! == ("bucket", "a/"))
        #expect(BackupDefinition.parseDestination("s3://ab/x") == nil)  // bucket names have 3+ characters
        #expect(BackupDefinition.parseDestination("s3://Bucket/x") == nil)
        #expect(BackupDefinition.parseDestination("s3://bucket/a//b") == nil)
    }

    @Test func endpoints() {
        #expect(BackupDefinition.parseEndpoint("http://minio:9000/") == "http://minio:9000")
        #expect(BackupDefinition.parseEndpoint("https://s3.eu-west-1.amazonaws.com") == "https://s3.eu-west-1.amazonaws.com")
        #expect(BackupDefinition.parseEndpoint("http://[::1]:9000") == "http://[::1]:9000")
        #expect(BackupDefinition.parseEndpoint("http://minio:99999") == nil)
        #expect(BackupDefinition.parseEndpoint("ftp://minio") == nil)
        #expect(BackupDefinition.parseEndpoint("http://minio/bucket") == nil)
        #expect(BackupDefinition.parseEndpoint("http://minio:9000?x=') ") == nil)
    }
}

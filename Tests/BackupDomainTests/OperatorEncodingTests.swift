import Testing
@testable import BackupDomain
import CryptoDigest

/// Issue 11 item 1: the operator marshals Go structs, so unset parts arrive as empty objects
/// and null times; they mean "not set", never an error. Fixtures: Fixtures/operator/README.md.
@Suite struct OperatorEncodingTests {
    func plan(chi: String, chb: [UInt8]) throws(DomainError) -> OperationPlan {
        try Planner.plan(.backup, Planner.Request(chiDefinition: Fixture.bytes(chi), backupDefinition: chb, parameters: [:], digest: .openSSL),
                         now: 1_796_000_000)
    }

    @Test func aCHBWithoutCredentialsAndAnUnsetClusterPlansOnTheServersOwnCredentials() throws {
        let plan = try plan(chi: "operator/chi-stored-one-cluster.json", chb: Fixture.bytes("operator/chb-no-credentials.json"))
        #expect(plan.cluster == "main")
        #expect(plan.definition.s3?.credentials == nil && plan.definition.filter == TableFilter())
        #expect(plan.credentials == "the servers' own S3 credentials (no keys in the statement)")
        #expect(plan.hosts.map(\.host.fqdn) == ["chi-demo-main-0-0.analytics.svc.cluster.local", "chi-demo-main-1-0.analytics.svc.cluster.local"])
        #expect(plan.hosts[0].statement?.redacted.contains("TO S3('https://backups.s3.amazonaws.com/clickhouse/analytics/demo/nightly/shard-0/')") == true)
    }

    /// controller-runtime's cache returns the CHB without apiVersion/kind (and with
    /// managedFields): the same plan.
    @Test func aCHBWithoutTypeMetaPlansTheSame() throws {
        let bare = try plan(chi: "operator/chi-stored-one-cluster.json", chb: Fixture.bytes("operator/chb-as-sent-without-typemeta.json"))
        let full = try plan(chi: "operator/chi-stored-one-cluster.json", chb: Fixture.bytes("operator/chb-no-credentials.json"))
        #expect(bare.id == full.id && bare.json == full.json)
    }

    @Test func anUnsetClusterWithSeveralClustersSaysWhichExist() throws {
        let chi = Array(#"{"metadata":{"name":"demo","namespace":"analytics"},"spec":{"configuration":{"clusters":[{"name":"a"},{"name":"b"}]}}}"#.utf8)
        let chb = Fixture.bytes("operator/chb-no-credentials.json")
        #expect(throws: DomainError.invalid([ValidationIssue(path: "backup_definition: spec.ClickhouseInstallation.cluster.name",
                                                             problem: "is required: the CHI has 2 clusters (\"a\", \"b\")")])) {
            try Planner.plan(.backup, Planner.Request(chiDefinition: chi, backupDefinition: chb, parameters: [:], digest: .openSSL), now: 0)
        }
    }

    @Test func halfSetCredentialsNameTheMissingHalf() throws {
        let text = String(decoding: Fixture.bytes("operator/chb-no-credentials.json"), as: UTF8.self)
            .replacingOccurrences(of: #""accessKeyId":{}"#, with: #""accessKeyId":{"name":"s3","key":"id"}"#)
        #expect(throws: DomainError.invalid([ValidationIssue(path: "backup_definition: spec.backup.s3.s3Credentials.secretAccessKey",
                                                             problem: "is required when the other key of s3Credentials is set ({\"name\": SECRET, \"key\": KEY})")])) {
            try plan(chi: "operator/chi-stored-one-cluster.json", chb: Array(text.utf8))
        }
    }

    /// Issue 11 item 2: a CHI without clusters was refused; the operator creates cluster
    /// `cluster` of 1 x 1 (its normalizer's default).
    @Test func aCHIWithoutClustersHasTheOperatorsDefaultCluster() throws {
        let chb = Array(String(decoding: Fixture.bytes("operator/chb-no-credentials.json"), as: UTF8.self)
            .replacingOccurrences(of: #""name":"demo""#, with: #""name":"solo""#).utf8)
        let plan = try plan(chi: "operator/chi-stored-no-clusters.json", chb: chb)
        #expect(plan.cluster == "cluster" && plan.shardCount == 1)
        #expect(plan.hosts.map(\.host.fqdn) == ["chi-solo-cluster-0-0.analytics.svc.cluster.local"])
    }
}

import Foundation
import Testing
@testable import BackupDomain

/// The operator's own 246 example CHIs (Fixtures/operator-examples, from
/// Altinity/clickhouse-operator 50e8d04 `docs/chi-examples` and `tests/e2e/manifests`): every
/// one is laid out, and the ones that exercise a rule are checked against values worked out
/// by hand from the operator's Go code.
@Suite struct OperatorConformanceTests {
    private static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/operator-examples")

    private func example(_ name: String) -> (ClickHouseInstallation?, [ValidationIssue]) {
        Fixture.chi("operator-examples/\(name).json")
    }

    private func hosts(_ name: String) throws -> [BackupDomain.Host] {
        let (chi, issues) = example(name)
        #expect(issues.isEmpty, "\(name): \(issues)")
        return try #require(chi).clusters.flatMap(\.hosts)
    }

    /// Every example is accepted except three the operator's own rules make unusable: a CHI
    /// name Kubernetes refuses, and two layouts whose names give one address to two hosts.
    @Test func everyExampleIsLaidOut() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(names.count == 246)
        var refused: [String: String] = [:]
        var hostCount = 0
        for file in names {
            let (chi, issues) = example(String(file.dropLast(5)))
            if let first = issues.first { refused[file] = first.path } else { hostCount += try #require(chi).clusters.reduce(0) { $0 + $1.hosts.count } }
        }
        #expect(refused == [
            "docs__chi-examples__13-distribution-03-3x3-distribution-detailed.json": "chi_definition: metadata.name",
            // shards "shard1" and "shard2" both list a host named "replica0".
            "docs__chi-examples__99-clickhouseinstallation-max.json": "chi_definition: spec.configuration.clusters[3].layout.shards[2].replicas[0].name",
            // shard 0 is named "1" and shard 1 becomes "1": both have a host "1-1".
            "docs__chi-examples__evolution__04-update-introduce-canary.json": "chi_definition: spec.configuration.clusters[0].name",
        ])
        #expect(hostCount > 500)
    }

    /// 15-hostNetwork-01: a hostNetwork pod template in spec.defaults and no host template:
    /// the operator's ClusterScopeIndex default, 8123 + the host's index in the cluster.
    @Test func hostNetworkDefaultDistribution() throws {
        #expect(try hosts("docs__chi-examples__15-hostNetwork-01-simple").map(\.clickHousePort) == Array(8123...8128))
    }

    /// 15-hostNetwork-02: host template with ClusterScopeIndex from httpPort 11000, 3 x 3.
    @Test func hostTemplateClusterScopeIndex() throws {
        #expect(try hosts("docs__chi-examples__15-hostNetwork-02-simple-port-distribution").map(\.clickHousePort) == Array(11000...11008))
    }

    /// 15-hostNetwork-05: replicas only, a host template per replica (Unspecified distribution).
    @Test func hostTemplatePerReplica() throws {
        #expect(try hosts("docs__chi-examples__15-hostNetwork-05-expanded-fixed-replicas").map(\.clickHousePort)
                == [10001, 11001, 12001, 10001, 11001, 12001, 10001, 11001, 12001])
    }

    /// test-007-custom-ports: spec.configuration.settings http_port.
    @Test func chiLevelSettingsPort() throws {
        let found = try hosts("tests__e2e__manifests__chi__test-007-custom-ports")
        #expect(found.map(\.clickHousePort) == [8124] && found[0].portSource == "spec.configuration.settings.http_port")
    }

    /// test-034-https: insecure "no", secure "yes": only HTTPS, on the settings' https_port.
    @Test func httpsOnly() throws {
        let found = try hosts("tests__e2e__manifests__chi__test-034-https")
        #expect(found.map(\.secure) == [true] && found.map(\.clickHousePort) == [8443])
    }

    /// 22-secure-ssl-01: secure "yes" but insecure left on: the operator itself talks HTTP
    /// (scheme auto), so does the plugin.
    @Test func secureClusterKeepsHTTP() throws {
        #expect(try hosts("docs__chi-examples__22-secure-ssl-01-files-plaintext").map { "\($0.secure) \($0.clickHousePort)" } == ["false 8123"])
    }

    /// test-012-service-template: replicaServiceTemplate in spec.defaults with generateName
    /// "service-{chi}-{shard}-{replica}" (the operator's e2e test looks for these Services).
    @Test func replicaServiceTemplateNamesTheHosts() throws {
        #expect(try hosts("tests__e2e__manifests__chi__test-012-service-template").map(\.fqdn)
                == ["service-test-012-0-0.test-ns.svc.cluster.local", "service-test-012-1-0.test-ns.svc.cluster.local"])
    }

    /// 18-namespace-domain-pattern: "%s.svc".
    @Test func namespaceDomainPattern() throws {
        #expect(try hosts("docs__chi-examples__18-namespace-domain-pattern").map(\.fqdn)
                == ["chi-namespace-domain-pattern-shard1-repl2-0-0.test-ns.svc", "chi-namespace-domain-pattern-shard1-repl2-0-1.test-ns.svc"])
    }

    /// 02-templates-03: a host template in spec.defaults with httpPort 7001.
    @Test func defaultHostTemplatePort() throws {
        #expect(try hosts("docs__chi-examples__02-templates-03-host-template-volume-claim-and-pod-resources-limit").map(\.clickHousePort) == [7001])
    }
}

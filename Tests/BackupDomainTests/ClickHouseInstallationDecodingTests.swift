import Testing
@testable import BackupDomain

@Suite struct ClickHouseInstallationDecodingTests {
    @Test func oneShardOneReplicaUsesStatusFQDNs() throws {
        let (chi, issues) = Fixture.chi("chi-1x1.json")
        #expect(issues.isEmpty)
        let cluster = try #require(chi?.clusters.first)
        #expect(chi?.name == "simple-01" && chi?.namespace == "clickhouse")
        #expect(cluster.shards.count == 1 && cluster.hosts.count == 1)
        let host = cluster.hosts[0]
        #expect(host.fqdn == "chi-simple-01-simple-0-0.clickhouse.svc.cluster.local")
        #expect(host.fqdnSource == .status)
        #expect(host.httpPort == 8123 && !host.secure && host.clickHousePort == 8123)
    }

    @Test func twoByTwoExplicitKeepsPortsAndSecureFlags() throws {
        let (chi, issues) = Fixture.chi("chi-2x2-explicit.json")
        #expect(issues.isEmpty)
        let hosts = try #require(chi?.clusters.first?.hosts)
        #expect(hosts.map(\.name) == ["0-0", "0-1", "1-0", "1-1"])
        #expect(hosts.map(\.fqdn) == [
            "chi-repl-main-0-0.analytics.svc.cluster.local", "chi-repl-main-0-1.analytics.svc.cluster.local",
            "chi-repl-main-1-0.analytics.svc.cluster.local", "chi-repl-main-1-1.analytics.svc.cluster.local",
        ])
        #expect(hosts.map(\.fqdnSource) == Array(repeating: .naming, count: 4))  // no status: derived
        #expect(hosts[0].httpPort == 8124 && hosts[0].portSource == "spec.configuration.clusters[0].layout.shards[0].replicas[0].httpPort")
        // Only HTTPS (insecure: no): the plugin dials HTTPS, as the operator's own connection does.
        #expect(hosts[3].secure && hosts[3].clickHousePort == 9443)
        #expect(!hosts[1].secure && hosts[1].clickHousePort == 8123 && hosts[1].portSource == "default")
        #expect(hosts.map(\.shardIndex) == [0, 0, 1, 1] && hosts.map(\.replicaIndex) == [0, 1, 0, 1])
    }

    @Test func replicaMajorLayoutIsTransposedIntoShards() throws {
        let (chi, issues) = Fixture.chi("chi-replica-major.json")
        #expect(issues.isEmpty)
        let cluster = try #require(chi?.clusters.first)
        #expect(cluster.shards.count == 3)
        #expect(cluster.shards.allSatisfy { $0.replicas.count == 2 })
        #expect(cluster.shards[0].replicas.map(\.name) == ["0-a", "custom-host"])
        #expect(cluster.shards[2].replicas.map(\.name) == ["2-a", "2-b"])
        #expect(cluster.shards[0].replicas[1].fqdn == "chi-rm-events-custom-host.prod.svc.corp.example")
        #expect(cluster.shards[0].replicas[1].httpPort == 18123)
    }

    /// CHI name cut to 60 characters, cluster to 15 (short.Namer); the Service name that
    /// makes is longer than a DNS label, which Kubernetes refuses: without status.fqdns it is
    /// refused here too, naming the rule; with them, they are the hosts.
    @Test func longNamesAreCutAsTheOperatorCutsThem() throws {
        let (_, issues) = Fixture.chi("chi-odd-names.json")
        #expect(issues.map(\.description) == [
            "chi_definition: spec.configuration.clusters[0].name: gives host \"0-0\" the Service name \"chi-a-very-long-installation-name-that-goes-past-the-sixty-chara-cluster-name-lo-0-0\" (chi-{chi}-{cluster}-{host}), which is not a DNS label (lower-case letters, digits, '-', at most 63): the operator cannot create it",
        ])
        var document = try JSONParser.parse(Fixture.bytes("chi-odd-names.json"))
        if case .object(var members) = document {
            members["status"] = .object(["fqdns": .array([.string("chi-short-0-0.team-x.svc.cluster.local")])])
            document = .object(members)
        }
        let (chi, statusIssues) = Fixture.chi(json: JSONWriter.string(document))
        #expect(statusIssues.isEmpty)
        #expect(chi?.clusters.first?.hosts.first?.fqdnSource == .status)
    }

    @Test func countedLayoutWithoutLayoutDefaultsToOneHost() throws {
        let (chi, issues) = Fixture.chi(json: #"{"metadata":{"name":"x"},"spec":{"configuration":{"clusters":[{"name":"c"}]}}}"#)
        #expect(issues.isEmpty)
        #expect(chi?.namespace == "default")
        #expect(chi?.clusters.first?.hosts.map(\.fqdn) == ["chi-x-c-0-0.default.svc.cluster.local"])
    }

    @Test func statusFQDNsWithTheWrongCountAreIgnored() throws {
        let (chi, issues) = Fixture.chi(json: #"{"metadata":{"name":"x","namespace":"n"},"spec":{"configuration":{"clusters":[{"name":"c","layout":{"shardsCount":2}}]}},"status":{"fqdns":["only-one.n.svc.cluster.local"]}}"#)
        #expect(issues.isEmpty)
        #expect(chi?.clusters.first?.hosts.map(\.fqdnSource) == [.naming, .naming])
    }

    @Test func everyProblemIsReportedWithItsPath() {
        let (chi, issues) = Fixture.chi(json: """
        {"metadata":{"name":"Bad Name","namespace":"ns"},
         "spec":{"namespaceDomainPattern":"svc.local",
          "configuration":{"clusters":[{"name":"c","layout":{"shardsCount":-1,"replicasCount":"2",
            "shards":[{"replicas":[{"httpPort":70000,"secure":"maybe"}]}]}},{"layout":{}}]}}}
        """)
        #expect(chi != nil)  // the name is present, only invalid
        let paths = Set(issues.map(\.path))
        #expect(paths == [
            "chi_definition: metadata.name",
            "chi_definition: spec.namespaceDomainPattern",
            "chi_definition: spec.configuration.clusters[0].layout.shardsCount",
            "chi_definition: spec.configuration.clusters[0].layout.replicasCount",
            "chi_definition: spec.configuration.clusters[0].layout.shards[0].replicas[0].httpPort",
            "chi_definition: spec.configuration.clusters[0].layout.shards[0].replicas[0].secure",
        ])  // the second cluster has no name: the operator accepts that, and so do we
    }

    @Test func hugeCountsAreRefusedBeforeExpansion() {
        let (_, issues) = Fixture.chi(json: #"{"metadata":{"name":"x"},"spec":{"configuration":{"clusters":[{"name":"c","layout":{"shardsCount":4000,"replicasCount":4000}}]}}}"#)
        #expect(issues.map(\.problem).contains("expands to more than 4096 hosts"))
    }

    /// Issue 11 item 2: the operator's normalizer gives a CHI without clusters one cluster
    /// named "cluster" of 1 x 1; it was refused here.
    @Test func missingClustersGiveTheOperatorsDefaultAndNonObjectRootIsRefused() throws {
        let (chi, issues) = Fixture.chi(json: #"{"metadata":{"name":"x","namespace":"ns"}}"#)
        #expect(issues.isEmpty)
        let cluster = try #require(chi?.clusters.first)
        #expect(chi?.clusters.count == 1 && cluster.name == "cluster" && cluster.shards.count == 1 && cluster.hosts.count == 1)
        #expect(cluster.hosts[0].fqdn == "chi-x-cluster-0-0.ns.svc.cluster.local")
        #expect(Fixture.chi(json: "[1]").1.map(\.description) == ["chi_definition: (root): must be an object, not an array"])
    }
}

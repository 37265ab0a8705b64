import Testing
@testable import BackupDomain

/// `pkg/model/common/macro/engine.go` and `pkg/model/common/namer/short`.
@Suite struct OperatorMacrosTests {
    private func address(cluster: String = "main", shard: String = "0", replica: String = "1", clusterScopeIndex: Int = 0,
                         offset: Int = 0) -> HostAddress {
        HostAddress(namespace: "ns", chiName: "demo", clusterName: cluster, clusterIndex: 2, shardName: shard, shardIndex: 0,
                    replicaName: replica, replicaIndex: 1, chiScopeIndex: 7, clusterScopeIndex: clusterScopeIndex,
                    clusterScopeCycleOffset: offset)
    }

    /// short.Namer.namePart*: StringHead (bytes) then sanitize (Trim "-_.").
    @Test func cutNamesLoseSeparatorsAtTheirEnds() {
        #expect(OperatorMacros.namePart("abcdefghijklmn-xyz", limit: 15) == "abcdefghijklmn")
        #expect(OperatorMacros.namePart("_lead.", limit: 15) == "lead")
        #expect(OperatorMacros.namePart("short", limit: 15) == "short")
    }

    /// patternStatefulSetServiceName with newReplacerHost.
    @Test func theDefaultServicePatternUsesCutNames() {
        let long = address(cluster: "a-cluster-name-longer-than-15")
        #expect(OperatorMacros.expand(OperatorMacros.defaultServicePattern, for: long, hostName: "0-1") == "chi-demo-a-cluster-name-0-1")
    }

    /// newReplacerHost: every macro; the operator's swapped shard/replica scope indexes kept.
    @Test func everyHostMacroExpands() {
        let line = OperatorMacros.expand("{namespace}/{chi}/{cluster}/{clusterIndex}/{shard}/{shardIndex}/{replica}/{replicaIndex}/{host}/{chiScopeIndex}/{clusterScopeIndex}/{shardScopeIndex}/{replicaScopeIndex}",
                                         for: address(clusterScopeIndex: 3), hostName: "h")
        #expect(line == "ns/demo/main/2/0/0/1/1/h/7/3/1/0")
    }

    /// strings.Replacer: one pass, unknown braces stay, expansions are not expanded again.
    @Test func expansionIsOnePass() {
        #expect(OperatorMacros.expand("{{chi}}-{unknown}-{host", for: address(), hostName: "{chi}") == "{demo}-{unknown}-{host")
        #expect(OperatorMacros.expand("x-{host}", for: address(), hostName: "{chi}") == "x-{chi}")
    }

    /// clusterScopeIndexOfPreviousCycleTail.
    @Test func previousCycleTail() {
        let macro = "{clusterScopeCycleHeadPointsToPreviousCycleTail}"
        #expect(OperatorMacros.expand(macro, for: address(clusterScopeIndex: 0), hostName: "h") == "0")
        #expect(OperatorMacros.expand(macro, for: address(clusterScopeIndex: 4, offset: 0), hostName: "h") == "3")
        #expect(OperatorMacros.expand(macro, for: address(clusterScopeIndex: 4, offset: 1), hostName: "h") == "4")
    }

    /// createPodFQDN and normalizeNamespaceDomainPattern.
    @Test func fqdnFollowsTheDomainPattern() {
        #expect(OperatorHostRules.fqdn(service: "chi-demo-main-0-1", namespace: "ns", domainPattern: nil) == "chi-demo-main-0-1.ns.svc.cluster.local")
        #expect(OperatorHostRules.fqdn(service: "s", namespace: "ns", domainPattern: "%s.svc.k8s.local") == "s.ns.svc.k8s.local")
        #expect(OperatorHostRules.fqdn(service: "s", namespace: "ns", domainPattern: "%s.%s.bad") == "s.ns.svc.cluster.local")
    }

    @Test func kubernetesNames() {
        #expect(KubernetesNames.isSubdomain("nightly-2026.11"))
        #expect(!KubernetesNames.isSubdomain("Nightly"))
        #expect(!KubernetesNames.isSubdomain("a..b"))
        #expect(!KubernetesNames.isSubdomain("-a"))
        #expect(KubernetesNames.isLabel("team-x"))
        #expect(!KubernetesNames.isLabel("team.x"))
        #expect(!KubernetesNames.isLabel(String(repeating: "a", count: 64)))
    }
}

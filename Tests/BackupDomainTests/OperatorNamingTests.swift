import Testing
@testable import BackupDomain

@Suite struct OperatorNamingTests {
    @Test func cutNamesLoseSeparatorsAtTheirEnds() {
        #expect(OperatorNaming.namePart("abcdefghijklmn-xyz", limit: 15) == "abcdefghijklmn")
        #expect(OperatorNaming.namePart("_lead.", limit: 15) == "lead")
        #expect(OperatorNaming.namePart("short", limit: 15) == "short")
    }

    @Test func fqdnFollowsTheDomainPattern() {
        #expect(OperatorNaming.hostFQDN(chi: "demo", cluster: "main", host: "0-1", namespace: "ns", domainPattern: nil)
                == "chi-demo-main-0-1.ns.svc.cluster.local")
        #expect(OperatorNaming.hostFQDN(chi: "demo", cluster: "main", host: "0-1", namespace: "ns", domainPattern: "%s.svc.k8s.local")
                == "chi-demo-main-0-1.ns.svc.k8s.local")
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

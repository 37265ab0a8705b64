import Testing
@testable import BackupDomain
import CryptoDigest

@Suite struct PolicySetTests {
    private func decode(_ json: String) -> (PolicySet?, [String]) {
        let log = IssueLog()
        let set = PolicySet.decode(JSONNode(try! JSONParser.parse(json), document: "policy_file", log: log))
        return (set, log.issues.map(\.description))
    }

    private static let file = #"""
    {"policies":[
      {"name":"gold","match":{"namespaces":["prod","team-*"],"chb":"nightly-*","labels":{"tier":"gold"}},
       "parameters":{"type":"full","keep_full_chains":4,"max_age":"30d","replicas":"all","allow_non_empty_tables":true}},
      {"name":"everyone-else","parameters":{"type":"incremental"}}]}
    """#

    @Test func theFirstMatchingPolicyGivesWhatTheRequestDoesNotSet() throws {
        let (set, issues) = decode(Self.file)
        #expect(issues.isEmpty)
        let gold = PolicySet.Subject(namespace: "team-a", chi: "c", chb: "nightly-1", labels: ["tier": "gold", "x": "y"])
        let (backup, policy) = try #require(set).parameters(["replicas": "first"], for: .backup, subject: gold)
        #expect(policy == "gold")
        #expect(backup == ["type": "full", "keep_full_chains": "4", "max_age": "30d", "replicas": "first"])  // the request wins
        // A restore gets only the keys a restore has.
        #expect(try #require(set).parameters([:], for: .restore, subject: gold).parameters == ["replicas": "all", "allow_non_empty_tables": "true"])
        // No label, other namespace or name: the catch-all.
        for other in [PolicySet.Subject(namespace: "team-a", chi: "c", chb: "nightly-1"),
                      PolicySet.Subject(namespace: "dev", chi: "c", chb: "nightly-1", labels: ["tier": "gold"]),
                      PolicySet.Subject(namespace: "prod", chi: "c", chb: "weekly", labels: ["tier": "gold"])] {
            #expect(try #require(set).parameters([:], for: .backup, subject: other) == (["type": "incremental"], "everyone-else"))
        }
    }

    @Test func badFieldsAreNamedWithTheirPaths() {
        let (_, issues) = decode(#"""
        {"policies":[{"name":"a","matchh":{},"match":{"chis":["x"]},"parameters":{"type":"fulll","dry_run":"true","nope":"1","keep_full_chains":"0"}},
                     {"name":"a"}], "extra":1}
        """#)
        #expect(issues.sorted() == [
            "policy_file: extra: is not a policy file key; known: policies",
            "policy_file: policies[0].match.chis: is not a match key; known: chb, chi, chiLabels, labels, namespaces",
            "policy_file: policies[0].matchh: is not a policy key; known: match, name, parameters",
            "policy_file: policies[0].parameters.dry_run: cannot be set by a policy (a policy that made every call a dry run would back nothing up)",
            "policy_file: policies[0].parameters.keep_full_chains: must be a count from 1 to 100000, not \"0\"",
            "policy_file: policies[0].parameters.nope: is not a parameter; known: " + Set(OperationParameters.keys(for: .backup) + OperationParameters.keys(for: .restore)).sorted().joined(separator: ", "),
            "policy_file: policies[0].parameters.type: must be full, incremental or auto, not \"fulll\"",
            "policy_file: policies[1].name: repeats policy \"a\"",
        ])
    }

    /// The planner matches on the CHB's namespace, name and labels and the CHI's name and
    /// labels, and the plan names the policy and the retention that follows.
    @Test func thePlanNamesThePolicy() throws {
        let (set, _) = decode(#"{"policies":[{"name":"analytics","match":{"chi":"repl","chiLabels":{"team":"data"}},"parameters":{"type":"full","keep_full_chains":"2"}}]}"#)
        var chi = try JSONParser.parse(Fixture.bytes("chi-2x2-explicit.json"))
        if case .object(var root) = chi, case .object(var metadata)? = root["metadata"] {
            metadata["labels"] = .object(["team": .string("data")])
            root["metadata"] = .object(metadata)
            chi = .object(root)
        }
        let request = Planner.Request(chiDefinition: Array(JSONWriter.string(chi).utf8), backupDefinition: Fixture.bytes("chb-full.json"),
                                      parameters: ["dry_run": "true"], policies: try #require(set), digest: .openSSL)
        let plan = try Planner.plan(.backup, request, now: 1_700_000_000)
        #expect(plan.policy == "analytics" && plan.parameters.backupType == .full && plan.parameters.keepFullChains == 2)
        #expect(plan.metadata()["policy"] == "analytics")
        #expect(plan.metadata()["retention"] == "after the backup: keep the newest 2 chains (the newest chain always stays)")
        // Without the CHI's label, no policy.
        let unlabelled = try Planner.plan(.backup, Planner.Request(chiDefinition: Fixture.bytes("chi-2x2-explicit.json"),
                                                                   backupDefinition: Fixture.bytes("chb-full.json"),
                                                                   parameters: ["dry_run": "true"], policies: try #require(set), digest: .openSSL), now: 1_700_000_000)
        #expect(unlabelled.policy == nil && unlabelled.parameters.backupType == .auto)
    }
}

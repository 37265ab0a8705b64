import Testing
@testable import BackupDomain

@Suite struct RetentionTests {
    func record(_ name: String, base: String? = nil, at: Int64, state: ManifestState = .completed) -> BackupRecord {
        BackupRecord(name: name, id: "id-\(name)", state: state, kind: base == nil ? .full : .incremental, base: base,
                     startedAt: at, stoppedAt: at + 1, totalSize: 1, shards: 1, location: "")
    }

    /// Three chains: a (0..), b (100..), c (200..), each a full backup and two links.
    var records: [BackupRecord] {
        ["a", "b", "c"].enumerated().flatMap { index, chain in
            let at = Int64(index) * 100
            return [record("\(chain)0", at: at), record("\(chain)1", base: "\(chain)0", at: at + 10), record("\(chain)2", base: "\(chain)1", at: at + 20)]
        }
    }

    @Test func chainsAreWholeAndNewestFirst() {
        #expect(Retention.chains(records).map { $0.links.map(\.name) } == [["c0", "c1", "c2"], ["b0", "b1", "b2"], ["a0", "a1", "a2"]])
    }

    @Test func keepingChainsDeletesWholeOlderChainsDependentsFirst() {
        let decision = Retention.apply(records, keepFullChains: 2, maxAge: nil, now: 300)
        #expect(decision.delete.map(\.name) == ["a2", "a1", "a0"])
        #expect(decision.keep.count == 6)
    }

    @Test func maxAgeLooksAtAChainsNewestBackupAndNeverDropsTheNewestChain() {
        #expect(Retention.apply(records, keepFullChains: nil, maxAge: 200, now: 300).delete.map(\.name) == ["a2", "a1", "a0"])
        #expect(Retention.apply(records, keepFullChains: nil, maxAge: 1, now: 10_000).delete.map(\.name)
                == ["b2", "b1", "b0", "a2", "a1", "a0"])
    }

    @Test func dependentsAndBrokenBackups() {
        #expect(Retention.dependents(of: "b1", in: records).map(\.name) == ["b2"])
        let extra = records.filter { $0.name != "b1" } + [record("f", at: 50, state: .failed), record("p", at: 290, state: .inProgress),
                                                          record("old", at: 0, state: .inProgress)]
        let broken = Retention.broken(extra, now: 300, olderThan: 100)
        #expect(broken.map(\.record.name) == ["b2", "f", "old"])
        #expect(broken[0].reason == "base backup b1 of b2 is missing: the chain of b2 is broken")
    }

    @Test func catalogParametersAreCheckedPerCall() throws {
        let chb = Array(#"{"metadata":{"name":"x","namespace":"ns"},"spec":{"ClickhouseInstallation":{"name":"demo"},"backup":{"s3":{"destinationPath":"s3://bucket/p/"}}}}"#.utf8)
        let scope = try CatalogScope.decode(.retention, chiDefinition: [], backupDefinition: chb, parameters: ["keep_full_chains": "2", "max_age": "30d"])
        #expect(scope.catalogKey == "ns/demo/" && scope.keepFullChains == 2 && scope.maxAge == 30 * 86400)
        do {
            _ = try CatalogScope.decode(.get, chiDefinition: [], backupDefinition: chb, parameters: ["force": "true"])
            Issue.record("expected a failure")
        } catch {
            #expect(error.issues.map(\.path) == ["parameters[\"force\"]", "parameters[\"backup_name\"]"])
        }
    }
}

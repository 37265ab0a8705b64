import BackupClients
import Foundation
import PluginSupport
import Testing

@Suite struct ClickHouseErrorMapTests {
    @Test func everyRestoreAndBackupRefusalIsAKindTheCallerCanActOn() {
        func kind(_ code: Int, _ message: String = "x") -> FailureKind {
            ClickHouseError(host: "h", code: code, name: "", message: message).kind
        }
        // Issue 10 item 8: a restore onto a table with another definition was UNKNOWN.
        #expect(kind(608, "Cannot restore table db.t: the table has a different definition") == .refused)
        #expect(kind(607) == .refused)
        #expect(kind(253) == .refused)
        #expect(kind(601) == .dataLoss && kind(605) == .dataLoss)
        #expect(kind(599) == .notFound)
        #expect(kind(241) == .exhausted)
        #expect(kind(999) == .unavailable && kind(663) == .unavailable)
        #expect(kind(499, "The specified bucket does not exist (NoSuchBucket)") == .refused)
        #expect(kind(12345) == .unknown)
    }

    @Test func theRemedyFollowsClickHousesWords() {
        let error = ClickHouseError(host: "h:8123", code: 608, name: "CANNOT_RESTORE_TABLE", message: "Cannot restore table db.t")
        #expect(error.kind == .refused)
        #expect(error.message == "ClickHouse h:8123: code 608 CANNOT_RESTORE_TABLE: Cannot restore table db.t; the table exists "
                + "with another definition or holds rows: drop it, or restore under another name (parameters[\"database_mapping\"])")
    }
}

@Suite struct StaleReplicaTests {
    /// Issue 10: a replica path Keeper still holds is FAILED_PRECONDITION naming the table, the
    /// path and the statement that clears it (the message as chdb 26.9 writes it).
    @Test func theLeftoverReplicaIsNamedWithItsRemedy() throws {
        let text = "Code: 253. DB::Exception: Replica /clickhouse/tables/0/rr/r/replicas/chi-demo-main-0-0 already exists: "
            + "While creating table rr.r. (REPLICA_ALREADY_EXISTS) (version 26.9.2.1)"
        let error = try #require(ClickHouseError.parse(text, host: "h:8123"))
        let stale = try #require(error.staleReplica)
        #expect(stale == ClickHouseError.StaleReplica(table: "rr.r", zookeeperPath: "/clickhouse/tables/0/rr/r", replica: "chi-demo-main-0-0"))
        #expect(stale.dropStatement == "SYSTEM DROP REPLICA 'chi-demo-main-0-0' FROM ZKPATH '/clickhouse/tables/0/rr/r'")
        #expect(error.kind == .refused)
        #expect(error.message.hasSuffix("table rr.r: Keeper path /clickhouse/tables/0/rr/r still has replica chi-demo-main-0-0 "
            + "(left by a table dropped without SYNC, or a lost host): run SYSTEM DROP REPLICA 'chi-demo-main-0-0' FROM ZKPATH "
            + "'/clickhouse/tables/0/rr/r' on this host and call again, or call with parameters[\"drop_stale_replicas\"] = \"true\" "
            + "to have the plugin run it"))
        #expect(ClickHouseError(host: "h", code: 253, name: "", message: "something else").staleReplica == nil)
    }
}

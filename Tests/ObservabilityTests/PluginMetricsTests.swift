import BackupDomain
@testable import Observability
import RPCRuntime
import Testing

@Suite struct PluginMetricsTests {
    func outcome(failure: (String, String)? = nil, bytes: Int64? = 4096, reused: Bool = false) -> OperationOutcome {
        OperationOutcome(operation: "backup", id: "chb-1", backupName: "nightly", chi: "prod/events", cluster: "main",
                         failure: failure, duration: .milliseconds(1500), bytes: bytes, finishedAt: 1_790_000_000, reused: reused)
    }

    func lines(_ metrics: PluginMetrics) -> Set<String> {
        Set(String(decoding: metrics.exposition(), as: UTF8.self).split(separator: "\n").map(String.init))
    }

    @Test func callsAreCountedByServiceMethodAndCodeAndUnknownMethodsShareOneSeries() {
        let metrics = PluginMetrics(version: "1.2.3")
        for code in [StatusCode.ok, .ok, .unavailable] {
            metrics.record(CallRecord(method: "/altinity.backup.v1.Backup/Backup", code: code, message: "", duration: .milliseconds(20),
                                      peer: "", peerIdentity: nil, annotations: [:]))
        }
        for invented in ["/a.B/C", "/d.E/F"] {
            metrics.record(CallRecord(method: invented, code: .unimplemented, message: "", duration: .milliseconds(1),
                                      peer: "", peerIdentity: nil, annotations: [:], routed: false))
        }
        let text = lines(metrics)
        let backup = #"rpc_system="grpc",rpc_service="altinity.backup.v1.Backup",rpc_method="Backup""#
        #expect(text.contains("rpc_server_duration_seconds_count{\(backup),rpc_grpc_status_code=\"0\"} 2"))
        #expect(text.contains("rpc_server_duration_seconds_count{\(backup),rpc_grpc_status_code=\"14\"} 1"))
        #expect(text.contains("rpc_server_duration_seconds_bucket{\(backup),rpc_grpc_status_code=\"0\",le=\"0.025\"} 2"))
        #expect(text.contains("rpc_server_duration_seconds_bucket{\(backup),rpc_grpc_status_code=\"0\",le=\"0.005\"} 0"))
        #expect(text.contains(#"rpc_server_duration_seconds_count{rpc_system="grpc",rpc_service="unknown",rpc_method="unknown",rpc_grpc_status_code="12"} 2"#))
        #expect(!text.contains { $0.contains("a.B") })
        #expect(text.contains(#"clickhouse_backup_plugin_build_info{version="1.2.3"} 1.0"#))
    }

    @Test func runsCountBytesAndTheLastSuccessButReusedAnswersAddNoBytes() {
        let metrics = PluginMetrics(version: "1", running: { ["backup": 2] })
        metrics.record(outcome())
        metrics.record(outcome(reused: true))
        metrics.record(outcome(failure: ("UNAVAILABLE", "S3 down"), bytes: nil))
        metrics.record(outcome(failure: ("CANCELLED", "cancelled"), bytes: nil))
        let text = lines(metrics)
        #expect(text.contains(#"clickhouse_backup_plugin_operations_total{operation="backup",result="completed",code="OK"} 2"#))
        #expect(text.contains(#"clickhouse_backup_plugin_operation_duration_seconds_count{operation="backup",result="failed"} 1"#))
        #expect(text.contains(#"clickhouse_backup_plugin_operations_total{operation="backup",result="failed",code="UNAVAILABLE"} 1"#))
        #expect(text.contains(#"clickhouse_backup_plugin_operations_total{operation="backup",result="cancelled",code="CANCELLED"} 1"#))
        #expect(text.contains(#"clickhouse_backup_plugin_operation_bytes_total{operation="backup"} 4096"#))
        #expect(text.contains(#"clickhouse_backup_plugin_last_size_bytes{operation="backup",chi="prod/events"} 4096.0"#))
        #expect(text.contains(#"clickhouse_backup_plugin_last_success_timestamp_seconds{operation="backup",chi="prod/events"} 1790000000.0"#))
        #expect(text.contains(#"clickhouse_backup_plugin_operations_running{operation="backup"} 2.0"#))
        #expect(text.contains(#"clickhouse_backup_plugin_operations_running{operation="restore"} 0.0"#))
    }

    @Test func notificationBodiesCarryTheOutcome() throws {
        let done = String(decoding: Notifier.webhookBody(outcome(), version: "1"), as: UTF8.self)
        #expect(done.contains(#""event":"backup.completed""#) && done.contains(#""bytes":4096"#)
                && done.contains(#""duration_seconds":1.500"#) && done.contains(#""finished_at":"2026-09-21T14:13:20Z""#)
                && !done.contains("\"error\""))
        let failed = String(decoding: Notifier.webhookBody(outcome(failure: ("UNAVAILABLE", "S3 down"), bytes: nil), version: "1"), as: UTF8.self)
        #expect(failed.contains(#""event":"backup.failed""#) && failed.contains(#""code":"UNAVAILABLE""#) && failed.contains(#""error":"S3 down""#))
        let slack = String(decoding: Notifier.slackBody(outcome(failure: ("UNAVAILABLE", "S3 down"), bytes: nil)), as: UTF8.self)
        #expect(slack == #"{"text":":x: backup of `nightly` (CHI `prod/events`, cluster `main`) failed with UNAVAILABLE in 1.500 s\n>S3 down"}"#)
    }
}

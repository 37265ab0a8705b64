import BackupClients
import BackupDomain
import HTTPTransport
import Logging
import PluginSupport

/// What execution needs from the process: the HTTP client, ClickHouse credentials, where
/// secrets live, and how to pace polling and bound S3 retries.
public struct ExecutionEnvironment: Sendable {
    public var http: HTTPClient
    public var clickHouse: ClickHouseCredentials
    public var secrets: SecretStore
    /// SigV4 region for the plugin's own S3 requests (manifests).
    public var s3Region: String
    /// The policy file's policies as they are now (`--policy-file`; none without one).
    public var policies: @Sendable () -> PolicySet = { PolicySet() }
    /// `backup_restore_s3_retry_attempts` for every BACKUP/RESTORE: a dead endpoint fails in
    /// seconds instead of ClickHouse's default of 1000 attempts.
    public var s3RetryAttempts: Int
    public var poll: PollSchedule
    /// How often a running host's progress is logged (a stuck host shows before the call ends).
    public var progressLogInterval: Duration = .seconds(30)
    /// Shards run at once when a request does not say (`parameters["parallel_shards"]`).
    public var parallelShards: Int
    /// How long a replica has to answer `SELECT 1` before it counts as down.
    public var probeTimeout: Duration
    /// Seconds after which `type=auto` takes a full backup again.
    public var fullInterval: Int64
    /// `--clickhouse-tls`: every host over HTTPS (its `httpsPort`), whatever the CHI says.
    public var clickHouseTLS = false
    /// Where operation events go (start, per-host end, end): failures as errors, the rest as
    /// info. A run adds `operation_id`, `chi`, `cluster` and `backup` to its metadata. Fields
    /// never hold secrets: values are masked before they get here.
    public var logger: Logger
    /// Opens a session with one ClickHouse server (endpoint, credentials, secrets to mask in
    /// its errors): HTTP by default, a scripted server in unit tests.
    public var connect: @Sendable (ClickHouseEndpoint, ClickHouseCredentials, [String]) -> any ClickHouseSession
    /// The object store of the plugin's own requests, signed as given: S3 by default.
    public var objectStore: @Sendable (AWSSigning?) -> any ObjectStore
    /// Writes a completed backup leaves for after its answer: its catalog-index update and
    /// the release of its lock (neither is what makes the backup complete: its manifest is,
    /// and a listing reads a manifest the index does not say is completed). `serve` waits for
    /// them at shutdown, a one-shot command before it exits. Shared by every copy.
    public var deferredWrites = BackgroundTasks()
    /// Told how every run ended (metrics, notifications). Called on the run's task: it must
    /// not block (hand slow work to a task of its own).
    public var onOutcome: @Sendable (OperationOutcome) -> Void = { _ in }

    public init(http: HTTPClient, clickHouse: ClickHouseCredentials, secrets: SecretStore, s3Region: String = "us-east-1",
                s3RetryAttempts: Int = 3, poll: PollSchedule = PollSchedule(), parallelShards: Int = 8,
                probeTimeout: Duration = .seconds(5), fullInterval: Int64 = 7 * 86400,
                logger: Logger = Logger(label: "clickhouse-backup-plugin", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.http = http
        self.clickHouse = clickHouse
        self.secrets = secrets
        self.s3Region = s3Region
        self.s3RetryAttempts = s3RetryAttempts
        self.poll = poll
        self.parallelShards = parallelShards
        self.probeTimeout = probeTimeout
        self.fullInterval = fullInterval
        self.logger = logger
        connect = { endpoint, credentials, secrets in
            ClickHouseClient(http: http, endpoint: endpoint, credentials: credentials, secrets: secrets)
        }
        objectStore = { signing in S3Client(http: http, signing: signing) }
    }
}

extension ExecutionEnvironment {
    /// How a host is reached: HTTPS when the CHI marks it secure or `--clickhouse-tls` is set.
    func endpoint(for host: Host) -> ClickHouseEndpoint {
        let secure = host.secure || clickHouseTLS
        return ClickHouseEndpoint(host: host.fqdn, port: secure ? host.httpsPort : host.httpPort, secure: secure)
    }

    /// `fqdn:port` as messages and metadata name a host.
    func address(of host: Host) -> String { "\(host.fqdn):\(endpoint(for: host).port)" }
}

/// Adaptive polling of system.backups: the wait before the next poll is a `fraction` of the
/// time the operation has run, kept between `initial` and `maximum`. Small operations are seen
/// ending within milliseconds; a long one is noticed on average `fraction / 2` late, and each
/// poll competes with the backup for the server's CPU (measured in bench/backup.py: polling
/// every 20 ms slowed a 1 s backup by 8% on two cores), so the pace drops as it runs: one
/// query per `maximum` once it has run `maximum / fraction` (40 s). A poll is a read of
/// system.backups, whose cost grows with every operation the server has run (25 ms with 180
/// rows on chdb): the wait is also at least `costFactor` times what the last poll took, so
/// polling never takes more than a fifth of a server's time, however long its history. Most
/// polls are not such reads: once the operation is known to run, a poll looks for a backup's
/// `.backup` file in its bucket (twice as often: that costs the server nothing) or else for its
/// query in `system.processes`, and `system.backups` is read once per `progressInterval` and
/// when the end is seen (``QueryWatch``).
public struct PollSchedule: Sendable {
    public var initial: Duration = .milliseconds(10)
    public var fraction: Double = 0.05
    public var maximum: Duration = .seconds(2)
    public var costFactor: Int = 4
    /// While an operation runs (watched in its bucket or in `system.processes`), its status and
    /// progress in `system.backups` are read this often, and never more often than
    /// `costFactor` times what that read costs (``QueryWatch``).
    public var progressInterval: Duration = .seconds(1)
    /// A BACKUP expected to write at most this many bytes is sent without ASYNC and awaited
    /// instead of followed (``HostOperation/awaitsInline(_:bytes:)``; `--inline-backup-mib`); 0: never.
    /// ClickHouse's own time for the same BACKUP sent ASYNC was 1.04x-1.13x the synchronous
    /// one's (126 MB, bench/backup.py), and a followed end is seen up to a poll late; awaited,
    /// a backup of up to 256 MiB (a second or two here) costs neither, and shows no progress
    /// before its answer. Bigger ones are followed, their end watched in the bucket.
    public var inlineBytes: Int64 = 256 << 20
    /// The same bound for a RESTORE, whose bytes are those its backup recorded. A backup's end
    /// is watched in its bucket, at no cost to the server; a restore's cannot be (ClickHouse
    /// writes nothing there when it ends), so following one costs looks at the server and sees
    /// its end up to `fraction` of its time late. A restore of up to 256 MiB, a second or two
    /// at the rate ClickHouse restores from S3, is awaited instead; it shows no progress before
    /// its answer (`--inline-restore-mib`); 0: never.
    public var inlineRestoreBytes: Int64 = 256 << 20
    /// How long such a statement's answer is awaited before it is followed in system.backups.
    public var inlineTimeout: Duration = .seconds(300)

    public init() {}

    /// The wait before the next poll of an operation that has run for `elapsed`, when the
    /// last poll took `lastPoll`.
    func delay(elapsed: Duration, lastPoll: Duration = .zero) -> Duration {
        min(maximum, max(initial, elapsed * fraction, lastPoll * costFactor))
    }
}

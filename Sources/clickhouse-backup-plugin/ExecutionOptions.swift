import ArgumentParser
import BackupClients
import BackupDomain
import BackupService
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPTransport
import Logging
import Observability

/// How the plugin reaches ClickHouse and S3: shared by `serve` and the one-shot commands.
struct ExecutionOptions: ParsableArguments {
    @Option(name: .customLong("clickhouse-user"), help: "ClickHouse user for every host (env: CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_USER).")
    var clickHouseUser: String = Environment.string("CLICKHOUSE_USER", default: "default")

    @Option(name: .customLong("clickhouse-password-file"),
            help: "File holding the ClickHouse password (env: CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_PASSWORD_FILE; or the password itself in CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_PASSWORD). Never a flag value: command lines are visible to every user.")
    var clickHousePasswordFileValue: String = Environment.string("CLICKHOUSE_PASSWORD_FILE", default: "")
    var clickHousePasswordFile: String? { clickHousePasswordFileValue.isEmpty ? nil : clickHousePasswordFileValue }

    @Option(name: .customLong("secrets-dir"),
            help: "Directory of mounted Kubernetes Secrets, DIR/<secret>/<key> (env: CLICKHOUSE_BACKUP_PLUGIN_SECRETS_DIR).")
    var secretsDirValue: String = Environment.string("SECRETS_DIR", default: "")
    var secretsDir: String? { secretsDirValue.isEmpty ? nil : secretsDirValue }

    @Option(name: .customLong("resolve"),
            help: "NAME:PORT:ADDRESS, curl-style: connect to ADDRESS for NAME:PORT; repeatable (env: CLICKHOUSE_BACKUP_PLUGIN_RESOLVE, comma-separated).")
    var resolve: [String] = Environment.list("RESOLVE")

    @Option(name: .customLong("ca-file"), help: "PEM bundle of CAs for HTTPS to ClickHouse and S3 (env: CLICKHOUSE_BACKUP_PLUGIN_CA_FILE).")
    var caFileValue: String = Environment.string("CA_FILE", default: "")
    var caFile: String? { caFileValue.isEmpty ? nil : caFileValue }

    @Flag(name: .customLong("insecure-skip-verify"), inversion: .prefixedNo,
          help: "Do not verify TLS certificates (test clusters only; env: CLICKHOUSE_BACKUP_PLUGIN_INSECURE_SKIP_VERIFY=true).")
    var insecureSkipVerify: Bool = Environment.flag("INSECURE_SKIP_VERIFY")

    @Option(name: .customLong("s3-region"), help: "SigV4 region for the plugin's own S3 requests (env: CLICKHOUSE_BACKUP_PLUGIN_S3_REGION).")
    var s3Region: String = Environment.string("S3_REGION", default: "us-east-1")

    @Option(name: .customLong("s3-retry-attempts"),
            help: "backup_restore_s3_retry_attempts for every BACKUP/RESTORE (env: CLICKHOUSE_BACKUP_PLUGIN_S3_RETRY_ATTEMPTS).")
    var s3RetryAttempts: Int = Environment.integer("S3_RETRY_ATTEMPTS", default: 3)

    @Option(name: .customLong("parallel-shards"),
            help: "Shards backed up or restored at once when a request does not say (env: CLICKHOUSE_BACKUP_PLUGIN_PARALLEL_SHARDS).")
    var parallelShards: Int = Environment.integer("PARALLEL_SHARDS", default: 8)

    @Option(name: .customLong("full-interval"),
            help: "With type=auto, take a full backup when the last full one is older than this: 7d, 12h, 30m, 90s (env: CLICKHOUSE_BACKUP_PLUGIN_FULL_INTERVAL).")
    var fullInterval: String = Environment.string("FULL_INTERVAL", default: "7d")

    @Option(name: .customLong("inline-backup-mib"),
            help: "A BACKUP expected to write at most this many MiB (its tables' total_bytes) is awaited on its connection instead of sent ASYNC and followed: its end is seen at once, and it shows no progress before it; 0: every BACKUP ASYNC (env: CLICKHOUSE_BACKUP_PLUGIN_INLINE_BACKUP_MIB).")
    var inlineBackupMiB: Int = Environment.integer("INLINE_BACKUP_MIB", default: Int(PollSchedule().inlineBytes >> 20))

    @Option(name: .customLong("inline-restore-mib"),
            help: "A RESTORE of at most this many MiB (its backup's recorded size) is awaited on its connection instead of sent ASYNC and followed: its end is seen at once, and it shows no progress before it; 0: every RESTORE ASYNC (env: CLICKHOUSE_BACKUP_PLUGIN_INLINE_RESTORE_MIB).")
    var inlineRestoreMiB: Int = Environment.integer("INLINE_RESTORE_MIB", default: Int(PollSchedule().inlineRestoreBytes >> 20))

    @Option(name: .customLong("progress-log-interval"),
            help: "Seconds between a running host's progress lines in the log (state, files, bytes) (env: CLICKHOUSE_BACKUP_PLUGIN_PROGRESS_LOG_INTERVAL).")
    var progressLogInterval: Int = Environment.integer("PROGRESS_LOG_INTERVAL", default: 30)

    // `inversion`: a default taken from the environment may be true (--no-clickhouse-tls undoes it).
    @Flag(name: .customLong("clickhouse-tls"), inversion: .prefixedNo,
          help: "Reach every ClickHouse host over HTTPS (its httpsPort, 8443) with certificate verification, whatever the CHI says (env: CLICKHOUSE_BACKUP_PLUGIN_CLICKHOUSE_TLS=true).")
    var clickHouseTLS: Bool = Environment.flag("CLICKHOUSE_TLS")

    @Option(name: .customLong("policy-file"),
            help: "YAML or JSON file of policies: which CHIs and CHBs get which parameters (type, retention, ...) when a request sends none, as the operator's do; read again when it changes (env: CLICKHOUSE_BACKUP_PLUGIN_POLICY_FILE).")
    var policyFileValue: String = Environment.string("POLICY_FILE", default: "")

    @OptionGroup var notifications: NotificationOptions

    @Option(name: .customLong("log-format"), help: "Log lines as logfmt or json, on stderr (env: CLICKHOUSE_BACKUP_PLUGIN_LOG_FORMAT).")
    var logFormat: String = Environment.string("LOG_FORMAT", default: "logfmt")

    @Option(name: .customLong("log-level"),
            help: "Least level logged: trace, debug, info, notice, warning, error, critical (env: CLICKHOUSE_BACKUP_PLUGIN_LOG_LEVEL).")
    var logLevel: String = Environment.string("LOG_LEVEL", default: "info")

    /// The process's logger, as `--log-format` and `--log-level` (validated) ask.
    func makeLogger() -> Logger {
        Log.logger(format: Log.Format(rawValue: logFormat) ?? .logfmt, level: Logger.Level(rawValue: logLevel) ?? .info)
    }

    func validate() throws {
        guard Log.Format(rawValue: logFormat) != nil else { throw ValidationError("--log-format must be logfmt or json, not '\(logFormat)'") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not '\(logLevel)'")
        }
        guard OperationParameters.parseDuration(fullInterval) != nil else { throw ValidationError("--full-interval must be a duration such as 7d, 12h, 30m or 90s, not '\(fullInterval)'") }
        guard (1...1024).contains(parallelShards) else { throw ValidationError("--parallel-shards must be between 1 and 1024") }
        guard (1...86_400).contains(progressLogInterval) else { throw ValidationError("--progress-log-interval must be between 1 and 86400 seconds") }
        let badResolve = HTTPConfiguration.invalidResolveEntries(resolve)
        guard badResolve.isEmpty else {
            throw ValidationError("--resolve must be NAME:PORT:ADDRESS, not '\(badResolve.joined(separator: "', '"))'")
        }
        guard (0...100).contains(s3RetryAttempts) else { throw ValidationError("--s3-retry-attempts must be between 0 and 100") }
        guard (0...1 << 20).contains(inlineBackupMiB) else { throw ValidationError("--inline-backup-mib must be between 0 and 1048576") }
        guard (0...1 << 20).contains(inlineRestoreMiB) else { throw ValidationError("--inline-restore-mib must be between 0 and 1048576") }
    }

    /// The execution environment these options describe (logging configured first), and the
    /// notifier its runs' outcomes go to (nil without receivers).
    /// - Parameter metrics: told every outcome and notification (`serve`).
    func environment(logger: Logger, metrics: PluginMetrics? = nil) throws -> (ExecutionEnvironment, Notifier?) {
        var environment = ExecutionEnvironment(
            http: HTTPClient(configuration: HTTPConfiguration(resolve: resolve, caFile: caFile, insecureSkipVerify: insecureSkipVerify)),
            clickHouse: ClickHouseCredentials(user: clickHouseUser, password: try clickHousePassword(logger: logger)),
            secrets: SecretStore(directory: secretsDir), s3Region: s3Region, s3RetryAttempts: s3RetryAttempts,
            parallelShards: parallelShards, fullInterval: OperationParameters.parseDuration(fullInterval) ?? 7 * 86400, logger: logger)
        environment.clickHouseTLS = clickHouseTLS
        environment.progressLogInterval = .seconds(progressLogInterval)
        environment.poll.inlineBytes = Int64(inlineBackupMiB) << 20
        environment.poll.inlineRestoreBytes = Int64(inlineRestoreMiB) << 20
        if !policyFileValue.isEmpty {
            do {
                let file = try PolicyFile(path: policyFileValue, logger: logger)
                environment.policies = { file.current() }
            } catch {
                throw ValidationError(error.description)
            }
        }
        let notifier = try notifications.notifier(http: environment.http, version: PluginInfo.version, metrics: metrics, logger: logger)
        environment.onOutcome = { outcome in
            metrics?.record(outcome)
            notifier?.notify(outcome)
        }
        return (environment, notifier)
    }

    /// The password from its file (one trailing newline dropped), else the environment.
    func clickHousePassword(logger: Logger) throws -> String {
        if let path = clickHousePasswordFile {
            guard let data = FileManager.default.contents(atPath: path) else {
                logger.error("cannot read the ClickHouse password file", ["path": path])
                throw ExitCode(1)
            }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            return text
        }
        return Environment.string("CLICKHOUSE_PASSWORD", default: "")
    }
}

import ArgumentParser
import BackupClients
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPTransport
import Logging
import Observability

/// Where run outcomes are sent. Webhook URLs often hold a token, so they come from files
/// (mounted Secrets) or the environment, never from a flag's value, and are never logged.
struct NotificationOptions: ParsableArguments {
    @Option(name: .customLong("notify-webhook-file"),
            help: "File holding a webhook URL that gets a JSON POST when a run ends; repeatable (env: CLICKHOUSE_BACKUP_PLUGIN_NOTIFY_WEBHOOK_URL holds one URL itself).")
    var webhookFiles: [String] = []

    @Option(name: .customLong("notify-slack-webhook-file"),
            help: "File holding a Slack incoming-webhook URL; repeatable (env: CLICKHOUSE_BACKUP_PLUGIN_NOTIFY_SLACK_WEBHOOK_URL holds one URL itself).")
    var slackFiles: [String] = []

    @Option(name: .customLong("notify-on"), help: "Which runs are notified: always or failure (env: CLICKHOUSE_BACKUP_PLUGIN_NOTIFY_ON).")
    var notifyOn: String = Environment.string("NOTIFY_ON", default: "always")

    @Option(name: .customLong("notify-attempts"), help: "Tries per notification (env: CLICKHOUSE_BACKUP_PLUGIN_NOTIFY_ATTEMPTS).")
    var attempts: Int = Environment.integer("NOTIFY_ATTEMPTS", default: 3)

    @Option(name: .customLong("notify-timeout"), help: "Seconds each try may take (env: CLICKHOUSE_BACKUP_PLUGIN_NOTIFY_TIMEOUT).")
    var timeoutSeconds: Int = Environment.integer("NOTIFY_TIMEOUT", default: 10)

    func validate() throws {
        guard Notifier.Filter(rawValue: notifyOn) != nil else { throw ValidationError("--notify-on must be always or failure, not '\(notifyOn)'") }
        guard (1...10).contains(attempts) else { throw ValidationError("--notify-attempts must be between 1 and 10") }
        guard (1...300).contains(timeoutSeconds) else { throw ValidationError("--notify-timeout must be between 1 and 300 seconds") }
    }

    /// Longest a one-shot command waits for its notifications before exiting.
    var drainTimeout: Duration { .seconds(timeoutSeconds * attempts + attempts) }

    /// The notifier these options describe, or nil when no receiver is configured.
    /// - Throws: `ExitCode(1)` (logged with the path) when a URL file cannot be read or holds no URL.
    func notifier(http: HTTPClient, version: String, metrics: PluginMetrics?, logger: Logger) throws -> Notifier? {
        var targets = try webhookFiles.map { Notifier.Target(kind: .webhook, url: try Self.url(fromFile: $0, logger: logger)) }
            + slackFiles.map { Notifier.Target(kind: .slack, url: try Self.url(fromFile: $0, logger: logger)) }
        if let url = Environment.optionalString("NOTIFY_WEBHOOK_URL"), !url.isEmpty { targets.append(.init(kind: .webhook, url: url)) }
        if let url = Environment.optionalString("NOTIFY_SLACK_WEBHOOK_URL"), !url.isEmpty { targets.append(.init(kind: .slack, url: url)) }
        guard !targets.isEmpty else { return nil }
        for target in targets where !(target.url.hasPrefix("https://") || target.url.hasPrefix("http://")) {
            logger.error("a notification URL must start with http:// or https://", ["target": target.kind.rawValue])
            throw ExitCode(1)
        }
        let client = WebhookClient(http: http, attempts: attempts, timeout: .seconds(timeoutSeconds))
        return Notifier(targets: targets, filter: Notifier.Filter(rawValue: notifyOn) ?? .always, client: client, version: version, metrics: metrics, logger: logger)
    }

    private static func url(fromFile path: String, logger: Logger) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            logger.error("cannot read the notification URL file", ["path": path])
            throw ExitCode(1)
        }
        let url = String(decoding: data, as: UTF8.self).filter { !$0.isWhitespace }
        guard !url.isEmpty else {
            logger.error("the notification URL file is empty", ["path": path])
            throw ExitCode(1)
        }
        return url
    }
}

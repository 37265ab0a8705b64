import BackupClients
import BackupDomain
import Logging

import PluginSupport

/// Tells webhooks how backup and restore runs ended. Deliveries run on tasks of their own:
/// a slow or dead receiver never delays a run's answer. ``drain(timeout:)`` lets a one-shot
/// command wait for them before the process exits.
public final class Notifier: Sendable {
    /// A receiver: a generic JSON webhook or a Slack incoming webhook.
    public struct Target: Sendable {
        public enum Kind: String, Sendable { case webhook, slack }
        public let kind: Kind
        /// The URL; it may hold a token, so it is never logged.
        public let url: String
        public init(kind: Kind, url: String) { (self.kind, self.url) = (kind, url) }
    }

    /// Which runs are told.
    public enum Filter: String, Sendable, CaseIterable { case always, failure }

    private let targets: [Target]
    private let filter: Filter
    private let client: WebhookClient
    private let version: String
    private let logger: Logger
    private let metrics: PluginMetrics?
    /// Deliveries under way by number, and the next number.
    private let deliveries = BackgroundTasks()

    /// - Parameter metrics: where deliveries are counted (`serve`); nil for one-shot commands.
    public init(targets: [Target], filter: Filter, client: WebhookClient, version: String, metrics: PluginMetrics? = nil,
                logger: Logger) {
        self.metrics = metrics
        self.targets = targets
        self.filter = filter
        self.client = client
        self.version = version
        self.logger = logger
    }

    /// Starts the deliveries for `outcome` and returns at once.
    public func notify(_ outcome: OperationOutcome) {
        guard !targets.isEmpty, filter == .always || !outcome.succeeded, !outcome.reused else { return }
        for target in targets {
            let body = target.kind == .slack ? Self.slackBody(outcome) : Self.webhookBody(outcome, version: version)
            let (client, logger, metrics) = (client, logger, metrics)
            deliveries.start {
                let delivery = await client.post(target.url, json: body)
                var fields: Logger.Metadata = ["target": .string(target.kind.rawValue), "operation_id": .string(outcome.id),
                                               "attempts": .string(String(delivery.attempts))]
                if let status = delivery.status { fields["status"] = .string(String(status)) }
                if let failure = delivery.failure { fields["error"] = .string(failure) }
                logger.log(level: delivery.delivered ? .info : .error, delivery.delivered ? "notification delivered" : "notification failed",
                           metadata: fields)
                metrics?.recordNotification(target: target.kind.rawValue, delivered: delivery.delivered)
            }
        }
    }

    /// Waits for the deliveries under way, at most `timeout`; cancels what is left then.
    public func drain(timeout: Duration) async { await deliveries.drain(timeout: timeout) }

    /// The generic webhook's JSON: one flat object, stable field names.
    static func webhookBody(_ outcome: OperationOutcome, version: String) -> [UInt8] {
        let state = outcome.state
        var object: [String: JSONValue] = [
            "event": .string("\(outcome.operation).\(state)"), "operation": .string(outcome.operation), "state": .string(state),
            "id": .string(outcome.id), "backup_name": .string(outcome.backupName), "chi": .string(outcome.chi),
            "cluster": .string(outcome.cluster), "code": .string(outcome.failure?.code ?? "OK"),
            "duration_seconds": .number(Self.seconds(outcome.duration)),
            "finished_at": .string(UTCTime(unixSeconds: outcome.finishedAt).iso8601), "plugin_version": .string(version),
        ]
        if let failure = outcome.failure { object["error"] = .string(failure.message) }
        if let bytes = outcome.bytes { object["bytes"] = .number(String(bytes)) }
        return Array(JSONWriter.string(.object(object)).utf8)
    }

    /// Slack's incoming-webhook JSON: one line of mrkdwn.
    static func slackBody(_ outcome: OperationOutcome) -> [UInt8] {
        var text = outcome.succeeded ? ":white_check_mark: " : ":x: "
        text += "\(outcome.operation) of `\(outcome.backupName)` (CHI `\(outcome.chi)`, cluster `\(outcome.cluster)`) "
        text += outcome.succeeded ? "completed" : outcome.state == "cancelled" ? "was cancelled" : "failed with \(outcome.failure!.code)"
        text += " in \(Self.seconds(outcome.duration)) s"
        if let bytes = outcome.bytes { text += ", \(bytes) bytes" }
        if let failure = outcome.failure { text += "\n>\(failure.message)" }
        return Array(JSONWriter.string(.object(["text": .string(text)])).utf8)
    }

    private static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.wholeMilliseconds
        return "\(milliseconds / 1000).\(String(milliseconds % 1000 + 1000).dropFirst())"
    }
}

/// How one BACKUP or RESTORE run ended, for metrics and notifications. Dry runs and callers
/// that joined a run already going produce none: one outcome per run.
public struct OperationOutcome: Sendable {
    /// `backup` or `restore`.
    public let operation: String
    /// The backup id, or the restore's id.
    public let id: String
    /// The backup's name (a restore names the backup it restored).
    public let backupName: String
    /// `namespace/name` of the CHI.
    public let chi: String
    public let cluster: String
    /// nil when the run completed; else its status code name (e.g. `UNAVAILABLE`) and message.
    public let failure: (code: String, message: String)?
    /// Wall time of the run.
    public let duration: Duration
    /// Bytes ClickHouse reported (`total_size`), when it did.
    public let bytes: Int64?
    /// Unix seconds at the end of the run.
    public let finishedAt: Int64
    /// True when a completed backup was found and answered again (nothing ran).
    public let reused: Bool

    public var succeeded: Bool { failure == nil }

    /// `completed`, `cancelled` (CancelOperation, or the caller gone with `cancel_on_abort`) or `failed`.
    public var state: String {
        guard let failure else { return "completed" }
        return failure.code == "CANCELLED" ? "cancelled" : "failed"
    }

    public init(operation: String, id: String, backupName: String, chi: String, cluster: String,
                failure: (code: String, message: String)?, duration: Duration, bytes: Int64?, finishedAt: Int64, reused: Bool) {
        (self.operation, self.id, self.backupName, self.chi, self.cluster) = (operation, id, backupName, chi, cluster)
        (self.failure, self.duration, self.bytes, self.finishedAt, self.reused) = (failure, duration, bytes, finishedAt, reused)
    }
}

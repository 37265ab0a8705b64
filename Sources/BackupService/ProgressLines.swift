import BackupDomain
import BackupProtocol

/// An operation's progress as a terminal shows it: one line per host (its part, address,
/// ClickHouse's status, files and bytes so far), then the elapsed time. Pure: the one-shot
/// commands redraw these lines while a Backup or Restore runs.
public enum ProgressLines {
    public static func lines(_ operation: Operation, now: Int64) -> [String] {
        let elapsed = max(0, (operation.stoppedAt > 0 ? operation.stoppedAt : now) - operation.startedAt)
        var lines = ["\(operation.kind) \(operation.name): \(operation.state), \(elapsed) s"]
        let width = operation.hosts.map(\.fqdn.count).max() ?? 0
        for host in operation.hosts {
            let status = host.status.isEmpty ? BackupStatus.pending.rawValue : host.status
            var line = "  \(host.shard)/\(host.replica)  \(host.fqdn.padding(to: width))  \(status.padding(to: 17))"
            line += "  \(host.numFiles) files  \(bytes(host.totalSize))"
            if !host.error.isEmpty { line += "  \(BoundedText.bounded(host.error, limit: 120))" }
            lines.append(line)
        }
        return lines
    }

    /// `812 B`, `3.4 MiB`, `1.2 GiB`.
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(count) B" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

extension String {
    /// Padded with spaces to at least `width` characters.
    func padding(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

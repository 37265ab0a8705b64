import BackupClients
import BackupDomain
import Logging
import RPCRuntime
import PluginSupport

/// Which replicas answer: `SELECT 1` on every candidate at once, before anything is written.
struct ReplicaProbe {
    let environment: ExecutionEnvironment
    let client: @Sendable (Host) -> any ClickHouseSession

    /// `fqdn` → why it is down. Only faults worth retrying elsewhere mark a replica down; any
    /// other answer (wrong password, missing grant) is the caller's problem and is thrown.
    func unreachable(_ hosts: [Host]) async throws -> [String: String] {
        try await probe(hosts).down
    }

    /// The same, with `reads` (fqdn → a query) sent to their hosts instead of `SELECT 1`:
    /// a host's first read, where nothing is to be chosen before it, is its probe, one round
    /// trip fewer. - Returns: the hosts down, and the rows of each read that answered.
    func probe(_ hosts: [Host], reading reads: [String: String] = [:]) async throws -> (down: [String: String], read: [String: [JSONValue]]) {
        let timeout = environment.probeTimeout
        var seen: Set<String> = []
        let distinct = hosts.filter { seen.insert($0.fqdn).inserted }  // a host is asked once, whatever it serves
        return try await withThrowingTaskGroup(of: (String, String?, [JSONValue]?).self) { group in
            for host in distinct {
                let client = client(host)
                group.addTask {
                    do {
                        // A read of the tables is given the time any read of them has: a server
                        // with thousands takes longer than `SELECT 1`, and is not down.
                        if let query = reads[host.fqdn] { return (host.fqdn, nil, try await client.select(query, timeout: max(timeout, .seconds(30)))) }
                        _ = try await client.run("SELECT 1", timeout: timeout)
                        return (host.fqdn, nil, nil)
                    } catch {
                        let failure = ErrorMap.rpcError(error)
                        guard failure.code == .unavailable || failure.code == .deadlineExceeded else { throw error }
                        return (host.fqdn, failure.message, nil)
                    }
                }
            }
            var down: [String: String] = [:], read: [String: [JSONValue]] = [:]
            for try await (fqdn, reason, rows) in group {
                if let reason { down[fqdn] = reason }
                if let rows { read[fqdn] = rows }
            }
            return (down, read)
        }
    }
}

/// Runs groups of host operations, at most `limit` groups at once; the operations of a group
/// (one host restoring several backup shards) run one after another and stop at the first
/// failure. Every outcome and failure is kept.
func runBounded(_ groups: [[HostOperation]], limit: Int, environment: ExecutionEnvironment) async
    -> (outcomes: [HostOperation.Outcome], failures: [any Error & Sendable])
{
    var outcomes: [HostOperation.Outcome] = []
    var failures: [any Error & Sendable] = []
    await withTaskGroup(of: [Result<HostOperation.Outcome, Error>].self) { group in
        var pending = groups[...]
        func startNext() {
            guard let operations = pending.popFirst() else { return }
            group.addTask {
                var results: [Result<HostOperation.Outcome, Error>] = []
                for operation in operations {
                    let result = await logged(operation, environment: environment)
                    results.append(result)
                    if case .failure = result { break }
                    if case .success(let outcome) = result, !outcome.status.succeeded { break }
                }
                return results
            }
        }
        for _ in 0..<max(1, limit) { startNext() }
        for await results in group {
            for result in results {
                switch result {
                case .success(let outcome): outcomes.append(outcome)
                case .failure(let error): failures.append(ErrorMap.rpcError(error))
                }
            }
            startNext()
        }
    }
    return (outcomes, failures)
}

/// Operations grouped by host, in first-seen order.
func groupedByHost(_ operations: [HostOperation]) -> [[HostOperation]] {
    var groups: [[HostOperation]] = []
    for operation in operations {
        if let index = groups.firstIndex(where: { $0[0].planned.host == operation.planned.host }) {
            groups[index].append(operation)
        } else {
            groups.append([operation])
        }
    }
    return groups
}

/// One host's run with its `host finished` log line.
private func logged(_ operation: HostOperation, environment: ExecutionEnvironment) async -> Result<HostOperation.Outcome, Error> {
    let clock = ContinuousClock()
    let started = clock.now
    let result = await Result { try await operation.run() }
    var fields: Logger.Metadata = ["host": .string(operation.planned.host.fqdn), "clickhouse_id": .string(operation.planned.operationID),
                                   "role": .string(operation.planned.role.rawValue),
                                   "duration_ms": .string(String((clock.now - started).wholeMilliseconds))]
    switch result {
    case .success(let outcome):
        fields["status"] = .string(outcome.status.rawValue)
        if let error = outcome.error { fields["error"] = .string(error) }
        fields["clickhouse_id"] = .string(outcome.clickHouseID)
    case .failure(let error): fields["error"] = .string(ErrorMap.rpcError(error).message)
    }
    environment.logger.log(level: fields["error"] == nil ? .info : .error, "host finished", metadata: fields)
    return result
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

import ArgumentParser
import BackupDomain
import BackupProtocol
import BackupService
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Observability
import PluginSupport
import RPCRuntime
#if canImport(Glibc)
import Glibc
#endif

/// What every one-shot command reads: the CHI and CHB files and `--param key=value` overrides,
/// exactly what a gRPC request carries.
struct OneShotRequest: ParsableArguments {
    @Option(help: "File with the ClickHouseInstallation JSON.")
    var chi: String

    @Option(help: "File with the ClickHouseBackup (or ClickHouseScheduledBackup) JSON.")
    var backup: String

    @Option(name: .customLong("param"), help: "A request parameter, key=value (repeatable), e.g. --param type=full.")
    var parameters: [String] = []

    @Option(help: "text (live progress per host, then the result in lines) or json; the default is text on a terminal, json otherwise.")
    var output: OutputFormat?

    /// What the result is printed as: text on a terminal unless asked otherwise.
    var format: OutputFormat { output ?? (isatty(1) != 0 ? .text : .json) }

    func validate() throws {
        for parameter in parameters where !parameter.contains("=") {
            throw ValidationError("--param must be key=value, not '\(parameter)'")
        }
    }

    func load() throws -> (chi: [UInt8], backup: [UInt8], parameters: [String: String]) {
        func read(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            return Array(data)
        }
        let pairs = parameters.map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        return (try read(chi), try read(backup), Dictionary(pairs, uniquingKeysWith: { _, last in last }))
    }
}

/// Runs one call through the same providers `serve` answers with, prints its result as JSON on
/// stdout, and exits with the gRPC status code of the outcome (0 when it succeeded).
enum OneShot {
    /// - Parameters:
    ///   - execution: the options; their notifier (if any) is waited for before returning.
    ///   - body: the call, given the execution environment.
    static func run(_ execution: ExecutionOptions, output: OutputFormat = .json, _ body: (ExecutionEnvironment) async throws -> JSONValue) async throws {
        var notifier: Notifier?
        var deferred: BackgroundTasks?
        do {
            var logger = execution.makeLogger()
            // On a terminal the live display says what info lines would, and they would scroll it away.
            if output == .text, isatty(1) != 0, logger.logLevel == .info { logger.logLevel = .warning }
            let (environment, configured) = try execution.environment(logger: logger)
            (notifier, deferred) = (configured, environment.deferredWrites)
            let result = try await body(environment)
            await environment.deferredWrites.drain(timeout: OneShot.deferredWritesTimeout)
            await configured?.drain(timeout: execution.notifications.drainTimeout)
            print(output == .text ? TextOutput.render(result) : JSONWriter.string(result))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            await deferred?.drain(timeout: OneShot.deferredWritesTimeout)
            await notifier?.drain(timeout: execution.notifications.drainTimeout)
            let failure = ErrorMap.rpcError(error)
            var line = Array(JSONWriter.string(.object(["code": .string("\(failure.code)"), "message": .string(failure.message)])).utf8)
            line.append(10)
            _ = Glibc.write(2, &line, line.count)
            throw ExitCode(Int32(failure.code.rawValue))
        }
    }

    /// How long the writes a run left after its answer (a backup's index update and unlock:
    /// two S3 requests) are waited for before the process exits.
    static let deferredWritesTimeout: Duration = .seconds(30)

    static func json(_ metadata: [String: String]) -> JSONValue { .object(metadata.mapValues(JSONValue.string)) }

    /// A Backup or Restore result: `<kind>_id`, `<kind>_name`, times and metadata.
    static func json(_ kind: String, id: String, name: String, startedAt: Int64, stoppedAt: Int64, metadata: [String: String]) -> JSONValue {
        .object(["\(kind)_id": .string(id), "\(kind)_name": .string(name), "started_at": .number(String(startedAt)),
                 "stopped_at": .number(String(stoppedAt)), "metadata": json(metadata)])
    }

    static func json(_ info: BackupInfo) -> JSONValue {
        .object(["backup_id": .string(info.backupID), "backup_name": .string(info.backupName), "state": .string(info.state),
                 "type": .string(info.type), "base_backup": .string(info.baseBackup), "total_size": .number(String(info.totalSize)),
                 "started_at": .number(String(info.startedAt)), "stopped_at": .number(String(info.stoppedAt)),
                 "location": .string(info.location), "verified_at": .number(String(info.verifiedAt)),
                 "verification": .string(info.verification)])
    }

    /// - Returns: the call's metadata (printed with the rest).
    @discardableResult
    static func catalog(_ operation: CatalogScope.Operation, _ request: OneShotRequest, _ execution: ExecutionOptions) async throws -> [String: String] {
        let answered = LockedState<[String: String]>([:])
        try await run(execution, output: request.format) { environment in
            let (chi, backup, parameters) = try request.load()
            let response = try await CatalogServiceProvider(environment: environment)
                .handle(operation, CatalogRequest(chiDefinition: chi, backupDefinition: backup, parameters: parameters))
            answered.withLock { $0 = response.metadata }
            return .object(["backups": .array(response.backups.map(json)), "deleted": .array(response.deleted.map(json)),
                            "metadata": json(response.metadata)])
        }
        return answered.withLock { $0 }
    }
}

/// `backup`: one Backup, as the operator would ask for it.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backup", abstract: "Run one Backup and print the result as JSON.")
    @OptionGroup var request: OneShotRequest
    @OptionGroup var execution: ExecutionOptions

    func run() async throws {
        try await OneShot.run(execution, output: request.format) { environment in
            let (chi, backup, parameters) = try request.load()
            let registry = OperationRegistry()
            let result = try await ProgressDisplay.showing(registry, when: request.format == .text) {
                try await BackupServiceProvider(environment: environment, registry: registry)
                    .backup(BackupRequest(chiDefinition: chi, backupDefinition: backup, parameters: parameters))
            }
            return OneShot.json("backup", id: result.backupID, name: result.backupName, startedAt: result.startedAt,
                                stoppedAt: result.stoppedAt, metadata: result.metadata)
        }
    }
}

/// `restore`: one Restore.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Run one Restore and print the result as JSON.")
    @OptionGroup var request: OneShotRequest
    @OptionGroup var execution: ExecutionOptions

    func run() async throws {
        try await OneShot.run(execution, output: request.format) { environment in
            let (chi, backup, parameters) = try request.load()
            let registry = OperationRegistry()
            let result = try await ProgressDisplay.showing(registry, when: request.format == .text) {
                try await BackupServiceProvider(environment: environment, registry: registry)
                    .restore(RestoreRequest(chiDefinition: chi, backupDefinition: backup, parameters: parameters))
            }
            return OneShot.json("restore", id: result.restoreID, name: result.restoreName, startedAt: result.startedAt,
                                stoppedAt: result.stoppedAt, metadata: result.metadata)
        }
    }
}

/// `list`: the CHI's backups (BackupCatalog.ListBackups).
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the CHI's backups as JSON.")
    @OptionGroup var request: OneShotRequest
    @OptionGroup var execution: ExecutionOptions

    func run() async throws { try await OneShot.catalog(.list, request, execution) }
}

/// `retention`: BackupCatalog.ApplyRetention (`--param keep_full_chains=N`, `max_age`, `keep_daily`..., `dry_run`).
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retention", abstract: "Apply retention and print what went as JSON.")
    @OptionGroup var request: OneShotRequest
    @OptionGroup var execution: ExecutionOptions

    func run() async throws { try await OneShot.catalog(.retention, request, execution) }
}

/// `verify`: BackupCatalog.VerifyBackup (`--param backup_name=...`, `host`); exits 1 when the
/// backup does not match what it recorded.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify",
                                                    abstract: "Read a backup back from S3, compare every table with its fingerprint, print the verdict as JSON.")
    @OptionGroup var request: OneShotRequest
    @OptionGroup var execution: ExecutionOptions

    func run() async throws {
        let metadata = try await OneShot.catalog(.verify, request, execution)
        if metadata["verified"] != "true" { throw ExitCode(1) }
    }
}


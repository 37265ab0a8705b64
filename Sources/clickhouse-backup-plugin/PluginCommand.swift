import ArgumentParser
import BackupService
import Dispatch

/// `clickhouse-backup-plugin`: the root command.
struct PluginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clickhouse-backup-plugin",
        abstract: "Backup plugin for the Altinity clickhouse-operator (gRPC, ClickHouse BACKUP/RESTORE to S3).",
        version: PluginInfo.version,
        subcommands: [ServeCommand.self, BackupCommand.self, RestoreCommand.self, ListCommand.self, RetentionCommand.self, VerifyCommand.self]
    )
}

extension PluginCommand {
    /// Parses the command line and runs the chosen command (what `main()` does, spelled out
    /// because top-level code cannot pick the async overload of `main`).
    static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit()
        } catch {
            exit(withError: error)
        }
    }
}

/// Runs the command on the global executor and blocks the calling (main) thread until it
/// exits the process. Not in main.swift: closures there are main-actor isolated, and the
/// main thread is the one blocked here.
func runBlocking() {
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        await PluginCommand.runFromCommandLine()
        done.signal()
    }
    done.wait()
}

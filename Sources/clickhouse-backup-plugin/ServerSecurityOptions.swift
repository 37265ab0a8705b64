import ArgumentParser
import Logging
import BackupService
import RPCRuntime

/// TLS, mutual TLS and the bearer token on the gRPC port.
struct ServerSecurityOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"),
            help: "PEM certificate chain for TLS on the gRPC port; reloaded when the file changes (env: CLICKHOUSE_BACKUP_PLUGIN_TLS_CERT).")
    var certificateValue: String = Environment.string("TLS_CERT", default: "")
    var certificate: String? { certificateValue.isEmpty ? nil : certificateValue }

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert (env: CLICKHOUSE_BACKUP_PLUGIN_TLS_KEY).")
    var keyValue: String = Environment.string("TLS_KEY", default: "")
    var key: String? { keyValue.isEmpty ? nil : keyValue }

    @Option(name: .customLong("tls-client-ca"),
            help: "PEM CA bundle: require client certificates signed by it (mutual TLS) (env: CLICKHOUSE_BACKUP_PLUGIN_TLS_CLIENT_CA).")
    var clientCAValue: String = Environment.string("TLS_CLIENT_CA", default: "")
    var clientCA: String? { clientCAValue.isEmpty ? nil : clientCAValue }

    @Option(name: .customLong("auth-token-file"),
            help: "File holding a bearer token every call but health must send as 'authorization: Bearer <token>'; reloaded when it changes (env: CLICKHOUSE_BACKUP_PLUGIN_AUTH_TOKEN_FILE).")
    var tokenFileValue: String = Environment.string("AUTH_TOKEN_FILE", default: "")
    var tokenFile: String? { tokenFileValue.isEmpty ? nil : tokenFileValue }

    func validate() throws {
        guard (certificate == nil) == (key == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard clientCA == nil || certificate != nil else { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
    }

    /// `plaintext`, `tls` or `mtls`, for the start-up line.
    var mode: String { certificate == nil ? "plaintext" : clientCA == nil ? "tls" : "mtls" }
    /// `none` or `bearer`.
    var authMode: String { tokenFile == nil ? "none" : "bearer" }

    /// Adds TLS and the token check to `configuration`.
    /// - Throws: `ExitCode(1)` (logged) when the token file cannot be read; unreadable TLS files
    ///   are reported by the server's start.
    func apply(to configuration: inout ServerConfiguration, logger: Logger) throws {
        if let certificate, let key {
            configuration.tls = ServerTLS(certificateChainFile: certificate, privateKeyFile: key, clientCAFile: clientCA)
        }
        if let tokenFile {
            do {
                let authenticator = try BearerTokenAuthenticator(tokenFile: tokenFile)
                configuration.authenticate = { authenticator.check($0) }
            } catch {
                logger.error("cannot use the auth token file", ["path": tokenFile, "error": ErrorMap.rpcError(error).message])
                throw ExitCode(1)
            }
        }
    }
}

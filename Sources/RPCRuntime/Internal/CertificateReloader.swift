import CGRPC
#if canImport(Glibc)
import Glibc
import PluginSupport
#endif

/// Feeds the core's SSL certificate-config fetcher, which it calls before every TLS handshake:
/// answers "unchanged" while the files keep their signatures, and a fresh config (the core
/// takes ownership of it) once they have all been read again after a change.
///
/// The core holds a bare pointer to this object (`user_data`), so the ``Server`` keeps it alive
/// for its whole life; the callback runs on core threads, hence the lock.
final class CertificateReloader: Sendable {
    private let certificate: WatchedFile
    private let key: WatchedFile
    private let clientCA: WatchedFile?
    private let onEvent: (@Sendable (ServerEvent) -> Void)?
    private let state: LockedState<Loaded>

    private struct Loaded {
        var signatures: [WatchedFile.Signature?]
        var certificate: [UInt8]
        var key: [UInt8]
        var clientCA: [UInt8]?
        /// True until the core has been handed a config made from these files.
        var undelivered = true
    }

    /// Reads the files once. - Throws: `RPCError(.failedPrecondition)` when one is missing or
    /// does not hold PEM of the right kind, so a misconfigured server does not start.
    init(_ tls: ServerTLS, onEvent: (@Sendable (ServerEvent) -> Void)?) throws {
        certificate = WatchedFile(path: tls.certificateChainFile)
        key = WatchedFile(path: tls.privateKeyFile)
        clientCA = tls.clientCAFile.map(WatchedFile.init(path:))
        self.onEvent = onEvent
        state = LockedState(try Self.load(certificate, key, clientCA))
    }

    private var files: [WatchedFile] { Self.files(certificate, key, clientCA) }

    private static func files(_ certificate: WatchedFile, _ key: WatchedFile, _ clientCA: WatchedFile?) -> [WatchedFile] {
        [certificate, key] + (clientCA.map { [$0] } ?? [])
    }

    private static func load(_ certificate: WatchedFile, _ key: WatchedFile, _ clientCA: WatchedFile?) throws -> Loaded {
        let signatures = files(certificate, key, clientCA).map { $0.signature() }
        let certificatePEM = try pem(certificate, marker: "CERTIFICATE")
        let keyPEM = try pem(key, marker: "PRIVATE KEY")
        let caPEM = try clientCA.map { try pem($0, marker: "CERTIFICATE") }
        return Loaded(signatures: signatures, certificate: certificatePEM, key: keyPEM, clientCA: caPEM)
    }

    private static func pem(_ file: WatchedFile, marker: String) throws -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try file.read() } catch { throw RPCError(error) }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("-----BEGIN"), text.contains(marker), text.contains("-----END") else {
            throw RPCError(.failedPrecondition, "\(file.path) holds no PEM \(marker)")
        }
        return bytes
    }

    /// Server credentials whose fetcher is this object.
    func makeCredentials() -> OpaquePointer {
        let request = clientCA == nil ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                      : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
        let options = grpc_ssl_server_credentials_create_options_using_config_fetcher(request, { userData, config in
            guard let userData, let config else { return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL }
            return Unmanaged<CertificateReloader>.fromOpaque(userData).takeUnretainedValue().fetch(config)
        }, Unmanaged.passUnretained(self).toOpaque())
        return grpc_ssl_server_credentials_create_with_options(options)  // takes the options
    }

    private func fetch(_ config: UnsafeMutablePointer<OpaquePointer?>) -> grpc_ssl_certificate_config_reload_status {
        let current = files.map { $0.signature() }
        let (made, event) = state.withLock { loaded -> (OpaquePointer??, ServerEvent?) in
            var event: ServerEvent?
            if current != loaded.signatures {
                do {
                    loaded = try Self.load(certificate, key, clientCA)
                    event = .certificatesReloaded
                } catch {
                    loaded.signatures = current  // reported once per change, not per handshake
                    event = .certificateReloadFailed(RPCError.from(error).message)
                }
            }
            guard loaded.undelivered else { return (nil, event) }
            loaded.undelivered = false
            return (Self.makeConfig(loaded), event)
        }
        if let event { onEvent?(event) }
        guard let made else { return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED }
        config.pointee = made
        return made == nil ? GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL : GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW
    }

    /// A config owning copies of the PEM strings (the core duplicates them).
    private static func makeConfig(_ loaded: Loaded) -> OpaquePointer? {
        // Through the fetcher path the core asserts that a config has root certificates, even
        // when it does not ask for client certificates; without mTLS it gets the server's own
        // chain there, which nothing reads (GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE).
        withCString(loaded.certificate) { certificate in
            withCString(loaded.key) { key in
                var pair = grpc_ssl_pem_key_cert_pair(private_key: key, cert_chain: certificate)
                return withCString(loaded.clientCA ?? loaded.certificate) { grpc_ssl_server_certificate_config_create($0, &pair, 1) }
            }
        }
    }

    private static func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}

/// TLS on the server's port: a certificate chain and key, and optionally the CA that client
/// certificates must chain to (mutual TLS).
///
/// The files are read again whenever one of them changes (size, modification time or inode,
/// so a Kubernetes Secret's symlink swap counts): the next TLS handshake uses the new
/// certificate, connections already open keep theirs. A change that cannot be read (a file
/// half written, a key missing) keeps the previous certificate and is reported through
/// ``ServerConfiguration/onEvent``.
public struct ServerTLS: Sendable {
    /// PEM certificate chain served to clients (leaf first).
    public var certificateChainFile: String
    /// PEM private key of the leaf certificate.
    public var privateKeyFile: String
    /// PEM CA bundle client certificates must chain to. When set, a client without a
    /// certificate, or with one from another CA, is refused during the handshake.
    public var clientCAFile: String?

    /// Creates a TLS configuration.
    /// - Parameters:
    ///   - certificateChainFile: the server's PEM certificate chain.
    ///   - privateKeyFile: its PEM private key.
    ///   - clientCAFile: a PEM CA bundle to require and verify client certificates with.
    public init(certificateChainFile: String, privateKeyFile: String, clientCAFile: String? = nil) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.clientCAFile = clientCAFile
    }
}

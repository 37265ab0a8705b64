#if canImport(Glibc)
import Glibc
#endif

/// A file read again only when it changes: `stat` (which follows symlinks, so the target of a
/// Kubernetes Secret's `..data` link) gives inode, size and modification time; any difference
/// means a new version.
public struct WatchedFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public struct Signature: Equatable, Sendable {
        public let inode: UInt64
        public let size: Int64
        public let seconds: Int
        public let nanoseconds: Int
    }

    /// The file's current signature, or nil when it cannot be stat'ed.
    public func signature() -> Signature? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Signature(inode: UInt64(info.st_ino), size: Int64(info.st_size),
                         seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// The file's bytes. - Throws: ``Failure`` (`refused`) naming the path and errno.
    public func read() throws(Failure) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw Failure(.refused, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            if count < chunk.count { break }
        }
        guard ferror(file) == 0 else { throw Failure(.refused, "cannot read \(path)") }
        return bytes
    }
}

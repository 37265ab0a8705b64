/// A reference to one key of a Kubernetes Secret; the plugin resolves it, never the operator.
public struct SecretReference: Equatable, Sendable, CustomStringConvertible {
    public let name: String
    public let key: String

    public init(name: String, key: String) {
        self.name = name
        self.key = key
    }

    public var description: String { "secret \(name)/\(key)" }
}

/// An S3 bucket and prefix, with the endpoint that serves them.
public struct S3Destination: Equatable, Sendable {
    public let bucket: String
    /// The key prefix, empty or ending in `/`, never starting with `/`.
    public let prefix: String
    /// `scheme://host[:port]` of a custom endpoint (MinIO, seaweedfs...), or nil for AWS.
    public let endpoint: String?
    /// Access key id and secret key references, or nil to use the servers' own credentials.
    public let credentials: Credentials?

    public struct Credentials: Equatable, Sendable {
        public let accessKeyID: SecretReference
        public let secretAccessKey: SecretReference

        public init(accessKeyID: SecretReference, secretAccessKey: SecretReference) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
        }
    }

    public init(bucket: String, prefix: String, endpoint: String?, credentials: Credentials?) {
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self.credentials = credentials
    }

    /// The HTTP(S) URL of `key` in the bucket: path style on a custom endpoint,
    /// virtual-hosted style on AWS.
    public func url(forKey key: String) -> String {
        let encoded = S3Destination.encodeKey(key)
        if let endpoint { return "\(endpoint)/\(bucket)/\(encoded)" }
        return "https://\(bucket).s3.amazonaws.com/\(encoded)"
    }

    /// The bucket's own URL, ending in `/` (for listings).
    public var bucketURL: String {
        if let endpoint { return "\(endpoint)/\(bucket)/" }
        return "https://\(bucket).s3.amazonaws.com/"
    }

    /// `s3://bucket/key`, the address people recognise.
    public func s3URI(forKey key: String) -> String { "s3://\(bucket)/\(key)" }

    /// Percent-encodes an object key: everything but `A-Za-z0-9-_.~` and `/`.
    public static func encodeKey(_ key: String) -> String {
        var out = ""
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}

/// A ClickHouseBackup (or the backup part of a ClickHouseScheduledBackup).
public struct BackupDefinition: Equatable, Sendable {
    /// What kind of object it was.
    public enum Kind: Equatable, Sendable {
        case backup
        /// A schedule: every call makes a new backup named after it and the time of the call.
        case scheduled(schedule: String?)
    }

    public var kind: Kind
    public var name: String
    public var namespace: String
    public var uid: String?
    /// `spec.ClickhouseInstallation.name`, when given.
    public var chiName: String?
    /// `spec.ClickhouseInstallation.cluster.name`, when given.
    public var clusterName: String?
    public var filter: TableFilter
    public var s3: S3Destination?

    public init(kind: Kind = .backup, name: String, namespace: String, uid: String? = nil, chiName: String? = nil,
                clusterName: String? = nil, filter: TableFilter = TableFilter(), s3: S3Destination? = nil) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.chiName = chiName
        self.clusterName = clusterName
        self.filter = filter
        self.s3 = s3
    }
}

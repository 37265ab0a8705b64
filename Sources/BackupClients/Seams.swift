import BackupDomain

/// What execution asks of one ClickHouse server: the HTTP client in production
/// (``ClickHouseClient``), a scripted server in unit tests.
public protocol ClickHouseSession: Sendable {
    /// `host:port`, as messages name the server.
    var endpoint: ClickHouseEndpoint { get }
    /// Runs a statement; returns the raw body. Throws ``ClickHouseError`` for ClickHouse's refusals.
    func run(_ sql: String, settings: [String: String], timeout: Duration?) async throws -> String
    /// Runs a query and returns its rows as JSON objects.
    func select(_ sql: String, timeout: Duration?) async throws -> [JSONValue]
}

extension ClickHouseSession {
    public func run(_ sql: String, timeout: Duration?) async throws -> String { try await run(sql, settings: [:], timeout: timeout) }
}

extension ClickHouseClient: ClickHouseSession {
    public func run(_ sql: String, settings: [String: String], timeout: Duration?) async throws -> String {
        try await execute(sql, settings: settings, timeout: timeout)
    }

    public func select(_ sql: String, timeout: Duration?) async throws -> [JSONValue] { try await rows(sql, timeout: timeout) }
}

/// The object calls the plugin makes itself (manifests, locks, the catalog): S3 in
/// production (``S3Client``), memory in unit tests. Objects are addressed by full URL.
public protocol ObjectStore: Sendable {
    /// PUT; with `ifNoneMatch`, create-only. - Returns: false when it existed (create-only).
    @discardableResult
    func put(_ url: String, body: [UInt8], contentType: String, ifNoneMatch: Bool) async throws -> Bool
    /// GET; nil when there is no such object.
    func get(_ url: String) async throws -> [UInt8]?
    /// HEAD: whether the object exists (its body is not read).
    func exists(_ url: String) async throws -> Bool
    /// DELETE; deleting what is gone is not an error.
    func delete(_ url: String) async throws
    /// Keys (and common prefixes, with a delimiter) under `prefix` of the bucket at `bucketURL`.
    func list(bucketURL: String, prefix: String, delimiter: String?) async throws -> (keys: [String], prefixes: [String])
    /// Deletes `keys` of the bucket at `bucketURL`, as few requests as the store allows.
    func delete(bucketURL: String, keys: [String]) async throws
    /// GET with the object's version (its ETag); nil when there is no such object.
    func getVersioned(_ url: String) async throws -> (body: [UInt8], etag: String)?
    /// PUT only if the object is still at `version` (nil: only if it does not exist): S3's
    /// conditional writes. - Returns: false when it changed meanwhile (412).
    func put(_ url: String, body: [UInt8], ifVersion version: String?) async throws -> Bool
}

extension ObjectStore {
    /// A store without HEAD reads the object.
    public func exists(_ url: String) async throws -> Bool { try await get(url) != nil }

    @discardableResult
    public func put(_ url: String, body: [UInt8]) async throws -> Bool {
        try await put(url, body: body, contentType: "application/json", ifNoneMatch: false)
    }

    public func list(bucketURL: String, prefix: String) async throws -> (keys: [String], prefixes: [String]) {
        try await list(bucketURL: bucketURL, prefix: prefix, delimiter: nil)
    }
}

extension S3Client: ObjectStore {}

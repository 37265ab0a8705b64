import CProtobuf
import RPCRuntime

/// `altinity.backup.v1.OperationRequest`.
public struct OperationRequest: RPCMessage, Equatable {
    /// A backup_id or restore_id (field 1).
    public var operationID: String

    public init(operationID: String = "") { self.operationID = operationID }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.backup.v1.OperationRequest",
            unpack: { altinity__backup__v1__operation_request__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__operation_request__free_unpacked($0, nil) }
        ) { OperationRequest(operationID: CRead.string($0.operation_id)) }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var message = Altinity__Backup__V1__OperationRequest()
        altinity__backup__v1__operation_request__init(&message)
        message.operation_id = arena.string(operationID)
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__operation_request__get_packed_size($0) },
                                   pack: { altinity__backup__v1__operation_request__pack($0, $1) })
    }
}

/// `altinity.backup.v1.ListOperationsRequest`.
public struct ListOperationsRequest: RPCMessage, Equatable {
    /// At most this many, newest first; 0 means the default (field 1).
    public var limit: Int32

    public init(limit: Int32 = 0) { self.limit = limit }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.backup.v1.ListOperationsRequest",
            unpack: { altinity__backup__v1__list_operations_request__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__list_operations_request__free_unpacked($0, nil) }
        ) { ListOperationsRequest(limit: $0.limit) }
    }

    public func serializedBytes() -> [UInt8] {
        var message = Altinity__Backup__V1__ListOperationsRequest()
        altinity__backup__v1__list_operations_request__init(&message)
        message.limit = limit
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__list_operations_request__get_packed_size($0) },
                                   pack: { altinity__backup__v1__list_operations_request__pack($0, $1) })
    }
}

/// `altinity.backup.v1.HostProgress`: one host's part of an operation.
public struct HostProgress: Equatable, Sendable {
    public var shard: Int32, replica: Int32
    public var fqdn: String, clickHouseID: String, status: String
    public var numFiles: Int64, totalSize: Int64
    public var error: String

    public init(shard: Int32 = 0, replica: Int32 = 0, fqdn: String = "", clickHouseID: String = "", status: String = "",
                numFiles: Int64 = 0, totalSize: Int64 = 0, error: String = "") {
        (self.shard, self.replica, self.fqdn, self.clickHouseID, self.status) = (shard, replica, fqdn, clickHouseID, status)
        (self.numFiles, self.totalSize, self.error) = (numFiles, totalSize, error)
    }

    init(c m: Altinity__Backup__V1__HostProgress) {
        self.init(shard: m.shard, replica: m.replica, fqdn: CRead.string(m.fqdn), clickHouseID: CRead.string(m.clickhouse_id),
                  status: CRead.string(m.status), numFiles: m.num_files, totalSize: m.total_size, error: CRead.string(m.error))
    }

    func c(_ arena: CArena) -> Altinity__Backup__V1__HostProgress {
        var m = Altinity__Backup__V1__HostProgress()
        altinity__backup__v1__host_progress__init(&m)
        (m.shard, m.replica, m.num_files, m.total_size) = (shard, replica, numFiles, totalSize)
        (m.fqdn, m.clickhouse_id, m.status, m.error) = (arena.string(fqdn), arena.string(clickHouseID), arena.string(status), arena.string(error))
        return m
    }
}

/// `altinity.backup.v1.Operation`: a Backup or Restore call of this process.
public struct Operation: RPCMessage, Equatable {
    public var operationID: String, kind: String, name: String, chi: String, state: String
    public var startedAt: Int64, stoppedAt: Int64
    public var hosts: [HostProgress]
    public var error: String

    public init(operationID: String = "", kind: String = "", name: String = "", chi: String = "", state: String = "",
                startedAt: Int64 = 0, stoppedAt: Int64 = 0, hosts: [HostProgress] = [], error: String = "") {
        (self.operationID, self.kind, self.name, self.chi, self.state) = (operationID, kind, name, chi, state)
        (self.startedAt, self.stoppedAt, self.hosts, self.error) = (startedAt, stoppedAt, hosts, error)
    }

    init(c m: Altinity__Backup__V1__Operation) {
        self.init(operationID: CRead.string(m.operation_id), kind: CRead.string(m.kind), name: CRead.string(m.name), chi: CRead.string(m.chi),
                  state: CRead.string(m.state), startedAt: m.started_at, stoppedAt: m.stopped_at,
                  hosts: CRead.items(m.hosts, count: m.n_hosts).map(HostProgress.init(c:)), error: CRead.string(m.error))
    }

    func c(_ arena: CArena) -> Altinity__Backup__V1__Operation {
        var m = Altinity__Backup__V1__Operation()
        altinity__backup__v1__operation__init(&m)
        (m.operation_id, m.kind, m.name, m.chi, m.state) = (arena.string(operationID), arena.string(kind), arena.string(name),
                                                           arena.string(chi), arena.string(state))
        (m.started_at, m.stopped_at, m.error) = (startedAt, stoppedAt, arena.string(error))
        m.n_hosts = hosts.count
        m.hosts = arena.pointerArray(hosts.map { $0.c(arena) })
        return m
    }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.backup.v1.Operation",
            unpack: { altinity__backup__v1__operation__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__operation__free_unpacked($0, nil) }
        ) { Operation(c: $0) }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var message = c(arena)
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__operation__get_packed_size($0) },
                                   pack: { altinity__backup__v1__operation__pack($0, $1) })
    }
}

/// `altinity.backup.v1.ListOperationsResponse`.
public struct ListOperationsResponse: RPCMessage, Equatable {
    public var operations: [Operation]

    public init(operations: [Operation] = []) { self.operations = operations }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.backup.v1.ListOperationsResponse",
            unpack: { altinity__backup__v1__list_operations_response__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__list_operations_response__free_unpacked($0, nil) }
        ) { ListOperationsResponse(operations: CRead.items($0.operations, count: $0.n_operations).map(Operation.init(c:))) }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var message = Altinity__Backup__V1__ListOperationsResponse()
        altinity__backup__v1__list_operations_response__init(&message)
        message.n_operations = operations.count
        message.operations = arena.pointerArray(operations.map { $0.c(arena) })
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__list_operations_response__get_packed_size($0) },
                                   pack: { altinity__backup__v1__list_operations_response__pack($0, $1) })
    }
}

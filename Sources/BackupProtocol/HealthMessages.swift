import CProtobuf
import RPCRuntime

/// `grpc.health.v1.HealthCheckRequest`.
public struct HealthCheckRequest: RPCMessage, Equatable {
    /// The service asked about; empty means the server as a whole.
    public var service: String

    public init(service: String = "") { self.service = service }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "grpc.health.v1.HealthCheckRequest",
            unpack: { grpc__health__v1__health_check_request__unpack(nil, $0, $1) },
            free: { grpc__health__v1__health_check_request__free_unpacked($0, nil) }
        ) { HealthCheckRequest(service: CRead.string($0.service)) }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var m = Grpc__Health__V1__HealthCheckRequest()
        grpc__health__v1__health_check_request__init(&m)
        m.service = arena.string(service)
        return ProtobufCCodec.pack(&m, size: { grpc__health__v1__health_check_request__get_packed_size($0) },
                                   pack: { grpc__health__v1__health_check_request__pack($0, $1) })
    }
}

/// `grpc.health.v1.HealthCheckResponse`.
public struct HealthCheckResponse: RPCMessage, Equatable {
    /// `ServingStatus`, by wire number.
    public enum ServingStatus: Int32, Sendable {
        case unknown = 0, serving = 1, notServing = 2, serviceUnknown = 3
    }
    public var status: ServingStatus

    public init(status: ServingStatus) { self.status = status }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "grpc.health.v1.HealthCheckResponse",
            unpack: { grpc__health__v1__health_check_response__unpack(nil, $0, $1) },
            free: { grpc__health__v1__health_check_response__free_unpacked($0, nil) }
        ) { HealthCheckResponse(status: ServingStatus(rawValue: Int32($0.status.rawValue)) ?? .unknown) }
    }

    public func serializedBytes() -> [UInt8] {
        var m = Grpc__Health__V1__HealthCheckResponse()
        grpc__health__v1__health_check_response__init(&m)
        m.status = Grpc__Health__V1__HealthCheckResponse__ServingStatus(rawValue: numericCast(status.rawValue))
        return ProtobufCCodec.pack(&m, size: { grpc__health__v1__health_check_response__get_packed_size($0) },
                                   pack: { grpc__health__v1__health_check_response__pack($0, $1) })
    }
}

import CProtobuf
import RPCRuntime

// grpc.reflection.v1 and v1alpha define the same messages with the same numbers, so their
// wire bytes are identical: one Swift mapping (through the v1 C code) serves both services.

/// `ServerReflectionRequest`.
public struct ReflectionRequest: RPCMessage, Equatable {
    /// The `message_request` oneof.
    public enum Query: Equatable, Sendable {
        case none
        case fileByFilename(String)
        case fileContainingSymbol(String)
        case fileContainingExtension(containingType: String, number: Int32)
        case allExtensionNumbersOfType(String)
        case listServices(String)
    }
    public var host: String
    public var query: Query

    public init(host: String = "", query: Query) {
        self.host = host
        self.query = query
    }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "grpc.reflection.v1.ServerReflectionRequest",
            unpack: { grpc__reflection__v1__server_reflection_request__unpack(nil, $0, $1) },
            free: { grpc__reflection__v1__server_reflection_request__free_unpacked($0, nil) }
        ) { Self(c: $0) }
    }

    init(c m: Grpc__Reflection__V1__ServerReflectionRequest) {
        let query: Query
        switch m.message_request_case {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
            query = .fileByFilename(CRead.string(m.file_by_filename))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
            query = .fileContainingSymbol(CRead.string(m.file_containing_symbol))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
            let e = m.file_containing_extension?.pointee
            query = .fileContainingExtension(containingType: CRead.string(e?.containing_type), number: e?.extension_number ?? 0)
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
            query = .allExtensionNumbersOfType(CRead.string(m.all_extension_numbers_of_type))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
            query = .listServices(CRead.string(m.list_services))
        default:
            query = .none
        }
        self.init(host: CRead.string(m.host), query: query)
    }

    func c(_ arena: CArena) -> Grpc__Reflection__V1__ServerReflectionRequest {
        var m = Grpc__Reflection__V1__ServerReflectionRequest()
        grpc__reflection__v1__server_reflection_request__init(&m)
        m.host = arena.string(host)
        switch query {
        case .none:
            break
        case .fileByFilename(let name):
            m.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME
            m.file_by_filename = arena.string(name)
        case .fileContainingSymbol(let symbol):
            m.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL
            m.file_containing_symbol = arena.string(symbol)
        case .fileContainingExtension(let type, let number):
            var e = Grpc__Reflection__V1__ExtensionRequest()
            grpc__reflection__v1__extension_request__init(&e)
            e.containing_type = arena.string(type)
            e.extension_number = number
            m.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION
            m.file_containing_extension = arena.box(e)
        case .allExtensionNumbersOfType(let type):
            m.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE
            m.all_extension_numbers_of_type = arena.string(type)
        case .listServices(let value):
            m.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES
            m.list_services = arena.string(value)
        }
        return m
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var m = c(arena)
        return ProtobufCCodec.pack(&m, size: { grpc__reflection__v1__server_reflection_request__get_packed_size($0) },
                                   pack: { grpc__reflection__v1__server_reflection_request__pack($0, $1) })
    }
}

/// `ServerReflectionResponse`.
public struct ReflectionResponse: RPCMessage, Equatable {
    /// The `message_response` oneof.
    public enum Answer: Equatable, Sendable {
        case none
        /// Serialized `FileDescriptorProto`s: the file asked for, then its dependencies.
        case fileDescriptors([[UInt8]])
        case extensionNumbers(baseType: String, numbers: [Int32])
        case services([String])
        case error(code: Int32, message: String)
    }
    public var validHost: String
    public var originalRequest: ReflectionRequest
    public var answer: Answer

    public init(validHost: String = "", originalRequest: ReflectionRequest, answer: Answer) {
        self.validHost = validHost
        self.originalRequest = originalRequest
        self.answer = answer
    }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "grpc.reflection.v1.ServerReflectionResponse",
            unpack: { grpc__reflection__v1__server_reflection_response__unpack(nil, $0, $1) },
            free: { grpc__reflection__v1__server_reflection_response__free_unpacked($0, nil) }
        ) { m in
            let answer: Answer
            switch m.message_response_case {
            case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE:
                let r = m.file_descriptor_response.pointee
                answer = .fileDescriptors((0..<r.n_file_descriptor_proto).map { CRead.bytes(r.file_descriptor_proto[$0]) })
            case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE:
                let r = m.all_extension_numbers_response.pointee
                answer = .extensionNumbers(baseType: CRead.string(r.base_type_name),
                                           numbers: (0..<r.n_extension_number).map { r.extension_number[$0] })
            case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE:
                let r = m.list_services_response.pointee
                answer = .services(CRead.items(r.service, count: r.n_service).map { CRead.string($0.name) })
            case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE:
                let r = m.error_response.pointee
                answer = .error(code: r.error_code, message: CRead.string(r.error_message))
            default:
                answer = .none
            }
            let original = m.original_request.map { ReflectionRequest(c: $0.pointee) } ?? ReflectionRequest(query: .none)
            return ReflectionResponse(validHost: CRead.string(m.valid_host), originalRequest: original, answer: answer)
        }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var m = Grpc__Reflection__V1__ServerReflectionResponse()
        grpc__reflection__v1__server_reflection_response__init(&m)
        m.valid_host = arena.string(validHost)
        m.original_request = arena.box(originalRequest.c(arena))
        switch answer {
        case .none:
            break
        case .fileDescriptors(let files):
            var r = Grpc__Reflection__V1__FileDescriptorResponse()
            grpc__reflection__v1__file_descriptor_response__init(&r)
            r.n_file_descriptor_proto = files.count
            r.file_descriptor_proto = arena.array(files.map { arena.bytes($0) })
            m.message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE
            m.file_descriptor_response = arena.box(r)
        case .extensionNumbers(let baseType, let numbers):
            var r = Grpc__Reflection__V1__ExtensionNumberResponse()
            grpc__reflection__v1__extension_number_response__init(&r)
            r.base_type_name = arena.string(baseType)
            r.n_extension_number = numbers.count
            r.extension_number = arena.array(numbers)
            m.message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE
            m.all_extension_numbers_response = arena.box(r)
        case .services(let names):
            let items = names.map { name in
                var s = Grpc__Reflection__V1__ServiceResponse()
                grpc__reflection__v1__service_response__init(&s)
                s.name = arena.string(name)
                return s
            }
            var r = Grpc__Reflection__V1__ListServiceResponse()
            grpc__reflection__v1__list_service_response__init(&r)
            r.n_service = items.count
            r.service = arena.pointerArray(items)
            m.message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE
            m.list_services_response = arena.box(r)
        case .error(let code, let message):
            var r = Grpc__Reflection__V1__ErrorResponse()
            grpc__reflection__v1__error_response__init(&r)
            r.error_code = code
            r.error_message = arena.string(message)
            m.message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE
            m.error_response = arena.box(r)
        }
        return ProtobufCCodec.pack(&m, size: { grpc__reflection__v1__server_reflection_response__get_packed_size($0) },
                                   pack: { grpc__reflection__v1__server_reflection_response__pack($0, $1) })
    }
}

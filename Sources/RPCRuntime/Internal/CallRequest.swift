import CGRPC
import PluginSupport

/// The slots `grpc_server_request_call` fills in when a call to a method that was not
/// registered arrives. The core writes them after the request returns, so they live on the
/// heap at stable addresses until the request's tag is delivered; deinit frees them.
final class CallRequest: @unchecked Sendable {
    let call = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
    let details = UnsafeMutablePointer<grpc_call_details>.allocate(capacity: 1)
    let metadata = UnsafeMutablePointer<grpc_metadata_array>.allocate(capacity: 1)

    init() {
        call.initialize(to: nil)
        grpc_call_details_init(details)
        grpc_metadata_array_init(metadata)
    }

    deinit {
        grpc_call_details_destroy(details)
        grpc_metadata_array_destroy(metadata)
        call.deallocate()
        details.deallocate()
        metadata.deallocate()
    }

    /// The method path, e.g. `/grpc.health.v1.Health/Check`.
    var method: String { SliceBytes.string(details.pointee.method) }

    var deadline: ContinuousClock.Instant? { Self.instant(of: details.pointee.deadline) }

    var requestMetadata: Metadata { Self.metadata(of: metadata.pointee) }

    /// A core deadline on the monotonic clock, or nil when the client set none.
    static func instant(of deadline: gpr_timespec) -> ContinuousClock.Instant? {
        if deadline.tv_sec == Int64.max { return nil }  // gpr_inf_future
        let now = gpr_now(GPR_CLOCK_MONOTONIC)
        let left = gpr_time_sub(gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC), now)
        return ContinuousClock.now.advanced(by: .seconds(left.tv_sec) + .nanoseconds(Int64(left.tv_nsec)))
    }

    /// A copy of request metadata.
    static func metadata(of array: grpc_metadata_array) -> Metadata {
        var entries: [Metadata.Entry] = []
        entries.reserveCapacity(array.count)
        for index in 0..<array.count {
            let item = array.metadata[index]
            entries.append(Metadata.Entry(key: SliceBytes.string(item.key), value: SliceBytes.array(item.value)))
        }
        return Metadata(entries)
    }
}

/// A method registered with the core (`grpc_server_register_method`): its calls arrive on
/// requests of their own, already routed, and a unary or server-streaming call's request
/// message is read by the core with the call (one batch fewer per call).
struct RegisteredMethod: @unchecked Sendable {
    let path: String
    let handler: MethodHandler
    /// ``CallRecord/route``.
    let route: Int
    /// Its live calls.
    let counter: CallTracker.Counter
    /// The core's handle (`void *`), valid while the server lives.
    let handle: UnsafeMutableRawPointer
    let readsPayload: Bool

    /// A route number never used before in this process.
    static func nextRoute() -> Int { routes.withLock { $0 += 1; return $0 } }
    private static let routes = LockedState(0)

    static func readsPayload(_ handler: MethodHandler) -> Bool {
        if case .bidirectionalStreaming = handler { return false }
        return true
    }
}

/// The slots `grpc_server_request_registered_call` fills in; like ``CallRequest``, but in one
/// allocation (a call to a registered method is the common case: every allocation counts).
final class RegisteredCallRequest: @unchecked Sendable {
    private struct Slots {
        var call: OpaquePointer?
        var deadline: gpr_timespec
        var metadata: grpc_metadata_array
        var payload: UnsafeMutablePointer<grpc_byte_buffer>?
    }
    private let slots = UnsafeMutablePointer<Slots>.allocate(capacity: 1)

    init() {
        slots.initialize(to: Slots(call: nil, deadline: gpr_inf_future(GPR_CLOCK_MONOTONIC), metadata: grpc_metadata_array(), payload: nil))
        grpc_metadata_array_init(metadata)
    }

    deinit {
        if let buffer = slots.pointee.payload { grpc_byte_buffer_destroy(buffer) }  // not taken: a refused call
        grpc_metadata_array_destroy(metadata)
        slots.deinitialize(count: 1)
        slots.deallocate()
    }

    private func field<T>(_ path: KeyPath<Slots, T>) -> UnsafeMutablePointer<T> {
        (UnsafeMutableRawPointer(slots) + MemoryLayout<Slots>.offset(of: path)!).assumingMemoryBound(to: T.self)
    }

    var call: UnsafeMutablePointer<OpaquePointer?> { field(\.call) }
    var deadline: UnsafeMutablePointer<gpr_timespec> { field(\.deadline) }
    var metadata: UnsafeMutablePointer<grpc_metadata_array> { field(\.metadata) }
    var payload: UnsafeMutablePointer<UnsafeMutablePointer<grpc_byte_buffer>?> { field(\.payload) }

    /// The request message the core read with the call, taken out of the slot.
    func takeInitialMessage() -> InitialMessage {
        guard let buffer = slots.pointee.payload else { return .absent }
        slots.pointee.payload = nil
        defer { grpc_byte_buffer_destroy(buffer) }
        return OwnedByteBuffer.bytes(of: buffer).map(InitialMessage.bytes) ?? .undecodable
    }
}

/// A request message the core read together with its call.
enum InitialMessage: Sendable {
    case bytes([UInt8])
    /// The client half-closed without one.
    case absent
    /// It could not be decompressed.
    case undecodable
}

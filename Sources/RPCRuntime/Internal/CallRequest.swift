import CGRPC

/// The slots `grpc_server_request_call` fills in when a call arrives. The core writes them
/// after the request returns, so they live on the heap at stable addresses until the
/// request's tag is delivered; deinit frees them.
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

    /// The deadline on the monotonic clock, or nil when the client set none.
    var deadline: ContinuousClock.Instant? {
        let deadline = details.pointee.deadline
        if deadline.tv_sec == Int64.max { return nil }  // gpr_inf_future
        let now = gpr_now(GPR_CLOCK_MONOTONIC)
        let left = gpr_time_sub(gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC), now)
        return ContinuousClock.now.advanced(by: .seconds(left.tv_sec) + .nanoseconds(Int64(left.tv_nsec)))
    }

    /// A copy of the request metadata.
    var requestMetadata: Metadata {
        let array = metadata.pointee
        var entries: [Metadata.Entry] = []
        entries.reserveCapacity(array.count)
        for index in 0..<array.count {
            let item = array.metadata[index]
            entries.append(Metadata.Entry(key: SliceBytes.string(item.key), value: SliceBytes.array(item.value)))
        }
        return Metadata(entries)
    }

}

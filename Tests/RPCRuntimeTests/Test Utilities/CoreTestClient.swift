import CGRPC
import Foundation

/// A blocking gRPC client on the C core's channel API, for testing the server runtime
/// in-process. One pluck completion queue; one call at a time per client.
final class CoreTestClient {
    struct Reply {
        var code: Int32
        var message: String
        var messages: [[UInt8]]
    }

    private let channel: OpaquePointer
    private let queue: OpaquePointer
    /// The server's port (for more clients of the same server).
    let port: Int

    init(port: Int) {
        self.port = port
        grpc_init()
        let credentials = grpc_insecure_credentials_create()
        channel = grpc_channel_create("127.0.0.1:\(port)", credentials, nil)
        grpc_channel_credentials_release(credentials)
        queue = grpc_completion_queue_create_for_pluck(nil)
    }

    /// A TLS client trusting `rootPEM`, presenting `clientPEM` (certificate, key) when given;
    /// the server's certificate must name `localhost`.
    init(port: Int, rootPEM: String, clientPEM: (certificate: String, key: String)? = nil) {
        self.port = port
        grpc_init()
        let credentials: OpaquePointer = rootPEM.withCString { root in
            guard let clientPEM else { return grpc_ssl_credentials_create(root, nil, nil, nil) }
            return clientPEM.key.withCString { key in
                clientPEM.certificate.withCString { certificate in
                    var pair = grpc_ssl_pem_key_cert_pair(private_key: key, cert_chain: certificate)
                    return grpc_ssl_credentials_create(root, &pair, nil, nil)
                }
            }
        }
        let key = strdup("grpc.ssl_target_name_override")!, value = strdup("localhost")!
        defer { free(key); free(value) }
        var arg = cgrpc_string_arg(key, value)
        channel = withUnsafeMutablePointer(to: &arg) { argPointer in  // the pointer must outlive the args struct's use
            var args = grpc_channel_args(num_args: 1, args: argPointer)
            return grpc_channel_create("127.0.0.1:\(port)", credentials, &args)
        }
        grpc_channel_credentials_release(credentials)
        queue = grpc_completion_queue_create_for_pluck(nil)
    }

    deinit {
        grpc_channel_destroy(channel)
        grpc_completion_queue_shutdown(queue)
        while grpc_completion_queue_pluck(queue, nil, gpr_inf_future(GPR_CLOCK_REALTIME), nil).type != GRPC_QUEUE_SHUTDOWN {}
        grpc_completion_queue_destroy(queue)
        grpc_shutdown()
    }

    /// Calls `method` with one request; reads up to `maxMessages` responses, or cancels after
    /// `cancelAfterMessages` of them.
    func call(_ method: String, _ request: [UInt8]?, timeout: Double? = nil, metadata: [(String, String)] = [],
              cancelAfterMessages: Int? = nil, maxMessages: Int = 1) -> Reply {
        let deadline = timeout.map { gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(Int64($0 * 1000), GPR_TIMESPAN)) }
            ?? gpr_inf_future(GPR_CLOCK_REALTIME)
        let methodSlice = grpc_slice_from_copied_string(method)
        defer { grpc_slice_unref(methodSlice) }
        let call = grpc_channel_create_call(channel, nil, UInt32(0xFFFF), queue, methodSlice, nil, deadline, nil)!
        defer { grpc_call_unref(call) }

        // Send everything and half-close.
        var entries = metadata.map { key, value in
            grpc_metadata(key: grpc_slice_from_copied_string(key), value: grpc_slice_from_copied_string(value), internal_data: .init())
        }
        defer { entries.forEach { grpc_slice_unref($0.key); grpc_slice_unref($0.value) } }
        // nil: no request message at all, only the half-close.
        let requestBuffer = request.map { bytes in bytes.withUnsafeBytes { cgrpc_byte_buffer_copy($0.baseAddress, $0.count)! } }
        defer { requestBuffer.map(grpc_byte_buffer_destroy) }
        entries.withUnsafeMutableBufferPointer { md in
            var ops = [grpc_op(), grpc_op(), grpc_op()]
            ops[0].op = GRPC_OP_SEND_INITIAL_METADATA
            ops[0].data.send_initial_metadata.count = md.count
            ops[0].data.send_initial_metadata.metadata = md.baseAddress
            ops[1].op = GRPC_OP_SEND_MESSAGE
            ops[1].data.send_message.send_message = requestBuffer
            ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT
            run(call, requestBuffer == nil ? [ops[0], ops[2]] : ops)
        }

        var messages: [[UInt8]] = []
        var initial = grpc_metadata_array()
        grpc_metadata_array_init(&initial)
        defer { grpc_metadata_array_destroy(&initial) }
        var receivedInitial = false
        while messages.count < maxMessages {
            if let cancelAfter = cancelAfterMessages, messages.count >= cancelAfter {
                grpc_call_cancel(call, nil)
                break
            }
            var slot: UnsafeMutablePointer<grpc_byte_buffer>?
            var ops: [grpc_op] = []
            if !receivedInitial {
                var op = grpc_op()
                op.op = GRPC_OP_RECV_INITIAL_METADATA
                withUnsafeMutablePointer(to: &initial) { op.data.recv_initial_metadata.recv_initial_metadata = $0 }
                ops.append(op)
                receivedInitial = true
            }
            let ok = withUnsafeMutablePointer(to: &slot) { slotPointer -> Bool in
                var op = grpc_op()
                op.op = GRPC_OP_RECV_MESSAGE
                op.data.recv_message.recv_message = slotPointer
                ops.append(op)
                return run(call, ops)
            }
            guard ok, let buffer = slot else { break }
            var slice = grpc_slice()
            _ = cgrpc_byte_buffer_read_all(buffer, &slice)
            messages.append(withUnsafePointer(to: slice) { Array(UnsafeBufferPointer(start: cgrpc_slice_start($0), count: cgrpc_slice_length($0))) })
            grpc_slice_unref(slice)
            grpc_byte_buffer_destroy(buffer)
        }

        var trailing = grpc_metadata_array()
        grpc_metadata_array_init(&trailing)
        defer { grpc_metadata_array_destroy(&trailing) }
        var status = GRPC_STATUS_OK
        var details = grpc_slice()
        withUnsafeMutablePointer(to: &trailing) { trailingPointer in
            withUnsafeMutablePointer(to: &status) { statusPointer in
                withUnsafeMutablePointer(to: &details) { detailsPointer in
                    var op = grpc_op()
                    op.op = GRPC_OP_RECV_STATUS_ON_CLIENT
                    op.data.recv_status_on_client.trailing_metadata = trailingPointer
                    op.data.recv_status_on_client.status = statusPointer
                    op.data.recv_status_on_client.status_details = detailsPointer
                    run(call, [op])
                }
            }
        }
        let message = withUnsafePointer(to: details) { String(decoding: UnsafeBufferPointer(start: cgrpc_slice_start($0), count: cgrpc_slice_length($0)), as: UTF8.self) }
        grpc_slice_unref(details)
        return Reply(code: Int32(status.rawValue), message: message, messages: messages)
    }

    @discardableResult
    private func run(_ call: OpaquePointer, _ ops: [grpc_op]) -> Bool {
        let tag = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { tag.deallocate() }
        let result = ops.withUnsafeBufferPointer { grpc_call_start_batch(call, $0.baseAddress, $0.count, tag, nil) }
        precondition(result == GRPC_CALL_OK, "start_batch refused: \(result)")
        let event = grpc_completion_queue_pluck(queue, tag, gpr_inf_future(GPR_CLOCK_REALTIME), nil)
        return event.success != 0
    }
}

extension CoreTestClient: @unchecked Sendable {
    /// `call` on a thread of its own: the client blocks, and the cooperative pool (two
    /// threads on two cores) must stay free for the server's handlers.
    func callOffPool(_ method: String, _ request: [UInt8]?, timeout: Double? = nil, metadata: [(String, String)] = [],
                     cancelAfterMessages: Int? = nil, maxMessages: Int = 1) async -> Reply {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: self.call(method, request, timeout: timeout, metadata: metadata,
                                                         cancelAfterMessages: cancelAfterMessages, maxMessages: maxMessages))
            }
            thread.start()
        }
    }

    /// Runs a batch of blocking work on a thread of its own.
    func offPool<T: Sendable>(_ body: @escaping @Sendable (CoreTestClient) -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body(self)) }.start()
        }
    }
}

/// Resident memory and thread count of this process, from /proc.
enum ProcessStats {
    static func residentKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    static func threads() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }
}

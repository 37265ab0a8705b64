import CGRPC
import PluginSupport

/// Owns one accepted call (`grpc_call *`, one reference, released in deinit) and runs its
/// handler. Every batch's tag captures the call, so the call outlives its last event; the
/// handler task captures it too. When both are done the object is freed, the reference is
/// dropped, and the tracker counts the call as ended.
final class ServerCall: @unchecked Sendable {
    private let raw: OpaquePointer
    let context: ServerContext
    private let tracker: CallTracker
    private let onEvent: (@Sendable (ServerEvent) -> Void)?
    private let mapError: @Sendable (any Error) -> RPCError
    private let arrived = ContinuousClock.now
    private let routed: Bool
    private let route: Int
    private let counter: CallTracker.Counter
    /// The request message the core read with the call (registered methods), else nil.
    private let initialMessage: InitialMessage?
    private let state = LockedState(State())

    private struct State {
        var task: Task<Void, Never>?
        var cancelled = false
        var sentInitialMetadata = false
    }

    init(raw: OpaquePointer, context: ServerContext, tracker: CallTracker, counter: CallTracker.Counter? = nil, routed: Bool = true, route: Int = 0,
         initialMessage: InitialMessage? = nil,
         onEvent: (@Sendable (ServerEvent) -> Void)? = nil, mapError: @escaping @Sendable (any Error) -> RPCError = { RPCError.from($0) }) {
        self.raw = raw
        self.initialMessage = initialMessage
        self.route = route
        self.counter = counter ?? tracker.unregistered
        self.routed = routed
        self.context = context
        self.tracker = tracker
        self.onEvent = onEvent
        self.mapError = mapError
        tracker.callStarted(self.counter)
    }

    deinit {
        grpc_call_unref(raw)  // balances the reference grpc_server_request_call gave us
        tracker.callEnded(counter)
    }

    /// Serves the call: UNIMPLEMENTED without a handler, and an immediate handler with its
    /// request, answer here and now; any other watches for the call's end, then runs `handler`
    /// in a task.
    func serve(_ handler: MethodHandler?) {
        guard let handler else {
            finish(RPCError(.unimplemented, "unknown method \(context.method)"), closing: true)
            return
        }
        if case .immediate(let body) = handler, case .bytes(let request)? = initialMessage {
            answerAtOnce(body, request)
            return
        }
        watchClose()
        let task = Task { await self.run(handler) }
        let cancelNow = state.withLock { state -> Bool in
            state.task = task
            return state.cancelled
        }
        if cancelNow { task.cancel() }
    }

    /// Answers with `error` without running a handler (authentication refused the call).
    func refuse(_ error: RPCError) {
        finish(error, closing: true)
    }

    /// An immediate handler's answer, on this (the polling) thread: the response, the status
    /// and the wait for the close in one batch. Nothing runs that a cancel could stop, so
    /// nothing watches (as for a refusal).
    private func answerAtOnce(_ body: @Sendable ([UInt8], ServerContext) throws -> [UInt8], _ request: [UInt8]) {
        do {
            finish(nil, message: try body(request, context), closing: true)
        } catch {
            finish(mapError(error), closing: true)
        }
    }

    private func run(_ handler: MethodHandler) async {
        do {
            switch handler {
            case .unary(let body):
                let request = try await receiveRequest()
                let response = try await body(request, context)
                finish(nil, message: response)
            case .immediate(let body):  // its request did not come with the call (an unregistered route)
                finish(nil, message: try body(try await receiveRequest(), context))
            case .serverStreaming(let body):
                let request = try await receiveRequest()
                try await body(request, context, RawResponseWriter { try await self.send($0) })
                finish(nil)
            case .bidirectionalStreaming(let body):
                let requests = RawRequestStream { try await self.receive() }
                try await body(requests, context, RawResponseWriter { try await self.send($0) })
                finish(nil)
            }
        } catch {
            finish(mapError(error))
        }
    }

    private func receiveRequest() async throws -> [UInt8] {
        switch initialMessage {
        case .bytes(let request)?: return request
        case .absent?: break
        case .undecodable?: throw RPCError(.invalidArgument, "the request message cannot be decompressed")
        case nil: if let request = try await receive() { return request }
        }
        throw RPCError(.invalidArgument, "the call carried no request message")
    }

    // MARK: - Operations

    /// Waits for the call's end (RECV_CLOSE_ON_SERVER). A cancelled end (client cancel,
    /// deadline, server cancel-all) cancels the handler's task.
    private func watchClose() {
        let close = CloseFlag()
        let started = startBatch([close.op]) { success in
            if close.cancelled || !success { self.markCancelled() }
        }
        if !started { markCancelled() }
    }

    private func markCancelled() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }

    /// Receives the next message, or nil when the client half-closed.
    func receive() async throws -> [UInt8]? {
        let slot = UnsafeMutablePointer<UnsafeMutablePointer<grpc_byte_buffer>?>.allocate(capacity: 1)
        slot.initialize(to: nil)
        defer { slot.deallocate() }
        var op = grpc_op()
        op.op = GRPC_OP_RECV_MESSAGE
        op.data.recv_message.recv_message = slot
        guard await runBatch([op]) else {
            throw RPCError(.cancelled, "the call ended while reading a message")
        }
        guard let buffer = slot.pointee else { return nil }
        defer { grpc_byte_buffer_destroy(buffer) }
        guard let bytes = OwnedByteBuffer.bytes(of: buffer) else {
            throw RPCError(.invalidArgument, "the request message cannot be decompressed")
        }
        return bytes
    }

    /// Sends one message (with the initial metadata before the first one).
    func send(_ bytes: [UInt8]) async throws {
        let buffer = bytes.withUnsafeBytes { cgrpc_byte_buffer_copy($0.baseAddress, $0.count)! }
        defer { grpc_byte_buffer_destroy(buffer) }  // the op is over when runBatch returns
        var ops = initialMetadataOps(reserving: 1)
        var op = grpc_op()
        op.op = GRPC_OP_SEND_MESSAGE
        op.data.send_message.send_message = buffer
        ops.append(op)
        guard await runBatch(ops) else {
            throw RPCError(.cancelled, "the call ended while sending a message")
        }
    }

    /// Ends the call: optional last message, then the status (`closing`: and the wait for the
    /// call's close, when nothing watches it). Does not wait: the buffers are freed when the
    /// batch completes.
    private func finish(_ error: RPCError?, message: [UInt8]? = nil, closing: Bool = false) {
        let code = error?.code ?? .ok
        let details = UnsafeMutablePointer<grpc_slice>.allocate(capacity: 1)
        details.initialize(to: grpc_slice_from_copied_string(error?.message ?? ""))
        let buffer = message.map { OwnedByteBuffer(copying: $0) }
        var ops = initialMetadataOps(reserving: 2)
        if let buffer {
            var op = grpc_op()
            op.op = GRPC_OP_SEND_MESSAGE
            op.data.send_message.send_message = buffer.raw
            ops.append(op)
        }
        var status = grpc_op()
        status.op = GRPC_OP_SEND_STATUS_FROM_SERVER
        status.data.send_status_from_server.status = grpc_status_code(code.rawValue)
        status.data.send_status_from_server.status_details = details
        ops.append(status)
        let close = closing ? CloseFlag() : nil
        if let close { ops.append(close.op) }
        // The tag owns the buffer and the flag: freed when the batch is over, or with the tag
        // when the core refuses the batch.
        _ = startBatch(ops) { _ in
            _ = buffer
            _ = close
            _ = self  // keeps the call alive until the status is out
        }
        // The core copies the details during start_batch; our slice reference can go now.
        grpc_slice_unref(details.pointee)
        details.deallocate()
        onEvent?(.callEnded(CallRecord(
            method: context.method, code: code, message: error?.message ?? "", duration: ContinuousClock.now - arrived,
            peer: context.peer, peerIdentity: context.peerIdentity, annotations: context.annotations.all,
            routed: routed, route: route)))
    }

    /// SEND_INITIAL_METADATA when it has not gone out yet, in an array with room for `more`
    /// ops (built once, not grown).
    private func initialMetadataOps(reserving more: Int) -> [grpc_op] {
        let needed = state.withLock { state -> Bool in
            defer { state.sentInitialMetadata = true }
            return !state.sentInitialMetadata
        }
        var ops: [grpc_op] = []
        ops.reserveCapacity(more + 1)
        guard needed else { return ops }
        var op = grpc_op()
        op.op = GRPC_OP_SEND_INITIAL_METADATA
        op.data.send_initial_metadata.count = 0
        ops.append(op)
        return ops
    }

    // MARK: - Batches

    /// Starts a batch whose completion runs `onComplete` on a polling thread.
    /// - Returns: false when the core refused the batch (no completion will come).
    private func startBatch(_ ops: [grpc_op], onComplete: @escaping (Bool) -> Void) -> Bool {
        let tag = CompletionTag(onComplete).retainedPointer()
        let result = ops.withUnsafeBufferPointer { grpc_call_start_batch(raw, $0.baseAddress, $0.count, tag, nil) }
        guard result == GRPC_CALL_OK else {
            CompletionTag.releaseUnused(tag)
            return false
        }
        return true
    }

    /// Starts a batch and waits for it; true when every op succeeded.
    private func runBatch(_ ops: [grpc_op]) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            if !startBatch(ops, onComplete: { continuation.resume(returning: $0) }) {
                continuation.resume(returning: false)
            }
        }
    }
}

/// The `int *` RECV_CLOSE_ON_SERVER writes into, owned here and freed with the batch's tag
/// that captures it (when the batch is over, or when the core refuses it).
private final class CloseFlag: @unchecked Sendable {
    private let raw: UnsafeMutablePointer<Int32>

    init() {
        raw = .allocate(capacity: 1)
        raw.initialize(to: 0)
    }

    deinit { raw.deallocate() }

    /// The op that waits for the call's close and writes into this flag.
    var op: grpc_op {
        var op = grpc_op()
        op.op = GRPC_OP_RECV_CLOSE_ON_SERVER
        op.data.recv_close_on_server.cancelled = raw
        return op
    }

    /// Whether the call ended cancelled (read when its batch is over).
    var cancelled: Bool { raw.pointee != 0 }
}

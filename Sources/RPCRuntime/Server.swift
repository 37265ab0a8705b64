import CGRPC

#if canImport(Glibc)
import Glibc
import PluginSupport
#endif

/// A gRPC server on the C core: one completion queue, one polling thread (and a helper that
/// polls with it while more than one call is live), handlers on Swift concurrency.
///
/// Shutdown order (``shutdown(grace:)``), each step after the previous one:
/// 1. stop accepting: `grpc_server_shutdown_and_notify` (running calls go on);
/// 2. grace period: wait for the shutdown tag up to `grace`;
/// 3. cancel the rest: `grpc_server_cancel_all_calls`, which cancels every handler's task;
/// 4. drain: wait for the shutdown tag and for every call object to be freed (every tag
///    delivered, every handler returned);
/// 5. destroy: `grpc_server_destroy`, then shut the queue down, join the polling
///    threads (they drain the queue to `GRPC_QUEUE_SHUTDOWN`), destroy the queue, `grpc_shutdown`.
public final class Server: Sendable {
    private let configuration: ServerConfiguration
    private let routes: [String: MethodHandler]
    private let tracker = CallTracker()
    private let state = LockedState<State>(.created)
    /// Whether this server holds a `grpc_init` it has not balanced yet (tests read it).
    let holdsCore = LockedState(false)
    /// Starts the queue's polling threads (tests make it fail).
    private let startPolling: @Sendable (CompletionQueue) throws -> Void
    /// The TLS fetcher's target: the core holds a bare pointer to it, so it lives as long as
    /// the server object, not just while running.
    private let certificates = LockedState<CertificateReloader?>(nil)

    private enum State {
        case created
        case running(Running)
        case stopping
        case stopped
    }

    private struct Running {
        let raw: OpaquePointer  // grpc_server *
        let queue: CompletionQueue
        let methods: [RegisteredMethod]
    }

    /// Creates a server; nothing happens until ``start()``.
    /// - Parameters:
    ///   - configuration: address and limits.
    ///   - services: the services to route calls to.
    public convenience init(configuration: ServerConfiguration, services: [ServiceDefinition]) {
        self.init(configuration: configuration, services: services, startPolling: { try $0.startPolling() })
    }

    /// - Parameter startPolling: starts the queue's polling threads (tests make it fail).
    init(configuration: ServerConfiguration, services: [ServiceDefinition], startPolling: @escaping @Sendable (CompletionQueue) throws -> Void) {
        self.startPolling = startPolling
        self.configuration = configuration
        var routes: [String: MethodHandler] = [:]
        for service in services {
            for (method, handler) in service.methods {
                routes["/\(service.name)/\(method)"] = handler
            }
        }
        self.routes = routes
    }

    /// Calls whose owner objects are still alive (for tests and metrics).
    public var liveCalls: Int { tracker.liveCalls }

    /// Binds the address and starts serving.
    /// - Returns: the bound port (useful with port 0).
    /// - Throws: ``RPCError`` `.unavailable` when the address cannot be bound;
    ///   `.failedPrecondition` when the server was already started or a TLS file is unusable.
    @discardableResult
    public func start() throws -> Int {
        try state.withLock { state in
            guard case .created = state else {
                throw RPCError(.failedPrecondition, "the server was already started")
            }
            let reloader = try configuration.tls.map { try CertificateReloader($0, onEvent: configuration.onEvent) }
            certificates.withLock { $0 = reloader }
            grpc_init()  // balanced by grpc_shutdown in shutdown(grace:) or below
            holdsCore.withLock { $0 = true }
            // The polling threads first: nothing exists yet to undo if they cannot start but the
            // queue and grpc_init (a server with a listener cannot be destroyed unstarted).
            let queue = CompletionQueue(busy: { [tracker] in tracker.liveCalls > 1 })
            func release() {
                queue.shutdownAndJoin()
                grpc_shutdown()
                holdsCore.withLock { $0 = false }
                state = .stopped
            }
            do { try startPolling(queue) } catch {
                release()
                throw error
            }
            let raw = makeServer()
            grpc_server_register_completion_queue(raw, queue.raw, nil)
            let credentials = reloader?.makeCredentials() ?? grpc_insecure_server_credentials_create()
            let port = grpc_server_add_http2_port(raw, configuration.address, credentials)
            grpc_server_credentials_release(credentials)
            guard port > 0 else {
                grpc_server_destroy(raw)  // never started, no listener: no shutdown needed
                release()
                throw RPCError(.unavailable, "cannot listen on \(configuration.address)")
            }
            let methods = register(on: raw)
            grpc_server_start(raw)
            let running = Running(raw: raw, queue: queue, methods: methods)
            state = .running(running)
            for method in methods {
                for _ in 0..<max(1, configuration.pendingCallRequests) { requestCall(running, method) }
            }
            // Methods nobody registered (answered UNIMPLEMENTED) are rare: a couple of requests.
            for _ in 0..<2 { requestCall(running) }
            return Int(port)
        }
    }

    private func makeServer() -> OpaquePointer {
        let integers: [(String, Int)] = [
            ("grpc.max_receive_message_length", configuration.maxReceiveMessageBytes),
            ("grpc.max_send_message_length", configuration.maxSendMessageBytes),
            // Without this, a second server silently shares the port (SO_REUSEPORT).
            ("grpc.so_reuseport", 0),
        ]
        let keys = integers.map { strdup($0.0)! }
        defer { keys.forEach { free($0) } }  // grpc_server_create copies the arguments
        var args = zip(keys, integers).map { cgrpc_integer_arg($0, Int32(clamping: $1.1)) }
        return args.withUnsafeMutableBufferPointer { buffer in
            var channelArgs = grpc_channel_args(num_args: buffer.count, args: buffer.baseAddress)
            return grpc_server_create(&channelArgs, nil)
        }
    }

    /// Registers every route with the core, before `grpc_server_start`: each method's calls
    /// then arrive routed, with a unary request already read.
    private func register(on raw: OpaquePointer) -> [RegisteredMethod] {
        routes.sorted { $0.key < $1.key }.compactMap { path, handler in
            let reads = RegisteredMethod.readsPayload(handler)
            guard let handle = grpc_server_register_method(raw, path, nil, reads ? GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER : GRPC_SRM_PAYLOAD_NONE, 0)
            else { return nil }  // refused (a duplicate): its calls come through requestCall(_:)
            return RegisteredMethod(path: path, handler: handler, route: RegisteredMethod.nextRoute(), counter: tracker.counter(for: path),
                                    handle: handle, readsPayload: reads)
        }
    }

    /// Asks the core for the next call of `method`. Called with the state lock held.
    private func requestCall(_ running: Running, _ method: RegisteredMethod) {
        let request = RegisteredCallRequest()
        let tag = CompletionTag { success in self.callArrived(request, method, success: success) }.retainedPointer()
        let result = grpc_server_request_registered_call(
            running.raw, method.handle, request.call, request.deadline, request.metadata,
            method.readsPayload ? request.payload : nil, running.queue.raw, running.queue.raw, tag)
        if result != GRPC_CALL_OK { CompletionTag.releaseUnused(tag) }
    }

    /// Runs on a polling thread when a call of a registered method arrives.
    private func callArrived(_ request: RegisteredCallRequest, _ method: RegisteredMethod, success: Bool) {
        if success, let raw = request.call.pointee {
            let context = ServerContext(
                method: method.path, metadata: CallRequest.metadata(of: request.metadata.pointee),
                deadline: CallRequest.instant(of: request.deadline.pointee), peer: Self.peer(of: raw), peerIdentity: Self.peerIdentity(of: raw))
            let call = ServerCall(raw: raw, context: context, tracker: tracker, counter: method.counter, route: method.route,
                                  initialMessage: method.readsPayload ? request.takeInitialMessage() : nil,
                                  onEvent: configuration.onEvent, mapError: configuration.mapError)
            admit(call, method.handler)
        }
        state.withLock { state in
            if case .running(let running) = state { requestCall(running, method) }
        }
    }

    /// Authentication first, then the handler (or UNIMPLEMENTED without one).
    private func admit(_ call: ServerCall, _ handler: MethodHandler?) {
        if let refusal = configuration.authenticate?(call.context) {
            call.refuse(refusal)
        } else {
            call.serve(handler)
        }
    }

    /// Asks the core for the next call of a method that was not registered. Called with the
    /// state lock held, so shutdown cannot destroy the server in between.
    private func requestCall(_ running: Running) {
        let request = CallRequest()
        let tag = CompletionTag { success in self.callArrived(request, success: success) }.retainedPointer()
        let result = grpc_server_request_call(
            running.raw, request.call, request.details, request.metadata,
            running.queue.raw, running.queue.raw, tag)
        if result != GRPC_CALL_OK { CompletionTag.releaseUnused(tag) }
    }

    /// Runs on a polling thread when a requested call arrives (or the request is
    /// cancelled by shutdown, `success == false`).
    private func callArrived(_ request: CallRequest, success: Bool) {
        if success, let raw = request.call.pointee {
            let context = ServerContext(
                method: request.method, metadata: request.requestMetadata,
                deadline: request.deadline, peer: Self.peer(of: raw), peerIdentity: Self.peerIdentity(of: raw))
            let handler = routes[context.method]
            let call = ServerCall(raw: raw, context: context, tracker: tracker, routed: handler != nil, onEvent: configuration.onEvent,
                                  mapError: configuration.mapError)
            admit(call, handler)
        }
        state.withLock { state in
            if case .running(let running) = state { requestCall(running) }
        }
    }

    private static func peer(of call: OpaquePointer) -> String {
        guard let peer = grpc_call_get_peer(call) else { return "" }
        defer { gpr_free(peer) }  // the core allocates it with gpr_malloc
        return String(cString: peer)
    }

    /// The first identity property of the call's TLS peer (SAN, else CN), or nil without mTLS.
    private static func peerIdentity(of call: OpaquePointer) -> String? {
        guard let context = grpc_call_auth_context(call) else { return nil }
        defer { grpc_auth_context_release(context) }
        var iterator = grpc_auth_context_peer_identity(context)
        guard let property = grpc_auth_property_iterator_next(&iterator), let value = property.pointee.value else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: value, count: property.pointee.value_length), as: UTF8.self)
    }

    /// Stops the server in the order documented on the type. Safe to call more than once;
    /// later calls return at once.
    /// - Parameter grace: how long running calls may go on before they are cancelled.
    public func shutdown(grace: Duration) async {
        // Shutdown must run to the end even if the caller is cancelled: an unstructured
        // task does not inherit the caller's cancellation.
        await Task { await self.stop(grace: grace) }.value
    }

    private func stop(grace: Duration) async {
        let running: Running? = state.withLock { state in
            guard case .running(let running) = state else { return nil }
            state = .stopping
            return running
        }
        guard let running else { return }
        let shutdownTagArrived = Latch()
        let tag = CompletionTag { _ in shutdownTagArrived.open() }.retainedPointer()
        grpc_server_shutdown_and_notify(running.raw, running.queue.raw, tag)
        if await !shutdownTagArrived.wait(timeout: grace) {
            grpc_server_cancel_all_calls(running.raw)
            await shutdownTagArrived.wait()
        }
        // A handler that ignores cancellation (or keeps its call) must not hold SIGTERM forever:
        // after another grace period shutdown returns and says which calls are held; the core
        // is torn down once they let go (never under calls that may still start batches).
        let held = await tracker.waitUntilDrained(timeout: max(grace, .seconds(1)))
        guard held.isEmpty else {
            configuration.onEvent?(.shutdownLeftCalls(held))
            Task.detached { [self] in
                await tracker.waitUntilDrained()
                tearDown(running)
            }
            return
        }
        tearDown(running)
    }

    /// The last steps, once no call is live.
    private func tearDown(_ running: Running) {
        grpc_server_destroy(running.raw)
        running.queue.shutdownAndJoin()
        grpc_shutdown()  // balances grpc_init in start()
        holdsCore.withLock { $0 = false }
        state.withLock { $0 = .stopped }
    }
}

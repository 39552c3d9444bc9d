#if canImport(Glibc)
import Glibc
#endif
import CofferCore
import CofferWire
import Logging
import NIOCore
import Synchronization
import NIOHTTP1
import NIOPosix
import NIOSSL

/// What answers the requests a listener reads: Coffer's AWS request path, or the local agent.
protocol HTTPResponder: Sendable {
    func process(_ request: HTTPRequestData) async -> HTTPResponseData
    /// Whether a request may be answered on the event loop that read it: only calls whose work is
    /// in memory or awaits storage without blocking a thread, so that no connection on the loop
    /// waits behind a long computation (an RSA key, a policy lint) of another.
    func answersOnLoop(_ request: HTTPRequestData) -> Bool
}

extension HTTPResponder {
    func answersOnLoop(_ request: HTTPRequestData) -> Bool { false }
}

/// Secret values are at most 64 KiB (88 KiB in base64); anything far larger is not a request we serve.
let maximumRequestBodySize = 1 << 20

/// Coffer's HTTP/1.1 listener on SwiftNIO directly: measured here, raw SwiftNIO served a fixed
/// answer at about 2.5 times Hummingbird's rate, and Coffer needs no routing framework for one POST
/// endpoint and a health check.
final class HTTPServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let inFlight: InFlight
    private let workers: [LoopWorkers]

    /// With `tls`, every connection is TLS, under the context current when it was accepted.
    init(host: String, port: Int, processor: any HTTPResponder, logger: Logger, tls: TLSContextSource? = nil) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: usableCores())
        let executors = group.makeIterator().map { EventLoopTaskExecutor(loop: $0) }
        let flushes = executors.map { LoopFlushes(loop: $0.loop) }
        let workers = executors.map { LoopWorkers(loop: $0.loop) }
        self.workers = workers
        let inFlight = InFlight()
        self.inFlight = inFlight
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let executor = executors.first { $0.loop === channel.eventLoop }
                let flush = flushes.first { $0.loop === channel.eventLoop } ?? LoopFlushes(loop: channel.eventLoop)
                let worker = workers.first { $0.loop === channel.eventLoop } ?? LoopWorkers(loop: channel.eventLoop)
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls.context)) }
                    // No response encoder, pipelining helper or header validator: the handler writes each
                    // answer as one buffer, keeps pipelined requests in order itself, and writes only
                    // headers it made.
                    // The handler reads requests off the bytes itself (HTTP1Parser): no decoder in front of it.
                    try pipeline.addHandler(HTTPHandler(processor: processor, inFlight: inFlight, executor: executor, flushes: flush, workers: worker))
                }
            }
        do {
            // An address literal needs no resolver (getaddrinfo asks the kernel for every interface first).
            let address = try (try? SocketAddress(ipAddress: host, port: port)) ?? SocketAddress.makeAddressResolvingHost(host, port: port)
            channel = try await bootstrap.bind(to: address).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    var localPort: Int? { channel.localAddress?.port }

    /// Connections whose reads a task of their own answers (see `LoopWorkers`).
    var connectionWorkers: Int { workers.reduce(0) { $0 + $1.active } }

    /// Stops accepting, lets in-flight requests finish (for up to `grace`), then stops the event loops.
    func shutdown(grace: Duration = .seconds(10)) async {
        try? await channel.close()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        while inFlight.count > 0, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        try? await group.shutdownGracefully()
    }
}

/// Collects each request, has the processor answer it, writes the answers in the order the
/// requests came.
///
/// Not generic over the responder: a generic class's methods run unspecialized, and each request
/// paid runtime lookups of `Pending`'s metadata and its value witnesses; the responder is a class,
/// so the existential is one reference.
final class HTTPHandler: ChannelDuplexHandler, @unchecked Sendable {
    // Safe: NIO calls a handler only on its channel's event loop, and every mutable field below is
    // touched only there (a task that answers elsewhere hops back with `eventLoop.execute`).
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        let request: HTTPRequestData
        let version: HTTPVersion
        let keepAlive: Bool
        let onLoop: Bool
        /// An answer known without the processor (a body over the limit).
        var refusal: HTTPResponseData? = nil
    }

    /// Where the next bytes belong: a request head, a body of known length, the rest of a body over
    /// the limit (read past, then answered 413), or a chunked body.
    private enum Reading {
        case head
        case body(HTTP1Parser.Head, length: Int)
        case discarding(HTTP1Parser.Head, remaining: Int)
        case chunked(HTTP1Parser.Head)
    }

    private let processor: any HTTPResponder
    private let inFlight: InFlight
    private let executor: EventLoopTaskExecutor?
    private let flushes: LoopFlushes
    private let workers: LoopWorkers
    /// The task answering this connection's on-loop requests, if it has one (see ``LoopWorkers``).
    private var worker = Worker.none
    /// The next request, given to the worker while it was still writing the last answer.
    private var handed: Pending?
    /// The connection is gone: a worker ends instead of waiting.
    private var ended = false
    private var reading = Reading.head
    /// Bytes read and not yet part of a whole request (a head or body cut across reads).
    private var inbound: ByteBuffer?
    /// A request is being answered; later ones (a pipelining client) wait in `queued`.
    private var answering = false
    private var queued: [Pending] = []
    /// Reads are held while requests wait, so a pipelining client cannot queue without bound.
    private var readHeld = false
    /// No request is taken any more (the connection ends after the answers owed).
    private var closing = false
    /// A request did not parse while others were owed answers: the connection ends after them.
    private var endAfterQueue = false

    private enum Worker {
        case none
        case running
        case waiting(UnsafeContinuation<Pending?, Never>)
    }

    init(processor: any HTTPResponder, inFlight: InFlight, executor: EventLoopTaskExecutor?, flushes: LoopFlushes, workers: LoopWorkers) {
        self.processor = processor
        self.inFlight = inFlight
        self.executor = executor
        self.flushes = flushes
        self.workers = workers
    }

    /// The peer's address, formatted once per connection (an accepted socket knows it from the start).
    private var peer: String?

    func handlerAdded(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.ipAddress
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var buffer = unwrapInboundIn(data)
        if var held = inbound {
            inbound = nil
            held.writeBuffer(&buffer)
            buffer = held
        }
        while !closing, take(&buffer, context: context) {}
        if !closing, buffer.readableBytes > 0 {
            buffer.discardReadBytes()
            inbound = buffer
        }
    }

    /// Takes the next part of a request from `buffer`; false when it needs more bytes (or the stream ended).
    private func take(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) -> Bool {
        switch reading {
        case .head:
            guard buffer.readableBytes > 0 else { return false }
            switch buffer.withUnsafeReadableBytes({ HTTP1Parser.parseHead($0) }) {
            case .incomplete:
                return false
            case .invalid:
                refuseUnparsable(context: context)
                return false
            case .complete(let head, let length):
                buffer.moveReaderIndex(forwardBy: length)
                switch head.framing {
                case .length(let length) where length > maximumRequestBodySize: reading = .discarding(head, remaining: length)
                case .length(let length): reading = .body(head, length: length)
                case .chunked: reading = .chunked(head)
                }
                return true
            }
        case .body(let head, let length):
            guard buffer.readableBytes >= length else { return false }
            let body = length == 0 ? [] : buffer.readBytes(length: length) ?? []
            reading = .head
            received(head, body: body, tooLarge: false, context: context)
            return true
        case .discarding(let head, let remaining):
            let taken = min(remaining, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: taken)
            guard taken == remaining else {
                reading = .discarding(head, remaining: remaining - taken)
                return false
            }
            reading = .head
            received(head, body: [], tooLarge: true, context: context)
            return true
        case .chunked(let head):
            switch buffer.withUnsafeReadableBytes({ HTTP1Parser.parseChunked($0, limit: maximumRequestBodySize) }) {
            case .incomplete:
                return false
            case .invalid:
                refuseUnparsable(context: context)
                return false
            case .tooLarge:
                reading = .head
                received(head, body: [], tooLarge: true, context: context)
                return false
            case .complete(let body, let length):
                buffer.moveReaderIndex(forwardBy: length)
                reading = .head
                received(head, body: body, tooLarge: false, context: context)
                return true
            }
        }
    }

    private func received(_ head: HTTP1Parser.Head, body: [UInt8], tooLarge: Bool, context: ChannelHandlerContext) {
        let request = HTTPRequestData(method: head.method, uri: head.target, headers: head.headers, body: body, remoteAddress: peer)
        let version = HTTPVersion(major: 1, minor: head.minorVersion)
        // After a body over the limit, whatever follows in the stream is the rest of a body nobody reads: the connection ends.
        if tooLarge { closing = true }
        let pending = tooLarge
            ? Pending(request: request, version: version, keepAlive: false, onLoop: false,
                      refusal: HTTPResponseData(status: 413, headers: [], body: []))
            : Pending(request: request, version: version, keepAlive: head.keepAlive,
                      onLoop: executor != nil && processor.answersOnLoop(request))
        inFlight.enter()
        if answering { queued.append(pending) } else { answer(pending, context: context) }
    }

    /// A request that does not parse ends the connection; it is told so unless an answer is under way.
    private func refuseUnparsable(context: ChannelHandlerContext) {
        closing = true
        inbound = nil
        if answering {
            endAfterQueue = true
        } else {
            write(context: context, HTTPResponseData(status: 400, headers: [], body: []), version: .http1_1, keepAlive: false)
        }
    }

    func read(context: ChannelHandlerContext) {
        if queued.isEmpty { context.read() } else { readHeld = true }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        endWorker()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        endWorker()
    }

    private func answer(_ pending: Pending, context: ChannelHandlerContext) {
        answering = true
        if let refusal = pending.refusal { return answered(refusal, pending, context: context) }
        if pending.onLoop, let executor {
            switch worker {
            case .waiting(let continuation):
                worker = .running
                return continuation.resume(returning: pending)
            case .running:
                // Called from the worker's own answer (a pipelined request was queued): it takes this next.
                handed = pending
                return
            case .none:
                if !ended, workers.admit() {
                    worker = .running
                    return startWorker(first: pending, executor: executor, context: context)
                }
            }
        }
        let processor = self.processor
        let loop = context.eventLoop
        let boundContext = NIOLoopBound(context, eventLoop: loop)
        // On the loop, the task usually runs to its end in this tick: no thread is woken and the
        // answer is written without a hop back.
        Task(executorPreference: pending.onLoop ? executor : nil) {
            let response = await processor.process(pending.request)
            if loop.inEventLoop {
                self.answered(response, pending, context: boundContext.value)
            } else {
                loop.execute { self.answered(response, pending, context: boundContext.value) }
            }
        }
    }

    /// A task that answers the connection's on-loop requests one after another, instead of a task a
    /// request: the runtime gives a task one 984-byte slab for its async frames and `malloc`s the rest
    /// (a read's frames reach about 15 KiB: 13 `malloc`s and `free`s of 1-4 KiB), and a task's
    /// creation and end cost about 3,000 instructions; a task that lives on keeps its slabs
    /// (bounded by ``LoopWorkers/limit``).
    private func startWorker(first: Pending, executor: EventLoopTaskExecutor, context: ChannelHandlerContext) {
        let processor = self.processor
        let loop = context.eventLoop
        let boundContext = NIOLoopBound(context, eventLoop: loop)
        Task(executorPreference: executor) {
            var next: Pending? = first
            while let pending = next {
                let response = await processor.process(pending.request)
                next = await withUnsafeContinuation { continuation in
                    if loop.inEventLoop {
                        self.workerAnswered(response, pending, context: boundContext.value, next: continuation)
                    } else {
                        loop.execute { self.workerAnswered(response, pending, context: boundContext.value, next: continuation) }
                    }
                }
            }
        }
    }

    /// Writes the worker's answer, then gives it the next request: one handed over while writing,
    /// the next to arrive (it waits), or none once the connection is gone (it ends).
    private func workerAnswered(_ response: HTTPResponseData, _ pending: Pending, context: ChannelHandlerContext,
                                next: UnsafeContinuation<Pending?, Never>) {
        answered(response, pending, context: context)
        if let handed {
            self.handed = nil
            next.resume(returning: handed)
        } else if ended {
            worker = .none
            workers.leave()
            next.resume(returning: nil)
        } else {
            worker = .waiting(next)
        }
    }

    private func endWorker() {
        guard !ended else { return }
        ended = true
        if case .waiting(let continuation) = worker {
            worker = .none
            workers.leave()
            continuation.resume(returning: nil)
        }
    }

    private func answered(_ response: HTTPResponseData, _ pending: Pending, context: ChannelHandlerContext) {
        inFlight.leave()
        answering = false
        let keepAlive = pending.keepAlive && !(endAfterQueue && queued.isEmpty)
        write(context: context, response, version: pending.version, keepAlive: keepAlive, head: pending.request.method == "HEAD")
        guard keepAlive else {
            for _ in queued { inFlight.leave() }
            queued.removeAll()
            return
        }
        if !queued.isEmpty { answer(queued.removeFirst(), context: context) }
        if queued.isEmpty, readHeld {
            readHeld = false
            context.read()
        }
    }

    private func write(context: ChannelHandlerContext, _ response: HTTPResponseData, version: HTTPVersion, keepAlive: Bool, head: Bool = false) {
        var buffer = context.channel.allocator.buffer(capacity: 160 + response.body.count)
        HTTPResponseBytes.write(response, version: version, keepAlive: keepAlive, withBody: !head, into: &buffer)
        // A kept connection needs no word of the write's end: no promise, so no future is made
        // (its allocation and a runtime metadata lookup, each answer).
        if keepAlive {
            context.write(wrapOutboundOut(buffer), promise: nil)
        } else {
            closing = true
            let channel = context.channel
            context.write(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
        }
        flushes.add(context)
    }
}

/// An HTTP/1.1 answer as bytes: status line, the response's headers (a header whose name or value
/// could split the message is left out), Content-Length, and Connection as the connection goes on.
enum HTTPResponseBytes {
    /// Written in one pass into the buffer's memory, its size counted first: a `ByteBuffer` write per
    /// piece (thirteen for a typical answer) checked uniqueness, capacity and exclusive access each time.
    static func write(_ response: HTTPResponseData, version: HTTPVersion, keepAlive: Bool, withBody: Bool = true, into buffer: inout ByteBuffer) {
        let common = response.status == 200 && version == .http1_1
        let statusLine = common ? "" : "HTTP/\(version.major).\(version.minor) \(response.status) \(HTTPResponseStatus(statusCode: response.status).reasonPhrase)\r\n"
        let length = String(response.body.count)
        // An HTTP/1.0 client keeps the connection only when told so.
        let trailer: StaticString = !keepAlive ? "\r\nConnection: close\r\n\r\n" : version.minor == 0 ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\n\r\n"
        let ok: StaticString = "HTTP/1.1 200 OK\r\n", contentLength: StaticString = "Content-Length: "
        func kept(_ header: (String, String)) -> Bool {
            isToken(header.0) && isFieldValue(header.1)
                && !Glob.equalIgnoringCase(header.0, "content-length") && !Glob.equalIgnoringCase(header.0, "connection")
        }
        var size = (common ? ok.utf8CodeUnitCount : statusLine.utf8.count) + contentLength.utf8CodeUnitCount + length.utf8.count
            + trailer.utf8CodeUnitCount + (withBody ? response.body.count : 0)
        // Each header judged once: bit i says header i is written (an answer carries a handful).
        var written: UInt64 = 0
        for (index, header) in response.headers.enumerated() where kept(header) {
            if index < 64 { written |= 1 << UInt64(index) }
            size += header.0.utf8.count + header.1.utf8.count + 4
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            // A plain cursor passed inout to a static function: nested functions capturing it boxed it,
            // with a dynamic exclusivity check on every use.
            var at = 0
            if common { put(ok, raw, &at) } else { put(statusLine.utf8, raw, &at) }
            for (index, header) in response.headers.enumerated() where index < 64 ? written & (1 << UInt64(index)) != 0 : kept(header) {
                header.0.withUTF8Bytes { put($0, raw, &at) }
                put(": ", raw, &at)
                header.1.withUTF8Bytes { put($0, raw, &at) }
                put("\r\n", raw, &at)
            }
            put(contentLength, raw, &at)
            put(length.utf8, raw, &at)
            put(trailer, raw, &at)
            if withBody { put(response.body, raw, &at) }
            return at
        }
    }

    @inline(__always)
    private static func put(_ text: StaticString, _ raw: UnsafeMutableRawBufferPointer, _ at: inout Int) {
        put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), raw, &at)
    }

    @inline(__always)
    private static func put<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ raw: UnsafeMutableRawBufferPointer, _ at: inout Int) {
        let count = bytes.count
        UnsafeMutableRawBufferPointer(rebasing: raw[at..<(at + count)]).copyBytes(from: bytes)
        at += count
    }

    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && everyByte(of: name) { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
    }

    static func isFieldValue(_ value: String) -> Bool {
        everyByte(of: value) { $0 != 0x0D && $0 != 0x0A && $0 != 0 }
    }

    /// Over the string's contiguous bytes where it has them (every answer's headers pass here; the
    /// UTF-8 view's iterator cost several times the test itself).
    @inline(__always)
    private static func everyByte(of text: String, _ test: (UInt8) -> Bool) -> Bool {
        text.withUTF8Bytes { $0.allSatisfy(test) }
    }

}

/// The cores this process may run on: NIO's `System.coreCount` follows cgroup quotas but not the
/// affinity mask, so a server started under `taskset -c 0` would run two event loops on one core and
/// pay a thread switch between them.
func usableCores() -> Int {
    #if os(Linux)
    // `Cpus_allowed` is the affinity mask in hex words ("3", "ff,ffffffff"); sched_getaffinity
    // itself is not in the Glibc module.
    let fd = open("/proc/self/status", O_RDONLY)
    if fd >= 0 {
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            let text = String(decoding: bytes[..<count], as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) {
                let cores = line.dropFirst("Cpus_allowed:".count).reduce(0) { $0 + (UInt8(String($1), radix: 16)?.nonzeroBitCount ?? 0) }
                if cores > 0 { return min(cores, System.coreCount) }
            }
        }
    }
    #endif
    return System.coreCount
}

/// Runs a task's jobs on one event loop: a task that prefers it (and the actors it calls, which have
/// no executor of their own) stays on the loop's thread.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Flushes the answers written while a loop runs its tasks together, after the last of them. On
/// loopback a flush that finds the client waiting wakes it, a cross-CPU wake-up that was the dearest
/// part of a write here (12% of a read's samples against 9% for the bare NIO server at three times
/// the rate); answers flushed back to back wake it once. Netty's FlushConsolidationHandler does the
/// same. With one request in a tick the flush follows its answer at once.
final class LoopFlushes: @unchecked Sendable {
    // Safe: touched only on `loop`, from handlers of its channels.
    let loop: any EventLoop
    private var waiting: [ChannelHandlerContext] = []
    private var flushing: [ChannelHandlerContext] = []

    init(loop: any EventLoop) { self.loop = loop }

    func add(_ context: ChannelHandlerContext) {
        assert(loop.inEventLoop, "answers are written on their channel's loop")
        waiting.append(context)
        // Queued behind the tasks already waiting on the loop: the answers of requests read in the same tick.
        if waiting.count == 1 { loop.execute { self.flushAll() } }
    }

    private func flushAll() {
        swap(&waiting, &flushing)
        for context in flushing { context.flush() }
        flushing.removeAll(keepingCapacity: true)
    }
}

/// How many connections of a loop have a worker task (see `HTTPHandler.startWorker`). A worker holds
/// about 27 KiB while it waits (its frames' slabs and the task; measured as resident memory over 256
/// open connections, and glibc keeps it after they close), so few connections of a loop get one: the
/// ones that carry a load are few per core (16 in the benchmark), and past the bound a connection's
/// requests get a task each, as before. About 1 MiB a loop at most.
final class LoopWorkers: Sendable {
    let loop: any EventLoop
    /// Changed only on `loop`; atomic so that a metrics scrape can read it from elsewhere.
    private let count = Atomic<Int>(0)
    static let limit = 32

    init(loop: any EventLoop) { self.loop = loop }

    func admit() -> Bool {
        assert(loop.inEventLoop, "workers are counted on their loop")
        guard count.load(ordering: .relaxed) < Self.limit else { return false }
        count.wrappingAdd(1, ordering: .relaxed)
        return true
    }

    func leave() {
        assert(loop.inEventLoop, "workers are counted on their loop")
        count.wrappingSubtract(1, ordering: .relaxed)
    }

    var active: Int { count.load(ordering: .relaxed) }
}

/// Counts requests between being read and being answered, so shutdown can wait for them.
final class InFlight: Sendable {
    private let value = Atomic<Int>(0)
    func enter() { value.wrappingAdd(1, ordering: .relaxed) }
    func leave() { value.wrappingSubtract(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

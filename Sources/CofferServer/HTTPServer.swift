#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import Synchronization
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Coffer's HTTP/1.1 listener on SwiftNIO's pipeline directly: measured here, raw SwiftNIO served a
/// fixed answer at about 2.5 times Hummingbird's rate, and Coffer needs no routing framework for
/// one POST endpoint and a health check.
/// What answers the requests a listener reads: Coffer's AWS request path, or the local agent.
protocol HTTPResponder: Sendable {
    func process(_ request: HTTPRequestData) async -> HTTPResponseData
}

/// Generic over the responder, so that the request path's calls stay direct (no existential) per request.
/// Secret values are at most 64 KiB (88 KiB in base64); anything far larger is not a request we serve.
let maximumRequestBodySize = 1 << 20

final class HTTPServer<Responder: HTTPResponder>: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let inFlight: InFlight

    /// With `tls`, every connection is TLS, under the context current when it was accepted.
    init(host: String, port: Int, processor: Responder, logger: Logger, tls: TLSContextSource? = nil) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: usableCores())
        let inFlight = InFlight()
        self.inFlight = inFlight
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let http = {
                    channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                        channel.pipeline.addHandler(HTTPHandler(processor: processor, inFlight: inFlight))
                    }
                }
                guard let tls else { return http() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
                }.flatMap(http)
            }
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    var localPort: Int? { channel.localAddress?.port }

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

/// Collects one request, hands it to the processor off the event loop, writes the answer.
final class HTTPHandler<Responder: HTTPResponder>: ChannelInboundHandler, @unchecked Sendable {
    // Safe: NIO calls a handler only on its channel's event loop, and every mutable field below is
    // touched only there (the processing task hops back with `eventLoop.execute`).
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let processor: Responder
    private let inFlight: InFlight
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(processor: Responder, inFlight: InFlight) {
        self.processor = processor
        self.inFlight = inFlight
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll(keepingCapacity: true)
            tooLarge = false
        case .body(let buffer):
            if body.count + buffer.readableBytes > maximumRequestBodySize {
                tooLarge = true
            } else {
                body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            if tooLarge {
                write(context: context, HTTPResponseData(status: 413, headers: [], body: []), version: head.version, keepAlive: false)
                return
            }
            let request = HTTPRequestData(
                method: head.method.rawValue, uri: head.uri,
                headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body,
                remoteAddress: context.channel.remoteAddress?.ipAddress)
            let processor = self.processor
            let loop = context.eventLoop
            let boundContext = NIOLoopBound(context, eventLoop: loop)
            let version = head.version
            let inFlight = self.inFlight
            inFlight.enter()
            Task {
                let response = await processor.process(request)
                loop.execute {
                    self.write(context: boundContext.value, response, version: version, keepAlive: keepAlive)
                    inFlight.leave()
                }
            }
        }
    }

    private func write(context: ChannelHandlerContext, _ response: HTTPResponseData, version: HTTPVersion, keepAlive: Bool) {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
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

/// Counts requests between being read and being answered, so shutdown can wait for them.
final class InFlight: Sendable {
    private let value = Atomic<Int>(0)
    func enter() { value.wrappingAdd(1, ordering: .relaxed) }
    func leave() { value.wrappingSubtract(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

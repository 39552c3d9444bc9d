public import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One HTTP/1.1 request on its own connection, over SwiftNIO (TLS by swift-nio-ssl), for the few
/// outbound calls Coffer makes: the client library's signed calls, HTTP rotation functions, alert
/// webhooks and OIDC issuers' keys. Not FoundationNetworking: importing it loads libcurl and some
/// thirty libraries more into every process, about 9 ms of start-up and 9 MB of resident memory on
/// this machine, for a server that otherwise speaks HTTP through NIO already.
///
/// HTTPS verifies the server against the system's trust store, or the PEM bundle named by
/// `AWS_CA_BUNDLE` or `SSL_CERT_FILE`. No proxies, no redirects: every caller talks to one address.
public enum HTTPFetch {
    public struct Response: Sendable {
        public let status: Int
        public let body: [UInt8]
    }

    public enum Failure: Error, Equatable {
        case invalidURL
        case timedOut
        /// The connection failed or closed before a whole answer arrived.
        case unreachable
        case tooLarge
    }

    public static func send(_ method: String, to url: URL, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                            timeout: Double = 10, maximumBody: Int = 8 << 20) async throws(Failure) -> Response {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else {
            throw .invalidURL
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let tls: NIOSSLContext?
        do { tls = scheme == "https" ? try Self.tlsContext() : nil } catch { throw .unreachable }
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
        head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        for header in headers where header.name.lowercased() != "host" { head.headers.add(name: header.name, value: header.value) }
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        head.headers.replaceOrAdd(name: "Connection", value: "close")

        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Response.self)
        let collector = ResponseCollector(promise: promise, maximumBody: maximumBody)
        let isAddress = (try? SocketAddress(ipAddress: bareHost, port: port)) != nil
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(Int64(timeout * 1000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // An address is checked against the certificate's IP entries; a name also goes out as SNI.
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : bareHost))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: bareHost, port: port).get()
        } catch {
            let failure: Failure = if case ChannelError.connectTimeout = error { .timedOut } else { .unreachable }
            // The promise must be settled (NIO refuses to drop one), on its loop like every other settling.
            loop.execute { collector.fail(failure) }
            throw failure
        }
        let deadline = loop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
            collector.fail(.timedOut)
            channel.close(promise: nil)
        }
        var buffer = channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer { deadline.cancel() }
        do {
            return try await promise.futureResult.get()
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .unreachable
        }
    }

    /// Contexts by trust store (a bundle's path, or "" for the system's): making one reads and parses
    /// the whole store, which a client calling every few seconds should not do on every call.
    private static let contexts = Mutex<[String: NIOSSLContext]>([:])

    private static func tlsContext() throws -> NIOSSLContext {
        let environment = ProcessInfo.processInfo.environment
        let bundle = (environment["AWS_CA_BUNDLE"] ?? environment["SSL_CERT_FILE"]).flatMap { $0.isEmpty ? nil : $0 } ?? ""
        if let made = contexts.withLock({ $0[bundle] }) { return made }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !bundle.isEmpty { configuration.trustRoots = .file(bundle) }
        let context = try NIOSSLContext(configuration: configuration)
        contexts.withLock { $0[bundle] = context }
        return context
    }
}

/// Collects one response; the first of its end, a failure, the connection closing or the deadline
/// settles the promise.
private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    // Safe: NIO calls the handler on its channel's event loop, and `fail` is called there too (the
    // deadline is scheduled on that loop).
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPFetch.Response>
    private let maximumBody: Int
    private var status = 0
    private var body: [UInt8] = []
    private var settled = false

    init(promise: EventLoopPromise<HTTPFetch.Response>, maximumBody: Int) {
        self.promise = promise
        self.maximumBody = maximumBody
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= maximumBody else {
                fail(.tooLarge)
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            settle { $0.succeed(HTTPFetch.Response(status: status, body: body)) }
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.unreachable)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.unreachable)
        context.close(promise: nil)
    }

    func fail(_ failure: HTTPFetch.Failure) { settle { $0.fail(failure) } }

    private func settle(_ body: (EventLoopPromise<HTTPFetch.Response>) -> Void) {
        guard !settled else { return }
        settled = true
        body(promise)
    }
}

import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix

/// Answers every request of an operation with the same body, as fast as NIO can: the ceiling Coffer is
/// measured against. Each operation's answer has the shape and size of Coffer's (bench.py's scenarios),
/// so the exchange on the wire is the same and only the work in between differs; the operation is read
/// from `X-Amz-Target` as any AWS JSON server routes it.
final class FixedAnswer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let getSecretValue = #"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/secret-AbCdEf","Name":"bench/secret","VersionId":"6f4c3b0e-8b9e-4d57-9d1f-0d7b1c2a3e4f","SecretString":"\#(String(repeating: "x", count: 200))","VersionStages":["AWSCURRENT"],"CreatedDate":1764806400.0}"#
    static let getParameter = #"{"Parameter":{"Name":"/bench/secure","Type":"SecureString","Value":"\#(String(repeating: "x", count: 211))","Version":1,"LastModifiedDate":1796624984.304,"ARN":"arn:aws:ssm:us-east-1:123456789012:parameter/bench/secure","DataType":"text"}}"#
    // A 1 KiB plaintext's envelope is 1,098 bytes, 1,464 in base64.
    static let encrypt = #"{"CiphertextBlob":"\#(String(repeating: "Q", count: 1464))","KeyId":"arn:aws:kms:us-east-1:123456789012:key/4125e094-94a4-4373-9ff1-09c75d7cffd4","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#

    private var keepAlive = true
    private var body = FixedAnswer.getSecretValue

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            switch head.headers.first(name: "X-Amz-Target") {
            case "AmazonSSM.GetParameter": body = Self.getParameter
            case "TrentService.Encrypt": body = Self.encrypt
            default: body = Self.getSecretValue
            }
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/x-amz-json-1.1")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            headers.add(name: "x-amzn-RequestId", value: "00000000-0000-0000-0000-000000000000")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            let keepAlive = self.keepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8090 : 8090
// As Coffer sizes its loops: to the cores the affinity mask allows (under `taskset -c 0`, one).
// Read with Glibc, not Foundation, to keep this server's start and memory what NIO alone costs.
func allowedCores() -> Int {
    let fd = open("/proc/self/status", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: 8192)
    let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard count > 0 else { return 0 }
    let line = String(decoding: bytes[..<count], as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("Cpus_allowed:") }
    return line?.dropFirst("Cpus_allowed:".count).reduce(0) { $0 + (UInt8(String($1), radix: 16)?.nonzeroBitCount ?? 0) } ?? 0
}
let allowed = allowedCores()
let group = MultiThreadedEventLoopGroup(numberOfThreads: allowed > 0 ? min(allowed, System.coreCount) : System.coreCount)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(FixedAnswer()) }
    }
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .bind(host: "127.0.0.1", port: port).wait()
try channel.closeFuture.wait()

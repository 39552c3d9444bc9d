import CofferCore
import CofferWire
import Foundation

/// One libFuzzer entry point for every parser; FUZZ_TARGET picks which (sigv4, json, query, policy, arn, xml, http).
/// Each must return for any input without crashing, hanging or allocating without bound.
let target = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? "json"

/// A clock and a secret lookup for the verifier: the fuzzer's requests are checked in full.
struct FixedClock: WallClock { func now() -> Date { Date(timeIntervalSince1970: 1_440_938_160) } }
struct OneKey: SigningSecretLookup {
    func signingSecret(for accessKeyID: String) async throws -> Redacted<String>? {
        accessKeyID == "AKIDEXAMPLE" ? Redacted("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY") : nil
    }
}

/// Splits fuzz input into an HTTP request: method line, headers until an empty line, then the body.
func request(_ bytes: [UInt8]) -> SigV4Request {
    let text = String(decoding: bytes, as: UTF8.self)
    let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
    let first = parts.first.map(String.init) ?? ""
    let words = first.split(separator: " ", maxSplits: 1).map(String.init)
    let uri = words.count > 1 ? words[1] : "/"
    let mark = uri.firstIndex(of: "?")
    var headers: [(String, String)] = []
    var index = 1
    while index < parts.count, !parts[index].isEmpty {
        let line = parts[index]
        if let colon = line.firstIndex(of: ":") {
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        index += 1
    }
    let body = index + 1 < parts.count ? Array(parts[(index + 1)...].joined(separator: "\n").utf8) : []
    return SigV4Request(method: words.first ?? "POST", path: mark.map { String(uri[..<$0]) } ?? uri,
                        query: mark.map { String(uri[uri.index(after: $0)...]) } ?? "", headers: headers, body: body)
}

final class Box<T>: @unchecked Sendable { var value: T?; init() {} }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    switch target {
    case "sigv4":
        let signed = request(bytes)
        _ = SigV4Verifier.claimedKey(signed)
        let verifier = SigV4Verifier(clock: FixedClock())
        let done = DispatchSemaphore(value: 0)
        Task {
            _ = try? await verifier.verify(signed, expectedService: nil, secrets: OneKey())
            done.signal()
        }
        done.wait()
    case "query":
        let text = String(decoding: bytes, as: UTF8.self)
        let parsed = QueryRequest.parse(text)
        _ = parsed.list("Tags")
        _ = parsed.structures("Tags")
        _ = try? parsed.integer("MaxItems", min: 1, max: 1000)
    case "policy":
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? PolicyDocument.parse(text, kind: .identity)
        _ = try? PolicyDocument.parse(text, kind: .resource)
    case "arn":
        let text = String(decoding: bytes, as: UTF8.self)
        if let arn = ARN(text) { _ = arn.description }
        _ = SecretARN.reference(text)
        _ = KeyReference(text)
        _ = Glob.matchesARN(pattern: text, "arn:aws:secretsmanager:us-east-1:123456789012:secret:name-AbCdEf")
    case "xml":
        // SAML metadata and responses: the reader, the canonicalizer, and both documents' readers.
        if let root = try? XMLTree.parse(bytes) {
            _ = ExclusiveCanonicalization.canonicalize(root, excluding: root.elements.first, inclusivePrefixes: ["xs", "#default"])
        }
        _ = try? SAMLMetadata(document: String(decoding: bytes, as: UTF8.self))
        _ = try? SAMLResponse(base64: Data(bytes).base64EncodedString(), signingKeys: [])
    case "http":
        // The listener's request reader: the head, and the rest read as a chunked body.
        bytes.withUnsafeBytes { raw in
            if case .complete(_, let length) = HTTP1Parser.parseHead(raw) {
                _ = HTTP1Parser.parseChunked(UnsafeRawBufferPointer(rebasing: raw[length...]), limit: 1 << 12)
            }
            _ = HTTP1Parser.parseChunked(raw, limit: 1 << 12)
        }
    default:
        _ = try? JSONParser.parse(bytes)
        _ = try? JSONParser.parseLocated(bytes)
        _ = try? JSONRequest(body: bytes)
    }
    return 0
}

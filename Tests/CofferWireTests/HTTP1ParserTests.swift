@testable import CofferWire
import Testing

@Suite struct HTTP1ParserTests {
    func head(_ text: String) -> HTTP1Parser.HeadResult {
        Array(text.utf8).withUnsafeBytes { HTTP1Parser.parseHead($0) }
    }

    func parsed(_ text: String) throws -> (HTTP1Parser.Head, Int) {
        guard case .complete(let head, let length) = head(text) else { throw Unparsed() }
        return (head, length)
    }

    struct Unparsed: Error {}

    func isInvalid(_ text: String) -> Bool {
        if case .invalid = head(text) { return true }
        return false
    }

    @Test func readsTheRequestLineHeadersAndFraming() throws {
        let text = "POST /path?x=1 HTTP/1.1\r\nHost: example\r\nX-Amz-Target:  secretsmanager.GetSecretValue \r\n"
            + "Content-Length: 12\r\n\r\n{\"a\":\"body\"}"
        let (head, length) = try parsed(text)
        #expect(head.method == "POST" && head.target == "/path?x=1" && head.minorVersion == 1)
        #expect(head.headers.map(\.name) == ["Host", "X-Amz-Target", "Content-Length"])
        #expect(head.headers[1].value == "secretsmanager.GetSecretValue")
        #expect(head.framing == .length(12) && head.keepAlive)
        #expect(length == text.utf8.count - 12)
        // Empty lines before a request line are skipped; a head without headers ends at once.
        let (bare, bareLength) = try parsed("\r\n\r\nGET / HTTP/1.0\r\n\r\n")
        #expect(bare.method == "GET" && bare.minorVersion == 0 && !bare.keepAlive && bare.framing == .length(0) && bareLength == 22)
    }

    @Test func tokenBytesAreRFC9110s() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        for byte in UInt8.min...UInt8.max { #expect(HTTP1Parser.isToken(byte) == tchar.contains(byte), "byte \(byte)") }
    }

    /// Every control character in a value is refused wherever it sits in the eight-byte words.
    @Test func everyControlCharacterInAValueIsRefused() throws {
        for byte in UInt8(0)...UInt8(0x7F) where byte < 0x20 || byte == 0x7F {
            for position in 0..<17 {
                var value = Array(String(repeating: "v", count: 17).utf8)
                value[position] = byte
                let text = Array("GET / HTTP/1.1\r\nX: ".utf8) + value + Array("\r\n\r\n".utf8)
                let result = text.withUnsafeBytes { HTTP1Parser.parseHead($0) }
                if byte == 0x09 {
                    guard case .complete = result else { Issue.record("a tab at \(position) was refused"); continue }
                } else if case .complete = result {
                    Issue.record("byte \(byte) at \(position) was taken")
                }
            }
        }
        #expect(try parsed("GET / HTTP/1.1\r\nX: caf\u{E9} \u{1F600}\r\n\r\n").0.headers[0].value == "caf\u{E9} \u{1F600}")
    }

    @Test func keepAliveFollowsTheVersionAndConnection() throws {
        #expect(try !parsed("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").0.keepAlive)
        #expect(try !parsed("GET / HTTP/1.1\r\nconnection: Upgrade, CLOSE\r\n\r\n").0.keepAlive)
        #expect(try parsed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").0.keepAlive)
        #expect(try !parsed("GET / HTTP/1.0\r\n\r\n").0.keepAlive)
    }

    @Test func waitsForTheWholeHead() {
        for text in ["", "GET", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: x\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r", "\r\n"] {
            guard case .incomplete = head(text) else { Issue.record("\(text.debugDescription) is not incomplete"); continue }
        }
        let long = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: HTTP1Parser.maximumHeadSize)
        #expect(isInvalid(long))
    }

    /// Whatever would let two readers disagree on where a request ends is refused.
    @Test func refusesWhatCouldSmuggleARequest() throws {
        let refused = [
            "NOT HTTP AT ALL\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n",
            "GET /\u{7F} HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", "GET / HTTP/1.1\r\n Folded: x\r\n\r\n",
            "GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n", "GET / HTTP/1.1\r\nX: a\u{0}b\r\n\r\n", "GET / HTTP/1.1\r\n: empty\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nX: a\rb\r\n\r\n",
        ]
        for text in refused where !isInvalid(text) { Issue.record("\(text.debugDescription) was not refused") }
        #expect(try parsed("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n").0.framing == .length(3))
        #expect(try parsed("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n").0.framing == .chunked)
    }

    @Test func readsChunkedBodies() {
        func chunked(_ text: String, limit: Int = 1 << 20) -> HTTP1Parser.ChunkedResult {
            Array(text.utf8).withUnsafeBytes { HTTP1Parser.parseChunked($0, limit: limit) }
        }
        let body = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n"
        #expect(chunked(body) == .complete(body: Array("Wikipedia in\r\n\r\nchunks.".utf8), length: body.utf8.count))
        #expect(chunked(body + "GET / HTTP/1.1\r\n") == .complete(body: Array("Wikipedia in\r\n\r\nchunks.".utf8), length: body.utf8.count))
        #expect(chunked("0\r\nTrailer: x\r\n\r\n") == .complete(body: [], length: 17))
        for cut in 0..<body.utf8.count {
            #expect(chunked(String(body.utf8.prefix(cut))!) == .incomplete, "cut at \(cut)")
        }
        #expect(chunked("x\r\n") == .invalid)
        #expect(chunked("4\r\nWikiXX0\r\n\r\n") == .invalid)
        #expect(chunked("4\nWiki\r\n0\r\n\r\n") == .invalid)
        #expect(chunked("4x\r\nWiki\r\n0\r\n\r\n") == .invalid)
        #expect(chunked("ffffffffff\r\n") == .tooLarge)
        #expect(chunked("10\r\n", limit: 15) == .tooLarge)
    }
}

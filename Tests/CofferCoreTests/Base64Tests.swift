import CofferCore
import Foundation
import Testing

/// Coffer's base64 replaced Foundation's on the KMS paths: it must produce what Foundation did, and
/// accept and refuse the same texts, except where Foundation accepts a `=` that is not the text's
/// padding (`QU=D`, `A+RS=`, `====`): those are refused, as RFC 4648 and AWS's own decoders do.
@Suite struct Base64Tests {
    /// Padding only as the last one or two characters of a text whose length is a multiple of four.
    private func paddedWell(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.firstIndex(of: UInt8(ascii: "=")) else { return true }
        return bytes.count % 4 == 0 && first >= bytes.count - 2 && first % 4 >= 2 && bytes[first...].allSatisfy { $0 == UInt8(ascii: "=") }
    }

    private func expected(_ text: String) -> [UInt8]? {
        paddedWell(text) ? Data(base64Encoded: text).map { Array($0) } : nil
    }

    @Test func encodingMatchesFoundationAtEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for count in 0..<200 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }

    @Test func decodingAcceptsWellPaddedTextsAsFoundationDoes() {
        let fixed = ["", "=", "==", "===", "====", "A", "AA", "AAA", "AA==", "AAA=", "A===", "QR==", "QUI=", "QUJ=", "QUJD", "QU=D",
                     "Q===", "QUJD====", "QUJDRA==", "QUJDRA=", "QUJDRA", " QUJD", "QUJD ", "QU JD", "QUJD\n", "QU-_", "QU+/",
                     "QUJD=AAA", "é===", "QUJ\u{0}", "////", "++++", "QUJDRA==QUJD"]
        for text in fixed {
            #expect(Base64.decode(text) == expected(text), "\(text.debugDescription)")
        }
        #expect(Base64.decode("QU=D") == nil && Data(base64Encoded: "QU=D") != nil)
        #expect(Base64.decode("QUJDRA==") == Array("ABCD".utf8))
        // Random strings over the alphabet, its padding and a few strangers, of every length to 12.
        let pool = Array("ABCQRSxyz09+/=-_ \n.".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...12, using: &generator)
            let text = String(decoding: (0..<count).map { _ in pool.randomElement(using: &generator)! }, as: UTF8.self)
            #expect(Base64.decode(text) == expected(text), "\(text.debugDescription)")
        }
    }
}

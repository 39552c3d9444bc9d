import CofferCore
import Testing

@Suite struct JSONTests {
    @Test func roundTripsNestedDocuments() throws {
        let text = #"{"a":[1,2.5,true,false,null],"b":{"c":"d\"\\\n\u00e9\ud83d\ude00"},"e":-0.001}"#
        let value = try JSONParser.parse(text)
        #expect(value.objectValue?["b"]?.objectValue?["c"]?.stringValue == "d\"\\\né😀")
        #expect(try JSONParser.parse(JSONWriter.string(value)) == value)
    }

    @Test func keepsBooleansApartFromNumbers() throws {
        let value = try JSONParser.parse(#"{"t":true,"one":1}"#)
        #expect(value.objectValue?["t"] == .bool(true))
        #expect(value.objectValue?["one"] == .number(1))
    }

    @Test(arguments: ["", "{", "{\"a\":}", "[1,]", "01", "\"\u{01}\"", "{\"a\":1} x", "tru", "\"\\ud800\""])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(text) }
    }

    /// Strings are read as ASCII when every byte is, and validated otherwise: a non-ASCII byte at
    /// every offset of a word-at-a-time scan, valid or not, with and without an escape before it.
    @Test func readsNonASCIIStringsAndRejectsInvalidUTF8AtEveryOffset() throws {
        for length in 0..<20 {
            for escaped in [false, true] {
                let prefix = Array(repeating: UInt8(ascii: "a"), count: length) + (escaped ? Array(#"\n"#.utf8) : [])
                let valid = [UInt8(ascii: "\"")] + prefix + Array("é€".utf8) + [UInt8(ascii: "\"")]
                let expected = String(repeating: "a", count: length) + (escaped ? "\n" : "") + "é€"
                #expect(try JSONParser.parse(valid) == .string(expected))
                for bad: [UInt8] in [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80]] {
                    let invalid = [UInt8(ascii: "\"")] + prefix + bad + Array("tail".utf8) + [UInt8(ascii: "\"")]
                    #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(invalid) }
                }
            }
            let ascii = String(repeating: "b", count: length)
            #expect(try JSONParser.parse(Array("\"\(ascii)\"".utf8)) == .string(ascii))
        }
    }

    @Test func writesControlCharactersEscaped() {
        #expect(JSONWriter.string(.string("a\u{01}b")) == #""a\u0001b""#)
        #expect(JSONWriter.string(.number(3)) == "3")
    }

    @Test func escapesBetweenRunsOfPlainText() throws {
        // Escapes at the start, between plain runs, side by side and at the end.
        let text = "\"{\"user\":\"ä\\b\"}\n\r\t\u{08}\u{0C}\u{1F}x\""
        #expect(JSONWriter.string(.string(text)) == #""\"{\"user\":\"ä\\b\"}\n\r\t\b\f\u001fx\"""#)
        #expect(try JSONParser.parse(JSONWriter.string(.string(text))) == .string(text))
        #expect(JSONWriter.string(.string("plain é")) == "\"plain é\"")
    }

    /// The writer tests eight bytes at a time: every byte value at every place in and across words,
    /// among plain ASCII and multi-byte UTF-8, is written as a byte-at-a-time escape would write it.
    @Test func escapesEveryByteWhereverItFallsInAWord() throws {
        let named: [Unicode.Scalar: String] = [
            "\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u{08}": "\\b", "\u{0C}": "\\f",
        ]
        func reference(_ text: String) -> String {
            let digits = Array("0123456789abcdef")
            let body = text.unicodeScalars.map { scalar in
                named[scalar] ?? (scalar.value < 0x20 ? "\\u00\(digits[Int(scalar.value >> 4)])\(digits[Int(scalar.value & 0xF)])" : String(scalar))
            }
            return "\"" + body.joined() + "\""
        }
        for fill in ["abcdefghijklmnopq", "éàü€abcdefgh"] {
            for value in 0..<0x80 {
                for position in 0..<17 {
                    var scalars = Array(fill.unicodeScalars)
                    scalars.insert(Unicode.Scalar(UInt8(value)), at: min(position, scalars.count))
                    let text = String(String.UnicodeScalarView(scalars))
                    #expect(JSONWriter.string(.string(text)) == reference(text))
                    // The parser skips plain words eight bytes at a time: the escaped form reads back, and the raw
                    // byte stops it where a byte-at-a-time parser would (a control character is an error).
                    #expect(try JSONParser.parse(reference(text)) == .string(text))
                    if value != 0x22 && value != 0x5C {
                        let raw = Array(("\"" + text + "\"").utf8)
                        if value < 0x20 {
                            #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(raw) }
                        } else {
                            #expect(try JSONParser.parse(raw) == .string(text))
                        }
                    }
                }
            }
        }
    }
}


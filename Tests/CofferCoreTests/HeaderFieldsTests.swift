import CofferCore
import Testing

@Suite struct HeaderFieldsTests {
    private func fields(_ pairs: [(String, String)]) -> HeaderFields {
        var fields = HeaderFields()
        for (name, value) in pairs {
            var name = name, value = value
            name.withUTF8 { name in value.withUTF8 { value in fields.append(name: name, value: value) } }
        }
        return fields
    }

    @Test func namesAreLookedUpIgnoringCaseAndValuesKeepTheirOrder() {
        let headers = fields([("Host", "h"), ("X-Amz-Date", "20261207T000000Z"), ("x-amz-DATE", "second"), ("X-Amz-Datex", "other")])
        #expect(headers.value(named: "x-amz-date") == "20261207T000000Z")
        #expect(headers.value(named: "HOST") == "h")
        #expect(headers.value(named: "x-amz-dat") == nil)
        #expect(headers.value(named: "x-amz-datf") == nil)
        var seen: [String] = []
        headers.forEachValue(named: "X-AMZ-DATE") { seen.append(String(decoding: $0, as: UTF8.self)) }
        #expect(seen == ["20261207T000000Z", "second"])
        #expect(headers.count == 4)
        #expect(headers.map(\.name) == ["Host", "X-Amz-Date", "x-amz-DATE", "X-Amz-Datex"])
        #expect(headers[3].value == "other")
    }

    /// Only letters fold: `@` and a backquote differ by the same bit as `A` and `a`.
    @Test func onlyLettersCompareIgnoringCase() {
        let headers = fields([("X-@", "at"), ("Long-Name-With-[", "bracket")])
        #expect(headers.value(named: "x-`") == nil)
        #expect(headers.value(named: "x-@") == "at")
        #expect(headers.value(named: "long-name-with-{") == nil)
        #expect(headers.value(named: "LONG-NAME-WITH-[") == "bracket")
    }

    @Test func fieldsMadeFromStringsReadAsTheyWereGiven() {
        var headers = HeaderFields([(name: "A", value: ""), (name: "B", value: "caf\u{E9}"), (name: "", value: "x")])
        #expect(Array(headers).map { "\($0.name)=\($0.value)" } == ["A=", "B=caf\u{E9}", "=x"])
        headers.removeAll { $0.name == "A" }
        headers.append((name: "C", value: "3"))
        #expect(Array(headers).map(\.name) == ["B", "", "C"])
        #expect(headers.value(named: "b") == "caf\u{E9}")
    }

    /// Bytes that are not UTF-8 read as the parser's Strings did: repaired with U+FFFD.
    @Test func invalidUTF8IsRepairedWhenRead() {
        var headers = HeaderFields()
        let name: [UInt8] = Array("X".utf8), value: [UInt8] = [0x61, 0xFF, 0x62]
        name.withUnsafeBufferPointer { name in value.withUnsafeBufferPointer { headers.append(name: name, value: $0) } }
        #expect(headers.value(named: "x") == "a\u{FFFD}b")
        #expect(headers[0].value == "a\u{FFFD}b")
    }
}

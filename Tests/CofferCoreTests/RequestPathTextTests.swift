@testable import CofferCore
import Foundation
import Testing

/// The byte-level text helpers the request path uses instead of String's Character-based ones:
/// they must cut exactly where the standard library does.
@Suite struct RequestPathTextTests {
    static let inputs = [
        "", "a", ":", "::", "a:b", ":a:b:", "arn:aws:secretsmanager:us-east-1:123456789012:secret:a/b:c-XyZ12",
        "AKID/20261122/us-east-1/secretsmanager/aws4_request", "é:ü::ß", "a::b:::c", "no separator here",
    ]

    @Test(arguments: inputs)
    func splitsWhereTheStandardLibraryDoes(text: String) {
        for maxSplits in [0, 1, 2, 5, Int.max] {
            for omitting in [true, false] {
                let expected = text.split(separator: ":", maxSplits: maxSplits, omittingEmptySubsequences: omitting).map(String.init)
                let actual = text.split(byte: UInt8(ascii: ":"), maxSplits: maxSplits, omittingEmptySubsequences: omitting).map(String.init)
                #expect(actual == expected, "maxSplits \(maxSplits), omitting \(omitting)")
                let fromSubstring = text.dropFirst(0).split(byte: UInt8(ascii: ":"), maxSplits: maxSplits,
                                                            omittingEmptySubsequences: omitting).map(String.init)
                #expect(fromSubstring == expected)
                #expect(text.fields(byte: UInt8(ascii: ":"), maxSplits: maxSplits, omittingEmptySubsequences: omitting) == expected)
                #expect(text.dropFirst(0).fields(byte: UInt8(ascii: ":"), maxSplits: maxSplits, omittingEmptySubsequences: omitting) == expected)
            }
        }
    }

    @Test func trimsSpacesAndTabsOnly() {
        #expect(String(" \t a b \t".trimmingSpaces) == "a b")
        #expect(String("   ".trimmingSpaces) == "")
        #expect(String("\nx\n".trimmingSpaces) == "\nx\n")
        #expect(String("arn:aws:iam::123456789012:user/team/alice".last(after: UInt8(ascii: "/"))) == "alice")
        #expect(String("root".last(after: UInt8(ascii: "/"))) == "root")
        #expect(String("a/b/".last(after: UInt8(ascii: "/"))) == "")
        #expect(String("/é".last(after: UInt8(ascii: "/"))) == "é")
        #expect(String("x/y/z".dropFirst(2).last(after: UInt8(ascii: "/"))) == "z")
        #expect("aws4_request".sameBytes(as: "aws4_request"))
        #expect(!"aws4_request".sameBytes(as: "aws4_requesT"))
        #expect(!"aws4".sameBytes(as: "aws4_request"))
        #expect("".sameBytes(as: ""))
        #expect("20261205T000000Z".dropLast(8).sameBytes(as: "20261205"))
    }

    @Test func uuidStringsAreVersionFourLowercaseAndDistinct() {
        let random = SystemRandomSource()
        var seen = Set<String>()
        for _ in 0..<2000 {
            let text = random.uuidString()
            let bytes = Array(text.utf8)
            #expect(bytes.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") })
            #expect(bytes[14] == UInt8(ascii: "4"))
            #expect("89ab".utf8.contains(bytes[19]))
            #expect(text == text.lowercased())
            #expect(UUID(uuidString: text) != nil)
            seen.insert(text)
        }
        #expect(seen.count == 2000)
    }

    /// A source that only makes arrays is drawn through `fill`'s default, byte for byte in order.
    @Test func uuidStringsTakeTheSourcesBytesInOrder() {
        struct Counting: RandomSource {
            func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: 0xF0 + $0) } }
        }
        #expect(Counting().uuidString() == "f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeff")
    }

    @Test func randomBytesComeInEveryLengthAndDoNotRepeat() {
        let random = SystemRandomSource()
        for count in [0, 1, 16, 1023, 1024, 1025, 4096, 10_000] {
            #expect(random.bytes(count).count == count)
        }
        // Draws that cross the pool's refill boundary are still fresh bytes.
        let draws = (0..<600).map { _ in random.bytes(16) }
        #expect(Set(draws).count == draws.count)
    }

    @Test func timestampsKeepTheirWidths() {
        let date = SigV4Timestamp.parse("20260102T030405Z")!
        #expect(SigV4Timestamp.format(date) == "20260102T030405Z")
        #expect(SigV4Timestamp.iso8601(date) == "2026-01-02T03:04:05Z")
        let early = CivilTime(year: 7, month: 1, day: 1).date
        #expect(SigV4Timestamp.iso8601(early) == "0007-01-01T00:00:00Z")
        let far = CivilTime(year: 12345, month: 6, day: 7, hour: 8, minute: 9, second: 10).date
        #expect(SigV4Timestamp.iso8601(far) == "12345-06-07T08:09:10Z")
    }

    @Test func canonicalHeaderValuesAreTrimmedAndFolded() {
        let request = SigV4Request(method: "GET", path: "/", query: "",
                                   headers: [("Host", "example.amazonaws.com"), ("My-Header1", "  value1  with   spaces \t"),
                                             ("My-Header2", "\"a   b   c\""), ("My-Header3", "tab\there"), ("My-Header4", "plain value")],
                                   body: [])
        let canonical = SigV4.canonicalRequest(request, signedHeaders: ["host", "my-header1", "my-header2", "my-header3", "my-header4"],
                                               payloadHash: "-")
        #expect(canonical.contains("my-header1:value1 with spaces\n"))
        #expect(canonical.contains("my-header2:\"a b c\"\n"))
        #expect(canonical.contains("my-header3:tab here\n"))
        #expect(canonical.contains("my-header4:plain value\n"))
        let folded = SigV4Request(method: "GET", path: "/", query: "",
                                  headers: [("Host", "h"), ("X-A", "\t\t"), ("X-B", " a\t \tb  c "), ("X-B", "d"), ("X-C", "é  ü")], body: [])
        #expect(SigV4.canonicalRequest(folded, signedHeaders: ["host", "x-a", "x-b", "x-c"], payloadHash: "-")
            == "GET\n/\n\nhost:h\nx-a:\nx-b:a b c,d\nx-c:é ü\n\nhost;x-a;x-b;x-c\n-")
    }

    @Test func auditResourcesAreTypedByTheARNsResourceKind() {
        let typed = [
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db/main-AbCdEf": "AWS::SecretsManager::Secret",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab": "AWS::KMS::Key",
            "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/url": "AWS::SSM::Parameter",
            "arn:aws:iam::123456789012:user/team/alice": "AWS::IAM::User",
            "arn:aws:iam::123456789012:role/app": "AWS::IAM::Role",
            "arn:aws:iam::123456789012:group/admins": "AWS::IAM::Group",
            "arn:aws:iam::123456789012:policy/read": "AWS::IAM::Policy",
            "arn:aws:iam::123456789012:root": "AWS::IAM::Account",
            "arn:aws:sts::123456789012:assumed-role/app/session": "AWS::STS::AssumedRole",
            "arn:aws:sts::123456789012:federated-user/bob": "AWS::STS::FederatedUser",
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/main": "AWS::CloudTrail::Trail",
        ]
        for (arn, type) in typed.merging([
            "arn:aws:secretsmanager:::secret:x": "AWS::SecretsManager::Secret",
            "arn:aws:ssm:us-east-1:1://parameter//a": "AWS::SSM::Parameter",
            "arn:aws:kms:us-east-1:1:alias/app:x": "AWS::KMS::Alias",
        ], uniquingKeysWith: { a, _ in a }) {
            #expect(AuditResource(arn: arn) == AuditResource(type: type, name: arn), "\(arn)")
        }
        for arn in ["arn:aws:kms:us-east-1:123456789012:key/*", "arn:aws:ssm:us-east-1:123456789012:nothing/x", "not an arn",
                    "arn:aws:kms:us-east-1:123456789012:secret:x", "arn:aws:iam::123456789012:trail/x",
                    "arn:aws:secretsmanager:us-east-1:123456789012:", "arn:aws:secretsmanager:us-east-1:123456789012:///",
                    "arn::secretsmanager:us-east-1:1:secret:a", "arn:aws::us-east-1:1:secret:a", "arn:aws:secretsmanager:us-east-1:1",
                    "arn:", "arn:aws:secretsmanager:us-east-1:1:secret:*", "urn:aws:secretsmanager:us-east-1:1:secret:a"] {
            #expect(AuditResource(arn: arn) == nil, "\(arn)")
        }
        #expect(ARN("arn:aws:secretsmanager:us-east-1:123456789012:secret:a:b")?.resource == "secret:a:b")
        #expect(ARN("arn::secretsmanager:us-east-1:1:secret:a") == nil)
        #expect(ARN("arn:aws:secretsmanager:us-east-1:1") == nil)
    }

    /// Lookups compare a word of each name first (its length and first seven bytes, lowered): names
    /// that share the word, differ only in case, or repeat must still be told apart and kept in order.
    @Test func bytePrefixesAreTheLiteralsBytes() {
        #expect("/console/secrets".hasBytePrefix("/console") && "/console".hasBytePrefix("/console"))
        #expect(!"/consol".hasBytePrefix("/console") && !"/".hasBytePrefix("/console") && !"".hasBytePrefix("/console"))
        #expect(!"/Console".hasBytePrefix("/console") && "anything".hasBytePrefix(""))
        #expect(String(repeating: "/console", count: 4).hasBytePrefix("/console/console"))
    }

    @Test func principalKindsComeFromTheResourcePartOnly() {
        #expect(ARN.resource(of: "arn:aws:sts::123456789012:assumed-role/app/session", startsWith: "assumed-role/"))
        #expect(ARN.resource(of: "arn:aws:sts::123456789012:federated-user/bob", startsWith: "federated-user/"))
        #expect(!ARN.resource(of: "arn:aws:sts::123456789012:federated-user/bob", startsWith: "assumed-role/"))
        // A user whose path holds the words is still a user; so is what is not an ARN.
        #expect(!ARN.resource(of: "arn:aws:iam::123456789012:user/x:assumed-role/y", startsWith: "assumed-role/"))
        #expect(!ARN.resource(of: "assumed-role/app", startsWith: "assumed-role/"))
        #expect(!ARN.resource(of: "arn:aws:sts::123456789012:assumed-role", startsWith: "assumed-role/"))
        #expect(!ARN.resource(of: "", startsWith: "assumed-role/"))
    }

    @Test func wildcardsAreFoundInEveryKindOfString() {
        // Small (inline), large (heap) and bridged-free substrings made into strings alike.
        for text in ["a*", "?", "secretsmanager:Get*", String(repeating: "x", count: 40) + "?", String("ab*cd".dropFirst())] {
            #expect(Glob.hasWildcard(text), "\(text)")
        }
        for text in ["", "abc", String(repeating: "x", count: 40), "arn:aws:kms:us-east-1:1:key/k"] {
            #expect(!Glob.hasWildcard(text), "\(text)")
        }
        #expect(Glob.hasLiterals("a\u{1}") && !Glob.hasLiterals("a*"))
        #expect(Glob.specials("secretsmanager:GetSecretValue") == (false, false) && Glob.specials("a*\u{2}") == (true, true))
        #expect(Glob.specials(String(repeating: "a", count: 20) + "?") == (false, true) && Glob.specials("\u{1}") == (true, false))
        #expect(Glob.matches("a\u{1}", "a*") && !Glob.matches("a\u{1}", "ab") && Glob.isStar("*") && !Glob.isStar("**"))
        // Eight bytes at a time: every byte value at every offset of strings up to three words long, against a byte loop.
        for length in 1...24 {
            for offset in 0..<length {
                for value in [0, 1, 2, 41, 42, 43, 62, 63, 64, 0x7F, 0x80, 0xAA, 0xFF] as [UInt8] {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[offset] = value
                    let found = bytes.withUnsafeBufferPointer { Glob.contains($0, either: 42, 63) }
                    #expect(found == (value == 42 || value == 63), "length \(length) offset \(offset) byte \(value)")
                }
            }
        }
        for (text, has) in [("home/${aws:username}", true), ("${", true), ("$", false), ("a$b{", false), ("{$", false),
                            (String(repeating: "x", count: 30) + "${a}", true), (String(repeating: "$", count: 30), false), ("", false)] {
            #expect(PolicyVariables.hasVariable(text) == has, "\(text)")
        }
        // A final `*` as the only wildcard is a prefix match, case-insensitive for actions.
        #expect(Glob.matches("secretsmanager:Get*", "secretsmanager:GetSecretValue"))
        #expect(!Glob.matches("secretsmanager:Get*", "secretsmanager:getSecretValue"))
        #expect(Glob.matchesAction("SecretsManager:get*", "secretsmanager:GetSecretValue"))
        #expect(!Glob.matchesAction("secretsmanager:Get*", "secretsmanager:Ge"))
        #expect(Glob.matches("*", "") && Glob.matches("a*", "a") && !Glob.matches("ab*", "a"))
        #expect(Glob.matches("a?c*", "abcdef") && !Glob.matches("a?c*", "abd"))
        #expect(Glob.matchesARN(pattern: "arn:aws:secretsmanager:*:*:secret:bench/*", "arn:aws:secretsmanager:us-east-1:1:secret:bench/x-AbCdEf"))
    }

    @Test func headerLookupsFindEveryCaseAndKeepOrder() {
        var request = SigV4Request(method: "POST", path: "/", query: "", headers: [
            ("X-Amz-Content-Sha256", "payload"), ("x-amz-security-token", "token"), ("X-AMZ-DATE", "20261205T000000Z"),
            ("X-Amz-Dates", "not the date"), ("x-amz-datE", "second"), ("Host", "h"), ("é-Header", "accent"),
        ], body: [])
        #expect(request.header("x-amz-content-sha256") == "payload")
        #expect(request.header("X-AMZ-SECURITY-TOKEN") == "token")
        #expect(request.header("x-amz-date") == "20261205T000000Z")
        #expect(request.values(of: "x-amz-date") == ["20261205T000000Z", "second"])
        #expect(request.header("x-amz-dates") == "not the date")
        #expect(request.header("x-amz-dat") == nil)
        #expect(request.header("é-header") == "accent")
        #expect(request.header("É-header") == nil)  // ASCII case only, as SigV4 compares names
        #expect(request.header("") == nil)
        request.headers.removeAll { $0.name == "Host" }
        request.headers.append((name: "Authorization", value: "AWS4-HMAC-SHA256 x"))
        #expect(request.header("host") == nil)
        #expect(request.header("authorization") == "AWS4-HMAC-SHA256 x")
        #expect(request.header("x-amz-security-token") == "token")
    }

    @Test func lowersOnlyWhenThereIsSomethingToLower() {
        for text in ["", "1234abcd-12ab-34cd-56ef-1234567890ab", "1234ABCD-12ab", "MiXeD", "straße", "ÉCOLE", "mrk-ABC"] {
            #expect(text.lowercasedIfNeeded == text.lowercased(), "\(text)")
        }
    }

    @Test func splitsAtTheLastByteOnly() {
        let examples: [(text: String, before: String, after: String)] = [
            ("secretsmanager.GetSecretValue", "secretsmanager", "GetSecretValue"),
            ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
             "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", "LookupEvents"),
            (".", "", ""), ("a.", "a", ""), (".b", "", "b"), ("é.ü.ß", "é.ü", "ß"),
        ]
        for example in examples {
            let parts = example.text.split(atLast: UInt8(ascii: "."))
            #expect(parts.map { String($0.before) } == example.before, "\(example.text)")
            #expect(parts.map { String($0.after) } == example.after, "\(example.text)")
        }
        #expect("TrentService_Encrypt".split(atLast: UInt8(ascii: ".")) == nil)
        #expect("".split(atLast: UInt8(ascii: ".")) == nil)
        #expect("arn:aws:iam::1:user/a/b".last(after: UInt8(ascii: "/")) == "b")
        #expect("no-slash".last(after: UInt8(ascii: "/")) == "no-slash")
    }

    @Test func givesEveryStringsBytesWhetherSmallLargeOrSliced() {
        let long = String(repeating: "päss-wörd ", count: 40)
        let texts = ["", "a", "fifteen bytes!!", "sixteen bytes!!!", "straße", long,
                     String(long.dropFirst(3)), String(long.utf8.dropLast(1))!]
        for text in texts {
            #expect(text.withUTF8Bytes { Array($0) } == Array(text.utf8), "\(text)")
            // A slice lends its own bytes, not its base string's.
            let slice = text.dropFirst(min(2, text.count)).dropLast(min(1, text.count))
            #expect(slice.withUTF8Bytes { Array($0) } == Array(slice.utf8), "\(slice)")
        }
    }

    // Contiguous bytes are written into the string's storage, anything else goes through an array:
    // both must give every byte value's two lower-case digits, in order.
    @Test func hexEncodesEveryByteValueFromAnySequence() {
        let all = (0...255).map(UInt8.init)
        let expected = all.map { String(format: "%02x", $0) }.joined()
        #expect(Hex.encode(all) == expected)
        #expect(Hex.encode(all.lazy.map { $0 }) == expected)
        #expect(Hex.encode(UInt8(0)...UInt8(255)) == expected)
        #expect(Hex.encode([UInt8]()) == "")
        var out = Array("x=".utf8)
        Hex.append(all, to: &out)
        Hex.append([0xAB, 0x01].lazy.map { $0 }, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x=" + expected + "ab01")
        #expect(Hex.decode(expected) == all)
    }
}

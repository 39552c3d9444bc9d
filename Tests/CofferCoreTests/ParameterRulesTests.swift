import CofferCore
import Foundation
import Testing

@Suite struct ParameterRulesTests {
    let scope = ResourceScope(account: "123456789012", region: "eu-west-1")

    @Test(arguments: ["/a", "/a/b-c_d.e", "name", "/" + (0..<15).map { "l\($0)" }.joined(separator: "/")])
    func acceptsValidNames(_ name: String) throws {
        try ParameterRules.validateNewName(name)
    }

    @Test(arguments: [
        ("a/b", CofferError.Code.validation), ("/a b", .validation), ("/a//b", .validation), ("/aws/x", .accessDenied),
        ("ssm", .validation), ("/" + (0..<16).map { "l\($0)" }.joined(separator: "/"), .hierarchyLevelLimitExceeded),
    ])
    func refusesInvalidNames(_ name: String, _ code: CofferError.Code) {
        #expect(throws: CofferError.self) { try ParameterRules.validateNewName(name) }
        do { try ParameterRules.validateNewName(name) } catch { #expect(error.code == code) }
    }

    @Test func arnsAndSelectors() throws {
        #expect(ParameterRules.arn("/a/b", scope: scope) == "arn:aws:ssm:eu-west-1:123456789012:parameter/a/b")
        #expect(ParameterRules.arn("top", scope: scope) == "arn:aws:ssm:eu-west-1:123456789012:parameter/top")
        #expect(try ParameterRules.reference("/a/b:3", scope: scope) == .init(name: "/a/b", version: 3, label: nil))
        #expect(try ParameterRules.reference("/a/b:prod", scope: scope).label == "prod")
        #expect(try ParameterRules.reference("arn:aws:ssm:eu-west-1:123456789012:parameter/a/b", scope: scope).name == "/a/b")
        #expect(throws: CofferError.self) { try ParameterRules.reference("arn:aws:ssm:us-east-1:123456789012:parameter/a", scope: scope) }
    }

    @Test(arguments: [("prod", true), ("a.b-c_d", true), ("aws-x", false), ("SSM", false), ("1st", false), ("a b", false)])
    func labelRules(_ label: String, _ valid: Bool) {
        #expect(ParameterRules.isValidLabel(label) == valid)
    }

    @Test func tiers() throws {
        #expect(try ParameterRules.tier(requested: nil, previous: nil, valueLength: 4096) == "Standard")
        #expect(throws: CofferError.self) { try ParameterRules.tier(requested: nil, previous: nil, valueLength: 4097) }
        #expect(try ParameterRules.tier(requested: "Intelligent-Tiering", previous: nil, valueLength: 4097) == "Advanced")
        #expect(try ParameterRules.tier(requested: nil, previous: "Advanced", valueLength: 10) == "Advanced")
        #expect(throws: CofferError.self) { try ParameterRules.tier(requested: "Standard", previous: "Advanced", valueLength: 10) }
        #expect(throws: CofferError.self) { try ParameterRules.tier(requested: "Advanced", previous: nil, valueLength: 8193) }
    }

    func version(_ type: ParameterType = .string, key: String? = nil, labels: [String] = []) -> ParameterVersion {
        ParameterVersion(version: 1, type: type, description: nil, keyID: key, allowedPattern: nil, tier: "Standard",
                         dataType: "text", labels: labels, lastModifiedDate: Date(), lastModifiedUser: "", policies: nil)
    }

    @Test func filtersMatchAsParameterStoreDoes() throws {
        let path = ParameterFilter(key: "Path", option: nil, values: ["/a"])
        #expect(path.matches(name: "/a/b", version: version(), tags: []))
        #expect(!path.matches(name: "/a/b/c", version: version(), tags: []))
        let recursive = ParameterFilter(key: "Path", option: "Recursive", values: ["/a/"])
        #expect(recursive.matches(name: "/a/b/c", version: version(), tags: []))
        #expect(!recursive.matches(name: "/ab", version: version(), tags: []))
        #expect(ParameterFilter(key: "Path", option: nil, values: ["/"]).matches(name: "top", version: version(), tags: []))
        #expect(ParameterFilter(key: "Name", option: "BeginsWith", values: ["a/"]).matches(name: "/a/b", version: version(), tags: []))
        #expect(ParameterFilter(key: "Type", option: nil, values: ["SecureString"]).matches(name: "/x", version: version(.secureString), tags: []))
        #expect(ParameterFilter(key: "tag:env", option: nil, values: []).matches(name: "/x", version: version(), tags: [Tag(key: "env", value: "d")]))
        #expect(!ParameterFilter(key: "tag:env", option: nil, values: ["p"]).matches(name: "/x", version: version(), tags: [Tag(key: "env", value: "d")]))
        #expect(ParameterFilter(key: "Label", option: nil, values: ["prod"]).matches(name: "/x", version: version(labels: ["prod"]), tags: []))
        try ParameterFilter.validate([path, ParameterFilter(key: "tag:x", option: nil, values: [])], byPath: false)
        #expect(throws: CofferError.self) { try ParameterFilter.validate([path, path], byPath: false) }
        #expect(throws: CofferError.self) { try ParameterFilter.validate([path], byPath: true) }
        #expect(throws: CofferError.self) { try ParameterFilter.validate([ParameterFilter(key: "Bogus", option: nil, values: ["x"])], byPath: false) }
        #expect(throws: CofferError.self) { try ParameterFilter.validate([ParameterFilter(key: "Path", option: "Deep", values: ["/a"])], byPath: false) }
    }
}

@Suite struct ParameterPoliciesTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func readsAWSsPolicyFormat() throws {
        let text = #"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00.000Z"}},"#
            + #"{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"15","Unit":"Days"}},"#
            + #"{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"2","Unit":"Hours"}}]"#
        let policies = try ParameterPolicies.parse(text, now: Self.now)
        let expiry = try #require(policies[0].timestamp)
        #expect(expiry == Date(timeIntervalSince1970: 1_893_456_000))
        #expect(policies[1].due(lastModified: Self.now, expiration: expiry) == expiry.addingTimeInterval(-15 * 86_400))
        #expect(policies[2].due(lastModified: Self.now, expiration: expiry) == Self.now.addingTimeInterval(7200))
    }

    @Test(arguments: [
        (#"{"Type":"Expiration"}"#, CofferError.Code.invalidPolicyType),
        (#"[{"Type":"Expire","Version":"1.0","Attributes":{}}]"#, .invalidPolicyType),
        (#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2001-01-01T00:00:00Z"}}]"#, .invalidPolicyAttribute),
        (#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"0","Unit":"Days"}}]"#, .invalidPolicyAttribute),
        (#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"3","Unit":"Weeks"}}]"#, .invalidPolicyAttribute),
        (#"[{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"3","Unit":"Days"}}]"#, .incompatiblePolicy),
    ])
    func refusesWithParameterStoresErrors(text: String, code: CofferError.Code) {
        #expect(throws: CofferError.self) { try ParameterPolicies.parse(text, now: Self.now) }
        do { _ = try ParameterPolicies.parse(text, now: Self.now) } catch { #expect(error.code == code) }
    }

    @Test func timestampsWithFractionsAndOffsets() {
        #expect(SigV4Timestamp.parseISO8601("2030-01-01T01:00:00+01:00") == Date(timeIntervalSince1970: 1_893_456_000))
        #expect(SigV4Timestamp.parseISO8601("2030-01-01T00:00:00.500Z") == Date(timeIntervalSince1970: 1_893_456_000.5))
        #expect(SigV4Timestamp.parseISO8601("2030-13-01T00:00:00Z") == nil)
        #expect(SigV4Timestamp.parseISO8601("tomorrow") == nil)
    }

    /// The rules as first written over Characters and Foundation's string search; the byte-wise
    /// rules must answer every name alike (same error code and message, or none).
    static func characterWiseValidation(_ name: String) -> String? {
        let isNameCharacter: (Unicode.Scalar) -> Bool = { scalar in
            scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || "_.-/".unicodeScalars.contains(scalar))
        }
        guard name.unicodeScalars.allSatisfy(isNameCharacter), !name.isEmpty, !name.hasSuffix("/") || name == "/" else { return "path" }
        if name.contains("/"), !name.hasPrefix("/") || name.contains("//") { return "path" }
        if name.count > ParameterRules.maximumNameLength { return "length" }
        if name.split(separator: "/").count > ParameterRules.maximumDepth { return "depth" }
        return nil
    }

    static func byteWiseValidation(_ name: String) -> String? {
        do {
            try ParameterRules.validateName(name)
            return nil
        } catch {
            switch error.code {
            case .hierarchyLevelLimitExceeded: return "depth"
            default: return error.message.hasPrefix("Parameter name can't be longer") ? "length" : "path"
            }
        }
    }

    @Test func byteWiseNameRulesMatchTheCharacterWiseOnes() {
        // Every name of up to four pieces from an alphabet with the edge cases in it.
        let pieces = ["a", "/", "Z9", "-", "_.", " ", "é", "e\u{301}", ":", "aws"]
        var names = [""]
        var frontier = [""]
        for _ in 0..<4 {
            frontier = frontier.flatMap { prefix in pieces.map { prefix + $0 } }
            names += frontier
        }
        let level = (0..<15).map { "l\($0)" }
        names += ["/" + level.joined(separator: "/"), "/" + (level + ["x"]).joined(separator: "/"), "/" + (level + ["x"]).joined(separator: "/") + "/",
                  String(repeating: "a", count: 1011), String(repeating: "a", count: 1012), "/" + String(repeating: "b", count: 1011),
                  String(repeating: "é", count: 600), "//", "/", "a/", "/a/"]
        for name in names {
            #expect(Self.byteWiseValidation(name) == Self.characterWiseValidation(name), "\(name)")
            let alternate: String? = name.hasPrefix("/")
                ? (name.dropFirst().isEmpty || name.dropFirst().contains("/") ? nil : String(name.dropFirst()))
                : (name.contains("/") || name.isEmpty ? nil : "/" + name)
            #expect(ParameterRules.rootAlternate(name) == alternate, "\(name)")
        }
    }

    @Test func referencesSplitAtTheirOneColon() throws {
        let scope = ResourceScope(account: "123456789012", region: "eu-west-1")
        #expect(try ParameterRules.reference("/a/b", scope: scope) == .init(name: "/a/b"))
        #expect(try ParameterRules.reference("/a/b:", scope: scope) == .init(name: "/a/b", label: ""))
        #expect(try ParameterRules.reference(":7", scope: scope) == .init(name: "", version: 7))
        #expect(try ParameterRules.reference("é:ü", scope: scope) == .init(name: "é", label: "ü"))
        #expect(throws: CofferError.self) { try ParameterRules.reference("/a:b:c", scope: scope) }
        #expect(try ParameterRules.reference("arn:aws:ssm:eu-west-1:123456789012:parameter/top:2", scope: scope) == .init(name: "top", version: 2))
    }

    @Test func publicParametersAndRootSpellings() {
        #expect(PublicParameters.value("/aws/service/global-infrastructure/regions/us-east-1") == "us-east-1")
        #expect(PublicParameters.value("/aws/service/global-infrastructure/regions/us-east-1/longName") == "US East (N. Virginia)")
        #expect(PublicParameters.under("/aws/service/global-infrastructure/services", recursive: false).count == 7)
        #expect(ParameterRules.rootAlternate("plain") == "/plain")
        #expect(ParameterRules.rootAlternate("/plain") == "plain")
        #expect(ParameterRules.rootAlternate("/a/b") == nil)
    }
}

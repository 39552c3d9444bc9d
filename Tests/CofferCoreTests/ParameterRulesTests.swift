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

public import CofferCore
import Synchronization

/// The one validation layer: a request's members against its operation's input shape in the botocore
/// model (required members, lengths, ranges, enum values), every violation collected and reported as
/// AWS does, `N validation errors detected: ...; ...`, before any handler or authorization runs.
/// Wrong JSON types are the handlers' (SerializationException); patterns are not checked here.
public enum ModelValidation {
    /// A class: every request looks up a shape per member it checks, and a struct of these strings
    /// and arrays was copied out of the dictionary each time, a retain and release of each.
    final class Shape: Sendable {
        enum Kind { case structure, list, map, string, number, blob, other }
        let kind: Kind
        let name: String
        let min: Double?
        let max: Double?
        let enumValues: [String]?
        let sensitive: Bool
        /// The model marks the value sensitive: AWS leaves even a missing one's `null` out of the message.
        let modelSensitive: Bool
        /// Each member: its wire name, its name in messages (lower camel case), its shape, whether required.
        let members: [(name: String, path: String, shape: String, required: Bool)]
        let element: String?
        let mapValue: String?
        /// The model's regular expression, which the whole value must match.
        let pattern: String?
        /// The pattern is the ASCII-only key id one, matched over bytes (decided here, once per shape).
        let asciiOnly: Bool

        /// IAM reports every violation without the offending value, whatever the model marks sensitive
        /// (recorded from AWS in LocalStack's validated IAM snapshots, 2026: numbers such as
        /// minimumPasswordLength, a policy version id's pattern, an OIDC provider's url length and its
        /// client id and thumbprint lists). KMS, STS, Secrets Manager and Parameter Store show theirs.
        static func shownWithoutValue(service: String) -> Bool { service == "iam" }

        /// `entry` is the shape's object in the generated constraints (`t`ype, `min`, `max`, `e`num,
        /// `s`ensitive, `m`embers, `l`ist element, map `v`alue, `p`attern).
        init(name: String, kind: Kind, entry: JSONObject, service: String) {
            self.name = name
            self.kind = kind
            if case .number(let min)? = entry["min"] { self.min = min } else { self.min = nil }
            if case .number(let max)? = entry["max"] { self.max = max } else { self.max = nil }
            if case .array(let values)? = entry["e"] { enumValues = values.compactMap(\.stringValue) } else { enumValues = nil }
            modelSensitive = entry["s"] != nil
            // A blob's value is never shown either (AWS: "Value at 'signature' ... length greater than or
            // equal to 1" for an empty Verify signature, which the model does not mark sensitive).
            sensitive = modelSensitive || kind == .blob || Self.shownWithoutValue(service: service)
            if case .array(let members)? = entry["m"] {
                self.members = members.compactMap { member in
                    guard case .array(let parts) = member, parts.count == 3, let name = parts[0].stringValue, let type = parts[1].stringValue else { return nil }
                    return (name, ModelValidation.lowerCamel(name), type, parts[2].numberValue == 1)
                }
            } else {
                members = []
            }
            element = entry["l"]?.stringValue
            pattern = entry["p"]?.stringValue ?? ModelValidation.patternsBeyondTheModel[name]
            asciiOnly = pattern != nil && pattern == ModelValidation.patternsBeyondTheModel["KeyIdType"]
            mapValue = entry["v"]?.stringValue
        }
    }

    final class Service: Sendable {
        let name: String
        let operations: [String: String]
        let shapes: [String: Shape]
        /// Each operation's input shape, found once: a check is one lookup, not two.
        let inputs: [String: Shape]
        init(name: String, operations: [String: String], shapes: [String: Shape]) {
            self.name = name
            self.operations = operations
            self.shapes = shapes
            inputs = operations.compactMapValues { shapes[$0] }
        }
    }

    private static let loaded = Mutex<[String: Service]>([:])

    static func service(_ name: String) -> Service? {
        if let service = loaded.withLock({ $0[name] }) { return service }
        guard let text = ModelConstraintsJSON.services[name], case .object(let root)? = try? JSONParser.parse(text),
            case .object(let ops)? = root["ops"], case .object(let shapes)? = root["shapes"]
        else { return nil }
        var parsedShapes: [String: Shape] = [:]
        for (shapeName, value) in shapes.members {
            guard case .object(let entry) = value, case .string(let type)? = entry["t"] else { continue }
            let kind: Shape.Kind = switch type {
            case "structure": .structure
            case "list": .list
            case "map": .map
            case "string": .string
            case "integer", "long", "double", "float": .number
            case "blob": .blob
            default: .other
            }
            parsedShapes[shapeName] = Shape(name: shapeName, kind: kind, entry: entry, service: name)
        }
        let service = Service(name: name, operations: Dictionary(uniqueKeysWithValues: ops.members.compactMap { op in op.value.stringValue.map { (op.key, $0) } }),
                              shapes: parsedShapes)
        loaded.withLock { $0[name] = service }
        return service
    }

    /// Whether the service's model has the operation (names from requests are otherwise unbounded).
    public static func knows(service name: String, operation: String) -> Bool {
        service(name)?.operations[operation] != nil
    }

    /// AWS's ValidationException for `body`, or nil when it satisfies the model.
    public static func check(service name: String, operation: String, body: JSONObject) -> CofferError? {
        guard let service = service(name), let shape = service.inputs[operation] else { return nil }
        var found: [Violation] = []
        structure(body, shape, path: "", service: service, into: &found)
        guard !found.isEmpty else { return nil }
        // IAM answers a name or path outside its pattern with a sentence of its own, alone.
        if let sentence = found.lazy.compactMap(\.sentence).first { return .validation(sentence) }
        let violations = (name == "iam" ? javaHashMapOrder(found) : found).map(\.text)
        // Parameter Store ends each constraint with a full stop; the other services do not.
        let stop = name == "ssm" ? "." : ""
        let count = violations.count == 1 ? "1 validation error detected" : "\(violations.count) validation errors detected"
        return .validation("\(count): " + violations.map { $0 + stop }.joined(separator: "; "))
    }

    /// The query protocol's flat members (`Tags.member.1.Key`) as the tree the model describes, so
    /// IAM and STS calls are checked by the same rules. Values stay text; numbers are read as numbers.
    public static func check(service name: String, operation: String, query parameters: [String: String]) -> CofferError? {
        guard let service = service(name), let input = service.operations[operation], let shape = service.shapes[input] else { return nil }
        return check(service: name, operation: operation, body: tree(parameters, shape, prefix: "", service: service))
    }

    static func tree(_ parameters: [String: String], _ shape: Shape, prefix: String, service: Service) -> JSONObject {
        var out = JSONObject()
        for member in shape.members {
            let key = prefix + member.name
            if let value = value(parameters, key: key, shape: service.shapes[member.shape], service: service) { out.append(member.name, value) }
        }
        return out
    }

    static func value(_ parameters: [String: String], key: String, shape: Shape?, service: Service) -> JSONValue? {
        guard let shape else { return parameters[key].map(JSONValue.string) }
        switch shape.kind {
        case .structure:
            guard parameters.keys.contains(where: { $0.hasPrefix(key + ".") }) else { return nil }
            return .object(tree(parameters, shape, prefix: key + ".", service: service))
        case .list:
            if parameters[key] == "" { return .array([]) }
            var items: [JSONValue] = []
            let element = shape.element.flatMap { service.shapes[$0] }
            var index = 1
            while let item = value(parameters, key: "\(key).member.\(index)", shape: element, service: service) {
                items.append(item)
                index += 1
            }
            return items.isEmpty ? nil : .array(items)
        case .map:
            var object = JSONObject()
            var index = 1
            while let name = parameters["\(key).entry.\(index).key"] {
                object.append(name, parameters["\(key).entry.\(index).value"].map(JSONValue.string) ?? .null)
                index += 1
            }
            return object.isEmpty ? nil : .object(object)
        case .number:
            guard let text = parameters[key] else { return nil }
            return Double(text).map(JSONValue.number) ?? .string(text)
        default:
            return parameters[key].map(JSONValue.string)
        }
    }

    private static func structure(_ object: JSONObject, _ shape: Shape, path: String, service: Service, into violations: inout [Violation]) {
        for member in shape.members {
            // Paths are built only for members that are present or missing-but-required: most requests
            // name few of their operation's members.
            guard let value = object[member.name], value != .null else {
                if member.required {
                    let at = path.isEmpty ? member.path : path + "." + member.path
                    // AWS: "Value at 'plaintext' failed to satisfy constraint: Member must not be null" for a
                    // missing sensitive member, "Value null at 'signature' ..." for any other.
                    let shown = service.shapes[member.shape]?.modelSensitive == true ? "Value at" : "Value null at"
                    violations.append(Violation(path: at, text: "\(shown) '\(at)' failed to satisfy constraint: Member must not be null"))
                }
                continue
            }
            guard let memberShape = service.shapes[member.shape] else { continue }
            check(value, memberShape, path: path.isEmpty ? member.path : path + "." + member.path, service: service, into: &violations)
        }
    }

    private static func check(_ value: JSONValue, _ shape: Shape, path: String, service: Service, into violations: inout [Violation]) {
        func fail(_ constraint: String) {
            let shown = shape.sensitive ? "Value at" : "Value '\(render(value))' at"
            violations.append(Violation(path: path, text: "\(shown) '\(path)' failed to satisfy constraint: \(constraint)"))
        }
        func length(_ count: Int) {
            if let min = shape.min, Double(count) < min { fail(atLeast("length", min)) }
            if let max = shape.max, Double(count) > max { fail(atMost("length", max)) }
        }
        switch (shape.kind, value) {
        case (.string, .string(let text)):
            // Lengths count UTF-16 units, as AWS's Java front end does.
            length(text.utf16.count)
            if let allowed = shape.enumValues, !allowed.contains(text), acceptedBeyondTheModel[shape.name]?.contains(text) != true {
                fail(enumConstraint(shape, allowed))
            }
            if let pattern = shape.pattern, !(shape.asciiOnly ? isASCIIKeyID(text) : matches(text, pattern)) {
                if service.name == "iam", let sentence = iamPatternSentence(pattern, member: String(path.split(separator: ".").last ?? "")) {
                    violations.append(Violation(path: path, text: sentence, sentence: sentence))
                } else {
                    fail(patternConstraint(pattern))
                }
            }
        case (.number, .number(let number)):
            if let min = shape.min, number < min { fail(atLeast("value", min)) }
            if let max = shape.max, number > max { fail(atMost("value", max)) }
        case (.blob, .string(let text)):
            // Base64: the decoded length, without decoding.
            let padding = text.utf8.reversed().prefix(2).filter { $0 == UInt8(ascii: "=") }.count
            length(max(0, text.utf8.count / 4 * 3 - padding))
        case (.list, .array(let items)):
            length(items.count)
            guard let element = shape.element.flatMap({ service.shapes[$0] }) else { return }
            if [.string, .number, .blob].contains(element.kind) {
                // A list of plain values is reported whole, with every constraint its members carry
                // (AWS: "Value '[a, b]' at 'labels' failed to satisfy constraint: Member must satisfy
                // constraint: [Member must have length less than or equal to 100, ...]").
                var failed: [Violation] = []
                for item in items where item != .null {
                    check(item, element, path: path, service: service, into: &failed)
                }
                if !failed.isEmpty {
                    let shown = shape.sensitive || element.sensitive ? "Value at" : "Value '\(render(value))' at"
                    violations.append(Violation(path: path, text: "\(shown) '\(path)' failed to satisfy constraint: Member must satisfy constraint: [\(memberConstraints(element).joined(separator: ", "))]"))
                }
                return
            }
            for (index, item) in items.enumerated() where item != .null {
                check(item, element, path: "\(path).\(index + 1).member", service: service, into: &violations)
            }
        case (.map, .object(let object)):
            length(object.members.count)
            guard let valueShape = shape.mapValue.flatMap({ service.shapes[$0] }) else { return }
            for (key, item) in object.members where item != .null {
                check(item, valueShape, path: "\(path).\(key)", service: service, into: &violations)
            }
        case (.structure, .object(let object)):
            structure(object, shape, path: path, service: service, into: &violations)
        default:
            return
        }
    }

    struct Violation {
        let path: String
        let text: String
        /// A message IAM answers on its own instead of listing the constraint.
        var sentence: String? = nil
    }

    /// IAM's sentences for its name and path patterns (AWS's wording; the values are never shown).
    static func iamPatternSentence(_ pattern: String, member: String) -> String? {
        if pattern == #"[\w+=,.@-]+"# { return IAMRules.invalidName(member) }
        if member == "path" || member == "newPath" { return IAMRules.invalidPath }
        return nil
    }

    /// IAM lists a request's violations in the order a Java `HashMap` keyed by member path iterates
    /// them: by bucket of the spread `String.hashCode`, in a table of 16 buckets doubled while more
    /// than three quarters full, and by first appearance within a bucket. This reproduces both orders
    /// AWS was recorded answering (LocalStack's validated IAM snapshots): minimumPasswordLength,
    /// passwordReusePrevention, maxPasswordAge; and clientIDList, thumbprintList, url; neither the
    /// model's nor the request's order.
    static func javaHashMapOrder(_ violations: [Violation]) -> [Violation] {
        var paths: [String] = []
        for violation in violations where !paths.contains(violation.path) { paths.append(violation.path) }
        var buckets = 16
        while paths.count * 4 > buckets * 3 { buckets *= 2 }
        func bucket(_ path: String) -> Int {
            var hash: UInt32 = 0
            for unit in path.utf16 { hash = hash &* 31 &+ UInt32(unit) }
            return Int((hash ^ (hash >> 16)) & UInt32(buckets - 1))
        }
        let ordered = paths.enumerated().sorted { (bucket($0.element), $0.offset) < (bucket($1.element), $1.offset) }.map(\.element)
        return ordered.flatMap { path in violations.filter { $0.path == path } }
    }

    /// The constraints a plain value's shape carries, as AWS lists them for a list's members.
    private static func memberConstraints(_ shape: Shape) -> [String] {
        var out: [String] = []
        let word = shape.kind == .number ? "value" : "length"
        if let max = shape.max { out.append(atMost(word, max)) }
        if let min = shape.min { out.append(atLeast(word, min)) }
        if let allowed = shape.enumValues { out.append(enumConstraint(shape, allowed)) }
        if let pattern = shape.pattern { out.append(patternConstraint(pattern)) }
        return out
    }

    private static func atLeast(_ word: String, _ limit: Double) -> String { "Member must have \(word) greater than or equal to \(Int(limit))" }
    private static func atMost(_ word: String, _ limit: Double) -> String { "Member must have \(word) less than or equal to \(Int(limit))" }
    private static func enumConstraint(_ shape: Shape, _ allowed: [String]) -> String {
        "Member must satisfy enum value set: \(enumSets[shape.name] ?? "[\(allowed.joined(separator: ", "))]")"
    }
    private static func patternConstraint(_ pattern: String) -> String { "Member must satisfy regular expression pattern: \(pattern)" }

    /// Whether the whole of `text` matches the model's pattern.
    static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = compiled(pattern) else { return true }
        return (try? regex.wholeMatch(in: text)) != nil
    }

    /// `^\p{ASCII}+$` over bytes: every KMS call passes its key id through it.
    static func isASCIIKeyID(_ text: String) -> Bool { text.withUTF8Bytes { !$0.isEmpty && $0.allSatisfy { $0 < 0x80 } } }

    /// A compiled pattern, shared across requests: matching reads it only (the standard library
    /// lowers a regex to its program once, atomically), so sharing it is safe.
    struct CompiledPattern: @unchecked Sendable {
        let regex: Regex<AnyRegexOutput>?
    }

    private static let regexes = Mutex<[String: CompiledPattern]>([:])

    /// The model's pattern as a regular expression, compiled once; nil (no check) for the few that
    /// Swift's engine does not take (Java's UTF-16 surrogate ranges, quantifiers past its limit).
    static func compiled(_ pattern: String) -> Regex<AnyRegexOutput>? {
        if let known = regexes.withLock({ $0[pattern] }) { return known.regex }
        let compiled = CompiledPattern(regex: try? Regex(pattern))
        regexes.withLock { $0[pattern] = compiled }
        return compiled.regex
    }

    /// Enum sets AWS words otherwise than the model lists them (AWS prints its own, older sets, in
    /// its own order), as AWS-verified tests record them.
    static let enumSets: [String: String] = [
        "FilterNameStringType": "[all, name, tag-key, description, tag-value]",
        "ParameterType": "[SecureString, StringList, String]",
        // LocalStack's AWS-validated KMS snapshots (GenerateMac and VerifyMac with `INVALID`).
        "MacAlgorithmSpec": "[HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]",
        // Floci's KMS tests, checked against AWS (Sign with `FOO`, Encrypt and Decrypt with `FOO`).
        "SigningAlgorithmSpec": "[RSASSA_PSS_SHA_256, RSASSA_PSS_SHA_384, RSASSA_PSS_SHA_512, RSASSA_PKCS1_V1_5_SHA_256, "
            + "RSASSA_PKCS1_V1_5_SHA_384, RSASSA_PKCS1_V1_5_SHA_512, ECDSA_SHA_256, ECDSA_SHA_384, ECDSA_SHA_512, ED25519_SHA_512, "
            + "ED25519_PH_SHA_512, SM2DSA, ML_DSA_SHAKE_256]",
        "EncryptionAlgorithmSpec": "[RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE, SYMMETRIC_DEFAULT]",
        // The same tests: GenerateDataKey's KeySpec (AES_256 or AES_128) is refused naming the key specs.
        "DataKeySpec": keySpecSet,
        "KeySpec": keySpecSet,
    ]

    static let keySpecSet = "[RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, "
        + "ECC_NIST_EDWARDS25519, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87]"

    /// Patterns AWS checks that the published model leaves out: a KMS key id must be ASCII (the same
    /// tests: an empty KeyId fails both its length and this pattern; `キー` fails this one).
    static let patternsBeyondTheModel: [String: String] = ["KeyIdType": #"^\p{ASCII}+$"#]

    /// Values AWS's front end lets through although the model's enum leaves them out: KMS answers
    /// Sign with `SYMMETRIC_DEFAULT` as an algorithm the key spec does not support, not as a bad enum.
    static let acceptedBeyondTheModel: [String: Set<String>] = ["SigningAlgorithmSpec": ["SYMMETRIC_DEFAULT"]]

    static func lowerCamel(_ name: String) -> String { name.prefix(1).lowercased() + name.dropFirst() }

    static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .number(let number): return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .array(let items): return "[" + items.map(render).joined(separator: ", ") + "]"
        case .object: return "{...}"
        case .null: return "null"
        }
    }
}

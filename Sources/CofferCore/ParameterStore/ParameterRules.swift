/// Parameter Store's naming, labeling and tier rules, with AWS's messages.
public enum ParameterRules {
    public static let maximumDepth = 15
    public static let maximumNameLength = 1011
    public static let maximumVersions = 100
    public static let maximumLabelsPerVersion = 10
    public static let standardValueLimit = 4096
    public static let advancedValueLimit = 8192
    public static let tiers = ["Standard", "Advanced", "Intelligent-Tiering"]
    public static let dataTypes = ["text", "aws:ec2:image", "aws:ssm:integration"]

    static let pathMessage = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_"

    /// Whether a UTF-8 byte may be in a name: ASCII letters, digits, `_.-/` (a byte of a multi-byte
    /// character never is, so a name of these bytes is ASCII).
    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "/"): true
        default: false
        }
    }

    /// Validates a name for PutParameter.
    public static func validateNewName(_ name: String) throws(CofferError) {
        let trimmed = name.hasPrefix("/") ? String(name.dropFirst()) : name
        let lower = trimmed.lowercased()
        if lower.hasPrefix("aws") || lower.hasPrefix("ssm") {
            if name.lowercased().hasPrefix("/aws") {
                throw CofferError(.accessDenied, "No access to reserved parameter name: \(name).")
            }
            if name.contains("/") && name.hasPrefix("/") {
                throw CofferError.validation("Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_")
            }
            throw CofferError.validation("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).")
        }
        if name.utf8.allSatisfy(isNameByte), name.utf8.contains(UInt8(ascii: "/")), !name.hasPrefix("/") {
            throw CofferError.validation("Parameter name must be a fully qualified name.")
        }
        try validateName(name)
    }

    /// Validates a name used to look a parameter up. A path without its leading slash gets the path
    /// message on a read (AWS's GetParameter); PutParameter says it is not fully qualified first.
    public static func validateName(_ name: String) throws(CofferError) {
        // One pass over the bytes (every read of a parameter passes here): once every byte is a name
        // character, the name is ASCII, so its length in characters is its byte count and its levels
        // are its runs between slashes.
        let shape = name.withUTF8Bytes { bytes in
            var valid = !bytes.isEmpty, slash = false, doubled = false, levels = 0
            var previous: UInt8 = UInt8(ascii: "/")
            for byte in bytes {
                valid = valid && isNameByte(byte)
                if byte == UInt8(ascii: "/") {
                    doubled = doubled || (slash && previous == byte)
                    slash = true
                } else if previous == UInt8(ascii: "/") {
                    levels += 1
                }
                previous = byte
            }
            let trailing = bytes.count > 1 && bytes.last == UInt8(ascii: "/")
            return (valid: valid && !trailing, slash: slash, doubled: doubled, levels: levels, count: bytes.count,
                    rooted: bytes.first == UInt8(ascii: "/"))
        }
        guard shape.valid else { throw CofferError.validation(pathMessage) }
        if shape.slash, !shape.rooted || shape.doubled { throw CofferError.validation(pathMessage) }
        if shape.count > maximumNameLength {
            throw CofferError.validation("Parameter name can't be longer than \(maximumNameLength) characters.")
        }
        if shape.levels > maximumDepth {
            throw CofferError(.hierarchyLevelLimitExceeded, "A hierarchy can have a maximum of \(maximumDepth) levels.")
        }
    }

    /// The other spelling of a root-level name (`/name` for `name` and back); nil below the root.
    public static func rootAlternate(_ name: String) -> String? {
        let slash = UInt8(ascii: "/")
        if name.utf8.first == slash {
            let rest = name.utf8.dropFirst()
            return rest.isEmpty || rest.contains(slash) ? nil : String(Substring(rest))
        }
        return name.isEmpty || name.utf8.contains(slash) ? nil : "/" + name
    }

    /// The ARN of a parameter: `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME` (no doubled slash).
    public static func arn(_ name: String, scope: ResourceScope) -> String {
        let path = name.utf8.first == UInt8(ascii: "/") ? String(Substring(name.utf8.dropFirst())) : name
        return ARN.text(service: "ssm", region: scope.region, account: scope.account, resource: "parameter/", path)
    }

    /// A name, ARN or `name:selector` as GetParameter takes it.
    public struct Reference: Sendable, Equatable {
        public var name: String
        public var version: Int?
        public var label: String?
        public var selector: String? { version.map { ":\($0)" } ?? label.map { ":\($0)" } }

        public init(name: String, version: Int? = nil, label: String? = nil) {
            self.name = name
            self.version = version
            self.label = label
        }
    }

    public static func reference(_ text: String, scope: ResourceScope) throws(CofferError) -> Reference {
        // A plain name (no ARN, no selector) is most calls': nothing to take apart.
        if !text.withUTF8Bytes({ $0.contains(UInt8(ascii: ":")) }) { return Reference(name: text) }
        var text = text
        if text.hasPrefix("arn:"), let arn = ARN(text), arn.service == "ssm", arn.resource.hasPrefix("parameter/") {
            guard arn.account == scope.account, arn.region == scope.region else {
                throw CofferError(.parameterNotFound, "Parameter \(text) not found.")
            }
            let path = String(arn.resource.dropFirst("parameter/".count))
            text = path.utf8.contains(UInt8(ascii: "/")) ? "/" + path : path
        }
        let parts = text.fields(byte: UInt8(ascii: ":"))
        guard parts.count <= 2 else { throw CofferError(.parameterNotFound, "Parameter \(text) not found.") }
        var reference = Reference(name: parts[0])
        if parts.count == 2 {
            if let number = Int(parts[1]), !parts[1].isEmpty { reference.version = number } else { reference.label = parts[1] }
        }
        return reference
    }

    /// Labels that LabelParameterVersion refuses are reported, not raised.
    public static func isValidLabel(_ label: String) -> Bool {
        let lower = label.lowercased()
        guard !lower.hasPrefix("aws"), !lower.hasPrefix("ssm"), let first = label.unicodeScalars.first,
            !("0"..."9").contains(first)
        else { return false }
        return label.unicodeScalars.allSatisfy { s in
            s.isASCII && (("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || "_.-".unicodeScalars.contains(s))
        }
    }

    /// The tier a value ends up in, or AWS's error when it does not fit.
    public static func tier(requested: String?, previous: String?, valueLength: Int) throws(CofferError) -> String {
        let requested = requested ?? previous ?? "Standard"
        if previous == "Advanced", requested == "Standard" {
            throw CofferError.validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
        }
        if valueLength > advancedValueLimit {
            throw CofferError.validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to \(advancedValueLimit)")
        }
        switch requested {
        case "Intelligent-Tiering": return valueLength > standardValueLimit || previous == "Advanced" ? "Advanced" : "Standard"
        case "Standard":
            if valueLength > standardValueLimit {
                throw CofferError.validation("Standard tier parameters support a maximum parameter value of \(standardValueLimit) characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
            }
            return "Standard"
        default: return "Advanced"
        }
    }
}

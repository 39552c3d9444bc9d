import CofferCore

/// Secrets Manager's semantic checks, with AWS's messages; lengths and types are checked on the wire.
enum SecretValidation {
    /// A name, or a SecretId that is not an ARN: AWS answers a character outside the name's set with
    /// ValidationException for every operation, before it looks the secret up.
    static func name(_ name: String) throws(CofferError) {
        // On bytes: every read by name checks its SecretId. A non-ASCII byte is never allowed.
        let allowed = name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: "."), UInt8(ascii: "@"), UInt8(ascii: "-"): true
            default: false
            }
        }
        guard allowed, !name.isEmpty else {
            throw .validation("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
        }
    }

    static func token(_ token: String?) throws(CofferError) {
        guard let token else { return }
        guard (32...64).contains(token.count) else {
            throw .invalidParameter("ClientRequestToken must be 32-64 characters long.")
        }
    }

    static func stages(_ stages: [String]) throws(CofferError) {
        if Set(stages).count != stages.count {
            throw .invalidParameter("The staging labels must be unique.")
        }
    }

    static let maximumTags = 50

    static func tags(_ tags: [Tag]) throws(CofferError) {
        try Tag.checkLengths(tags) { _ in "tags.member" }
        var seen = Set<String>()
        for tag in tags {
            if tag.key.lowercased().hasPrefix("aws:") {
                throw .invalidParameter("Invalid tag key. Tag keys that begin with aws: are reserved for AWS use.")
            }
            guard seen.insert(tag.key).inserted else {
                throw .invalidParameter("Duplicate tag keys are not allowed: \(tag.key)")
            }
        }
        try tagCount(tags.count)
    }

    static func tagCount(_ count: Int) throws(CofferError) {
        if count > maximumTags {
            throw .invalidParameter("The number of tags on the secret exceeds the limit of \(maximumTags) tags.")
        }
    }
}

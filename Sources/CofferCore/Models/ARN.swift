/// An Amazon Resource Name: `arn:partition:service:region:account:resource`.
public struct ARN: Sendable, Hashable, CustomStringConvertible {
    public var partition: String
    public var service: String
    public var region: String
    public var account: String
    public var resource: String

    /// The partition follows the region unless given (IAM's and STS's ARNs have no region of their own).
    public init(partition: String? = nil, service: String, region: String, account: String, resource: String) {
        self.partition = partition ?? Partition.of(region: region)
        self.service = service
        self.region = region
        self.account = account
        self.resource = resource
    }

    /// Parses an ARN; the resource part may itself contain colons.
    public init?(_ text: String) {
        let parts = text.fields(byte: UInt8(ascii: ":"), maxSplits: 5)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        (partition, service, region, account, resource) = (parts[1], parts[2], parts[3], parts[4], parts[5])
    }

    public var description: String {
        Self.text(partition: partition, service: service, region: region, account: account, resource)
    }

    /// An ARN's text from its parts in one allocation, the resource given as a type prefix and a
    /// name (`parameter/` and a path) so that it is not joined first.
    public static func text(partition: String? = nil, service: String, region: String, account: String,
                            resource prefix: String = "", _ name: String) -> String {
        String.concatenating("arn:", partition ?? Partition.of(region: region), ":", service, ":", region, ":", account, ":", prefix, name)
    }
}

extension ARN {
    /// Whether the resource part of `arn` (after its fifth colon) starts with `prefix`, over the bytes:
    /// the audit record asks it of the caller's ARN on every call, where `String.contains` ran
    /// Foundation's string search (about 8,700 instructions each).
    public static func resource(of arn: String, startsWith prefix: StaticString) -> Bool {
        arn.withUTF8Bytes { bytes in
            guard let colons = colons(bytes) else { return false }
            return UnsafeBufferPointer(rebasing: bytes[(colons.4 + 1)...]).starts(with: prefix)
        }
    }

    /// The offsets of an ARN's first five colons (the ends of `arn`, partition, service, region and
    /// account), read over its bytes; nil when it has fewer.
    static func colons(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int, Int, Int)? {
        var colons = (0, 0, 0, 0, 0), found = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: ":") {
            switch found {
            case 0: colons.0 = index
            case 1: colons.1 = index
            case 2: colons.2 = index
            case 3: colons.3 = index
            default: colons.4 = index
            }
            found += 1
            if found == 5 { return colons }
        }
        return nil
    }
}

/// AWS's partitions: every ARN names one, and it follows from the region the call was made in.
public enum Partition {
    public static func of(region: String) -> String {
        // On the bytes: every ARN a call builds asks this, and `hasPrefix` compares Characters.
        region.withUTF8Bytes { bytes in
            if bytes.starts(with: "cn-") { return "aws-cn" }
            guard bytes.starts(with: "us-i") || bytes.starts(with: "us-g") || bytes.starts(with: "eu-i") else { return "aws" }
            if bytes.starts(with: "us-gov-") { return "aws-us-gov" }
            if bytes.starts(with: "us-iso-") { return "aws-iso" }
            if bytes.starts(with: "us-isob-") { return "aws-iso-b" }
            if bytes.starts(with: "eu-isoe-") { return "aws-iso-e" }
            if bytes.starts(with: "us-isof-") { return "aws-iso-f" }
            return "aws"
        }
    }
}

/// Where a request's data lives: AWS scopes Secrets Manager, SSM and KMS data by account and region.
public struct ResourceScope: Sendable, Hashable {
    public let account: String
    public let region: String
    public init(account: String, region: String) {
        self.account = account
        self.region = region
    }
}

public enum AccountID {
    /// Twelve decimal digits, as AWS account ids are.
    public static func isValid(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    public static func generate(random: any RandomSource) -> String {
        // AWS account ids do not start with 0 in practice; keep it that way so they read as AWS's.
        String(1 + random.uniform(9)) + (0..<11).map { _ in String(random.uniform(10)) }.joined()
    }
}

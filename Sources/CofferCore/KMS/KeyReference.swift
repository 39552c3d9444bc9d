/// How a KeyId parameter names a key: by id, key ARN, alias name or alias ARN.
public enum KeyReference: Sendable, Equatable {
    case keyID(String)
    case keyARN(String, keyID: String)
    case aliasName(String)
    case aliasARN(String, aliasName: String)

    public init(_ text: String) {
        if text.hasPrefix("arn:"), let arn = ARN(text), arn.service == "kms" {
            if arn.resource.hasPrefix("key/") {
                self = .keyARN(text, keyID: String(arn.resource.dropFirst(4)))
                return
            }
            if arn.resource.hasPrefix("alias/") {
                self = .aliasARN(text, aliasName: arn.resource)
                return
            }
        }
        self = text.hasPrefix("alias/") ? .aliasName(text) : .keyID(text)
    }

    public var isAlias: Bool {
        switch self {
        case .aliasName, .aliasARN: true
        default: false
        }
    }
}

/// The key policies AWS gives keys that were created without one.
public enum KeyPolicies {
    public static func `default`(account: String, region: String) -> String {
        """
        {
          "Version" : "2012-10-17",
          "Id" : "key-default-1",
          "Statement" : [ {
            "Sid" : "Enable IAM User Permissions",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:\(Partition.of(region: region)):iam::\(account):root"
            },
            "Action" : "kms:*",
            "Resource" : "*"
          } ]
        }
        """
    }

    /// The policy of an AWS-managed key such as `aws/secretsmanager`: any principal of the account
    /// may use it through that service.
    public static func awsManaged(account: String, service: String, region: String) -> String {
        let via = "\(service).\(region).amazonaws.com"
        return """
        {
          "Version" : "2012-10-17",
          "Id" : "auto-\(service)-2",
          "Statement" : [ {
            "Sid" : "Allow access through \(service) for all principals in the account that are authorized to use \(service)",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "*"
            },
            "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
            "Resource" : "*",
            "Condition" : {
              "StringEquals" : {
                "kms:CallerAccount" : "\(account)",
                "kms:ViaService" : "\(via)"
              }
            }
          }, {
            "Sid" : "Allow direct access to key metadata to the account",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:\(Partition.of(region: region)):iam::\(account):root"
            },
            "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
            "Resource" : "*"
          } ]
        }
        """
    }
}

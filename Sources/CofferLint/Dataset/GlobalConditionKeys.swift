/// AWS's global condition keys (`aws:`), which the per-service data does not list: each key's type
/// and whether a request can carry several values for it. From the IAM User Guide's "AWS global
/// condition context keys" page.
enum GlobalConditionKeys {
    struct Key {
        let name: String
        let type: String
        let multivalued: Bool
    }

    private static let table: [Key] = [
        Key(name: "aws:CalledVia", type: "ArrayOfString", multivalued: true),
        Key(name: "aws:CalledViaFirst", type: "String", multivalued: false),
        Key(name: "aws:CalledViaLast", type: "String", multivalued: false),
        Key(name: "aws:ChatbotSourceArn", type: "ARN", multivalued: false),
        Key(name: "aws:CurrentTime", type: "Date", multivalued: false),
        Key(name: "aws:EpochTime", type: "Date", multivalued: false),
        Key(name: "aws:Ec2InstanceSourcePrivateIPv4", type: "IPAddress", multivalued: false),
        Key(name: "aws:Ec2InstanceSourceVpc", type: "String", multivalued: false),
        Key(name: "aws:FederatedProvider", type: "String", multivalued: false),
        Key(name: "aws:IsMcpServiceAction", type: "Bool", multivalued: false),
        Key(name: "aws:MultiFactorAuthAge", type: "Numeric", multivalued: false),
        Key(name: "aws:MultiFactorAuthPresent", type: "Bool", multivalued: false),
        Key(name: "aws:PrincipalAccount", type: "String", multivalued: false),
        Key(name: "aws:PrincipalArn", type: "ARN", multivalued: false),
        Key(name: "aws:PrincipalIsAWSService", type: "Bool", multivalued: false),
        Key(name: "aws:PrincipalOrgID", type: "String", multivalued: false),
        Key(name: "aws:PrincipalOrgPaths", type: "ArrayOfString", multivalued: true),
        Key(name: "aws:PrincipalServiceName", type: "String", multivalued: false),
        Key(name: "aws:PrincipalServiceNamesList", type: "ArrayOfString", multivalued: true),
        Key(name: "aws:PrincipalTag/", type: "String", multivalued: false),
        Key(name: "aws:PrincipalType", type: "String", multivalued: false),
        Key(name: "aws:Referer", type: "String", multivalued: false),
        Key(name: "aws:RequestedRegion", type: "String", multivalued: false),
        Key(name: "aws:RequestTag/", type: "String", multivalued: false),
        Key(name: "aws:ResourceAccount", type: "String", multivalued: false),
        Key(name: "aws:ResourceOrgID", type: "String", multivalued: false),
        Key(name: "aws:ResourceOrgPaths", type: "ArrayOfString", multivalued: true),
        Key(name: "aws:ResourceTag/", type: "String", multivalued: false),
        Key(name: "aws:SecureTransport", type: "Bool", multivalued: false),
        Key(name: "aws:SourceAccount", type: "String", multivalued: false),
        Key(name: "aws:SourceArn", type: "ARN", multivalued: false),
        Key(name: "aws:SourceIdentity", type: "String", multivalued: false),
        Key(name: "aws:SourceIp", type: "IPAddress", multivalued: false),
        Key(name: "aws:SourceOrgID", type: "String", multivalued: false),
        Key(name: "aws:SourceOrgPaths", type: "ArrayOfString", multivalued: true),
        Key(name: "aws:SourceVpc", type: "String", multivalued: false),
        Key(name: "aws:SourceVpcArn", type: "ARN", multivalued: false),
        Key(name: "aws:SourceVpce", type: "String", multivalued: false),
        Key(name: "aws:TagKeys", type: "ArrayOfString", multivalued: true),
        Key(name: "aws:TokenIssueTime", type: "Date", multivalued: false),
        Key(name: "aws:UserAgent", type: "String", multivalued: false),
        Key(name: "aws:userid", type: "String", multivalued: false),
        Key(name: "aws:username", type: "String", multivalued: false),
        Key(name: "aws:ViaAWSService", type: "Bool", multivalued: false),
        Key(name: "aws:VpceAccount", type: "String", multivalued: false),
        Key(name: "aws:VpceOrgID", type: "String", multivalued: false),
        Key(name: "aws:VpceOrgPaths", type: "ArrayOfString", multivalued: true),
        Key(name: "aws:VpcSourceIp", type: "IPAddress", multivalued: false),
        Key(name: "aws:AssumedRoot", type: "Bool", multivalued: false),
        Key(name: "aws:SourceOwner", type: "String", multivalued: false),
    ]

    private static let byName: [String: Key] = Dictionary(uniqueKeysWithValues: table.map { ($0.name.lowercased(), $0) })

    /// The key's entry, matching the tag families (`aws:RequestTag/Project`) by their prefix.
    static func lookup(_ key: String) -> Key? {
        let lower = key.lowercased()
        if let exact = byName[lower] { return exact }
        if let slash = lower.firstIndex(of: "/"), let family = byName[String(lower[...slash])] { return family }
        return nil
    }

    /// Tag families that need a tag key after the slash.
    static let tagFamilies = ["aws:requesttag", "aws:resourcetag", "aws:principaltag"]
}

public import struct Foundation.Date
import Crypto
import Synchronization

/// The AWS managed policies that matter around secrets, parameters and keys, with AWS's documents,
/// default version ids and dates (as `aws iam get-policy` and `get-policy-version` show them). Every account sees them at
/// `arn:aws:iam::aws:policy/NAME`; they can be attached and are evaluated like any other policy,
/// and nobody can change them.
public enum AWSManagedPolicies {
    struct Entry {
        let name: String
        let id: String
        let version: String
        let created: Double
        let updated: Double
        let description: String
        let document: String
    }

    static let entries: [Entry] = [
        Entry(name: "AdministratorAccess", id: "ANPAIWMBCKSKIEE64ZLYK", version: "v1", created: 1_423_247_986, updated: 1_423_247_986,
              description: "Provides full access to AWS services and resources.",
              document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
        Entry(name: "PowerUserAccess", id: "ANPAJYRXTHIB4FOVS3ZXS", version: "v12", created: 1_423_247_987, updated: 1_770_919_154,
              description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
              document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["account:GetAccountInformation","account:GetGovCloudAccountInformation","account:GetPrimaryEmail","account:ListRegions","iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeEffectivePolicy","organizations:DescribeOrganization"],"Resource":"*"}]}"#),
        Entry(name: "IAMFullAccess", id: "ANPAI7XKCFMBPM3QQRRVQ", version: "v2", created: 1_423_248_038, updated: 1_561_146_000,
              description: "Provides full access to IAM via the AWS Management Console.",
              document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#),
        Entry(name: "IAMReadOnlyAccess", id: "ANPAJKSO7NDY4T57MWDSQ", version: "v4", created: 1_423_248_039, updated: 1_516_907_487,
              description: "Provides read only access to IAM via the AWS Management Console.",
              document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#),
        Entry(name: "IAMUserChangePassword", id: "ANPAJ4L4MM2A7QIEB56MS", version: "v5", created: 1_479_169_516, updated: 1_770_919_137,
              description: "Provides the ability for an IAM user to change their own password.",
              document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}","arn:aws:iam::*:user/*/${aws:username}"]},{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}"#),
        Entry(name: "SecretsManagerReadWrite", id: "ANPAJTNV5JQMOKXEWT2WC", version: "v6", created: 1_522_800_000, updated: 1_787_701_030,
              description: "Provides read/write access to AWS Secrets Manager via the AWS Management Console. Note: this exludes IAM actions, so combine with IAMFullAccess if rotation configuration is required.",
              document: #"{"Version":"2012-10-17","Statement":[{"Sid":"BasePermissions","Effect":"Allow","Action":["secretsmanager:*","cloudformation:CreateChangeSet","cloudformation:DescribeChangeSet","cloudformation:DescribeStackResource","cloudformation:DescribeStacks","cloudformation:ExecuteChangeSet","docdb-elastic:GetCluster","docdb-elastic:ListClusters","ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVpcs","kms:DescribeKey","kms:ListAliases","kms:ListKeys","lambda:ListFunctions","rds:DescribeDBClusters","rds:DescribeDBInstances","redshift:DescribeClusters","redshift-serverless:ListWorkgroups","redshift-serverless:GetNamespace","tag:GetResources"],"Resource":"*"},{"Sid":"LambdaPermissions","Effect":"Allow","Action":["lambda:AddPermission","lambda:CreateFunction","lambda:GetFunction","lambda:InvokeFunction","lambda:UpdateFunctionConfiguration"],"Resource":"arn:aws:lambda:*:*:function:SecretsManager*"},{"Sid":"SARPermissions","Effect":"Allow","Action":["serverlessrepo:CreateCloudFormationChangeSet","serverlessrepo:GetApplication"],"Resource":"arn:aws:serverlessrepo:*:*:applications/SecretsManager*"},{"Sid":"S3Permissions","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::awsserverlessrepo-changesets*","arn:aws:s3:::secrets-manager-rotation-apps-*/*"]},{"Sid":"CloudFormationTagOnCreate","Effect":"Allow","Action":["cloudformation:TagResource","cloudformation:UntagResource"],"Resource":"*","Condition":{"StringEquals":{"cloudformation:CreateAction":["CreateChangeSet","ExecuteChangeSet"]}}}]}"#),
        Entry(name: "AmazonSSMReadOnlyAccess", id: "ANPAJODSKQGGJTHRYZ5FC", version: "v1", created: 1_432_921_459, updated: 1_432_921_459,
              description: "Provides read only access to Amazon SSM.",
              document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ssm:List*"],"Resource":"*"}]}"#),
        Entry(name: "AWSKeyManagementServicePowerUser", id: "ANPAJNPP7PPPPMJRV2SA4", version: "v2", created: 1_423_248_040, updated: 1_488_848_111,
              description: "Provides access to AWS Key Management Service (KMS).",
              document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateAlias","kms:CreateKey","kms:DeleteAlias","kms:Describe*","kms:GenerateRandom","kms:Get*","kms:List*","kms:TagResource","kms:UntagResource","iam:ListGroups","iam:ListRoles","iam:ListUsers"],"Resource":"*"}]}"#),
    ]

    public static func arn(_ name: String, path: String = "/") -> String { "arn:aws:iam::aws:policy\(path)\(name)" }

    /// The policy at `arn`, if AWS manages one there: one of the entries above (with AWS's policy ids
    /// and descriptions), or else one of every AWS managed policy in ``awsManagedPolicyTables``.
    public static func policy(_ arn: String) -> ManagedPolicy? {
        let prefix = "arn:aws:iam::aws:policy/"
        guard arn.hasPrefix(prefix), let slash = arn.lastIndex(of: "/") else { return nil }
        let name = String(arn[arn.index(after: slash)...])
        let path = String(arn[arn.index(arn.startIndex, offsetBy: prefix.count - 1)...slash])
        if path == "/", let entry = entries.first(where: { $0.name == name }) { return make(entry) }
        return tablePolicy(named: name).flatMap { $0.path == path ? $0 : nil }
    }

    /// Every AWS managed policy (ListPolicies' `AWS` scope), 1,500 or so.
    public static var all: [ManagedPolicy] {
        let curated = entries.map { make($0) }
        let names = Set(entries.map(\.name))
        return curated + tableIndex.keys.filter { !names.contains($0) }.sorted().compactMap(tablePolicy(named:))
    }

    /// Where each name's line is in the table's parts: built once, at the first lookup past the entries
    /// above, so that evaluating a policy attached from the table costs a dictionary lookup, not a search.
    static let tableIndex: [String: (part: Int, line: Range<String.Index>)] = {
        var index: [String: (part: Int, line: Range<String.Index>)] = [:]
        for (part, table) in awsManagedPolicyTables.enumerated() {
            let bytes = table.utf8
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                guard let tab = line.firstIndex(of: UInt8(ascii: "\t")), let name = String(bytes[line.startIndex..<tab]) else { continue }
                index[name] = (part, line.startIndex..<line.endIndex)
            }
        }
        return index
    }()

    static func tableLine(named name: String) -> Substring? {
        tableIndex[name].map { awsManagedPolicyTables[$0.part][$0.line] }
    }

    /// Policies parsed from the table, by name: an identity with one attached is evaluated on each of its
    /// calls, and the line's parse and id digest are then paid once. At most the table's 1,500 entries.
    private static let parsed = Mutex<[String: ManagedPolicy]>([:])

    static func tablePolicy(named name: String) -> ManagedPolicy? {
        if let policy = parsed.withLock({ $0[name] }) { return policy }
        guard let policy = tableLine(named: name).flatMap(parse) else { return nil }
        parsed.withLock { $0[name] = policy }
        return policy
    }

    /// One table line: name, path, default version, created, updated, document. Its policy id is
    /// Coffer's own (AWS's ids are not in the table), derived from the name so it never changes.
    static func parse(_ line: Substring) -> ManagedPolicy? {
        let fields = line.split(separator: "\t", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6, let created = Double(fields[3]), let updated = Double(fields[4]) else { return nil }
        let name = String(fields[0])
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let id = "ANPA" + String(SHA256.hash(data: Array(name.utf8)).prefix(17).map { alphabet[Int($0) % 32] })
        return make(Entry(name: name, id: id, version: String(fields[2]), created: created, updated: updated, description: "",
                          document: String(fields[5])), path: String(fields[1]))
    }

    static func make(_ entry: Entry, path: String = "/") -> ManagedPolicy {
        var policy = ManagedPolicy(arn: arn(entry.name, path: path), policyName: entry.name, policyID: entry.id, path: path,
                                   description: entry.description.isEmpty ? nil : entry.description,
                                   document: entry.document, date: Date(timeIntervalSince1970: entry.created))
        policy.versions = [ManagedPolicyVersion(versionID: entry.version, document: entry.document, createDate: Date(timeIntervalSince1970: entry.updated))]
        policy.defaultVersionID = entry.version
        policy.updateDate = Date(timeIntervalSince1970: entry.updated)
        return policy
    }
}

import CofferCore
import Testing

/// Table-driven cases from AWS's documentation of the policy grammar, the evaluation logic, the
/// condition operators, the set qualifiers and policy variables.
struct PolicyCase: Sendable, CustomTestStringConvertible {
    let name: String
    let statement: String
    let action: String
    let resource: String
    let keys: [String: [String]]
    let allowed: Bool

    init(_ name: String, _ statement: String, _ action: String = "s3:GetObject", _ resource: String = "arn:aws:s3:::bucket/key",
         _ positionalKeys: [String: [String]] = [:], keys labeledKeys: [String: [String]] = [:], allowed: Bool) {
        self.name = name
        self.statement = statement
        self.action = action
        self.resource = resource
        self.keys = positionalKeys.merging(labeledKeys) { $1 }
        self.allowed = allowed
    }

    var testDescription: String { name }
}

let user = PrincipalIdentity(kind: .user, arn: "arn:aws:iam::123456789012:user/alice", account: "123456789012")

func decide(_ policies: PolicySet, _ action: String, _ resource: String, _ keys: [String: [String]] = [:],
            principal: PrincipalIdentity = user) -> PolicyDecision {
    PolicyEvaluator.evaluate(RequestContext(principal: principal, action: action, resource: resource, keys: keys), policies)
}

func identity(_ json: String) throws -> PolicySet {
    PolicySet(identity: [NamedPolicy(name: "p", document: try PolicyDocument.parse(json, kind: .identity))])
}

func allowWith(_ fields: String) -> String {
    #"{"Version":"2012-10-17","Statement":{"Effect":"Allow",\#(fields)}}"#
}

func cond(_ op: String, _ key: String, _ values: String, action: String = "*", resource: String = "*") -> String {
    allowWith(#""Action":"\#(action)","Resource":"\#(resource)","Condition":{"\#(op)":{"\#(key)":\#(values)}}"#)
}

let actionCases: [PolicyCase] = [
    PolicyCase("exact action", allowWith(#""Action":"s3:GetObject","Resource":"*""#), allowed: true),
    PolicyCase("other action", allowWith(#""Action":"s3:PutObject","Resource":"*""#), allowed: false),
    PolicyCase("action is case-insensitive", allowWith(#""Action":"S3:getobject","Resource":"*""#), allowed: true),
    PolicyCase("service wildcard", allowWith(#""Action":"s3:*","Resource":"*""#), allowed: true),
    PolicyCase("other service wildcard", allowWith(#""Action":"ec2:*","Resource":"*""#), allowed: false),
    PolicyCase("star action", allowWith(#""Action":"*","Resource":"*""#), allowed: true),
    PolicyCase("prefix wildcard", allowWith(#""Action":"s3:Get*","Resource":"*""#), allowed: true),
    PolicyCase("infix wildcard", allowWith(#""Action":"s3:G*Object","Resource":"*""#), allowed: true),
    PolicyCase("question mark", allowWith(#""Action":"s3:GetObjec?","Resource":"*""#), allowed: true),
    PolicyCase("question mark needs one char", allowWith(#""Action":"s3:GetObject?","Resource":"*""#), allowed: false),
    PolicyCase("action list", allowWith(#""Action":["s3:PutObject","s3:GetObject"],"Resource":"*""#), allowed: true),
    PolicyCase("NotAction excludes", allowWith(#""NotAction":"s3:GetObject","Resource":"*""#), allowed: false),
    PolicyCase("NotAction allows others", allowWith(#""NotAction":"s3:PutObject","Resource":"*""#), allowed: true),
    PolicyCase("NotAction wildcard", allowWith(#""NotAction":"s3:*","Resource":"*""#), allowed: false),
    PolicyCase("NotAction other service", allowWith(#""NotAction":"iam:*","Resource":"*""#), allowed: true),
    PolicyCase("secretsmanager read", allowWith(#""Action":"secretsmanager:GetSecretValue","Resource":"*""#), "secretsmanager:GetSecretValue", "*", allowed: true),
    PolicyCase("secretsmanager Describe*", allowWith(#""Action":"secretsmanager:Describe*","Resource":"*""#), "secretsmanager:DescribeSecret", "*", allowed: true),
    PolicyCase("kms GenerateDataKey*", allowWith(#""Action":"kms:GenerateDataKey*","Resource":"*""#), "kms:GenerateDataKeyWithoutPlaintext", "*", allowed: true),
    PolicyCase("kms ReEncrypt*", allowWith(#""Action":"kms:ReEncrypt*","Resource":"*""#), "kms:ReEncryptFrom", "*", allowed: true),
    PolicyCase("ssm GetParameter* does not cover Put", allowWith(#""Action":"ssm:GetParameter*","Resource":"*""#), "ssm:PutParameter", "*", allowed: false),
]

let resourceCases: [PolicyCase] = [
    PolicyCase("exact resource", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/key""#), allowed: true),
    PolicyCase("other resource", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/other""#), allowed: false),
    PolicyCase("resource is case-sensitive", allowWith(#""Action":"*","Resource":"arn:aws:s3:::BUCKET/key""#), allowed: false),
    PolicyCase("resource wildcard", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/*""#), allowed: true),
    PolicyCase("wildcard spans slashes", allowWith(#""Action":"*","Resource":"arn:aws:s3:::*""#), "s3:GetObject", "arn:aws:s3:::bucket/a/b/c", allowed: true),
    PolicyCase("question mark in resource", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/ke?""#), allowed: true),
    PolicyCase("resource list", allowWith(#""Action":"*","Resource":["arn:aws:s3:::x","arn:aws:s3:::bucket/key"]"#), allowed: true),
    PolicyCase("NotResource excludes", allowWith(#""Action":"*","NotResource":"arn:aws:s3:::bucket/*""#), allowed: false),
    PolicyCase("NotResource allows others", allowWith(#""Action":"*","NotResource":"arn:aws:s3:::other/*""#), allowed: true),
    PolicyCase("secret prefix of seed 000", allowWith(#""Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:anomaly-detector/*""#),
               "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:anomaly-detector/db-AbC123", allowed: true),
    PolicyCase("secret outside the prefix", allowWith(#""Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:anomaly-detector/*""#),
               "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/db-AbC123", allowed: false),
    PolicyCase("region component wildcard", allowWith(#""Action":"*","Resource":"arn:aws:ssm:eu-*:123456789012:parameter/*""#),
               "ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/ELASMETRICS/x", allowed: true),
    PolicyCase("region component mismatch", allowWith(#""Action":"*","Resource":"arn:aws:ssm:eu-*:123456789012:parameter/*""#),
               "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/x", allowed: false),
    PolicyCase("account component mismatch", allowWith(#""Action":"*","Resource":"arn:aws:ssm:*:111111111111:parameter/*""#),
               "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/x", allowed: false),
    PolicyCase("seed 003 parameter path", allowWith(#""Action":"ssm:GetParametersByPath","Resource":"arn:aws:ssm:*:*:parameter/ELASMETRICS/*""#),
               "ssm:GetParametersByPath", "arn:aws:ssm:eu-west-1:123456789012:parameter/ELASMETRICS/STAGING", allowed: true),
    PolicyCase("star resource for star action", allowWith(#""Action":"*","Resource":"*""#), "iam:ListUsers", "*", allowed: true),
    PolicyCase("arn resource does not match star request", allowWith(#""Action":"*","Resource":"arn:aws:s3:::x""#), "iam:ListUsers", "*", allowed: false),
    PolicyCase("username variable", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/${aws:username}/*""#), "s3:GetObject",
               "arn:aws:s3:::bucket/alice/file", ["aws:username": ["alice"]], allowed: true),
    PolicyCase("username variable for someone else", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/${aws:username}/*""#), "s3:GetObject",
               "arn:aws:s3:::bucket/bob/file", ["aws:username": ["alice"]], allowed: false),
    PolicyCase("missing variable matches nothing", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/${aws:username}/*""#), "s3:GetObject",
               "arn:aws:s3:::bucket/alice/file", allowed: false),
    PolicyCase("variable default", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/${aws:username, 'shared'}/*""#), "s3:GetObject",
               "arn:aws:s3:::bucket/shared/file", allowed: true),
    PolicyCase("escaped star is literal", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/${*}""#), "s3:GetObject",
               "arn:aws:s3:::bucket/anything", allowed: false),
    PolicyCase("escaped star matches a star", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/${*}""#), "s3:GetObject",
               "arn:aws:s3:::bucket/*", allowed: true),
    PolicyCase("principal tag variable", allowWith(#""Action":"*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*""#), "s3:GetObject",
               "arn:aws:s3:::bucket/red/x", ["aws:PrincipalTag/team": ["red"]], allowed: true),
]

let stringCases: [PolicyCase] = [
    PolicyCase("StringEquals match", cond("StringEquals", "aws:username", #""alice""#), keys: ["aws:username": ["alice"]], allowed: true),
    PolicyCase("StringEquals is case-sensitive", cond("StringEquals", "aws:username", #""Alice""#), keys: ["aws:username": ["alice"]], allowed: false),
    PolicyCase("StringEquals any of values", cond("StringEquals", "aws:username", #"["bob","alice"]"#), keys: ["aws:username": ["alice"]], allowed: true),
    PolicyCase("StringEquals missing key", cond("StringEquals", "aws:username", #""alice""#), allowed: false),
    PolicyCase("condition key names are case-insensitive", cond("StringEquals", "AWS:UserName", #""alice""#), keys: ["aws:username": ["alice"]], allowed: true),
    PolicyCase("StringNotEquals other", cond("StringNotEquals", "aws:username", #""bob""#), keys: ["aws:username": ["alice"]], allowed: true),
    PolicyCase("StringNotEquals same", cond("StringNotEquals", "aws:username", #""alice""#), keys: ["aws:username": ["alice"]], allowed: false),
    PolicyCase("StringNotEquals none of values", cond("StringNotEquals", "aws:username", #"["bob","alice"]"#), keys: ["aws:username": ["alice"]], allowed: false),
    PolicyCase("StringNotEquals missing key is true", cond("StringNotEquals", "aws:username", #""bob""#), allowed: true),
    PolicyCase("StringEqualsIgnoreCase", cond("StringEqualsIgnoreCase", "aws:username", #""ALICE""#), keys: ["aws:username": ["alice"]], allowed: true),
    PolicyCase("StringNotEqualsIgnoreCase", cond("StringNotEqualsIgnoreCase", "aws:username", #""ALICE""#), keys: ["aws:username": ["alice"]], allowed: false),
    PolicyCase("StringLike star", cond("StringLike", "s3:prefix", #""home/*""#), keys: ["s3:prefix": ["home/alice"]], allowed: true),
    PolicyCase("StringLike question", cond("StringLike", "s3:prefix", #""home/?lice""#), keys: ["s3:prefix": ["home/alice"]], allowed: true),
    PolicyCase("StringLike no match", cond("StringLike", "s3:prefix", #""work/*""#), keys: ["s3:prefix": ["home/alice"]], allowed: false),
    PolicyCase("StringLike empty prefix", cond("StringLike", "s3:prefix", #""""#), keys: ["s3:prefix": [""]], allowed: true),
    PolicyCase("StringNotLike", cond("StringNotLike", "s3:prefix", #""home/*""#), keys: ["s3:prefix": ["work/x"]], allowed: true),
    PolicyCase("StringNotLike matching", cond("StringNotLike", "s3:prefix", #""home/*""#), keys: ["s3:prefix": ["home/x"]], allowed: false),
    PolicyCase("StringEquals with variable", cond("StringEquals", "s3:prefix", #""home/${aws:username}""#),
               keys: ["s3:prefix": ["home/alice"], "aws:username": ["alice"]], allowed: true),
    PolicyCase("StringLike with variable", cond("StringLike", "s3:prefix", #""home/${aws:username}/*""#),
               keys: ["s3:prefix": ["home/bob/x"], "aws:username": ["alice"]], allowed: false),
    PolicyCase("StringEqualsIfExists present", cond("StringEqualsIfExists", "ec2:InstanceType", #""t3.micro""#),
               keys: ["ec2:InstanceType": ["t3.micro"]], allowed: true),
    PolicyCase("StringEqualsIfExists present other", cond("StringEqualsIfExists", "ec2:InstanceType", #""t3.micro""#),
               keys: ["ec2:InstanceType": ["m5.large"]], allowed: false),
    PolicyCase("StringEqualsIfExists absent", cond("StringEqualsIfExists", "ec2:InstanceType", #""t3.micro""#), allowed: true),
    PolicyCase("StringLikeIfExists absent", cond("StringLikeIfExists", "ec2:InstanceType", #""t3.*""#), allowed: true),
    PolicyCase("number value compared as string", cond("StringEquals", "ec2:Count", "5"), keys: ["ec2:Count": ["5"]], allowed: true),
    PolicyCase("requested region", cond("StringEquals", "aws:RequestedRegion", #"["us-east-1","eu-west-1"]"#),
               keys: ["aws:RequestedRegion": ["eu-west-1"]], allowed: true),
    PolicyCase("requested region denied", cond("StringEquals", "aws:RequestedRegion", #"["us-east-1"]"#),
               keys: ["aws:RequestedRegion": ["ap-southeast-1"]], allowed: false),
    PolicyCase("resource tag", cond("StringEquals", "aws:ResourceTag/ManagedBy", #""cml""#),
               keys: ["aws:ResourceTag/ManagedBy": ["cml"]], allowed: true),
    PolicyCase("resource tag other", cond("StringEquals", "aws:ResourceTag/ManagedBy", #""cml""#),
               keys: ["aws:ResourceTag/ManagedBy": ["someone"]], allowed: false),
    PolicyCase("kms via service", cond("StringEquals", "kms:ViaService", #""secretsmanager.us-east-1.amazonaws.com""#),
               keys: ["kms:ViaService": ["secretsmanager.us-east-1.amazonaws.com"]], allowed: true),
    PolicyCase("kms via service absent", cond("StringEquals", "kms:ViaService", #""secretsmanager.us-east-1.amazonaws.com""#), allowed: false),
    PolicyCase("encryption context key", cond("StringEquals", "kms:EncryptionContext:purpose", #""backup""#),
               keys: ["kms:EncryptionContext:purpose": ["backup"]], allowed: true),
]

let numericDateBoolCases: [PolicyCase] = [
    PolicyCase("NumericEquals", cond("NumericEquals", "s3:max-keys", "10"), keys: ["s3:max-keys": ["10"]], allowed: true),
    PolicyCase("NumericEquals decimal", cond("NumericEquals", "s3:max-keys", #""10.0""#), keys: ["s3:max-keys": ["10"]], allowed: true),
    PolicyCase("NumericNotEquals", cond("NumericNotEquals", "s3:max-keys", "10"), keys: ["s3:max-keys": ["11"]], allowed: true),
    PolicyCase("NumericNotEquals same", cond("NumericNotEquals", "s3:max-keys", "10"), keys: ["s3:max-keys": ["10"]], allowed: false),
    PolicyCase("NumericLessThan", cond("NumericLessThan", "s3:max-keys", "10"), keys: ["s3:max-keys": ["9"]], allowed: true),
    PolicyCase("NumericLessThan equal", cond("NumericLessThan", "s3:max-keys", "10"), keys: ["s3:max-keys": ["10"]], allowed: false),
    PolicyCase("NumericLessThanEquals", cond("NumericLessThanEquals", "s3:max-keys", "10"), keys: ["s3:max-keys": ["10"]], allowed: true),
    PolicyCase("NumericGreaterThan", cond("NumericGreaterThan", "s3:max-keys", "10"), keys: ["s3:max-keys": ["11"]], allowed: true),
    PolicyCase("NumericGreaterThan less", cond("NumericGreaterThan", "s3:max-keys", "10"), keys: ["s3:max-keys": ["2"]], allowed: false),
    PolicyCase("NumericGreaterThanEquals", cond("NumericGreaterThanEquals", "s3:max-keys", "10"), keys: ["s3:max-keys": ["10"]], allowed: true),
    PolicyCase("Numeric on non-number", cond("NumericEquals", "s3:max-keys", "10"), keys: ["s3:max-keys": ["ten"]], allowed: false),
    PolicyCase("NumericLessThanIfExists absent", cond("NumericLessThanIfExists", "s3:max-keys", "10"), allowed: true),
    PolicyCase("MFA age", cond("NumericLessThan", "aws:MultiFactorAuthAge", "3600"), keys: ["aws:MultiFactorAuthAge": ["100"]], allowed: true),
    PolicyCase("DateGreaterThan", cond("DateGreaterThan", "aws:CurrentTime", #""2020-01-01T00:00:00Z""#),
               keys: ["aws:CurrentTime": ["2026-11-22T12:00:00Z"]], allowed: true),
    PolicyCase("DateLessThan expired", cond("DateLessThan", "aws:CurrentTime", #""2020-01-01T00:00:00Z""#),
               keys: ["aws:CurrentTime": ["2026-11-22T12:00:00Z"]], allowed: false),
    PolicyCase("DateLessThan future", cond("DateLessThan", "aws:CurrentTime", #""2030-01-01T00:00:00Z""#),
               keys: ["aws:CurrentTime": ["2026-11-22T12:00:00Z"]], allowed: true),
    PolicyCase("DateEquals", cond("DateEquals", "aws:CurrentTime", #""2026-11-22T12:00:00Z""#),
               keys: ["aws:CurrentTime": ["2026-11-22T12:00:00.000Z"]], allowed: true),
    PolicyCase("DateNotEquals", cond("DateNotEquals", "aws:CurrentTime", #""2026-11-22T12:00:00Z""#),
               keys: ["aws:CurrentTime": ["2026-11-22T12:00:01Z"]], allowed: true),
    PolicyCase("DateLessThanEquals epoch", cond("DateLessThanEquals", "aws:EpochTime", "1795305600"),
               keys: ["aws:EpochTime": ["1795305600"]], allowed: true),
    PolicyCase("DateGreaterThanEquals date only", cond("DateGreaterThanEquals", "aws:CurrentTime", #""2026-11-22""#),
               keys: ["aws:CurrentTime": ["2026-11-22T00:00:00Z"]], allowed: true),
    PolicyCase("Date mixed epoch and ISO", cond("DateGreaterThan", "aws:TokenIssueTime", "1600000000"),
               keys: ["aws:TokenIssueTime": ["2026-11-22T12:00:00Z"]], allowed: true),
    PolicyCase("Bool true", cond("Bool", "aws:SecureTransport", "true"), keys: ["aws:SecureTransport": ["true"]], allowed: true),
    PolicyCase("Bool string true", cond("Bool", "aws:SecureTransport", #""true""#), keys: ["aws:SecureTransport": ["true"]], allowed: true),
    PolicyCase("Bool false", cond("Bool", "aws:SecureTransport", "true"), keys: ["aws:SecureTransport": ["false"]], allowed: false),
    PolicyCase("Bool missing", cond("Bool", "aws:MultiFactorAuthPresent", "true"), allowed: false),
    PolicyCase("BoolIfExists missing", cond("BoolIfExists", "aws:MultiFactorAuthPresent", "false"), allowed: true),
    PolicyCase("Bool case-insensitive", cond("Bool", "aws:SecureTransport", #""TRUE""#), keys: ["aws:SecureTransport": ["true"]], allowed: true),
    PolicyCase("BinaryEquals", cond("BinaryEquals", "key", #""QmluYXJ5""#), keys: ["key": ["QmluYXJ5"]], allowed: true),
    PolicyCase("BinaryEquals other", cond("BinaryEquals", "key", #""QmluYXJ5""#), keys: ["key": ["QmluYXJ6"]], allowed: false),
]

let ipArnNullCases: [PolicyCase] = [
    PolicyCase("IpAddress in range", cond("IpAddress", "aws:SourceIp", #""203.0.113.0/24""#), keys: ["aws:SourceIp": ["203.0.113.7"]], allowed: true),
    PolicyCase("IpAddress out of range", cond("IpAddress", "aws:SourceIp", #""203.0.113.0/24""#), keys: ["aws:SourceIp": ["203.0.114.7"]], allowed: false),
    PolicyCase("IpAddress exact", cond("IpAddress", "aws:SourceIp", #""127.0.0.1""#), keys: ["aws:SourceIp": ["127.0.0.1"]], allowed: true),
    PolicyCase("IpAddress /32 other", cond("IpAddress", "aws:SourceIp", #""127.0.0.1/32""#), keys: ["aws:SourceIp": ["127.0.0.2"]], allowed: false),
    PolicyCase("IpAddress /0", cond("IpAddress", "aws:SourceIp", #""0.0.0.0/0""#), keys: ["aws:SourceIp": ["8.8.8.8"]], allowed: true),
    PolicyCase("IpAddress list", cond("IpAddress", "aws:SourceIp", #"["10.0.0.0/8","127.0.0.0/8"]"#), keys: ["aws:SourceIp": ["127.1.2.3"]], allowed: true),
    PolicyCase("IpAddress /20 boundary", cond("IpAddress", "aws:SourceIp", #""192.168.16.0/20""#), keys: ["aws:SourceIp": ["192.168.31.255"]], allowed: true),
    PolicyCase("IpAddress /20 outside", cond("IpAddress", "aws:SourceIp", #""192.168.16.0/20""#), keys: ["aws:SourceIp": ["192.168.32.0"]], allowed: false),
    PolicyCase("IPv6 in range", cond("IpAddress", "aws:SourceIp", #""2001:db8::/32""#), keys: ["aws:SourceIp": ["2001:db8:1::5"]], allowed: true),
    PolicyCase("IPv6 out of range", cond("IpAddress", "aws:SourceIp", #""2001:db8::/32""#), keys: ["aws:SourceIp": ["2001:db9::1"]], allowed: false),
    PolicyCase("IPv4 does not match IPv6 range", cond("IpAddress", "aws:SourceIp", #""2001:db8::/32""#), keys: ["aws:SourceIp": ["10.0.0.1"]], allowed: false),
    PolicyCase("NotIpAddress outside", cond("NotIpAddress", "aws:SourceIp", #""10.0.0.0/8""#), keys: ["aws:SourceIp": ["127.0.0.1"]], allowed: true),
    PolicyCase("NotIpAddress inside", cond("NotIpAddress", "aws:SourceIp", #""10.0.0.0/8""#), keys: ["aws:SourceIp": ["10.1.1.1"]], allowed: false),
    PolicyCase("ArnEquals", cond("ArnEquals", "aws:SourceArn", #""arn:aws:sns:us-east-1:123456789012:topic""#),
               keys: ["aws:SourceArn": ["arn:aws:sns:us-east-1:123456789012:topic"]], allowed: true),
    PolicyCase("ArnLike wildcard", cond("ArnLike", "aws:PrincipalArn", #""arn:aws:iam::*:role/admin-*""#),
               keys: ["aws:PrincipalArn": ["arn:aws:iam::123456789012:role/admin-ops"]], allowed: true),
    PolicyCase("ArnLike wrong type", cond("ArnLike", "aws:PrincipalArn", #""arn:aws:iam::*:role/*""#),
               keys: ["aws:PrincipalArn": ["arn:aws:iam::123456789012:user/alice"]], allowed: false),
    PolicyCase("ArnNotEquals", cond("ArnNotEquals", "aws:SourceArn", #""arn:aws:sns:us-east-1:123456789012:topic""#),
               keys: ["aws:SourceArn": ["arn:aws:sns:us-east-1:123456789012:other"]], allowed: true),
    PolicyCase("ArnNotLike matching", cond("ArnNotLike", "aws:SourceArn", #""arn:aws:sns:*:*:*""#),
               keys: ["aws:SourceArn": ["arn:aws:sns:us-east-1:123456789012:other"]], allowed: false),
    PolicyCase("ArnLike region wildcard does not cross components", cond("ArnLike", "aws:SourceArn", #""arn:aws:sns:us-*:123456789012:t""#),
               keys: ["aws:SourceArn": ["arn:aws:sns:eu-west-1:123456789012:t"]], allowed: false),
    PolicyCase("Null true when absent", cond("Null", "aws:TokenIssueTime", "true"), allowed: true),
    PolicyCase("Null true when present", cond("Null", "aws:TokenIssueTime", "true"), keys: ["aws:TokenIssueTime": ["x"]], allowed: false),
    PolicyCase("Null false when present", cond("Null", "aws:TokenIssueTime", "false"), keys: ["aws:TokenIssueTime": ["x"]], allowed: true),
    PolicyCase("Null false when absent", cond("Null", "aws:TokenIssueTime", "false"), allowed: false),
    PolicyCase("Null on request tag", cond("Null", "aws:RequestTag/Project", #""false""#), keys: ["aws:RequestTag/Project": ["x"]], allowed: true),
]

let setCases: [PolicyCase] = [
    PolicyCase("ForAnyValue one matches", cond("ForAnyValue:StringEquals", "aws:TagKeys", #"["Project","Owner"]"#),
               keys: ["aws:TagKeys": ["Project", "Other"]], allowed: true),
    PolicyCase("ForAnyValue none matches", cond("ForAnyValue:StringEquals", "aws:TagKeys", #"["Project"]"#),
               keys: ["aws:TagKeys": ["Other"]], allowed: false),
    PolicyCase("ForAnyValue missing key", cond("ForAnyValue:StringEquals", "aws:TagKeys", #"["Project"]"#), allowed: false),
    PolicyCase("ForAnyValue empty set", cond("ForAnyValue:StringEquals", "aws:TagKeys", #"["Project"]"#), keys: ["aws:TagKeys": []], allowed: false),
    PolicyCase("ForAllValues all match", cond("ForAllValues:StringEquals", "aws:TagKeys", #"["Project","Owner"]"#),
               keys: ["aws:TagKeys": ["Project", "Owner"]], allowed: true),
    PolicyCase("ForAllValues one outside", cond("ForAllValues:StringEquals", "aws:TagKeys", #"["Project","Owner"]"#),
               keys: ["aws:TagKeys": ["Project", "Cost"]], allowed: false),
    PolicyCase("ForAllValues missing key is true", cond("ForAllValues:StringEquals", "aws:TagKeys", #"["Project"]"#), allowed: true),
    PolicyCase("ForAllValues empty set is true", cond("ForAllValues:StringEquals", "aws:TagKeys", #"["Project"]"#), keys: ["aws:TagKeys": []], allowed: true),
    PolicyCase("ForAllValues StringLike", cond("ForAllValues:StringLike", "aws:TagKeys", #"["team-*"]"#),
               keys: ["aws:TagKeys": ["team-a", "team-b"]], allowed: true),
    PolicyCase("ForAnyValue StringNotEquals", cond("ForAnyValue:StringNotEquals", "aws:TagKeys", #"["Project"]"#),
               keys: ["aws:TagKeys": ["Project", "Other"]], allowed: true),
    PolicyCase("ForAllValues StringNotEquals", cond("ForAllValues:StringNotEquals", "aws:TagKeys", #"["Project"]"#),
               keys: ["aws:TagKeys": ["Project", "Other"]], allowed: false),
    PolicyCase("ForAllValues StringNotEquals clear", cond("ForAllValues:StringNotEquals", "aws:TagKeys", #"["Secret"]"#),
               keys: ["aws:TagKeys": ["Project", "Other"]], allowed: true),
    PolicyCase("ForAnyValue StringEqualsIgnoreCase", cond("ForAnyValue:StringEqualsIgnoreCase", "aws:TagKeys", #"["project"]"#),
               keys: ["aws:TagKeys": ["PROJECT"]], allowed: true),
    PolicyCase("single-valued operator on multi-valued key", cond("StringEquals", "aws:TagKeys", #"["Project"]"#),
               keys: ["aws:TagKeys": ["Other", "Project"]], allowed: true),
    PolicyCase("negated operator on multi-valued key", cond("StringNotEquals", "aws:TagKeys", #"["Project"]"#),
               keys: ["aws:TagKeys": ["Other", "Project"]], allowed: false),
    PolicyCase("ForAnyValue with IfExists absent", cond("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", #"["Project"]"#), allowed: true),
    PolicyCase("two keys are ANDed",
               allowWith(#""Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}}"#),
               keys: ["aws:username": ["alice"], "aws:RequestedRegion": ["eu-west-1"]], allowed: false),
    PolicyCase("two keys both hold",
               allowWith(#""Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}}"#),
               keys: ["aws:username": ["alice"], "aws:RequestedRegion": ["us-east-1"]], allowed: true),
    PolicyCase("two operators are ANDed",
               allowWith(#""Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}"#),
               keys: ["aws:username": ["alice"], "aws:SecureTransport": ["false"]], allowed: false),
    PolicyCase("seed 002 instance types",
               allowWith(#""Action":"ec2:RunInstances","Resource":"*","Condition":{"StringEquals":{"ec2:InstanceType":["t3.micro","t3.small"]},"StringEquals":{"aws:RequestedRegion":"us-east-1"}}"#),
               "ec2:RunInstances", "*", ["ec2:InstanceType": ["t3.small"], "aws:RequestedRegion": ["us-east-1"]], allowed: true),
]

let grammarFailures: [(String, String)] = [
    ("not json", "{"),
    ("no statement", #"{"Version":"2012-10-17"}"#),
    ("empty statement list", #"{"Version":"2012-10-17","Statement":[]}"#),
    ("bad version", #"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#),
    ("bad effect", #"{"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}"#),
    ("no action", #"{"Statement":{"Effect":"Allow","Resource":"*"}}"#),
    ("both Action and NotAction", #"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}"#),
    ("action without vendor", #"{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}"#),
    ("no resource in identity policy", #"{"Statement":{"Effect":"Allow","Action":"*"}}"#),
    ("resource not an ARN", #"{"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket"}}"#),
    ("principal in identity policy", #"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#),
    ("unknown element", #"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Foo":1}}"#),
    ("unknown condition operator", #"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringSorta":{"a":"b"}}}}"#),
    ("NullIfExists", #"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"a":"true"}}}}"#),
    ("duplicate sid", #"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}]}"#),
    ("non-alphanumeric sid", #"{"Statement":{"Sid":"a-b","Effect":"Allow","Action":"*","Resource":"*"}}"#),
    ("action not a string", #"{"Statement":{"Effect":"Allow","Action":5,"Resource":"*"}}"#),
]

@Suite struct PolicyEvaluationTests {
    @Test(arguments: actionCases + resourceCases + stringCases + numericDateBoolCases + ipArnNullCases + setCases)
    func singleStatement(_ c: PolicyCase) throws {
        let decision = decide(try identity(c.statement), c.action, c.resource, c.keys)
        #expect(decision.isAllowed == c.allowed, "\(c.name): \(decision)")
    }

    @Test(arguments: grammarFailures)
    func malformedPoliciesAreRefused(_ name: String, _ json: String) {
        #expect(throws: CofferError.self, "\(name)") { try PolicyDocument.parse(json, kind: .identity) }
        do { _ = try PolicyDocument.parse(json, kind: .identity) } catch { #expect(error.code == .malformedPolicyDocument) }
    }

    @Test func resourcePoliciesNeedPrincipals() throws {
        #expect(throws: CofferError.self) { try PolicyDocument.parse(#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#, kind: .resource) }
        #expect(throws: CofferError.self) { try PolicyDocument.parse(#"{"Statement":{"Effect":"Allow","Principal":{"Bogus":"x"},"Action":"*"}}"#, kind: .resource) }
        _ = try PolicyDocument.parse(#"{"Statement":{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"kms:*","Resource":"*"}}"#, kind: .resource)
    }

    @Test(arguments: [
        ("{not json", "This policy contains invalid Json"),
        (#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"s3:GetObject"}}"#,
         "AssumeRole policy may only specify STS AssumeRole actions."),
        (#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"}}"#, "AssumeRole policy may only specify STS AssumeRole actions."),
        (#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}"#,
         "Has prohibited field Resource"),
    ])
    func trustPoliciesAnswerIAMsTrustMessages(_ json: String, _ message: String) {
        do {
            _ = try PolicyDocument.parseTrustPolicy(json)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.code == .malformedPolicyDocument && error.message == message)
        }
    }

    @Test func trustPoliciesTakeEverySTSAction() throws {
        _ = try PolicyDocument.parseTrustPolicy(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/x"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession","sts:SetSourceIdentity"]}]}"#)
    }

    static let allowAll = #"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#
    static let denySecrets = #"{"Version":"2012-10-17","Statement":{"Sid":"NoSecrets","Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}}"#

    func doc(_ json: String, _ kind: PolicyDocument.Kind = .identity) throws -> PolicyDocument { try PolicyDocument.parse(json, kind: kind) }

    @Test func explicitDenyWinsOverAllow() throws {
        let set = PolicySet(identity: [NamedPolicy(name: "all", document: try doc(Self.allowAll)), NamedPolicy(name: "deny", document: try doc(Self.denySecrets))])
        let decision = decide(set, "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x")
        #expect(decision == .explicitDeny(DecidingStatement(policy: "deny", kind: .identity, sid: "NoSecrets", index: 0)))
        let context = RequestContext(principal: user, action: "secretsmanager:GetSecretValue", resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:x")
        #expect(decision.message(for: context) == "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:x with an explicit deny in an identity-based policy")
        #expect(decide(set, "ssm:GetParameter", "*").isAllowed)
    }

    @Test func noPolicyMeansImplicitDeny() {
        let decision = decide(PolicySet(), "secretsmanager:GetSecretValue", "arn:x")
        #expect(decision == .implicitDeny(missing: .identity))
        let context = RequestContext(principal: user, action: "secretsmanager:GetSecretValue", resource: "arn:x")
        #expect(decision.message(for: context).hasSuffix("because no identity-based policy allows the secretsmanager:GetSecretValue action"))
    }

    @Test func rootIsAllowedUnlessDenied() throws {
        let root = PrincipalIdentity.root(account: "123456789012")
        #expect(decide(PolicySet(), "secretsmanager:DeleteSecret", "*", principal: root).isAllowed)
        let denyAll = try doc(#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}"#, .resource)
        #expect(!decide(PolicySet(resource: NamedPolicy(name: "r", document: denyAll)), "secretsmanager:DeleteSecret", "*", principal: root).isAllowed)
    }

    @Test func permissionsBoundaryLimits() throws {
        let boundary = NamedPolicy(name: "b", document: try doc(#"{"Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*"}}"#))
        let set = PolicySet(identity: [NamedPolicy(name: "all", document: try doc(Self.allowAll))], boundary: boundary)
        #expect(decide(set, "ssm:GetParameter", "*").isAllowed)
        #expect(decide(set, "secretsmanager:GetSecretValue", "*") == .implicitDeny(missing: .boundary))
        let boundaryOnly = PolicySet(boundary: boundary)
        #expect(decide(boundaryOnly, "ssm:GetParameter", "*") == .implicitDeny(missing: .identity), "a boundary grants nothing")
        let denyingBoundary = NamedPolicy(name: "b", document: try doc(#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"ssm:DeleteParameter","Resource":"*"}]}"#))
        let withDeny = PolicySet(identity: [NamedPolicy(name: "all", document: try doc(Self.allowAll))], boundary: denyingBoundary)
        if case .explicitDeny(let statement) = decide(withDeny, "ssm:DeleteParameter", "*") {
            #expect(statement.kind == .boundary)
        } else {
            Issue.record("expected an explicit deny from the boundary")
        }
    }

    @Test func sessionPoliciesLimit() throws {
        let session = [NamedPolicy(name: "s", document: try doc(#"{"Statement":{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}}"#))]
        let role = PrincipalIdentity(kind: .assumedRole, arn: "arn:aws:sts::123456789012:assumed-role/app/s1", account: "123456789012",
                                     roleARN: "arn:aws:iam::123456789012:role/app")
        let set = PolicySet(identity: [NamedPolicy(name: "all", document: try doc(Self.allowAll))], session: session)
        #expect(decide(set, "ssm:GetParameter", "*", principal: role).isAllowed)
        #expect(decide(set, "ssm:PutParameter", "*", principal: role) == .implicitDeny(missing: .session))
        #expect(decide(PolicySet(session: session), "ssm:GetParameter", "*", principal: role) == .implicitDeny(missing: .identity))
    }

    @Test func anAccountIsNamedInAnyPartition() {
        for named in ["123456789012", "arn:aws:iam::123456789012:root", "arn:aws-cn:iam::123456789012:root", "arn:aws-us-gov:iam::123456789012:root"] {
            #expect(PolicyEvaluator.namesAccount(named, "123456789012"), "\(named)")
        }
        for other in ["arn:aws:iam::123456789013:root", "arn:aws:iam::23456789012:root", "arn:aws:sts::123456789012:root", "arn:aws:iam:x:123456789012:root",
                      "arn:aws:iam::123456789012:user/root", "arn:azure:iam::123456789012:root", "arn:aws:iam::1123456789012:root", ":root", "arn:aws:root"] {
            #expect(!PolicyEvaluator.namesAccount(other, "123456789012"), "\(other)")
        }
    }

    @Test func resourcePolicyPrincipals() throws {
        let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"
        func resource(_ principal: String) throws -> PolicySet {
            PolicySet(resource: NamedPolicy(name: "r", document: try doc(
                #"{"Statement":{"Effect":"Allow","Principal":{"AWS":"\#(principal)"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#, .resource)))
        }
        #expect(decide(try resource(user.arn), "secretsmanager:GetSecretValue", secret).isAllowed, "naming the user grants within the account")
        #expect(!decide(try resource("arn:aws:iam::123456789012:user/bob"), "secretsmanager:GetSecretValue", secret).isAllowed)
        #expect(!decide(try resource("arn:aws:iam::123456789012:root"), "secretsmanager:GetSecretValue", secret).isAllowed,
                "naming the account delegates to IAM, which grants nothing here")
        var delegated = try resource("123456789012")
        delegated.identity = [NamedPolicy(name: "all", document: try doc(Self.allowAll))]
        #expect(decide(delegated, "secretsmanager:GetSecretValue", secret).isAllowed)
        let role = PrincipalIdentity(kind: .assumedRole, arn: "arn:aws:sts::123456789012:assumed-role/app/s1", account: "123456789012",
                                     roleARN: "arn:aws:iam::123456789012:role/app")
        #expect(decide(try resource("arn:aws:iam::123456789012:role/app"), "secretsmanager:GetSecretValue", secret, principal: role).isAllowed)
        let everyone = PolicySet(identity: [NamedPolicy(name: "all", document: try doc(Self.allowAll))],
            resource: NamedPolicy(name: "r", document: try doc(
            #"{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*","Resource":"*"}}"#, .resource)))
        #expect(decide(everyone, "secretsmanager:GetSecretValue", secret).isAllowed)
        let bob = PrincipalIdentity(kind: .user, arn: "arn:aws:iam::123456789012:user/bob", account: "123456789012")
        #expect(!decide(everyone, "secretsmanager:GetSecretValue", secret, principal: bob).isAllowed)
    }

    @Test func kmsKeyPolicyMustAllow() throws {
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let all = [NamedPolicy(name: "all", document: try doc(Self.allowAll))]
        let defaultPolicy = NamedPolicy(name: "key", document: try doc(KeyPolicies.default(account: "123456789012", region: "us-east-1"), .resource))
        #expect(decide(PolicySet(identity: all, resource: defaultPolicy, resourcePolicyRequired: true), "kms:Decrypt", key).isAllowed)
        #expect(decide(PolicySet(resource: defaultPolicy, resourcePolicyRequired: true), "kms:Decrypt", key) == .implicitDeny(missing: .identity))
        let closed = NamedPolicy(name: "key", document: try doc(#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"kms:*","Resource":"*"}}"#, .resource))
        #expect(decide(PolicySet(identity: all, resource: closed, resourcePolicyRequired: true), "kms:Decrypt", key) == .implicitDeny(missing: .resource),
                "IAM alone cannot open a key whose policy does not delegate to the account")
        let direct = NamedPolicy(name: "key", document: try doc(#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"kms:Decrypt","Resource":"*"}}"#, .resource))
        #expect(decide(PolicySet(resource: direct, resourcePolicyRequired: true), "kms:Decrypt", key).isAllowed)
        let managed = NamedPolicy(name: "key", document: try doc(KeyPolicies.awsManaged(account: "123456789012", service: "secretsmanager", region: "us-east-1"), .resource))
        let via = ["kms:ViaService": ["secretsmanager.us-east-1.amazonaws.com"], "kms:CallerAccount": ["123456789012"]]
        #expect(decide(PolicySet(resource: managed, resourcePolicyRequired: true), "kms:Decrypt", key, via).isAllowed)
        #expect(!decide(PolicySet(resource: managed, resourcePolicyRequired: true), "kms:Decrypt", key, ["kms:CallerAccount": ["123456789012"]]).isAllowed,
                "the managed key is usable only through its service")
    }

    @Test func seed001KeyPolicyParsesAndDelegates() throws {
        let policy = #"""
        {"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
         {"Sid":"AllowSageMaker","Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*",
          "Condition":{"StringEquals":{"kms:ViaService":"sagemaker.ap-southeast-1.amazonaws.com"}}}]}
        """#
        // AWS accepts Sids with spaces in key policies; the alphanumeric rule applies to IAM policies.
        let document = try PolicyDocument.parse(policy, kind: .resource)
        #expect(throws: CofferError.self) { try PolicyDocument.parse(#"{"Statement":{"Sid":"a b","Effect":"Allow","Action":"*","Resource":"*"}}"#, kind: .identity) }
        let sagemaker = PrincipalIdentity(kind: .service, arn: "sagemaker.amazonaws.com", account: "123456789012")
        let set = PolicySet(resource: NamedPolicy(name: "key", document: document), resourcePolicyRequired: true)
        #expect(decide(set, "kms:Decrypt", "*", ["kms:ViaService": ["sagemaker.ap-southeast-1.amazonaws.com"]], principal: sagemaker).isAllowed)
        #expect(!decide(set, "kms:Encrypt", "*", ["kms:ViaService": ["sagemaker.ap-southeast-1.amazonaws.com"]], principal: sagemaker).isAllowed)
    }

    @Test func variablesEscapes() {
        let context = RequestContext(principal: user, action: "a:b", resource: "*", keys: ["aws:username": ["alice"], "multi": ["a", "b"]])
        #expect(PolicyVariables.substitute("home/${aws:username}/${*}${?}${$}", in: context).map(Glob.plain) == "home/alice/*?$")
        #expect(PolicyVariables.substitute("${multi}", in: context) == nil)
        #expect(PolicyVariables.substitute("${missing, 'd'}", in: context) == "d")
        #expect(PolicyVariables.substitute("plain", in: context) == "plain")
    }

    /// `${*}` and `${?}` are the characters, not wildcards; a substituted value's `*` is text too.
    @Test func escapesAndSubstitutedValuesAreLiteral() throws {
        let text = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${*}"},"#
            + #"{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"},"#
            + #"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"a${?}"}}},"#
            + #"{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bucket/x${?}y"}]}"#
        let set = PolicySet(identity: [NamedPolicy(name: "p", document: try PolicyDocument.parse(text, kind: .identity))])
        #expect(decide(set, "s3:GetObject", "arn:aws:s3:::bucket/*").isAllowed)
        #expect(!decide(set, "s3:GetObject", "arn:aws:s3:::bucket/anything").isAllowed)
        let wildTeam = ["aws:PrincipalTag/team": ["*"]]
        #expect(decide(set, "s3:PutObject", "arn:aws:s3:::bucket/*/file", wildTeam).isAllowed)
        #expect(!decide(set, "s3:PutObject", "arn:aws:s3:::bucket/red/file", wildTeam).isAllowed)
        #expect(decide(set, "s3:PutObject", "arn:aws:s3:::bucket/red/file", ["aws:PrincipalTag/team": ["red"]]).isAllowed)
        #expect(decide(set, "s3:ListBucket", "*", ["s3:prefix": ["a?"]]).isAllowed)
        #expect(!decide(set, "s3:ListBucket", "*", ["s3:prefix": ["ab"]]).isAllowed)
        #expect(decide(set, "s3:DeleteObject", "arn:aws:s3:::bucket/x?y").isAllowed)
        #expect(!decide(set, "s3:DeleteObject", "arn:aws:s3:::bucket/xzy").isAllowed)
    }

    /// Variables exist only in Version 2012-10-17; otherwise `${aws:username}` is literal text.
    @Test(arguments: [nil, "2008-10-17", "2012-10-17"])
    func variablesNeedTheCurrentVersion(_ version: String?) throws {
        let versionMember = version.map { #""Version":"\#($0)","# } ?? ""
        let text = #"{\#(versionMember)"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"},"#
            + #"{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}}]}"#
        let set = PolicySet(identity: [NamedPolicy(name: "p", document: try PolicyDocument.parse(text, kind: .identity))])
        let keys = ["aws:username": ["alice"]]
        let enabled = version == "2012-10-17"
        #expect(decide(set, "s3:GetObject", "arn:aws:s3:::home/alice/notes", keys).isAllowed == enabled)
        #expect(decide(set, "s3:GetObject", "arn:aws:s3:::home/${aws:username}/notes", keys).isAllowed == !enabled)
        #expect(decide(set, "s3:PutObject", "*", keys.merging(["s3:prefix": ["alice"]]) { a, _ in a }).isAllowed == enabled)
        #expect(decide(set, "s3:PutObject", "*", keys.merging(["s3:prefix": ["${aws:username}"]]) { a, _ in a }).isAllowed == !enabled)
    }

    @Test func tableHasAtLeast150Cases() {
        let total = actionCases.count + resourceCases.count + stringCases.count + numericDateBoolCases.count + ipArnNullCases.count
            + setCases.count + grammarFailures.count
        #expect(total >= 150, "\(total) cases")
    }
}

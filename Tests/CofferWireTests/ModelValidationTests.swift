import CofferCore
import CofferWire
import Testing

@Suite struct ModelValidationTests {
    func message(_ service: String, _ operation: String, _ json: String) throws -> String? {
        guard case .object(let body) = try JSONParser.parse(json) else { return nil }
        return ModelValidation.check(service: service, operation: operation, body: body)?.message
    }

    @Test func collectsEveryViolationInAWSsWords() throws {
        #expect(try message("secretsmanager", "GetSecretValue", #"{"SecretId":"","VersionId":"short"}"#)
            == "2 validation errors detected: Value '' at 'secretId' failed to satisfy constraint: Member must have length greater than or equal to 1; "
            + "Value 'short' at 'versionId' failed to satisfy constraint: Member must have length greater than or equal to 32")
        #expect(try message("secretsmanager", "GetSecretValue", "{}")
            == "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null")
        #expect(try message("kms", "GenerateRandom", #"{"NumberOfBytes":2000}"#)
            == "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024")
    }

    /// The model's patterns, matched against the whole value, as AWS's front end does.
    @Test func patternsAreCheckedAgainstTheWholeValue() throws {
        #expect(ModelValidation.check(service: "iam", operation: "CreateUser", query: ["UserName": "bad name!"])?.message
            == "The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-")
        #expect(ModelValidation.check(service: "iam", operation: "CreateUser", query: ["UserName": "ci-deployer@example.com"]) == nil)
        #expect(ModelValidation.check(service: "iam", operation: "CreateUser", query: ["UserName": "u", "Path": "/no-end"])?.message
            == "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
        #expect(try message("secretsmanager", "PutSecretValue", #"{"SecretId":"s","RotationToken":"not-a-valid-rotation-token-at-all!!!!"}"#)?
            .hasPrefix("1 validation error detected: Value at 'rotationToken' failed to satisfy constraint: Member must satisfy regular expression pattern") == true)
        #expect(try message("ssm", "PutParameter", #"{"Name":"p","Value":"v","KeyId":"alias/aws/ssm"}"#) == nil)
    }

    @Test func parameterStoreEndsConstraintsWithAFullStop() throws {
        let names = (0..<11).map { "\"/p\($0)\"" }.joined(separator: ",")
        #expect(try message("ssm", "GetParameters", #"{"Names":[\#(names)]}"#)
            == "1 validation error detected: Value '[/p0, /p1, /p2, /p3, /p4, /p5, /p6, /p7, /p8, /p9, /p10]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10.")
    }

    /// A list of plain values is reported whole, with every constraint of its members (moto's
    /// LabelParameterVersion test records AWS's wording).
    @Test func aListOfPlainValuesIsReportedWhole() throws {
        let long = String(repeating: "a", count: 101)
        #expect(try message("ssm", "LabelParameterVersion", #"{"Name":"p","Labels":["ok","\#(long)"]}"#)
            == "1 validation error detected: Value '[ok, \(long)]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: "
            + "[Member must have length less than or equal to 100, Member must have length greater than or equal to 1].")
        #expect(try message("ssm", "LabelParameterVersion", #"{"Name":"p","Labels":["ok"]}"#) == nil)
    }

    @Test func enumsNestedMembersAndSensitiveValues() throws {
        let sorted = try #require(try message("secretsmanager", "ListSecrets", #"{"SortOrder":"sideways"}"#))
        #expect(sorted.hasSuffix("Member must satisfy enum value set: [asc, desc]"))
        // AWS's own order for this set (AWS-recorded), not the model's.
        #expect(try message("kms", "GenerateMac", #"{"KeyId":"k","Message":"eA==","MacAlgorithm":"INVALID"}"#)?
            .hasSuffix("Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]") == true)
        let tags = try #require(try message("secretsmanager", "TagResource", #"{"SecretId":"s","Tags":[{"Key":"","Value":"v"}]}"#))
        #expect(tags.contains("at 'tags.1.member.key'"))
        // SecretString is sensitive in the model: its value is never repeated.
        let big = String(repeating: "s", count: 70_000)
        let secret = try #require(try message("secretsmanager", "CreateSecret", #"{"Name":"n","SecretString":"\#(big)"}"#))
        #expect(secret.contains("Value at 'secretString'") && !secret.contains("sss"))
    }

    /// Blobs never show their value, and a missing sensitive member is "Value at", not "Value null at"
    /// (KMS's answers as Floci's AWS-checked KMS tests record them).
    @Test func blobsAndMissingSensitiveMembersHideTheirValues() throws {
        let key = #""KeyId":"00000000-0000-0000-0000-000000000000""#
        #expect(try message("kms", "Verify", #"{\#(key),"Message":"bWVzc2FnZQ==","Signature":"","SigningAlgorithm":"ECDSA_SHA_256"}"#)
            == "1 validation error detected: Value at 'signature' failed to satisfy constraint: Member must have length greater than or equal to 1")
        #expect(try message("kms", "Verify", #"{\#(key),"Message":"bWVzc2FnZQ==","SigningAlgorithm":"ECDSA_SHA_256"}"#)
            == "1 validation error detected: Value null at 'signature' failed to satisfy constraint: Member must not be null")
        #expect(try message("kms", "Encrypt", #"{\#(key)}"#)
            == "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must not be null")
        #expect(try message("kms", "Sign", #"{\#(key),"SigningAlgorithm":"ECDSA_SHA_256"}"#)
            == "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must not be null")
        let big = String(repeating: "A", count: 8196)
        #expect(try message("kms", "Decrypt", #"{"CiphertextBlob":"\#(big)"}"#)
            == "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144")
    }

    @Test func wellFormedRequestsAndUnknownOperationsPass() throws {
        #expect(try message("secretsmanager", "GetSecretValue", #"{"SecretId":"app/db"}"#) == nil)
        #expect(try message("kms", "NotAnOperation", #"{"x":1}"#) == nil)
        #expect(try message("nope", "GetSecretValue", "{}") == nil)
        // Wrong JSON types are left to the handlers' SerializationException.
        #expect(try message("secretsmanager", "GetSecretValue", #"{"SecretId":5}"#) == nil)
    }

    /// IAM reports its violations without the value (AWS-recorded).
    @Test func iamNumbersAndVersionIdsAreReportedWithoutTheirValue() {
        #expect(ModelValidation.check(service: "iam", operation: "UpdateAccountPasswordPolicy", query: ["MinimumPasswordLength": "129"])?.message
            == "1 validation error detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128")
        #expect(ModelValidation.check(service: "iam", operation: "GetPolicyVersion",
                                      query: ["PolicyArn": "arn:aws:iam::123456789012:policy/p", "VersionId": "v2-does-not-exist"])?.message
            == #"1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"#)
        #expect(ModelValidation.check(service: "iam", operation: "GetUser", query: ["UserName": String(repeating: "a", count: 129)])?.message
            == "1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must have length less than or equal to 128")
    }

    /// The two orders AWS was recorded answering several IAM violations in.
    @Test func iamListsViolationsInJavaHashMapOrder() {
        #expect(ModelValidation.check(service: "iam", operation: "UpdateAccountPasswordPolicy",
                                      query: ["MaxPasswordAge": "1096", "MinimumPasswordLength": "129", "PasswordReusePrevention": "25"])?.message
            == "3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128; "
            + "Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24; "
            + "Value at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095")
        let message = ModelValidation.check(service: "iam", operation: "CreateOpenIDConnectProvider",
                                            query: ["Url": "https://" + String(repeating: "a", count: 260), "ThumbprintList.member.1": "abc",
                                                    "ClientIDList.member.1": ""])?.message ?? ""
        #expect(message.hasPrefix("3 validation errors detected: Value at 'clientIDList'"))
        #expect(message.components(separatedBy: "; ").map { $0.components(separatedBy: "'")[1] } == ["clientIDList", "thumbprintList", "url"])
    }

    @Test func queryMembersAreCheckedByTheSameRules() {
        let message = ModelValidation.check(service: "sts", operation: "AssumeRole",
                                            query: ["Action": "AssumeRole", "RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "a",
                                                    "DurationSeconds": "100", "Tags.member.1.Key": "", "Tags.member.1.Value": "v"])?.message
        // An empty tag key breaks both its length and its pattern; AWS names both.
        #expect(message == "4 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; "
            + "Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900; "
            + "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; "
            + #"Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+"#)
        #expect(ModelValidation.check(service: "iam", operation: "GetUser", query: ["Action": "GetUser"]) == nil)
        #expect(ModelValidation.check(service: "iam", operation: "CreateUser", query: [:])?.message
            == "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null")
    }
}

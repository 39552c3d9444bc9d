import CofferCore
import CofferWire
import Testing

@Suite struct ErrorTableTests {
    @Test(arguments: CofferError.Code.all)
    func everyCodeHasARowWithAnAWSName(code: CofferError.Code) {
        #expect(ErrorTable.hasRow(for: code))
        let row = ErrorTable.row(for: code, service: "secretsmanager")
        #expect(!row.code.isEmpty && row.code.first!.isUppercase)
        #expect([400, 403, 404, 409, 410, 412, 500, 501].contains(row.status))
    }

    @Test(arguments: [
        (CofferError.Code.resourceNotFound, "ResourceNotFoundException", 400),
        (.internalFailure, "InternalServiceError", 500),
        (.invalidSignature, "InvalidSignatureException", 400),
        (.unrecognizedClient, "UnrecognizedClientException", 400),
        (.missingAuthenticationToken, "MissingAuthenticationTokenException", 403),
        (.serialization, "SerializationException", 400),
        (.unknownOperation, "UnknownOperationException", 400),
        (.decryptionFailure, "DecryptionFailure", 400),
    ])
    func secretsManagerRowsMatchAWS(code: CofferError.Code, name: String, status: Int) {
        #expect(ErrorTable.row(for: code, service: "secretsmanager") == ErrorTable.Row(name, status))
    }

    @Test func requestReaderReportsAWSValidationMessages() throws {
        let request = try JSONRequest(body: Array(#"{"Name":"","SecretString":"s3cr3t-canary","Flag":"yes","N":101}"#.utf8))
        #expect(throws: CofferError.validation("1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1")) {
            try request.string("Name", min: 1, max: 512)
        }
        do {
            _ = try request.string("SecretString", max: 4, sensitive: true)
            Issue.record("expected a validation error")
        } catch {
            #expect(!error.message.contains("s3cr3t-canary"))
        }
        #expect(throws: CofferError.self) { try request.bool("Flag") }
        #expect(throws: CofferError.self) { try request.integer("N", max: 100) }
        #expect(throws: CofferError.self) { try request.requiredString("SecretId") }
        #expect(throws: CofferError.self) { try JSONRequest(body: Array("{nope".utf8)) }
        #expect(try JSONRequest(body: []).body.isEmpty)
    }

    // AWS's front end is Java: a length is counted in UTF-16 units, so a character outside the
    // Basic Multilingual Plane counts two, and an accent combined with its letter counts two.
    @Test func lengthsCountUTF16UnitsAsAWSDoes() throws {
        let request = try JSONRequest(body: Array(#"{"Emoji":"\ud83d\ude00","Combined":"e\u0301","Plain":"abc","List":["\ud83d\ude00"]}"#.utf8))
        #expect(throws: CofferError.self) { try request.string("Emoji", max: 1) }
        #expect(try request.string("Emoji", min: 2, max: 2) == "\u{1F600}")
        #expect(throws: CofferError.self) { try request.string("Combined", max: 1) }
        #expect(try request.string("Combined", max: 2) == "e\u{301}")
        #expect(try request.string("Plain", min: 3, max: 3) == "abc")
        #expect(throws: CofferError.self) { try request.stringList("List", itemMax: 1) }
        #expect(throws: CofferError.self) { try QueryRequest(parameters: ["Name": "\u{1F600}"]).string("Name", max: 1) }
    }

    @Test func errorBodiesNameTheMessageAsEachServicesModelDoes() throws {
        func member(_ code: String, _ service: String) throws -> Set<String> {
            guard case .object(let body) = try JSONParser.parse(JSONResponse.errorBody(code: code, message: "m", service: service)) else { return [] }
            return Set(body.keys)
        }
        #expect(try member("NotFoundException", "kms") == ["__type", "message"])
        #expect(try member("ParameterNotFound", "ssm") == ["__type", "message"])
        #expect(try member("InvalidKeyId", "ssm") == ["__type", "message"])
        #expect(try member("ValidationException", "ssm") == ["__type", "Message"])
        #expect(try member("ResourceNotFoundException", "secretsmanager") == ["__type", "Message"])
        #expect(try member("ValidationException", "access-analyzer") == ["__type", "message", "reason"])
    }
}

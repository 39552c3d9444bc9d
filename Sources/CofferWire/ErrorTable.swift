public import CofferCore

/// THE error table: how each ``CofferError/Code`` goes out on the wire, per service.
///
/// A row names AWS's error code and HTTP status. Services that spell a code differently (Secrets
/// Manager's `InternalServiceError`, KMS's `KMSInternalException` later) override the common row.
public enum ErrorTable {
    public struct Row: Sendable, Equatable {
        public let code: String
        public let status: Int
        public init(_ code: String, _ status: Int) {
            self.code = code
            self.status = status
        }
    }

    /// Rows shared by every AWS JSON 1.1 service.
    static let common: [CofferError.Code: Row] = [
        .serialization: Row("SerializationException", 400),
        .unknownOperation: Row("UnknownOperationException", 400),
        .notImplemented: Row("NotImplementedException", 501),
        .validation: Row("ValidationException", 400),
        .internalFailure: Row("InternalFailure", 500),
        .throttling: Row("ThrottlingException", 400),
        .missingAuthenticationToken: Row("MissingAuthenticationTokenException", 403),
        .incompleteSignature: Row("IncompleteSignatureException", 400),
        .invalidSignature: Row("InvalidSignatureException", 400),
        .unrecognizedClient: Row("UnrecognizedClientException", 400),
        .expiredToken: Row("ExpiredTokenException", 400),
        .accessDenied: Row("AccessDeniedException", 400),
        .invalidParameter: Row("InvalidParameterException", 400),
        .invalidRequest: Row("InvalidRequestException", 400),
        .resourceNotFound: Row("ResourceNotFoundException", 400),
        .resourceExists: Row("ResourceExistsException", 400),
        .limitExceeded: Row("LimitExceededException", 400),
        .malformedPolicyDocument: Row("MalformedPolicyDocumentException", 400),
        .publicPolicy: Row("PublicPolicyException", 400),
        .preconditionNotMet: Row("PreconditionNotMetException", 400),
        .encryptionFailure: Row("EncryptionFailure", 400),
        .decryptionFailure: Row("DecryptionFailure", 400),
        .invalidNextToken: Row("InvalidNextTokenException", 400),
    ]

    static let overrides: [String: [CofferError.Code: Row]] = [
        "secretsmanager": [.internalFailure: Row("InternalServiceError", 500)],
    ]

    public static func row(for code: CofferError.Code, service: String?) -> Row {
        if let service, let row = overrides[service]?[code] { return row }
        // Every code has a common row; the error table's test proves it.
        return common[code] ?? Row("InternalFailure", 500)
    }

    /// Whether `code` has a row of its own (for the test that covers every code).
    public static func hasRow(for code: CofferError.Code) -> Bool { common[code] != nil }
}

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
        .invalidIdentityToken: Row("InvalidIdentityToken", 400),
        .dryRunOperation: Row("DryRunOperationException", 412),
        .invalidAuthenticationCode: Row("InvalidAuthenticationCode", 403),
        .credentialReportNotPresent: Row("ReportNotPresent", 410),
        .credentialReportExpired: Row("ReportExpired", 410),
        .invalidUserType: Row("InvalidUserType", 400),
        .invalidPublicKey: Row("InvalidPublicKey", 400),
        .duplicateSSHPublicKey: Row("DuplicateSSHPublicKey", 400),
        .malformedCertificate: Row("MalformedCertificate", 400),
        .keyPairMismatch: Row("KeyPairMismatch", 400),
        .duplicateCertificate: Row("DuplicateCertificate", 409),
        .invalidCertificate: Row("InvalidCertificate", 400),
        .invalidPolicyType: Row("InvalidPolicyTypeException", 400),
        .invalidPolicyAttribute: Row("InvalidPolicyAttributeException", 400),
        .incompatiblePolicy: Row("IncompatiblePolicyException", 400),
        .policiesLimitExceeded: Row("PoliciesLimitExceededException", 400),
        .idpRejectedClaim: Row("IDPRejectedClaim", 403),
        .idpCommunication: Row("IDPCommunicationError", 400),
        .expiredIdentityToken: Row("ExpiredTokenException", 400),
        .publicPolicy: Row("PublicPolicyException", 400),
        .preconditionNotMet: Row("PreconditionNotMetException", 400),
        .encryptionFailure: Row("EncryptionFailure", 400),
        .decryptionFailure: Row("DecryptionFailure", 400),
        .invalidNextToken: Row("InvalidNextTokenException", 400),
        .notFound: Row("NotFoundException", 400),
        .disabled: Row("DisabledException", 400),
        .keyInvalidState: Row("KMSInvalidStateException", 400),
        .invalidKeyUsage: Row("InvalidKeyUsageException", 400),
        .invalidCiphertext: Row("InvalidCiphertextException", 400),
        .incorrectKey: Row("IncorrectKeyException", 400),
        .incorrectKeyMaterial: Row("IncorrectKeyMaterialException", 400),
        .expiredImportToken: Row("ExpiredImportTokenException", 400),
        .invalidImportToken: Row("InvalidImportTokenException", 400),
        .customKeyStoreNotFound: Row("CustomKeyStoreNotFoundException", 400),
        .alreadyExists: Row("AlreadyExistsException", 400),
        .tagFailure: Row("TagException", 400),
        .unsupportedOperation: Row("UnsupportedOperationException", 400),
        .invalidGrantToken: Row("InvalidGrantTokenException", 400),
        .invalidGrantID: Row("InvalidGrantIdException", 400),
        .invalidARN: Row("InvalidArnException", 400),
        .invalidKeySignature: Row("KMSInvalidSignatureException", 400),
        .invalidMAC: Row("KMSInvalidMacException", 400),
        .invalidMarker: Row("InvalidMarkerException", 400),
        .notAuthorized: Row("NotAuthorizedException", 400),
        .parameterNotFound: Row("ParameterNotFound", 400),
        .parameterAlreadyExists: Row("ParameterAlreadyExists", 400),
        .parameterLimitExceeded: Row("ParameterLimitExceeded", 400),
        .parameterMaxVersionLimitExceeded: Row("ParameterMaxVersionLimitExceeded", 400),
        .parameterVersionNotFound: Row("ParameterVersionNotFound", 400),
        .parameterVersionLabelLimitExceeded: Row("ParameterVersionLabelLimitExceeded", 400),
        .invalidKeyID: Row("InvalidKeyId", 400),
        .hierarchyLevelLimitExceeded: Row("HierarchyLevelLimitExceededException", 400),
        .hierarchyTypeMismatch: Row("HierarchyTypeMismatchException", 400),
        .unsupportedParameterType: Row("UnsupportedParameterType", 400),
        .parameterPatternMismatch: Row("ParameterPatternMismatchException", 400),
        .invalidAllowedPattern: Row("InvalidAllowedPatternException", 400),
        .tooManyTags: Row("TooManyTagsError", 400),
        .invalidResourceID: Row("InvalidResourceId", 400),
        .trailNotFound: Row("TrailNotFoundException", 400),
        .trailAlreadyExists: Row("TrailAlreadyExistsException", 400),
        .invalidTrailName: Row("InvalidTrailNameException", 400),
        .invalidLookupAttributes: Row("InvalidLookupAttributesException", 400),
        .invalidTimeRange: Row("InvalidTimeRangeException", 400),
        .invalidMaxResults: Row("InvalidMaxResultsException", 400),
        .invalidEventCategory: Row("InvalidEventCategoryException", 400),
        .invalidResourceType: Row("InvalidResourceType", 400),
        .invalidFilterKey: Row("InvalidFilterKey", 400),
        .invalidFilterOption: Row("InvalidFilterOption", 400),
        .invalidFilterValue: Row("InvalidFilterValue", 400),
        .noSuchEntity: Row("NoSuchEntity", 404),
        .entityAlreadyExists: Row("EntityAlreadyExists", 409),
        .deleteConflict: Row("DeleteConflict", 409),
        .invalidInput: Row("InvalidInput", 400),
        .unmodifiableEntity: Row("UnmodifiableEntity", 400),
        .passwordPolicyViolation: Row("PasswordPolicyViolation", 400),
        .packedPolicyTooLarge: Row("PackedPolicyTooLarge", 400),
    ]

    /// Query-protocol services (IAM, STS) name the shared failures differently.
    static let query: [CofferError.Code: Row] = [
        .missingAuthenticationToken: Row("MissingAuthenticationToken", 403),
        .incompleteSignature: Row("IncompleteSignature", 400),
        .invalidSignature: Row("SignatureDoesNotMatch", 403),
        .unrecognizedClient: Row("InvalidClientTokenId", 403),
        .expiredToken: Row("ExpiredToken", 400),
        .accessDenied: Row("AccessDenied", 403),
        .validation: Row("ValidationError", 400),
        .unknownOperation: Row("InvalidAction", 400),
        .serialization: Row("MalformedInput", 400),
        .limitExceeded: Row("LimitExceeded", 409),
        .malformedPolicyDocument: Row("MalformedPolicyDocument", 400),
        .throttling: Row("Throttling", 400),
    ]

    static let overrides: [String: [CofferError.Code: Row]] = [
        "secretsmanager": [.internalFailure: Row("InternalServiceError", 500)],
        "kms": [.internalFailure: Row("KMSInternalException", 500)],
        "iam": [.internalFailure: Row("ServiceFailure", 500)],
        "sts": [.internalFailure: Row("InternalFailure", 500), .invalidParameter: Row("InvalidParameterValue", 400)],
        "ssm": [
            .internalFailure: Row("InternalServerError", 500),
            .invalidNextToken: Row("InvalidNextToken", 400),
            .limitExceeded: Row("ParameterLimitExceeded", 400),
        ],
    ]

    public static func row(for code: CofferError.Code, service: String?) -> Row {
        if let service, let row = overrides[service]?[code] { return row }
        if service == "iam" || service == "sts", let row = query[code] { return row }
        // Every code has a common row; the error table's test proves it.
        return common[code] ?? Row("InternalFailure", 500)
    }

    /// The member a JSON error body names its text with, as each service's model spells it: KMS
    /// and Access Analyzer write `message`, and so do the Parameter Store errors listed here (from
    /// the botocore model); every other error is `Message`. The SDKs read either, raw readers do not.
    public static func messageMember(code: String, service: String?) -> String {
        switch service {
        case "kms", "access-analyzer": "message"
        case "ssm" where lowerCaseSSMErrors.contains(code): "message"
        default: "Message"
        }
    }

    static let lowerCaseSSMErrors: Set<String> = [
        "HierarchyLevelLimitExceededException", "HierarchyTypeMismatchException", "IncompatiblePolicyException",
        "InvalidAllowedPatternException", "InvalidFilterOption", "InvalidKeyId", "InvalidPolicyAttributeException",
        "InvalidPolicyTypeException", "ParameterAlreadyExists", "ParameterLimitExceeded", "ParameterMaxVersionLimitExceeded",
        "ParameterNotFound", "ParameterPatternMismatchException", "ParameterVersionLabelLimitExceeded", "ParameterVersionNotFound",
        "PoliciesLimitExceededException", "UnsupportedParameterType",
    ]

    /// Whether `code` has a row of its own (for the test that covers every code).
    public static func hasRow(for code: CofferError.Code) -> Bool { common[code] != nil }
}

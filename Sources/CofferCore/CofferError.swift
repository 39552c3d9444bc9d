/// The one error type that Coffer's domain code throws.
///
/// A `Code` is a struct over a private enum so that adding a code never breaks callers that switch
/// over codes (swift-crypto learned this the hard way). The wire layer maps each code to AWS's
/// error name and HTTP status in one table; the message travels as written here and must never
/// contain a secret value.
public struct CofferError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Backing: String, CaseIterable, Sendable {
            // Request-level, any service.
            case serialization, unknownOperation, notImplemented, validation, internalFailure, throttling
            // Authentication.
            case missingAuthenticationToken, incompleteSignature, invalidSignature, unrecognizedClient
            case expiredToken, accessDenied
            // Secrets Manager (and later services that share the names).
            case invalidParameter, invalidRequest, resourceNotFound, resourceExists, limitExceeded
            case malformedPolicyDocument, publicPolicy, preconditionNotMet, encryptionFailure, decryptionFailure
            case invalidNextToken
            // KMS.
            case notFound, disabled, keyInvalidState, invalidKeyUsage, invalidCiphertext, incorrectKey, alreadyExists
            case tagFailure, unsupportedOperation, invalidGrantToken, invalidGrantID, invalidARN
            case invalidKeySignature, invalidMAC, invalidMarker, dryRunOperation, notAuthorized
            case incorrectKeyMaterial, expiredImportToken, invalidImportToken, customKeyStoreNotFound
            // Parameter Store.
            case parameterNotFound, parameterAlreadyExists, parameterLimitExceeded, parameterMaxVersionLimitExceeded
            case parameterVersionNotFound, parameterVersionLabelLimitExceeded, invalidKeyID, hierarchyLevelLimitExceeded
            case hierarchyTypeMismatch, unsupportedParameterType, parameterPatternMismatch, invalidAllowedPattern
            case tooManyTags, invalidResourceID, invalidResourceType, invalidFilterKey, invalidFilterOption
            case invalidFilterValue, invalidPolicyType, invalidPolicyAttribute, incompatiblePolicy, policiesLimitExceeded
            // IAM and STS.
            case noSuchEntity, entityAlreadyExists, deleteConflict, invalidInput, unmodifiableEntity
            case passwordPolicyViolation, packedPolicyTooLarge
            case invalidIdentityToken, idpRejectedClaim, idpCommunication, expiredIdentityToken
            case invalidAuthenticationCode, credentialReportNotPresent, credentialReportExpired, invalidUserType
            case invalidPublicKey, duplicateSSHPublicKey, malformedCertificate, keyPairMismatch, duplicateCertificate, invalidCertificate
            // CloudTrail.
            case trailNotFound, trailAlreadyExists, invalidTrailName
            case invalidLookupAttributes, invalidTimeRange, invalidMaxResults, invalidEventCategory
        }

        let backing: Backing
        public var description: String { backing.rawValue }

        public static let serialization = Code(backing: .serialization)
        public static let unknownOperation = Code(backing: .unknownOperation)
        public static let notImplemented = Code(backing: .notImplemented)
        public static let validation = Code(backing: .validation)
        public static let internalFailure = Code(backing: .internalFailure)
        public static let throttling = Code(backing: .throttling)
        public static let missingAuthenticationToken = Code(backing: .missingAuthenticationToken)
        public static let incompleteSignature = Code(backing: .incompleteSignature)
        public static let invalidSignature = Code(backing: .invalidSignature)
        public static let unrecognizedClient = Code(backing: .unrecognizedClient)
        public static let expiredToken = Code(backing: .expiredToken)
        public static let accessDenied = Code(backing: .accessDenied)
        public static let invalidParameter = Code(backing: .invalidParameter)
        public static let invalidRequest = Code(backing: .invalidRequest)
        public static let resourceNotFound = Code(backing: .resourceNotFound)
        public static let resourceExists = Code(backing: .resourceExists)
        public static let limitExceeded = Code(backing: .limitExceeded)
        public static let malformedPolicyDocument = Code(backing: .malformedPolicyDocument)
        public static let publicPolicy = Code(backing: .publicPolicy)
        public static let preconditionNotMet = Code(backing: .preconditionNotMet)
        public static let encryptionFailure = Code(backing: .encryptionFailure)
        public static let decryptionFailure = Code(backing: .decryptionFailure)
        public static let invalidNextToken = Code(backing: .invalidNextToken)
        public static let notFound = Code(backing: .notFound)
        public static let disabled = Code(backing: .disabled)
        public static let keyInvalidState = Code(backing: .keyInvalidState)
        public static let invalidKeyUsage = Code(backing: .invalidKeyUsage)
        public static let invalidCiphertext = Code(backing: .invalidCiphertext)
        public static let incorrectKey = Code(backing: .incorrectKey)
        public static let incorrectKeyMaterial = Code(backing: .incorrectKeyMaterial)
        public static let expiredImportToken = Code(backing: .expiredImportToken)
        public static let invalidImportToken = Code(backing: .invalidImportToken)
        public static let customKeyStoreNotFound = Code(backing: .customKeyStoreNotFound)
        public static let alreadyExists = Code(backing: .alreadyExists)
        public static let tagFailure = Code(backing: .tagFailure)
        public static let unsupportedOperation = Code(backing: .unsupportedOperation)
        public static let invalidGrantToken = Code(backing: .invalidGrantToken)
        public static let invalidGrantID = Code(backing: .invalidGrantID)
        public static let invalidARN = Code(backing: .invalidARN)
        public static let invalidKeySignature = Code(backing: .invalidKeySignature)
        public static let invalidMAC = Code(backing: .invalidMAC)
        public static let invalidMarker = Code(backing: .invalidMarker)
        public static let notAuthorized = Code(backing: .notAuthorized)
        public static let parameterNotFound = Code(backing: .parameterNotFound)
        public static let parameterAlreadyExists = Code(backing: .parameterAlreadyExists)
        public static let parameterLimitExceeded = Code(backing: .parameterLimitExceeded)
        public static let parameterMaxVersionLimitExceeded = Code(backing: .parameterMaxVersionLimitExceeded)
        public static let parameterVersionNotFound = Code(backing: .parameterVersionNotFound)
        public static let parameterVersionLabelLimitExceeded = Code(backing: .parameterVersionLabelLimitExceeded)
        public static let invalidKeyID = Code(backing: .invalidKeyID)
        public static let hierarchyLevelLimitExceeded = Code(backing: .hierarchyLevelLimitExceeded)
        public static let hierarchyTypeMismatch = Code(backing: .hierarchyTypeMismatch)
        public static let unsupportedParameterType = Code(backing: .unsupportedParameterType)
        public static let parameterPatternMismatch = Code(backing: .parameterPatternMismatch)
        public static let invalidAllowedPattern = Code(backing: .invalidAllowedPattern)
        public static let tooManyTags = Code(backing: .tooManyTags)
        public static let invalidResourceID = Code(backing: .invalidResourceID)
        public static let trailNotFound = Code(backing: .trailNotFound)
        public static let trailAlreadyExists = Code(backing: .trailAlreadyExists)
        public static let invalidTrailName = Code(backing: .invalidTrailName)
        public static let invalidLookupAttributes = Code(backing: .invalidLookupAttributes)
        public static let invalidTimeRange = Code(backing: .invalidTimeRange)
        public static let invalidMaxResults = Code(backing: .invalidMaxResults)
        public static let invalidEventCategory = Code(backing: .invalidEventCategory)
        public static let invalidResourceType = Code(backing: .invalidResourceType)
        public static let invalidFilterKey = Code(backing: .invalidFilterKey)
        public static let invalidFilterOption = Code(backing: .invalidFilterOption)
        public static let invalidFilterValue = Code(backing: .invalidFilterValue)
        public static let noSuchEntity = Code(backing: .noSuchEntity)
        public static let entityAlreadyExists = Code(backing: .entityAlreadyExists)
        public static let deleteConflict = Code(backing: .deleteConflict)
        public static let invalidInput = Code(backing: .invalidInput)
        public static let unmodifiableEntity = Code(backing: .unmodifiableEntity)
        public static let passwordPolicyViolation = Code(backing: .passwordPolicyViolation)
        public static let packedPolicyTooLarge = Code(backing: .packedPolicyTooLarge)
        public static let invalidPolicyType = Code(backing: .invalidPolicyType)
        public static let invalidPolicyAttribute = Code(backing: .invalidPolicyAttribute)
        public static let incompatiblePolicy = Code(backing: .incompatiblePolicy)
        public static let policiesLimitExceeded = Code(backing: .policiesLimitExceeded)
        public static let dryRunOperation = Code(backing: .dryRunOperation)
        public static let invalidIdentityToken = Code(backing: .invalidIdentityToken)
        public static let invalidAuthenticationCode = Code(backing: .invalidAuthenticationCode)
        public static let credentialReportNotPresent = Code(backing: .credentialReportNotPresent)
        public static let credentialReportExpired = Code(backing: .credentialReportExpired)
        public static let invalidUserType = Code(backing: .invalidUserType)
        public static let invalidPublicKey = Code(backing: .invalidPublicKey)
        public static let duplicateSSHPublicKey = Code(backing: .duplicateSSHPublicKey)
        public static let malformedCertificate = Code(backing: .malformedCertificate)
        public static let keyPairMismatch = Code(backing: .keyPairMismatch)
        public static let duplicateCertificate = Code(backing: .duplicateCertificate)
        public static let invalidCertificate = Code(backing: .invalidCertificate)
        public static let idpRejectedClaim = Code(backing: .idpRejectedClaim)
        public static let idpCommunication = Code(backing: .idpCommunication)
        /// AssumeRoleWithWebIdentity's expired ID token (not a request's expired session token).
        public static let expiredIdentityToken = Code(backing: .expiredIdentityToken)

        /// Every code, so the error table's test can prove that each one has a row.
        public static var all: [Code] { Backing.allCases.map { Code(backing: $0) } }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension CofferError {
    public static func validation(_ message: String) -> CofferError { CofferError(.validation, message) }
    public static func invalidParameter(_ message: String) -> CofferError { CofferError(.invalidParameter, message) }
    public static func invalidRequest(_ message: String) -> CofferError { CofferError(.invalidRequest, message) }
    public static func serialization(_ message: String) -> CofferError { CofferError(.serialization, message) }

    /// AWS's wording for one failed length or pattern constraint on a request member.
    /// IAM's form, which names the member but not the value.
    public static func constraint(member: String, _ constraint: String) -> CofferError {
        CofferError(.validation, "1 validation error detected: Value at '\(member)' failed to satisfy constraint: \(constraint)")
    }

    public static func constraint(_ value: String, member: String, _ constraint: String) -> CofferError {
        CofferError(
            .validation,
            "1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: \(constraint)"
        )
    }
}

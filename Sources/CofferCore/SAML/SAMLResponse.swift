public import struct Foundation.Date
import Foundation

/// A SAML 2.0 response as AssumeRoleWithSAML takes it (base64 of the IdP's `samlp:Response`),
/// verified against the provider's signing keys. Everything is read from the one assertion the
/// verified signature covers (the assertion's own, or the response's, which holds it), so a
/// signed assertion wrapped in or beside unsigned content cannot lend its signature to another.
public struct SAMLResponse: Sendable {
    public static let protocolNamespace = "urn:oasis:names:tc:SAML:2.0:protocol"
    public static let assertionNamespace = "urn:oasis:names:tc:SAML:2.0:assertion"
    static let success = "urn:oasis:names:tc:SAML:2.0:status:Success"
    static let bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

    public let issuer: String
    public let nameID: String
    public let nameIDFormat: String?
    /// The `Recipient` of the bearer confirmation: the endpoint the response was meant for.
    public let recipient: String
    public let confirmationNotOnOrAfter: Date
    public let notBefore: Date?
    public let notOnOrAfter: Date?
    public let audiences: [String]
    /// The AuthnStatement's `SessionNotOnOrAfter`: credentials last no longer.
    public let sessionNotOnOrAfter: Date?
    public let attributes: [String: [String]]

    static func invalid(_ message: String) -> CofferError { CofferError(.invalidIdentityToken, message) }
    public static let badSignature = invalid("Response signature invalid")

    public init(base64 text: String, signingKeys: [[UInt8]]) throws(CofferError) {
        guard let bytes = XMLSignature.base64(text), let root = try? XMLTree.parse(bytes), root.is(Self.protocolNamespace, "Response") else {
            throw Self.invalid("Invalid SAML response: it is not a base64-encoded SAML 2.0 Response.")
        }
        let status = root.first(Self.protocolNamespace, "Status")?.first(Self.protocolNamespace, "StatusCode")?.attribute("Value")
        guard status == Self.success else { throw Self.invalid("The SAML response's status is not Success.") }
        if !root.elements(Self.assertionNamespace, "EncryptedAssertion").isEmpty {
            throw Self.invalid("Coffer does not decrypt encrypted SAML assertions; send the assertion signed and unencrypted.")
        }
        let assertions = root.elements(Self.assertionNamespace, "Assertion")
        guard assertions.count == 1, let assertion = assertions.first else {
            throw Self.invalid("The SAML response must hold exactly one assertion.")
        }
        // IDs must be unique, or a reference could name a different element than the one checked.
        var ids = Set<String>()
        for element in root.descendants {
            if let id = element.attribute("ID"), !ids.insert(id).inserted { throw Self.badSignature }
        }
        let responseSignature: XMLTree.Element?
        let assertionSignature: XMLTree.Element?
        do {
            responseSignature = try XMLSignature.signature(of: root)
            assertionSignature = try XMLSignature.signature(of: assertion)
        } catch {
            throw Self.badSignature
        }
        // Each signature present must verify, and at least one must be there.
        guard responseSignature != nil || assertionSignature != nil,
              responseSignature == nil || XMLSignature.verify(root, publicKeys: signingKeys),
              assertionSignature == nil || XMLSignature.verify(assertion, publicKeys: signingKeys)
        else { throw Self.badSignature }

        guard let issuer = assertion.first(Self.assertionNamespace, "Issuer")?.text.trimmingCharacters(in: .whitespacesAndNewlines), !issuer.isEmpty else {
            throw Self.invalid("The SAML assertion has no Issuer.")
        }
        guard let subject = assertion.first(Self.assertionNamespace, "Subject"),
              let nameID = subject.first(Self.assertionNamespace, "NameID") else {
            throw Self.invalid("The SAML assertion has no Subject NameID.")
        }
        let confirmations = subject.elements(Self.assertionNamespace, "SubjectConfirmation")
        guard confirmations.count == 1, confirmations[0].attribute("Method") == Self.bearer,
              let data = confirmations[0].first(Self.assertionNamespace, "SubjectConfirmationData"),
              let recipient = data.attribute("Recipient"), let until = data.attribute("NotOnOrAfter").flatMap(SigV4Timestamp.parseISO8601)
        else {
            throw Self.invalid("The SAML assertion must have exactly one bearer SubjectConfirmation whose SubjectConfirmationData has NotOnOrAfter and Recipient.")
        }
        let conditions = assertion.first(Self.assertionNamespace, "Conditions")
        self.issuer = issuer
        self.nameID = nameID.text.trimmingCharacters(in: .whitespacesAndNewlines)
        nameIDFormat = nameID.attribute("Format")
        self.recipient = recipient
        confirmationNotOnOrAfter = until
        notBefore = conditions?.attribute("NotBefore").flatMap(SigV4Timestamp.parseISO8601)
        notOnOrAfter = conditions?.attribute("NotOnOrAfter").flatMap(SigV4Timestamp.parseISO8601)
        audiences = (conditions?.elements(Self.assertionNamespace, "AudienceRestriction") ?? [])
            .flatMap { $0.elements(Self.assertionNamespace, "Audience").map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) } }
        sessionNotOnOrAfter = assertion.first(Self.assertionNamespace, "AuthnStatement")?.attribute("SessionNotOnOrAfter")
            .flatMap(SigV4Timestamp.parseISO8601)
        var attributes: [String: [String]] = [:]
        for statement in assertion.elements(Self.assertionNamespace, "AttributeStatement") {
            for attribute in statement.elements(Self.assertionNamespace, "Attribute") {
                guard let name = attribute.attribute("Name") else { continue }
                attributes[name, default: []] += attribute.elements(Self.assertionNamespace, "AttributeValue").map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            }
        }
        self.attributes = attributes
    }

    /// AWS's clock allowance for the IdP's clock.
    public static let skew: Double = 300

    /// Whether `url` names AWS's sign-in endpoint for SAML (any partition, global or regional),
    /// where IdPs configured for AWS send their responses, or AWS's own entity id.
    public static func isAWSEndpoint(_ url: String) -> Bool {
        if url == "urn:amazon:webservices" || url == "urn:amazon:webservices:cn" || url == "urn:amazon:webservices:govcloud" { return true }
        for domain in ["signin.aws.amazon.com", "signin.amazonaws.cn", "signin.amazonaws-us-gov.com"] {
            guard url.hasPrefix("https://"), url.hasSuffix(domain + "/saml") else { continue }
            let host = url.dropFirst("https://".count).dropLast((domain + "/saml").count)
            if host.isEmpty || (host.hasSuffix(".") && host.dropLast().allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }) { return true }
        }
        return false
    }

    /// Refuses a response that is not meant for an endpoint `accepts` takes or not valid at `now`.
    public func check(at now: Date, accepts: (String) -> Bool = Self.isAWSEndpoint) throws(CofferError) {
        guard audiences.contains(where: accepts) else { throw Self.invalid("Response does not contain the required audience.") }
        guard accepts(recipient) else { throw Self.invalid("The SAML assertion's Recipient is not the sign-in endpoint.") }
        if let notBefore, notBefore.timeIntervalSince(now) > Self.skew {
            throw Self.invalid("The SAML assertion is not yet valid (NotBefore).")
        }
        for limit in [confirmationNotOnOrAfter, notOnOrAfter].compactMap({ $0 }) where now.timeIntervalSince(limit) >= Self.skew {
            throw CofferError(.expiredIdentityToken, "The SAML assertion has expired (NotOnOrAfter).")
        }
    }

    /// STS's `SubjectType`: the NameID format without SAML 2.0's prefix, or the format as given.
    public var subjectType: String {
        let prefix = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
        guard let format = nameIDFormat else { return "unspecified" }
        return format.hasPrefix(prefix) ? String(format.dropFirst(prefix.count)) : format
    }
}


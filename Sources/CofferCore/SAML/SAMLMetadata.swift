public import struct Foundation.Date

/// What IAM keeps from an identity provider's SAML metadata document: its entity id (the issuer
/// its responses must name), when the metadata stops being valid, and the certificates its
/// responses are signed with.
public struct SAMLMetadata: Sendable {
    public static let namespace = "urn:oasis:names:tc:SAML:2.0:metadata"
    public let entityID: String
    public let validUntil: Date?
    /// SubjectPublicKeyInfo DER of each signing certificate of the IdP.
    public let signingKeys: [[UInt8]]

    public static let unparsable = CofferError(.invalidInput, "Could not parse metadata.")

    /// Parses the document IAM was given; refuses one without an IdP signing certificate, since no
    /// response from that provider could ever be verified.
    public init(document: String) throws(CofferError) {
        guard let root = try? XMLTree.parse(Array(document.utf8)) else { throw Self.unparsable }
        let descriptor: XMLTree.Element
        if root.is(Self.namespace, "EntityDescriptor") {
            descriptor = root
        } else if root.is(Self.namespace, "EntitiesDescriptor"), let first = root.elements(Self.namespace, "EntityDescriptor").first {
            descriptor = first
        } else {
            throw Self.unparsable
        }
        guard let entityID = descriptor.attribute("entityID"), !entityID.isEmpty else { throw Self.unparsable }
        // The IdP's role descriptor holds its signing keys; a document with none takes another role's
        // (AWS's own sign-in metadata, which tests often load as a provider, has only an SP descriptor).
        var roles = descriptor.elements(Self.namespace, "IDPSSODescriptor")
        if roles.isEmpty { roles = descriptor.elements.filter { $0.namespace == Self.namespace && $0.localName.hasSuffix("Descriptor") } }
        var keys: [[UInt8]] = []
        for role in roles {
            for key in role.elements(Self.namespace, "KeyDescriptor") where key.attribute("use") ?? "signing" == "signing" {
                for element in key.descendants where element.is(XMLSignature.namespace, "X509Certificate") {
                    guard let der = XMLSignature.base64(element.text), let certificate = try? X509Certificate(der: der) else { throw Self.unparsable }
                    keys.append(certificate.publicKeyInfo)
                }
            }
        }
        guard !keys.isEmpty else { throw Self.unparsable }
        let until = descriptor.attribute("validUntil") ?? root.attribute("validUntil")
        var validUntil: Date?
        if let until {
            guard let date = SigV4Timestamp.parseISO8601(until) else { throw Self.unparsable }
            validUntil = date
        }
        self.entityID = entityID
        self.validUntil = validUntil
        self.signingKeys = keys
    }
}

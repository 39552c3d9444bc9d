extension PolicyDocument {
    /// A role's trust policy (CreateRole, UpdateAssumeRolePolicy): a resource policy whose actions are
    /// STS's and which names no resource. The messages are IAM's for trust policies, which differ
    /// from its identity-policy ones (recorded from AWS in LocalStack's validated IAM snapshots).
    public static func parseTrustPolicy(_ text: String) throws(CofferError) -> PolicyDocument {
        do { _ = try JSONParser.parse(text) } catch { throw malformed("This policy contains invalid Json") }
        let document = try parse(text, kind: .resource)
        for statement in document.statements {
            for action in statement.actions.values where !action.lowercased().hasPrefix("sts:") {
                throw malformed("AssumeRole policy may only specify STS AssumeRole actions.")
            }
            switch statement.resources {
            case .any?: throw malformed("Has prohibited field Resource")
            case .noneOf?: throw malformed("AssumeRole policy must not contain resources.")
            case nil: break
            }
        }
        return document
    }
}

/// `iam:SimulateCustomPolicy`, `iam:SimulatePrincipalPolicy` and `coffer policy simulate`: the same
/// engine, asked once per action and resource.
public enum PolicySimulator {
    public struct Result: Sendable, Equatable {
        public let action: String
        public let resource: String
        /// AWS's spelling: allowed, explicitDeny, implicitDeny.
        public let decision: String
        public let matched: [DecidingStatement]
    }

    public static func simulate(policies: PolicySet, principal: PrincipalIdentity, actions: [String], resources: [String],
                                context: [String: [String]]) -> [Result] {
        var results: [Result] = []
        for action in actions {
            for resource in resources.isEmpty ? ["*"] : resources {
                var keys = context
                keys["aws:PrincipalArn"] = keys["aws:PrincipalArn"] ?? [principal.arn]
                keys["aws:PrincipalAccount"] = keys["aws:PrincipalAccount"] ?? [principal.account]
                let request = RequestContext(principal: principal, action: action, resource: resource, keys: keys)
                let decision = PolicyEvaluator.evaluate(request, policies)
                switch decision {
                case .allow(let statements): results.append(Result(action: action, resource: resource, decision: "allowed", matched: statements))
                case .explicitDeny(let statement):
                    results.append(Result(action: action, resource: resource, decision: "explicitDeny", matched: [statement]))
                case .implicitDeny: results.append(Result(action: action, resource: resource, decision: "implicitDeny", matched: []))
                }
            }
        }
        return results
    }
}

public import CofferCore

/// The event a rotation function receives for one step, shaped as the Lambda event Secrets
/// Manager sends: `Step`, `SecretId` (the ARN), `ClientRequestToken`, `RotationToken`.
public struct RotationInvocation: Sendable, Equatable {
    public let step: RotationStep
    public let secretARN: String
    public let clientRequestToken: String
    public let rotationToken: String

    public init(step: RotationStep, secretARN: String, clientRequestToken: String, rotationToken: String) {
        self.step = step
        self.secretARN = secretARN
        self.clientRequestToken = clientRequestToken
        self.rotationToken = rotationToken
    }

    public var event: JSONValue {
        .object(["Step": .string(step.rawValue), "SecretId": .string(secretARN), "ClientRequestToken": .string(clientRequestToken),
                 "RotationToken": .string(rotationToken)])
    }

    public var scope: ResourceScope? { ARN(secretARN).map { ResourceScope(account: $0.account, region: $0.region) } }
}

/// Why a step failed, in words safe to record (never a secret value).
public struct RotationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Something that runs rotation steps: an HTTP endpoint, a local command, or a built-in.
public protocol RotationFunction: Sendable {
    /// Runs one step to completion; throws ``RotationFailure`` (or any error) when it fails.
    func invoke(_ invocation: RotationInvocation) async throws
    /// True for Coffer's own functions whose finishSecret has nothing to do but move AWSCURRENT:
    /// the service moves it in the same write that completes the rotation, saving a write.
    var leavesFinishToTheService: Bool { get }
}

extension RotationFunction {
    public var leavesFinishToTheService: Bool { false }
}

/// The functions an operator registered, found by the RotationLambdaARN that names them.
public protocol RotationFunctionDirectory: Sendable {
    func function(arn: String) -> (any RotationFunction)?
}

/// Lambda function ARNs: `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
public enum LambdaARN {
    /// The function name an ARN names, or nil if it is not a Lambda function ARN.
    public static func functionName(_ arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 7 || parts.count == 8, parts[0] == "arn", parts[2] == "lambda", parts[5] == "function", !parts[6].isEmpty,
            parts[4].count == 12, parts[4].allSatisfy(\.isNumber)
        else { return nil }
        return String(parts[6])
    }
}

import CofferCore
import CofferServices
import CofferClient
import Crypto
import Foundation

/// POSTs the Lambda-shaped event to a URL. The receiver can tell the call came from Coffer:
/// `X-Coffer-Signature: v1=HEX` is HMAC-SHA256 under the registered secret of
/// `TIMESTAMP + "." + BODY`, with `X-Coffer-Timestamp` (Unix seconds) against replay. Any 2xx
/// answer is success; anything else, or no answer within the timeout, fails the step.
struct HTTPRotationFunction: RotationFunction {
    let spec: RotationFunctionSpec
    let environment: RotationFunctionRegistry.Environment

    static func signature(secret: [UInt8], timestamp: String, body: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(timestamp.utf8) + [UInt8(ascii: ".")] + body, using: SymmetricKey(data: secret))
        return "v1=" + Hex.encode(Array(mac))
    }

    func invoke(_ invocation: RotationInvocation) async throws {
        guard let address = spec.url, let url = URL(string: address) else { throw RotationFailure("the function has no URL") }
        guard let name = spec.signingSecretEnv, let secret = environment.environment[name], !secret.isEmpty else {
            throw RotationFailure("the function's signing secret (\(spec.signingSecretEnv ?? "?")) is not set")
        }
        let body = JSONWriter.bytes(invocation.event)
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let headers = [
            (name: "Content-Type", value: "application/json"), (name: "X-Coffer-Timestamp", value: timestamp),
            (name: "X-Coffer-Signature", value: Self.signature(secret: Array(secret.utf8), timestamp: timestamp, body: body)),
            (name: "X-Coffer-Rotation-Step", value: invocation.step.rawValue),
        ]
        let status: Int
        do {
            status = try await HTTPFetch.send("POST", to: url, headers: headers, body: body, timeout: spec.timeoutSeconds).status
        } catch .timedOut {
            throw RotationFailure("the function did not answer within \(Int(spec.timeoutSeconds)) seconds")
        } catch {
            throw RotationFailure("the function could not be reached")
        }
        guard (200..<300).contains(status) else { throw RotationFailure("the function answered HTTP \(status)") }
    }
}

/// What went wrong on a call, in terms a person can act on; never a credential or a value.
public enum AWSClientError: Error, CustomStringConvertible, Sendable {
    /// The service answered with an error: AWS's code and message.
    case service(code: String, message: String, status: Int)
    case unreachable(endpoint: String, reason: String)
    /// No credentials anywhere the chain looked, with the places it looked.
    case noCredentials(lookedIn: [String])
    case configuration(String)

    public var description: String {
        switch self {
        case .service(let code, let message, let status): "\(code): \(message)\(message.isEmpty ? "HTTP \(status)" : "")"
        case .unreachable(let endpoint, let reason): "\(endpoint) could not be reached (\(reason))"
        case .noCredentials(let places): "no AWS credentials found; looked in \(places.joined(separator: ", "))"
        case .configuration(let why): why
        }
    }

    public var code: String? { if case .service(let code, _, _) = self { code } else { nil } }
}

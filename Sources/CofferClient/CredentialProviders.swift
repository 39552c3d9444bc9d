public import CofferCore
public import Foundation

/// The credential sources beyond keys in the environment or the files, as the AWS SDKs read them:
/// a profile's `credential_process`, the container credentials endpoint (ECS, EKS Pod Identity) and
/// a web identity token file (EKS IRSA, CI jobs). Nothing they return is ever logged or printed.
public enum CredentialProviders {
    /// `credential_process`: the command's standard output, `{"Version": 1, "AccessKeyId": ...}`.
    /// Run through `/bin/sh -c` so quoting works as it does in the SDKs' own splitting.
    public static func process(_ command: String, environment: [String: String]) async throws(AWSClientError) -> AWSCredentials {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .configuration("credential_process could not be started: \(error.localizedDescription)")
        }
        // Read before waiting: a child writing more than a pipe holds would never exit otherwise.
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw .configuration("credential_process exited with status \(process.terminationStatus)")
        }
        guard case .object(let object)? = try? JSONParser.parse(Array(bytes)) else {
            throw .configuration("credential_process did not print a JSON object")
        }
        guard object["Version"]?.numberValue == 1 else {
            throw .configuration("credential_process printed an unsupported Version (1 is the only one)")
        }
        return try credentials(object, token: "SessionToken", source: "credential_process")
    }

    /// Hosts the SDKs accept for a plain-HTTP `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    static let containerHosts: Set<String> = ["127.0.0.1", "localhost", "::1", "[::1]", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]"]

    /// The container credentials endpoint, when the environment names one; nil otherwise.
    public static func container(environment: [String: String]) async throws(AWSClientError) -> AWSCredentials? {
        let url: URL
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            guard let made = URL(string: "http://169.254.170.2" + relative) else { throw .configuration("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a path") }
            url = made
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            guard let made = URL(string: full), let scheme = made.scheme?.lowercased(), let host = made.host,
                  scheme == "https" || (scheme == "http" && containerHosts.contains(host.lowercased())) else {
                throw .configuration("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or the container agent's address")
            }
            url = made
        } else {
            return nil
        }
        var headers: [(name: String, value: String)] = []
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            guard let token = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw .configuration("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE could not be read")
            }
            headers.append((name: "Authorization", value: token.trimmingCharacters(in: .whitespacesAndNewlines)))
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            headers.append((name: "Authorization", value: token))
        }
        let response: HTTPFetch.Response
        do { response = try await HTTPFetch.send("GET", to: url, headers: headers, timeout: 5, maximumBody: 64 << 10) } catch {
            throw .unreachable(endpoint: url.absoluteString, reason: "\(error)")
        }
        guard response.status == 200, case .object(let object)? = try? JSONParser.parse(response.body) else {
            throw .configuration("the container credentials endpoint answered HTTP \(response.status)")
        }
        return try credentials(object, token: "Token", source: "the container credentials endpoint")
    }

    static func credentials(_ object: JSONObject, token: String, source: String) throws(AWSClientError) -> AWSCredentials {
        guard let key = object["AccessKeyId"]?.stringValue, let secret = object["SecretAccessKey"]?.stringValue, !key.isEmpty, !secret.isEmpty else {
            throw .configuration("\(source) gave no AccessKeyId and SecretAccessKey")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: Redacted(secret), sessionToken: object[token]?.stringValue.map(Redacted.init))
    }
}

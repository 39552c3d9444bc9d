public import CofferCore
public import Foundation

/// Where calls go and as whom, resolved as the AWS SDKs resolve it, so that a program pointed at
/// Coffer with `AWS_ENDPOINT_URL` or a profile needs no code of its own.
///
/// Credentials: the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`)
/// unless a profile was named explicitly, then the profile (`AWS_PROFILE`, else `default`) in the
/// shared credentials and config files: static keys, `credential_process`, `role_arn` with
/// `source_profile` (or `credential_source = Environment` or `EcsContainer`) assumed through STS, or
/// with `web_identity_token_file` through AssumeRoleWithWebIdentity; `AWS_ROLE_ARN` with
/// `AWS_WEB_IDENTITY_TOKEN_FILE`; last, the container credentials endpoint. Region: `AWS_REGION`, `AWS_DEFAULT_REGION`,
/// the profile's `region`. Endpoint: an explicit one, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`,
/// the profile's `services` section, the profile's `endpoint_url`; none of the configured ones when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
public struct AWSSettings: Sendable {
    public let environment: [String: String]
    public let files: SharedConfigFiles
    /// A profile named on the command line or in code; it takes precedence over the environment's keys.
    public let explicitProfile: String?

    public init(profile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, files: SharedConfigFiles? = nil) {
        self.environment = environment
        self.files = files ?? SharedConfigFiles(environment: environment)
        explicitProfile = profile
    }

    public var profileName: String { explicitProfile ?? environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"] ?? "default" }
    var profile: [String: String] { files.profiles[profileName] ?? [:] }

    public var region: String {
        environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? profile["region"] ?? "us-east-1"
    }

    /// The endpoint for `service`, or nil for AWS's own (which Coffer's tools then default per command).
    public func endpoint(for service: AWSService, explicit: String? = nil) throws(AWSClientError) -> URL? {
        if let explicit { return try Self.url(explicit) }
        let ignore = (environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] ?? profile["ignore_configured_endpoint_urls"])?.lowercased() == "true"
        if ignore { return nil }
        let variable = "AWS_ENDPOINT_URL_" + service.endpointKey.uppercased()
        if let value = environment[variable] ?? environment["AWS_ENDPOINT_URL"] { return try Self.url(value) }
        if let section = profile["services"], let value = files.services[section]?[service.endpointKey]?["endpoint_url"] {
            return try Self.url(value)
        }
        if let value = profile["endpoint_url"] { return try Self.url(value) }
        return nil
    }

    static func url(_ text: String) throws(AWSClientError) -> URL {
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw .configuration("not an http(s) URL: \(text)")
        }
        return url
    }

    /// AWS's own endpoint for a service in this region.
    public func awsEndpoint(for service: AWSService) -> URL {
        let host = switch service {
        case .iam: "iam.amazonaws.com"
        case .secretsManager: "secretsmanager.\(region).amazonaws.com"
        default: "\(service.signingName).\(region).amazonaws.com"
        }
        return URL(string: "https://\(host)")!
    }

    /// A caller for `service`: the resolved endpoint (AWS's own when none is configured) and credentials.
    public func caller(for service: AWSService, explicitEndpoint: String? = nil) async throws(AWSClientError) -> SignedCaller {
        try caller(for: service, explicitEndpoint: explicitEndpoint, credentials: try await credentials(stsEndpoint: explicitEndpoint))
    }

    /// A caller with credentials already resolved (one AssumeRole serves every service).
    public func caller(for service: AWSService, explicitEndpoint: String?, credentials: AWSCredentials) throws(AWSClientError) -> SignedCaller {
        let configured = try endpoint(for: service, explicit: explicitEndpoint)
        // IAM is global: AWS's endpoint signs in us-east-1 whatever the client's region.
        let signingRegion = configured == nil && service == .iam ? "us-east-1" : region
        return SignedCaller(endpoint: configured ?? awsEndpoint(for: service), region: signingRegion, credentials: credentials)
    }

    /// The SDKs' chain: the environment's keys, a web identity token file named by the environment,
    /// the profile (keys, role, web identity, `credential_process`), then the container endpoint.
    public func credentials(stsEndpoint: String? = nil) async throws(AWSClientError) -> AWSCredentials {
        if explicitProfile == nil {
            if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"], !key.isEmpty {
                return AWSCredentials(accessKeyID: key, secretAccessKey: Redacted(secret), sessionToken: environment["AWS_SESSION_TOKEN"].map(Redacted.init))
            }
            if let role = environment["AWS_ROLE_ARN"], let file = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], !role.isEmpty, !file.isEmpty {
                return try await webIdentity(role: role, tokenFile: file, sessionName: environment["AWS_ROLE_SESSION_NAME"], stsEndpoint: stsEndpoint)
            }
        }
        do {
            return try await credentials(profile: profileName, stsEndpoint: stsEndpoint, depth: 0)
        } catch {
            guard case .noCredentials = error, explicitProfile == nil, let container = try await CredentialProviders.container(environment: environment) else {
                throw error
            }
            return container
        }
    }

    func webIdentity(role: String, tokenFile: String, sessionName: String?, stsEndpoint: String?, durationSeconds: Int? = nil) async throws(AWSClientError)
        -> AWSCredentials
    {
        guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
            throw .configuration("the web identity token file \(tokenFile) could not be read")
        }
        let sts = try endpoint(for: .sts, explicit: stsEndpoint) ?? awsEndpoint(for: .sts)
        let caller = SignedCaller(endpoint: sts, region: region, credentials: AWSCredentials(accessKeyID: "", secretAccessKey: Redacted("")))
        return try await STSClient(caller: caller).assumeRoleWithWebIdentity(
            arn: role, sessionName: sessionName ?? "coffer-\(Int(Date().timeIntervalSince1970))",
            token: token.trimmingCharacters(in: .whitespacesAndNewlines), durationSeconds: durationSeconds)
    }

    func credentials(profile name: String, stsEndpoint: String?, depth: Int) async throws(AWSClientError) -> AWSCredentials {
        let places = ["the environment (AWS_ACCESS_KEY_ID)", "profile \(name) in \(files.credentialsPath) and \(files.configPath)"]
        guard depth < 5 else { throw .configuration("profile \(name): source_profile chain is longer than 5 (a loop?)") }
        guard let profile = files.profiles[name] else { throw .noCredentials(lookedIn: places) }
        if let role = profile["role_arn"], let file = profile["web_identity_token_file"] {
            return try await webIdentity(role: role, tokenFile: file, sessionName: profile["role_session_name"], stsEndpoint: stsEndpoint,
                                         durationSeconds: profile["duration_seconds"].flatMap { Int($0) })
        }
        if let role = profile["role_arn"] {
            let source: AWSCredentials
            if let sourceProfile = profile["source_profile"], sourceProfile != name || profile["aws_access_key_id"] != nil {
                source = sourceProfile == name ? try Self.staticKeys(profile, name) : try await credentials(profile: sourceProfile, stsEndpoint: stsEndpoint, depth: depth + 1)
            } else if profile["credential_source"]?.lowercased() == "environment", let key = environment["AWS_ACCESS_KEY_ID"],
                      let secret = environment["AWS_SECRET_ACCESS_KEY"] {
                source = AWSCredentials(accessKeyID: key, secretAccessKey: Redacted(secret), sessionToken: environment["AWS_SESSION_TOKEN"].map(Redacted.init))
            } else if profile["credential_source"]?.lowercased() == "ecscontainer", let container = try await CredentialProviders.container(environment: environment) {
                source = container
            } else {
                throw .configuration("profile \(name) has role_arn but neither source_profile nor credential_source = Environment or EcsContainer")
            }
            let sts = try endpoint(for: .sts, explicit: stsEndpoint) ?? awsEndpoint(for: .sts)
            return try await STSClient(caller: SignedCaller(endpoint: sts, region: region, credentials: source)).assumeRole(
                arn: role, sessionName: profile["role_session_name"] ?? "coffer-\(Int(Date().timeIntervalSince1970))",
                externalID: profile["external_id"], durationSeconds: profile["duration_seconds"].flatMap { Int($0) })
        }
        if profile["aws_access_key_id"] == nil, let command = profile["credential_process"] {
            return try await CredentialProviders.process(command, environment: environment)
        }
        if profile["aws_access_key_id"] == nil && profile["aws_secret_access_key"] == nil { throw .noCredentials(lookedIn: places) }
        return try Self.staticKeys(profile, name)
    }

    static func staticKeys(_ profile: [String: String], _ name: String) throws(AWSClientError) -> AWSCredentials {
        guard let key = profile["aws_access_key_id"], let secret = profile["aws_secret_access_key"] else {
            throw .configuration("profile \(name) has no aws_access_key_id and aws_secret_access_key")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: Redacted(secret), sessionToken: profile["aws_session_token"].map(Redacted.init))
    }
}

public import CofferClient
public import CofferCore
public import CofferServices
import Synchronization

/// The registered rotation functions, replaced as a whole when the configuration is reloaded
/// (SIGHUP). A RotationLambdaARN selects a function by its name.
public final class RotationFunctionRegistry: RotationFunctionDirectory {
    /// What functions need from the running node.
    public struct Environment: Sendable {
        public let secrets: SecretsManagerService
        public let iam: IAMService
        public let credentials: @Sendable (_ roleARN: String, _ sessionName: String, _ seconds: Int) async throws -> AWSCredentials
        /// The URL a command's SDK should call (`AWS_ENDPOINT_URL`).
        public let endpoint: @Sendable () -> String
        /// Where commands' output goes, one 0600 file per rotation.
        public let logDirectory: String?
        public let environment: [String: String]
        public let random: any RandomSource

        public init(secrets: SecretsManagerService, iam: IAMService,
                    credentials: @escaping @Sendable (String, String, Int) async throws -> AWSCredentials,
                    endpoint: @escaping @Sendable () -> String, logDirectory: String?, environment: [String: String], random: any RandomSource) {
            self.secrets = secrets
            self.iam = iam
            self.credentials = credentials
            self.endpoint = endpoint
            self.logDirectory = logDirectory
            self.environment = environment
            self.random = random
        }
    }

    private let functions = Mutex<[String: any RotationFunction]>([:])
    private let environment: Environment

    public init(specs: [RotationFunctionSpec], environment: Environment) {
        self.environment = environment
        replace(specs)
    }

    public func replace(_ specs: [RotationFunctionSpec]) {
        var built: [String: any RotationFunction] = [:]
        for spec in specs { built[spec.name] = Self.make(spec, environment) }
        functions.withLock { $0 = built }
    }

    public var names: [String] { functions.withLock { $0.keys.sorted() } }

    public func function(arn: String) -> (any RotationFunction)? {
        guard let name = LambdaARN.functionName(arn) else { return nil }
        return functions.withLock { $0[name] }
    }

    static func make(_ spec: RotationFunctionSpec, _ environment: Environment) -> any RotationFunction {
        switch spec.kind {
        case .http: HTTPRotationFunction(spec: spec, environment: environment)
        case .command: CommandRotationFunction(spec: spec, environment: environment)
        case .randomPassword: BuiltInRotationFunction(spec: spec, secrets: environment.secrets, target: RandomPasswordTarget(), random: environment.random)
        case .postgresSingleUser:
            BuiltInRotationFunction(spec: spec, secrets: environment.secrets, target: PostgresSingleUserTarget(), random: environment.random)
        case .postgresAlternatingUsers:
            BuiltInRotationFunction(spec: spec, secrets: environment.secrets, target: PostgresAlternatingUsersTarget(secrets: environment.secrets),
                                    random: environment.random)
        case .iamAccessKey:
            BuiltInRotationFunction(spec: spec, secrets: environment.secrets,
                                    target: IAMAccessKeyTarget(iam: environment.iam, secrets: environment.secrets, endpoint: environment.endpoint),
                                    random: environment.random)
        }
    }
}


// Seed 003's configuration, as a Swift program does it with swift-configuration and Coffer's
// providers: Parameter Store (when USE_PARAMETER_STORE=true and LOCAL_DEV_MODE is not true) over the
// environment over .env.<env> over .env over config/config.json. Run it against Coffer with
// AWS_ENDPOINT_URL=http://localhost:4566 and the AWS CLI's credentials; print keys with
// `seed003-config mysql.host mysql.password` (secret values are masked).
import CofferClient
import Configuration
import ConfigurationCoffer
import Foundation
import SystemPackage

@main
struct Seed003Config {
    static func main() async throws {
        let bootstrap = ConfigReader(providers: [
            EnvironmentVariablesProvider(),
            try await EnvironmentVariablesProvider(environmentFilePath: ".env", allowMissing: true),
        ])
        let environment = bootstrap.string(forKey: "env", default: "STAGING")
        var providers: [any ConfigProvider] = []
        if bootstrap.bool(forKey: "use.parameter.store", default: false), !bootstrap.bool(forKey: "local.dev.mode", default: false) {
            let prefix = bootstrap.string(forKey: "parameter.store.prefix", default: "/ELASMETRICS")
            let client = ParameterStoreClient(caller: try await AWSSettings().caller(for: .ssm))
            providers.append(try await ParameterStoreProvider(client: client, path: "\(prefix)/\(environment)"))
        }
        providers.append(EnvironmentVariablesProvider())
        providers.append(try await EnvironmentVariablesProvider(environmentFilePath: FilePath(".env.\(environment.lowercased())"), allowMissing: true))
        providers.append(try await EnvironmentVariablesProvider(environmentFilePath: ".env", allowMissing: true))
        providers.append(try await FileProvider<JSONSnapshot>(filePath: "config/config.json", allowMissing: true))
        let config = ConfigReader(providers: providers)
        for key in CommandLine.arguments.dropFirst() {
            let secret = key.lowercased().contains("password") || key.lowercased().contains("key")
            let value = config.string(forKey: ConfigKey(key), isSecret: secret)
            print("\(key) = \(value.map { secret ? "****" : $0 } ?? "(not set)")")
        }
    }
}

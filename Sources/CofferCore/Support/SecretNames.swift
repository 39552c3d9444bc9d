/// Parameter, variable and key names that say they hold a secret: posture flags such a String
/// parameter, and import stores such a value as a SecureString.
public enum SecretNames {
    static let words = ["password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key", "private_key", "privatekey",
                        "credential", "client_secret", "access_key", "auth_key", "signing_key", "connection_string", "dsn"]

    public static func looksSecret(_ name: String) -> Bool {
        let lower = name.lowercased()
        return words.contains { lower.contains($0) }
    }
}

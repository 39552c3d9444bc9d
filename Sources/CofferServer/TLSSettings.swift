import Foundation
import NIOSSL
import Synchronization

/// The server's certificate and key, PEM files read at start and again on SIGHUP, so a renewed
/// certificate is served to new connections without a restart. TLS 1.2 is the least version offered.
final class TLSContextSource: Sendable {
    let certificatePath: String
    let keyPath: String
    private let current: Mutex<NIOSSLContext>

    init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    var context: NIOSSLContext { current.withLock { $0 } }

    /// Reads the files again; on failure the context in use stays, and the error says why.
    func reload() throws {
        let fresh = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        current.withLock { $0 = fresh }
    }

    private static func load(certificatePath: String, keyPath: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ConfigurationError("cannot read the TLS certificate \(certificatePath): \(error)")
        }
        guard !chain.isEmpty else { throw ConfigurationError("no certificate in \(certificatePath)") }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            // Never the key's contents: only where it was looked for.
            throw ConfigurationError("cannot read the TLS private key \(keyPath) (a PEM file)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigurationError("the TLS certificate \(certificatePath) and key \(keyPath) do not make a usable pair: \(error)")
        }
    }
}

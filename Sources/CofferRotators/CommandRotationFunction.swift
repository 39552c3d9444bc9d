import CofferClient
import CofferCore
import CofferServices
import Foundation
import Synchronization

/// Runs a local program for each step, as Lambda runs a function: the event on standard input,
/// temporary credentials of the registered execution role in `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and `AWS_ENDPOINT_URL` pointing at this Coffer,
/// so an SDK inside calls Coffer as that role and nothing more. Exit status 0 is success; the
/// program is killed at its timeout. Its output goes to one 0600 file per rotation under the
/// data directory, never to Coffer's log.
struct CommandRotationFunction: RotationFunction {
    let spec: RotationFunctionSpec
    let environment: RotationFunctionRegistry.Environment

    func invoke(_ invocation: RotationInvocation) async throws {
        guard let role = spec.roleARN, let executable = spec.command.first else { throw RotationFailure("the function has no command or role") }
        let region = ARN(invocation.secretARN)?.region ?? "us-east-1"
        let session = "coffer-rotation-\(invocation.clientRequestToken.prefix(32))"
        let credentials: AWSCredentials
        do {
            credentials = try await environment.credentials(role, session, 900 + Int(spec.timeoutSeconds))
        } catch {
            throw RotationFailure("the execution role \(role) could not be assumed")
        }
        var variables: [String: String] = [:]
        for key in ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV"] { variables[key] = environment.environment[key] }
        variables["AWS_ACCESS_KEY_ID"] = credentials.accessKeyID
        variables["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey.value
        variables["AWS_SESSION_TOKEN"] = credentials.sessionToken?.value
        variables["AWS_ENDPOINT_URL"] = environment.endpoint()
        variables["AWS_REGION"] = region
        variables["AWS_DEFAULT_REGION"] = region
        // The function must not pick up the operator's own profiles instead of its role.
        variables["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        variables["AWS_CONFIG_FILE"] = "/dev/null"
        variables["AWS_LAMBDA_FUNCTION_NAME"] = spec.name
        variables["AWS_LAMBDA_FUNCTION_TIMEOUT"] = String(Int(spec.timeoutSeconds))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : try Self.find(executable, path: variables["PATH"]))
        process.arguments = Array(spec.command.dropFirst())
        process.environment = variables
        let input = Pipe()
        process.standardInput = input
        let log = try openLog(invocation)
        process.standardOutput = log ?? FileHandle.nullDevice
        process.standardError = log ?? FileHandle.nullDevice
        defer { try? log?.close() }

        let status: Int32? = try await withCheckedThrowingContinuation { continuation in
            let once = Mutex<CheckedContinuation<Int32?, any Error>?>(continuation)
            process.terminationHandler = { finished in
                once.withLock { $0?.resume(returning: finished.terminationStatus); $0 = nil }
            }
            do {
                try process.run()
            } catch {
                once.withLock { $0?.resume(throwing: RotationFailure("the command could not be started")); $0 = nil }
                return
            }
            input.fileHandleForWriting.write(Data(JSONWriter.bytes(invocation.event)))
            try? input.fileHandleForWriting.close()
            let pid = process.processIdentifier
            let timeout = spec.timeoutSeconds
            Task.detached {
                try? await Task.sleep(for: .seconds(timeout))
                let expired = once.withLock { pending -> Bool in
                    guard let pending else { return false }
                    pending.resume(returning: nil)
                    return true
                }
                if expired {
                    kill(pid, SIGTERM)
                    try? await Task.sleep(for: .seconds(2))
                    kill(pid, SIGKILL)
                }
            }
        }
        guard let status else { throw RotationFailure("the function timed out after \(Int(spec.timeoutSeconds)) seconds") }
        guard status == 0 else { throw RotationFailure("the function exited with status \(status)") }
    }

    /// `<data dir>/rotation-logs/<function>-<token>.log`, appended to by every step, mode 0600.
    private func openLog(_ invocation: RotationInvocation) throws -> FileHandle? {
        guard let directory = environment.logDirectory else { return nil }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let safeToken = invocation.clientRequestToken.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        let path = "\(directory)/\(spec.name)-\(safeToken).log"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        handle.write(Data("--- \(invocation.step.rawValue) \(SigV4Timestamp.iso8601(Date()))\n".utf8))
        return handle
    }

    static func find(_ name: String, path: String?) throws -> String {
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RotationFailure("the command \(name) was not found on PATH")
    }
}

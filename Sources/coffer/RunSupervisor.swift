import ArgumentParser
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `coffer run --watch`: the command runs as a child instead of replacing coffer, the values are
/// read again every interval, and when one changed (a rotation, a new parameter value) the child
/// is stopped (the restart signal, then SIGKILL after the grace period) and started again with
/// the new environment. Signals coffer gets (TERM, INT, HUP, QUIT, USR1, USR2) go to the child;
/// when the child ends on its own, coffer ends with its status (128 + the signal if one killed it).
/// A failed re-read is reported and the child keeps running on the values it has.
struct RunSupervisor: Sendable {
    let command: [String]
    let interval: Double
    let restartSignal: Int32
    let grace: Double
    /// The command's environment as it would be now, or an error to report and wait out.
    let environment: @Sendable () async throws -> [String: String]

    static let forwarded: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]

    private final class State: Sendable {
        let child = Mutex<pid_t?>(nil)
    }

    /// A spawned child and, once it ended, its status (set by a thread waiting on it).
    private final class Child: Sendable {
        let pid: pid_t
        private let ended = Mutex<Int32?>(nil)

        init(_ pid: pid_t) {
            self.pid = pid
            Thread.detachNewThread { [self] in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                let signal = status & 0x7F
                // As a shell reports it: the exit status, or 128 + the signal that ended it.
                ended.withLock { $0 = signal == 0 ? (status >> 8) & 0xFF : 128 + signal }
            }
        }

        var status: Int32? { ended.withLock { $0 } }

        /// Waits up to `seconds` for the child to end; its status, or nil if it still runs.
        func wait(_ seconds: Double) async -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while true {
                if let status { return status }
                if Date() >= deadline { return nil }
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
        }
    }

    func run(first: [String: String]) async throws -> Never {
        let state = State()
        var sources: [any DispatchSourceSignal] = []
        for number in Self.forwarded {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                state.child.withLock { child in if let child { kill(child, number) } }
            }
            source.resume()
            sources.append(source)
        }
        var current = first
        while true {
            let child = Child(try Self.spawn(command, environment: current))
            state.child.withLock { $0 = child.pid }
            // Until the child ends (coffer ends with it) or a re-read differs (the child is restarted).
            var changed: [String: String]?
            while changed == nil {
                if let status = await child.wait(interval) {
                    withExtendedLifetime(sources) {}
                    Glibc.exit(status)
                }
                do {
                    let now = try await environment()
                    if now != current { changed = now }
                } catch {
                    FileHandle.standardError.write(Data("coffer run: could not re-read the values (\(error)); the command keeps its current ones\n".utf8))
                }
            }
            FileHandle.standardError.write(Data("coffer run: a value changed; restarting \(command[0])\n".utf8))
            kill(child.pid, restartSignal)
            if await child.wait(grace) == nil {
                kill(child.pid, SIGKILL)
                _ = await child.wait(.infinity)
            }
            state.child.withLock { $0 = nil }
            current = changed ?? current
        }
    }

    /// Spawns the command with every signal at its default and none blocked: coffer ignores the
    /// ones it forwards, and an ignored signal would otherwise stay ignored in the command.
    private static func spawn(_ command: [String], environment: [String: String]) throws -> pid_t {
        let program = Run.resolve(command[0], path: environment["PATH"])
        let arguments = command.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, nil, &attributes, arguments, variables)
        guard result == 0 else { throw ValidationError("cannot run \(command[0]): \(String(cString: strerror(result)))") }
        return pid
    }
}

import ArgumentParser
import CofferServer
import Glibc

/// The process's entry. Swift's async `main` ends the main thread in `dispatch_main()`, whose
/// `pthread_exit` unwinds it with the binary's whole unwind table (a binary search over 1 MB of
/// `.eh_frame_hdr` per frame, and libgcc_s's unwinder loaded for it): 0.7 MiB resident for nothing.
/// The command runs as a task instead, and the main thread sleeps until the process exits.
@main
enum CofferMain {
    static func main() {
        Task.detached {
            await Coffer.main()
            exit(0)
        }
        while true { pause() }
    }
}

struct Coffer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffer",
        abstract: "A self-hosted secrets service that speaks AWS's wire protocols.",
        version: CofferNode.version,
        subcommands: [Serve.self, Policy.self, Audit.self, BackupCommand.self, RestoreCommand.self, Secrets.self, Scan.self, Posture.self, Run.self, Import.self, ExportValues.self, Agent.self, Config.self]
    )
}

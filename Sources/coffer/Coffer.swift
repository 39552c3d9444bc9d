import ArgumentParser
import CofferServer

@main
struct Coffer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffer",
        abstract: "A self-hosted secrets service that speaks AWS's wire protocols.",
        version: CofferNode.version,
        subcommands: [Serve.self, Policy.self, Audit.self, BackupCommand.self, RestoreCommand.self, Secrets.self, Scan.self, Posture.self, Run.self, Import.self, ExportValues.self, Agent.self, Config.self]
    )
}

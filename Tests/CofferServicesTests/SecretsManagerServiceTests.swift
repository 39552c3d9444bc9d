import CofferCore
import CofferServices
import CofferStorage
import Foundation
import Testing

@Suite struct SecretsManagerServiceTests {
    let scope = ResourceScope(account: "123456789012", region: "us-east-1")
    let clock = ManualClock()
    let store = MemoryStore()
    let root = RootKey.generate(random: SystemRandomSource())
    var kms: KMSService { KMSService(store: store, root: root, clock: clock, random: SystemRandomSource()) }
    var service: SecretsManagerService {
        SecretsManagerService(store: store, keyring: KMSKeyring(kms: kms, root: root), clock: clock, random: SystemRandomSource())
    }

    @Test func createReadByNameAndARNs() async throws {
        let svc = service
        let created = try await svc.createSecret(CreateSecretInput(name: "app/db", value: .string("canary")), in: scope)
        let arn = created.secret.arn
        #expect(arn.hasPrefix("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-") && arn.count == "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-".count + 6)
        for id in ["app/db", arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db"] {
            #expect(try await svc.getSecretValue(secretID: id, versionID: nil, versionStage: nil, in: scope).value == .string("canary"))
        }
        #expect(await errorCode { _ = try await svc.getSecretValue(secretID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db", versionID: nil, versionStage: nil, in: scope) } == .resourceNotFound)
    }

    @Test func clientRequestTokenIsIdempotent() async throws {
        let svc = service
        let token = String(repeating: "a", count: 32)
        let first = try await svc.createSecret(CreateSecretInput(name: "s", clientRequestToken: token, value: .string("v")), in: scope)
        let again = try await svc.createSecret(CreateSecretInput(name: "s", clientRequestToken: token, value: .string("v")), in: scope)
        #expect(first.versionID == again.versionID)
        #expect(await errorCode { _ = try await svc.createSecret(CreateSecretInput(name: "s", clientRequestToken: token, value: .string("other")), in: scope) } == .resourceExists)
        let put = try await svc.putSecretValue(PutSecretValueInput(secretID: "s", clientRequestToken: token, value: .string("v")), in: scope)
        #expect(put.versionID == token)
        #expect(await errorCode { _ = try await svc.putSecretValue(PutSecretValueInput(secretID: "s", clientRequestToken: token, value: .string("w")), in: scope) } == .resourceExists)
        let versions = try await svc.listSecretVersionIDs(secretID: "s", includeDeprecated: true, maxResults: nil, nextToken: nil, in: scope)
        #expect(versions.versions.count == 1)
    }

    @Test func deletionWindowRestoreAndPurge() async throws {
        let svc = service
        _ = try await svc.createSecret(CreateSecretInput(name: "d", value: .string("v")), in: scope)
        #expect(await errorCode { _ = try await svc.deleteSecret(secretID: "d", recoveryWindowDays: 6, forceDelete: false, in: scope) } == .invalidParameter)
        #expect(await errorCode { _ = try await svc.deleteSecret(secretID: "d", recoveryWindowDays: 7, forceDelete: true, in: scope) } == .invalidParameter)
        let deleted = try await svc.deleteSecret(secretID: "d", recoveryWindowDays: 7, forceDelete: false, in: scope)
        #expect(deleted.deletionDate == clock.now().addingTimeInterval(7 * 86_400))
        #expect(await errorCode { _ = try await svc.getSecretValue(secretID: "d", versionID: nil, versionStage: nil, in: scope) } == .invalidRequest)
        #expect(await errorCode { _ = try await svc.createSecret(CreateSecretInput(name: "d"), in: scope) } == .invalidRequest)
        _ = try await svc.restoreSecret(secretID: "d", in: scope)
        #expect(try await svc.getSecretValue(secretID: "d", versionID: nil, versionStage: nil, in: scope).value == .string("v"))
        _ = try await svc.deleteSecret(secretID: "d", recoveryWindowDays: 7, forceDelete: false, in: scope)
        clock.advance(days: 7.01)
        #expect(try await svc.purgeExpired() == 1)
        #expect(await errorCode { _ = try await svc.describeSecret(secretID: "d", in: scope) } == .resourceNotFound)
        _ = try await svc.createSecret(CreateSecretInput(name: "d", value: .string("new")), in: scope)
    }

    @Test func listSecretsFiltersSortsAndPages() async throws {
        let svc = service
        for i in 0..<5 {
            _ = try await svc.createSecret(CreateSecretInput(name: "team/s\(i)", tags: [Tag(key: "n", value: "\(i)")]), in: scope)
            clock.advance(days: 0.01)
        }
        _ = try await svc.createSecret(CreateSecretInput(name: "other"), in: scope)
        var input = ListSecretsInput()
        input.filters = [SecretListFilter(key: "name", values: ["team/"])]
        input.maxResults = 2
        var names: [String] = []
        repeat {
            let page = try await svc.listSecrets(input, in: scope)
            names += page.secrets.map(\.name)
            input.nextToken = page.nextToken
        } while input.nextToken != nil
        #expect(names == (0..<5).map { "team/s\($0)" })
        input = ListSecretsInput()
        input.descending = true
        input.sortBy = .name
        #expect(try await svc.listSecrets(input, in: scope).secrets.first?.name == "team/s4")
    }

    @Test func staleRevisionsRetryUnderConcurrentWriters() async throws {
        let svc = service
        _ = try await svc.createSecret(CreateSecretInput(name: "busy", value: .string("0")), in: scope)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 1...20 {
                group.addTask { _ = try await svc.putSecretValue(PutSecretValueInput(secretID: "busy", value: .string("\(i)")), in: scope) }
            }
            try await group.waitForAll()
        }
        let versions = try await svc.listSecretVersionIDs(secretID: "busy", includeDeprecated: true, maxResults: nil, nextToken: nil, in: scope)
        #expect(versions.versions.count == 21)
        #expect(versions.versions.filter { $0.stages.contains("AWSCURRENT") }.count == 1)
    }
}

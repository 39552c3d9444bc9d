import CofferLint
import Testing

@Suite struct DatasetTests {
    @Test func loadsEveryServiceWithItsActions() {
        let dataset = IAMDataset.shared
        #expect(dataset.services.count > 400)
        let get = dataset.service("secretsmanager")?.action("getsecretvalue")
        #expect(get?.name == "GetSecretValue")
        #expect(get?.level == .read)
        #expect(dataset.actions(matching: "secretsmanager:Get*").map(\.name).sorted() == ["GetRandomPassword", "GetResourcePolicy", "GetSecretValue"])
        #expect(dataset.service("iam")?.action("PassRole")?.level == .permissionsManagement)
    }
}

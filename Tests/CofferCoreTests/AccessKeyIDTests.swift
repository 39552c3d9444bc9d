import CofferCore
import Testing

@Suite struct AccessKeyIDTests {
    @Test func readsTheAccountAWSEncodesInAKeyID() {
        // AWS's documentation example key, decoded as AWS and published decoders do.
        #expect(AccessKeyID.account(of: "AKIAIOSFODNN7EXAMPLE") == "581039954779")
        #expect(AccessKeyID.account(of: "AKIA1234") == nil)
        #expect(AccessKeyID.account(of: "AIDAIOSFODNN7EXAMPLE") == nil)
        #expect(AccessKeyID.account(of: "AKIAioSFODNN7EXAMPL1") == nil)
    }

    @Test func keysItMakesCarryTheirAccount() {
        for account in ["123456789012", "000000000042", "999999999999"] {
            for prefix in ["AKIA", "ASIA"] {
                let id = AccessKeyID.make(prefix: prefix, account: account, random: SystemRandomSource())
                #expect(id.count == 20 && id.hasPrefix(prefix))
                #expect(id.dropFirst(4).allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
                #expect(AccessKeyID.account(of: id) == account)
            }
        }
        let secret = AccessKeyID.secret(random: SystemRandomSource())
        #expect(secret.count == 40)
    }
}

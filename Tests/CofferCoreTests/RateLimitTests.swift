import CofferCore
import Testing

@Suite struct RateLimitTests {
    let rule = RateRule(requests: 2000, windowSeconds: 300)

    /// How many of `count` requests at `now` the bucket lets through.
    func admitted(_ bucket: inout TokenBucket, _ count: Int, now: Double) -> Int {
        var passed = 0
        for _ in 0..<count where bucket.admit(rule: rule, now: now) { passed += 1 }
        return passed
    }

    @Test func aBurstOfTheWholeAllowancePassesThenTheAverageRateHolds() {
        var bucket = TokenBucket(rule: rule, now: 0)
        // 2,000 at once, then nothing; 2,000 in 300 seconds refills one request every 0.15 seconds.
        let passed = [admitted(&bucket, 2001, now: 0), admitted(&bucket, 1, now: 0.1), admitted(&bucket, 1, now: 0.16),
                      admitted(&bucket, 1, now: 0.17)]
        #expect(passed == [2000, 0, 1, 0])
        #expect(!bucket.isFull(rule: rule, now: 100))
        #expect(bucket.isFull(rule: rule, now: 301))
        // Refilling never goes past the allowance, however long the caller was away.
        let rested = admitted(&bucket, 2001, now: 10_000)
        #expect(rested == 2000)
    }

    @Test func operationsFallIntoAWSQuotaClasses() {
        #expect(OperationClass.of("GetSecretValue") == .read)
        #expect(OperationClass.of("ListSecrets") == .read)
        #expect(OperationClass.of("DescribeKey") == .read)
        #expect(OperationClass.of("LookupEvents") == .read)
        #expect(OperationClass.of("PutSecretValue") == .write)
        #expect(OperationClass.of("CreateUser") == .write)
        #expect(OperationClass.of("Decrypt") == .crypto)
        #expect(OperationClass.of("GenerateDataKey") == .crypto)
    }
}

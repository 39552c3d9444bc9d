@testable import CofferStorage
import CofferCore
import Foundation
import Testing

/// The write-through cache's rules for what a finished write may leave in it, whatever order the
/// writes' tasks resume in.
@Suite struct CachingStoreTests {
    let scope = ResourceScope(account: "123456789012", region: "us-east-1")

    func secret(revision: Int) -> Secret {
        var s = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:cached-abcdef", name: "cached",
                       createdDate: Date(timeIntervalSince1970: 1_700_000_000))
        s.revision = revision
        return s
    }

    var key: CachingStore.NameKey { CachingStore.NameKey(kind: Secret.kind, scope: scope, name: "cached") }

    @Test func anEarlierRevisionNeverReplacesALaterOne() {
        var cache = CachingStore.Cache()
        cache.generation = 1
        cache.rememberWritten(secret(revision: 7), key: key, startedAt: 1)
        cache.rememberWritten(secret(revision: 5), key: key, startedAt: 1)
        #expect(cache.byARN[secret(revision: 0).arn]?.revision == 7)
    }

    /// A write whose task resumes after the record was removed (or changed by another node) and
    /// forgotten leaves nothing; one that began after the forgetting is remembered.
    @Test func aWriteThatBeganBeforeTheRecordWasForgottenIsNotRemembered() {
        var cache = CachingStore.Cache()
        cache.generation = 3
        let started = cache.generation
        cache.generation += 1
        cache.forget(secret(revision: 0).arn)
        cache.rememberWritten(secret(revision: 4), key: key, startedAt: started)
        #expect(cache.byARN[secret(revision: 0).arn] == nil)
        cache.generation += 1
        cache.rememberWritten(secret(revision: 0), key: key, startedAt: cache.generation)
        #expect(cache.byARN[secret(revision: 0).arn]?.revision == 0)
    }

    /// When the record of what was forgotten is cleared (or the feed resets the cache), writes that
    /// began before are not trusted either.
    @Test func writesOlderThanTheForgottenRecordsAreNotTrusted() {
        var cache = CachingStore.Cache()
        let started = cache.generation
        for index in 0..<4_097 {
            cache.generation += 1
            cache.forget("arn:other:\(index)")
        }
        cache.rememberWritten(secret(revision: 1), key: key, startedAt: started)
        #expect(cache.byARN.isEmpty)
    }
}

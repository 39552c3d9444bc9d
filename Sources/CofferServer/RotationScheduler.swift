import CofferServices
import Logging

/// Runs due rotations: every `interval` seconds, and at once when RotateSecret accepted one.
/// What is due comes from the store's index on the next rotation time, so a tick with nothing
/// due costs one index probe. Any number of nodes may run one: a rotation is claimed by a
/// conditional write, so each runs on one node at a time.
final class RotationScheduler: Sendable {
    private let wakeUps: AsyncStream<Void>.Continuation
    private let task: Task<Void, Never>

    init(service: RotationService, interval: Double, logger: Logger) {
        let (stream, wakeUps) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wakeUps = wakeUps
        task = Task {
            // A timer feeds the same stream, so one loop serves ticks and wake-ups alike.
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(interval))
                    wakeUps.yield()
                }
            }
            defer { ticker.cancel() }
            wakeUps.yield()
            for await _ in stream {
                if Task.isCancelled { break }
                do {
                    // Keep going while a full batch came back: more may be due.
                    let began = ContinuousClock.now
                    while try await service.runDue() >= 256, !Task.isCancelled {}
                    let elapsed = (ContinuousClock.now - began).components
                    // Read by bench/rotation_bench.py: what a tick costs.
                    logger.trace("rotation tick", metadata: ["microseconds": "\(elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000)"])
                } catch {
                    logger.error("rotation scheduler tick failed")
                }
            }
        }
    }

    func wake() { wakeUps.yield() }

    func stop() {
        wakeUps.finish()
        task.cancel()
    }
}

import CofferWire
import Foundation
import Prometheus
import Synchronization

/// What `GET /metrics` shows, in Prometheus's text format. Labels name services, operations (only
/// those the AWS models define: request names are otherwise unbounded), outcomes and AWS error
/// codes; never a secret, a resource's name or ARN, or an access key id.
final class CofferMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let series = Mutex<[String: Counter]>([:])
    /// Read when scraped: values that live elsewhere (the audit backlog, caches, the shared database's listener).
    private let sources = Mutex<[@Sendable () async -> [Sample]]>([])
    /// Counters fed from running totals kept elsewhere, and the totals last added.
    private let added = Mutex<[String: Int]>([:])

    enum Sample: Sendable {
        case gauge(String, help: String, labels: [(String, String)], Double)
        /// A running total; the counter is advanced by what it gained since the last scrape.
        case total(String, help: String, labels: [(String, String)], Int)
    }

    static let requestsName = "coffer_requests_total"
    static let buckets: [Duration] = [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                                      .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                      .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]

    init(version: String) {
        registry.makeGauge(descriptor: Self.descriptor("coffer_build_info", "Coffer's version"),
                           labels: [("version", version)]).set(to: 1)
    }

    /// A request's series: found with one lookup per request, made (with the label checks) once.
    private struct SeriesKey: Hashable {
        let service: String
        let operation: String
        let outcome: Outcome
    }

    private struct Series {
        let requests: Counter
        let duration: DurationHistogram
        let service: String
        let operation: String
    }

    enum Outcome: String { case ok, throttled, client_error, server_error }

    private let requestSeries = Mutex<[SeriesKey: Series]>([:])

    /// Counts one answered request and how long it took.
    func request(service: String, operation: String, status: Int, error: String?, duration: Duration) {
        let outcome: Outcome = switch status {
        case 200..<300: .ok
        case _ where error == "ThrottlingException" || error == "Throttling": .throttled
        case 400..<500: .client_error
        default: .server_error
        }
        let key = SeriesKey(service: service, operation: operation, outcome: outcome)
        let series = requestSeries.withLock { $0[key] } ?? makeSeries(key)
        series.requests.increment()
        series.duration.record(duration)
        if let error {
            counter("coffer_request_errors_total", help: "Requests answered with an AWS error, by error code",
                    labels: [("service", series.service), ("operation", series.operation), ("error_code", error)]).increment()
        }
    }

    private func makeSeries(_ key: SeriesKey) -> Series {
        let operation = ModelValidation.knows(service: key.service, operation: key.operation)
            || key.service == "access-analyzer" && key.operation == "ValidatePolicy" ? key.operation : "unknown"
        let service = Self.services.contains(key.service) ? key.service : "unknown"
        let series = Series(
            requests: counter("coffer_requests_total", help: "Requests answered, by AWS service, operation and outcome",
                              labels: [("service", service), ("operation", operation), ("outcome", key.outcome.rawValue)]),
            duration: registry.makeDurationHistogram(descriptor: Self.descriptor("coffer_request_duration_seconds", "Time from a request's arrival to its answer"),
                                                     labels: [("service", service), ("operation", operation)], buckets: Self.buckets),
            service: service, operation: operation)
        // Only names the models define are kept as keys, so the table cannot grow with made-up names.
        if operation != "unknown" { requestSeries.withLock { $0[key] = series } }
        return series
    }

    /// The whole name in `metricName`: Coffer's names already follow Prometheus's conventions.
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    static let services: Set<String> = ["secretsmanager", "ssm", "kms", "iam", "sts", "cloudtrail", "access-analyzer"]

    func counter(_ name: String, help: String, labels: [(String, String)]) -> Counter {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        return series.withLock { series in
            if let found = series[key] { return found }
            let made = registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
            series[key] = made
            return made
        }
    }

    func addSource(_ source: @escaping @Sendable () async -> [Sample]) {
        sources.withLock { $0.append(source) }
    }

    /// The text a scrape gets: sources read first, so their values are current.
    func render() async -> [UInt8] {
        for source in sources.withLock({ $0 }) {
            for sample in await source() {
                switch sample {
                case .gauge(let name, let help, let labels, let value):
                    registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels).set(to: value)
                case .total(let name, let help, let labels, let total):
                    let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
                    let gained = added.withLock { added in
                        defer { added[key] = max(total, added[key] ?? 0) }
                        return max(0, total - (added[key] ?? 0))
                    }
                    counter(name, help: help, labels: labels).increment(by: Int64(gained))
                }
            }
        }
        return registry.emitToBuffer()
    }
}

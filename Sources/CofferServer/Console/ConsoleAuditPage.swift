import CofferCore
import Foundation

extension ConsolePages {
    /// LookupEvents' eight attributes.
    static let lookupAttributes = ["EventName", "Username", "ResourceName", "ResourceType", "EventSource", "AccessKeyId", "ReadOnly", "EventId"]

    /// The trail through LookupEvents: an attribute and a time range, each event in full, denials
    /// marked, and the page's calls and denials per minute.
    func audit(_ parameters: [String: String]) async -> HTTPResponseData {
        let attribute = Self.lookupAttributes.contains(parameters["attribute"] ?? "") ? parameters["attribute"]! : "EventName"
        let value = parameters["value"] ?? ""
        let start = parameters["start"] ?? ""
        let end = parameters["end"] ?? ""
        var body: JSONObject = ["MaxResults": .number(50)]
        if !value.isEmpty {
            body["LookupAttributes"] = .array([.object(["AttributeKey": .string(attribute), "AttributeValue": .string(value)])])
        }
        if let seconds = Self.seconds(start) { body["StartTime"] = .number(seconds) }
        if let seconds = Self.seconds(end) { body["EndTime"] = .number(seconds) }
        if let next = parameters["next"], !next.isEmpty { body["NextToken"] = .string(next) }
        let options = Self.lookupAttributes.map { "<option\($0 == attribute ? " selected" : "")>\($0)</option>" }.joined()
        let form = """
            <form class="inline" method="get" action="/console/audit" role="search">
            <label>Attribute <select name="attribute" id="attribute">\(options)</select></label>
            <label>Value <input name="value" id="value" value="\(H.h(value))"></label>
            <label>From (UTC) <input type="datetime-local" name="start" value="\(H.h(start))"></label>
            <label>To (UTC) <input type="datetime-local" name="end" value="\(H.h(end))"></label>
            <button type="submit">Look up</button></form>
            """
        let answer: JSONValue
        do throws(ConsoleCalls.Failure) {
            answer = try await calls.json("cloudtrail", target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", body)
        } catch {
            return failed(error, title: "Audit", section: "audit", extra: form)
        }
        let events = (answer.objectValue?["Events"]?.arrayValue ?? []).compactMap(\.objectValue)
        var perMinute: [(minute: Int, calls: Int, denied: Int)] = []
        let rows: [String] = events.map { event in
            let record = event["CloudTrailEvent"]?.stringValue ?? ""
            let parsed = (try? JSONParser.parse(record))?.objectValue
            let errorCode = parsed?["errorCode"]?.stringValue
            let denied = errorCode.map { $0.contains("AccessDenied") } ?? false
            let minute = Int((event["EventTime"]?.numberValue ?? 0) / 60)
            if let last = perMinute.indices.last, perMinute[last].minute == minute {
                perMinute[last].calls += 1
                perMinute[last].denied += denied ? 1 : 0
            } else {
                perMinute.append((minute, 1, denied ? 1 : 0))
            }
            let resources = (event["Resources"]?.arrayValue ?? []).compactMap(\.objectValue).map { H.h($0["ResourceName"]?.stringValue ?? "") }
            let pretty = (try? JSONParser.parse(record)).map(JSONWriter.pretty) ?? record
            let cells = [H.date(event["EventTime"]), H.h(event["EventName"]?.stringValue ?? ""), H.h(event["Username"]?.stringValue ?? ""),
                         H.h(parsed?["sourceIPAddress"]?.stringValue ?? ""), resources.joined(separator: "<br>"),
                         errorCode.map { "<strong>\(H.h($0))</strong>" } ?? "",
                         "<details><summary>Record</summary><pre>\(H.h(pretty))</pre></details>"]
            return "<tr\(denied ? " class=\"denied\"" : "")>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        let busiest = max(1, perMinute.map(\.calls).max() ?? 1)
        let chart = perMinute.isEmpty ? "" : "<h2>Calls and denials per minute (this page)</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Minute (UTC)</th><th scope=\"col\">Calls</th><th scope=\"col\">Denied</th></tr></thead><tbody>"
            + perMinute.map { bucket in
                "<tr><td>\(H.date(.number(Double(bucket.minute * 60))))</td><td><meter min=\"0\" max=\"\(busiest)\" value=\"\(bucket.calls)\"></meter> \(bucket.calls)</td>"
                    + "<td><meter min=\"0\" max=\"\(busiest)\" value=\"\(bucket.denied)\"></meter> \(bucket.denied)</td></tr>"
            }.joined() + "</tbody></table></div>"
        let table = events.isEmpty ? "<p class=\"empty\">No events match.</p>"
            : "<div class=\"scroll\"><table id=\"events\"><caption>Events, newest first; denials are marked</caption><thead><tr>"
                + ["Time", "Event", "User", "Source address", "Resources", "Error", "Record"].map { "<th scope=\"col\">\($0)</th>" }.joined()
                + "</tr></thead><tbody>" + rows.joined() + "</tbody></table></div>"
        var pager = ""
        if let token = answer.objectValue?["NextToken"]?.stringValue {
            pager = "<p><a rel=\"next\" href=\"/console/audit?attribute=\(H.q(attribute))&amp;value=\(H.q(value))&amp;start=\(H.q(start))&amp;end=\(H.q(end))&amp;next=\(H.q(token))\">Older events</a></p>"
        }
        return render("Audit", section: "audit", await chainStatus(check: parameters["verify"] == "1") + form + table + pager + chart)
    }

    /// The chain's verification, run on a click (it reads the whole trail); offered only once this
    /// user's LookupEvents was allowed, since it reads the same records.
    func chainStatus(check: Bool) async -> String {
        guard check else {
            return "<p><a href=\"/console/audit?verify=1\" id=\"verify-chain\">Verify the chain</a> "
                + "<span class=\"empty\">(every record's HMAC link and every signed digest, as <code>coffer audit verify</code> does)</span></p>"
        }
        do {
            let verification = try await verifyTrail()
            let span = "records \(verification.firstSequence.map(String.init) ?? "-") to \(verification.lastSequence.map(String.init) ?? "-"), "
                + "\(verification.digests) signed digests"
            if let problem = verification.report.problem {
                return "<p class=\"message error\" role=\"alert\" id=\"chain-status\"><strong>The chain is broken</strong>: \(H.h(problem.rawValue)) at record "
                    + "\(verification.report.position.map(String.init) ?? "?") (\(span)).</p>"
            }
            return "<p class=\"message info\" role=\"status\" id=\"chain-status\">The chain verifies: \(span), no record changed, inserted, deleted or reordered.</p>"
        } catch {
            return H.message("The chain could not be verified just now.")
        }
    }

    /// `2026-12-04T03:15` from a datetime-local field, read as UTC.
    static func seconds(_ field: String) -> Double? {
        guard !field.isEmpty else { return nil }
        let padded = field.count == 16 ? field + ":00" : field
        return SigV4Timestamp.parseISO8601(padded + "Z")?.timeIntervalSince1970
    }
}

import CofferClient
import CofferCore
import Foundation

extension ConsolePages {
    /// Secrets with rotation on (a page of ListSecrets at a time), and the last rotations with their
    /// outcome, read from the trail's Rotation* service events.
    func rotation(next: String?) async -> HTTPResponseData {
        var body: JSONObject = ["MaxResults": .number(100)]
        if let next, !next.isEmpty { body["NextToken"] = .string(next) }
        let listed: JSONValue
        do throws(ConsoleCalls.Failure) {
            listed = try await calls.json("secretsmanager", target: "secretsmanager.ListSecrets", body)
        } catch {
            return failed(error, title: "Rotation", section: "rotation")
        }
        let rows: [[String]] = (listed.objectValue?["SecretList"]?.arrayValue ?? []).compactMap(\.objectValue)
            .filter { $0["RotationEnabled"]?.boolValue == true }
            .map { secret in
                let rules = secret["RotationRules"]?.objectValue
                let schedule = rules?["ScheduleExpression"]?.stringValue
                    ?? rules?["AutomaticallyAfterDays"]?.numberValue.map { "every \(Int($0)) days" } ?? ""
                let function = secret["RotationLambdaARN"]?.stringValue.map { String($0.split(separator: ":").last ?? "") } ?? ""
                return ["<a href=\"/console/secret?id=\(H.q(secret["ARN"]?.stringValue ?? ""))\">\(H.h(secret["Name"]?.stringValue ?? ""))</a>",
                        H.h(schedule) + (rules?["Duration"]?.stringValue.map { ", window \(H.h($0))" } ?? ""), H.h(function),
                        H.date(secret["LastRotatedDate"]), H.date(secret["NextRotationDate"])]
            }
        var pager = ""
        if let token = listed.objectValue?["NextToken"]?.stringValue {
            pager = "<p><a rel=\"next\" href=\"/console/rotation?next=\(H.q(token))\">Next secrets</a></p>"
        }
        var outcomes: [(time: Double, row: String)] = []
        var trailFailure = ""
        for name in ["RotationSucceeded", "RotationFailed", "RotationAbandoned"] {
            do throws(ConsoleCalls.Failure) {
                let found = try await calls.json("cloudtrail", target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", [
                    "MaxResults": .number(20),
                    "LookupAttributes": .array([.object(["AttributeKey": .string("EventName"), "AttributeValue": .string(name)])]),
                ])
                for event in (found.objectValue?["Events"]?.arrayValue ?? []).compactMap(\.objectValue) {
                    let record = (try? JSONParser.parse(event["CloudTrailEvent"]?.stringValue ?? ""))?.objectValue
                    let secret = (event["Resources"]?.arrayValue ?? []).compactMap { $0.objectValue?["ResourceName"]?.stringValue }.first ?? ""
                    let failed = name != "RotationSucceeded"
                    outcomes.append((event["EventTime"]?.numberValue ?? 0,
                                     "<tr\(failed ? " class=\"denied\"" : "")><td>\(H.date(event["EventTime"]))</td>"
                                        + "<td>\(failed ? "<strong>\(H.h(name))</strong>" : H.h(name))</td>"
                                        + "<td><a href=\"/console/secret?id=\(H.q(secret))\">\(H.h(secret))</a></td>"
                                        + "<td>\(H.h(record?["errorMessage"]?.stringValue ?? ""))</td></tr>"))
                }
            } catch {
                if error.isExpiredSession { return Self.sessionEnded }
                trailFailure = H.failure(error)
            }
        }
        let history = outcomes.isEmpty ? "<p class=\"empty\">No rotation has finished yet.</p>"
            : "<div class=\"scroll\"><table id=\"rotations\"><caption>Newest first; failures marked</caption><thead><tr>"
                + ["Time", "Outcome", "Secret", "Failing step and message"].map { "<th scope=\"col\">\($0)</th>" }.joined() + "</tr></thead><tbody>"
                + outcomes.sorted { $0.time > $1.time }.prefix(30).map(\.row).joined() + "</tbody></table></div>"
        return render("Rotation", section: "rotation",
                      "<h2>Schedules</h2>" + H.table(["Secret", "Schedule", "Function", "Last rotated", "Next rotation"], rows,
                                                     caption: "Secrets with rotation on (this page of secrets)") + pager
                        + "<h2>Last rotations</h2>" + trailFailure + history)
    }

    /// Seed 004's emergency rollback, as `coffer secrets rollback` does it: AWSCURRENT back to the
    /// AWSPREVIOUS version with UpdateSecretVersionStage.
    func rollback(_ id: String) async throws(ConsoleCalls.Failure) {
        let described = try await calls.json("secretsmanager", target: "secretsmanager.DescribeSecret", ["SecretId": .string(id)])
        guard let move = RotationRollback.move(versionIDsToStages: described.objectValue?["VersionIdsToStages"]?.objectValue ?? JSONObject()) else {
            throw ConsoleCalls.Failure(code: "InvalidRequestException", message: "The secret has no AWSPREVIOUS version to roll back to.")
        }
        _ = try await calls.json("secretsmanager", target: "secretsmanager.UpdateSecretVersionStage", RotationRollback.request(secretID: id, move))
    }
}

import CofferCore
import CofferPosture
import Foundation

extension ConsolePages {
    /// `coffer posture`'s checks, run on a click over what the signed-in user may read (the same
    /// account reader, through the same signed calls), findings by severity with links to the resource.
    func findings(run profile: String?) async -> HTTPResponseData {
        let profiles = ["foundational", "cis", "strict", "checklist"]
        let chosen = profile.flatMap { profiles.contains($0) ? $0 : nil }
        let form = """
            <form class="inline" method="get" action="/console/findings">
            <label>Profile <select name="run" id="profile">\(profiles.map { "<option\($0 == (chosen ?? "foundational") ? " selected" : "")>\($0)</option>" }.joined())</select></label>
            <button type="submit" id="run-checks">Run the posture checks</button>
            <span class="empty">(reads the whole account as you: on a large store this takes a while)</span></form>
            """
        guard let chosen else { return render("Findings", section: "findings", form) }
        let settings: PostureConfiguration
        do {
            settings = try PostureConfiguration(profile: chosen)
        } catch {
            return render("Findings", section: "findings", status: 400, form + H.message(error.message))
        }
        let snapshot = await AccountReader(caller: calls.caller).snapshot(days: settings.rootUsageDays)
        let report = PostureChecks.run(snapshot, configuration: settings, tiers: nil)
        let findings = report.findings.sorted { $0.severity > $1.severity || ($0.severity == $1.severity && $0.check.id < $1.check.id) }
        let rows = findings.map { finding -> [String] in
            [ "<span class=\"badge\(finding.severity >= .high ? " warn" : "")\">\(H.h(finding.severity.rawValue))</span>",
              "<strong>\(H.h(finding.check.id))</strong><br>\(H.h(finding.check.title))", Self.resourceLink(finding.resource),
              H.h(finding.details), H.h(finding.check.remediation) ]
        }
        let counts = PostureSeverity.allCases.map { severity in "\(findings.filter { $0.severity == severity }.count) \(severity.rawValue.lowercased())" }
        var body = form + "<p id=\"summary\">\(findings.count) findings (\(counts.joined(separator: ", "))); \(report.checksRun.count) checks run, "
            + "\(report.notRun.count) not run. Profile \(H.h(chosen)).</p>"
        body += H.table(["Severity", "Check", "Resource", "Details", "Remediation"], rows, caption: "Findings, most severe first")
        if !report.notRun.isEmpty {
            body += "<h2>Not run</h2><ul>" + report.notRun.map { "<li><strong>\(H.h($0.check.id))</strong>: \(H.h($0.reason))</li>" }.joined() + "</ul>"
        }
        return render("Findings", section: "findings", body)
    }

    /// A finding's resource as a link to its console page, where there is one.
    static func resourceLink(_ resource: String) -> String {
        if resource.contains(":secretsmanager:") { return "<a href=\"/console/secret?id=\(H.q(resource))\">\(H.h(resource))</a>" }
        if resource.contains(":kms:"), let id = resource.split(separator: "/").last { return "<a href=\"/console/key?id=\(H.q(String(id)))\">\(H.h(resource))</a>" }
        if resource.contains(":ssm:"), let range = resource.range(of: ":parameter") {
            return "<a href=\"/console/parameter?name=\(H.q(String(resource[range.upperBound...])))\">\(H.h(resource))</a>"
        }
        if resource.contains(":iam:") { return "<a href=\"/console/iam\">\(H.h(resource))</a>" }
        return H.h(resource)
    }
}

import CofferClient
import CofferCore
import Foundation

extension ConsolePages {
    /// IAM users with their access keys' age and last use, roles and groups: the first page of each
    /// (IAM's query API, 50 at a time), as the signed-in user may read them.
    func iam() async -> HTTPResponseData {
        let now = Date()
        var sections: [String] = []
        do throws(ConsoleCalls.Failure) {
            let users = try await calls.query("iam", [("Action", "ListUsers"), ("Version", "2010-05-08"), ("MaxItems", "50")])
            var rows: [[String]] = []
            for user in QueryXML.members(of: "Users", in: users) {
                let name = QueryXML.value("UserName", in: user) ?? ""
                let keys = try await calls.query("iam", [("Action", "ListAccessKeys"), ("Version", "2010-05-08"), ("UserName", name)])
                var described: [String] = []
                for key in QueryXML.members(of: "AccessKeyMetadata", in: keys) {
                    let id = QueryXML.value("AccessKeyId", in: key) ?? ""
                    let age = QueryXML.value("CreateDate", in: key).flatMap(SigV4Timestamp.parseISO8601).map { Int(now.timeIntervalSince($0) / 86_400) }
                    let used = try? await calls.query("iam", [("Action", "GetAccessKeyLastUsed"), ("Version", "2010-05-08"), ("AccessKeyId", id)])
                    let lastUsed = used.flatMap { QueryXML.value("LastUsedDate", in: $0) }.map { "last used \(Self.iamDate($0)) (\(H.h(QueryXML.value("ServiceName", in: used ?? "") ?? "")))" }
                        ?? "never used"
                    let status = QueryXML.value("Status", in: key) ?? ""
                    described.append("<code>\(H.h(id))</code> \(status == "Active" ? "" : "<span class=\"badge warn\">\(H.h(status))</span> ")"
                                     + "\(age.map { "\($0) days old" } ?? ""), \(lastUsed)")
                }
                rows.append([H.h(name), H.h(QueryXML.value("Path", in: user) ?? "/"), Self.iamDate(QueryXML.value("CreateDate", in: user) ?? ""),
                             described.isEmpty ? "<span class=\"empty\">none</span>" : described.joined(separator: "<br>")])
            }
            sections.append("<h2>Users</h2>" + H.table(["User", "Path", "Created", "Access keys"], rows, caption: "Users, first 50"))
        } catch {
            if error.isExpiredSession { return Self.sessionEnded }
            sections.append("<h2>Users</h2>" + H.failure(error))
        }
        for (action, container, title, nameElement) in [("ListRoles", "Roles", "Roles", "RoleName"), ("ListGroups", "Groups", "Groups", "GroupName")] {
            do throws(ConsoleCalls.Failure) {
                let xml = try await calls.query("iam", [("Action", action), ("Version", "2010-05-08"), ("MaxItems", "50")])
                let rows = QueryXML.members(of: container, in: xml).map { member in
                    [H.h(QueryXML.value(nameElement, in: member) ?? ""), H.h(QueryXML.value("Arn", in: member) ?? ""),
                     Self.iamDate(QueryXML.value("CreateDate", in: member) ?? "")]
                }
                sections.append("<h2>\(title)</h2>" + H.table(["Name", "ARN", "Created"], rows, caption: "\(title), first 50"))
            } catch {
                if error.isExpiredSession { return Self.sessionEnded }
                sections.append("<h2>\(title)</h2>" + H.failure(error))
            }
        }
        return render("IAM", section: "iam", sections.joined(separator: "\n"))
    }

    /// IAM's ISO 8601 dates, shown as the JSON services' dates are.
    static func iamDate(_ text: String) -> String {
        SigV4Timestamp.parseISO8601(text).map { H.date(.number($0.timeIntervalSince1970)) } ?? H.h(text)
    }
}

import CofferCore
import Foundation

extension ConsolePages {
    /// One level of the parameter hierarchy (seed 003's `/ELASMETRICS/STAGING/...`): the folders and
    /// parameters directly under `path`, read a page at a time with DescribeParameters' OneLevel path filter.
    func parameters(path rawPath: String, next: String?) async -> HTTPResponseData {
        let path = rawPath.isEmpty ? "/" : rawPath
        var body: JSONObject = ["MaxResults": .number(50),
                                "ParameterFilters": .array([.object(["Key": .string("Path"), "Option": .string("OneLevel"), "Values": .array([.string(path)])])])]
        if let next, !next.isEmpty { body["NextToken"] = .string(next) }
        let answer: JSONValue
        do throws(ConsoleCalls.Failure) {
            answer = try await calls.json("ssm", target: "AmazonSSM.DescribeParameters", body)
        } catch {
            return failed(error, title: "Parameters", section: "parameters")
        }
        // Folders: the next path segment of every parameter below this level, found with a Recursive page.
        var folders: [String] = []
        do throws(ConsoleCalls.Failure) {
            let below = try await calls.json("ssm", target: "AmazonSSM.DescribeParameters", [
                "MaxResults": .number(50),
                "ParameterFilters": .array([.object(["Key": .string("Path"), "Option": .string("Recursive"), "Values": .array([.string(path)])])]),
            ])
            let prefix = path.hasSuffix("/") ? path : path + "/"
            for item in (below.objectValue?["Parameters"]?.arrayValue ?? []).compactMap(\.objectValue) {
                guard let name = item["Name"]?.stringValue, name.hasPrefix(prefix) else { continue }
                let rest = name.dropFirst(prefix.count)
                if let slash = rest.firstIndex(of: "/") {
                    let folder = prefix + rest[..<slash]
                    if !folders.contains(folder) { folders.append(folder) }
                }
            }
        } catch {
            folders = []
        }
        var crumbs = "<a href=\"/console/parameters\">/</a>"
        var walked = ""
        for segment in path.split(separator: "/") {
            walked += "/" + segment
            crumbs += " <a href=\"/console/parameters?path=\(H.q(walked))\">\(H.h(String(segment)))</a> /"
        }
        let items = (answer.objectValue?["Parameters"]?.arrayValue ?? []).compactMap(\.objectValue)
        let tree = "<div class=\"tree\" id=\"tree\"><ul>"
            + folders.map { "<li>📁 <a href=\"/console/parameters?path=\(H.q($0))\">\(H.h(String($0.split(separator: "/").last ?? "")))/</a></li>" }.joined()
            + items.map { item in
                let name = item["Name"]?.stringValue ?? ""
                let leaf = path == "/" ? name : String(name.split(separator: "/").last ?? Substring(name))
                return "<li><a href=\"/console/parameter?name=\(H.q(name))\">\(H.h(leaf))</a> <span class=\"badge\">\(H.h(item["Type"]?.stringValue ?? ""))</span>"
                    + " <span class=\"empty\">v\(Int(item["Version"]?.numberValue ?? 0)), \(H.date(item["LastModifiedDate"]))</span></li>"
            }.joined() + "</ul></div>"
        var pager = ""
        if let token = answer.objectValue?["NextToken"]?.stringValue {
            pager = "<p><a rel=\"next\" href=\"/console/parameters?path=\(H.q(path))&amp;next=\(H.q(token))\">More at this level</a></p>"
        }
        let empty = folders.isEmpty && items.isEmpty ? "<p class=\"empty\">No parameters here.</p>" : ""
        return render("Parameters", section: "parameters", "<p>Path: \(crumbs)</p>" + tree + empty + pager)
    }

    /// A parameter's history and labels; a SecureString's value only after an explicit click (GetParameter WithDecryption).
    func parameter(name: String, reveal: Bool) async -> HTTPResponseData {
        var sections: [String] = []
        let history: [JSONObject]
        do throws(ConsoleCalls.Failure) {
            let answer = try await calls.json("ssm", target: "AmazonSSM.GetParameterHistory", ["Name": .string(name), "MaxResults": .number(50)])
            history = (answer.objectValue?["Parameters"]?.arrayValue ?? []).compactMap(\.objectValue)
        } catch {
            return failed(error, title: name, section: "parameters", extra: "<p><a href=\"/console/parameters\">Back to the parameters</a></p>")
        }
        let secure = history.last?["Type"]?.stringValue == "SecureString"
        if reveal || !secure {
            do throws(ConsoleCalls.Failure) {
                let answer = try await calls.json("ssm", target: "AmazonSSM.GetParameter", ["Name": .string(name), "WithDecryption": .bool(true)])
                sections.append("<h2>Value</h2><pre id=\"parameter-value\">\(H.h(answer.objectValue?["Parameter"]?.objectValue?["Value"]?.stringValue ?? ""))</pre>")
            } catch {
                if error.isExpiredSession { return Self.sessionEnded }
                sections.append(H.failure(error))
            }
        } else {
            sections.append("""
                <form class="inline" method="post" action="/console/parameter/reveal">\(H.csrfField(session))
                <input type="hidden" name="name" value="\(H.h(name))"><button type="submit" id="reveal-parameter">Reveal the SecureString value</button>
                <span class="empty">(recorded in the trail as GetParameter)</span></form>
                """)
        }
        let rows = history.reversed().map { version in
            [String(Int(version["Version"]?.numberValue ?? 0)), H.h(version["Type"]?.stringValue ?? ""), H.date(version["LastModifiedDate"]),
             H.h(version["LastModifiedUser"]?.stringValue ?? ""),
             (version["Labels"]?.arrayValue ?? []).compactMap(\.stringValue).map { "<span class=\"badge\">\(H.h($0))</span>" }.joined(),
             H.h(version["Description"]?.stringValue ?? "")]
        }
        sections.append("<h2>History</h2>" + H.table(["Version", "Type", "Changed", "By", "Labels", "Description"], rows, caption: "Newest first"))
        return render(name, section: "parameters", sections.joined(separator: "\n"))
    }
}

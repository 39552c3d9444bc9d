import CofferClient
import CofferCore
import CofferWire
import Foundation

/// Server-rendered HTML for the console: escaping, the page frame, small pieces used by every page.
/// No script at all, so the Content-Security-Policy can forbid every script.
enum ConsoleHTML {
    /// Text for an element or a quoted attribute.
    static func h(_ text: String) -> String { XMLNode.escape(text) }

    /// A query-string value.
    static func q(_ text: String) -> String { SignedCaller.formEncode(text) }

    static let sections = [("secrets", "Secrets"), ("rotation", "Rotation"), ("parameters", "Parameters"), ("keys", "Keys"), ("iam", "IAM"),
                           ("audit", "Audit"), ("findings", "Findings")]

    static func page(title: String, section: String?, session: ConsoleSession?, body: String) -> String {
        var nav = ""
        if let session {
            nav = "<nav aria-label=\"Sections\"><ul>"
                + sections.map { id, label in
                    "<li><a href=\"/console/\(id)\"\(id == section ? " aria-current=\"page\"" : "")>\(label)</a></li>"
                }.joined()
                + "</ul><div class=\"who\"><span title=\"Signed in as\">\(h(session.principalARN))</span> · \(h(session.region))"
                + "<form method=\"post\" action=\"/console/sign-out\">\(csrfField(session))<button type=\"submit\">Sign out</button></form></div></nav>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(h(title)) · Coffer</title><link rel="stylesheet" href="/console/static/console.css"></head>
            <body><header><a class="brand" href="/console/">Coffer</a>\(nav)</header>
            <main id="main"><h1>\(h(title))</h1>
            \(body)
            </main></body></html>
            """
    }

    static func csrfField(_ session: ConsoleSession) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(h(session.csrf))\">"
    }

    static func message(_ text: String, kind: String = "error") -> String {
        "<p class=\"message \(kind)\" role=\"\(kind == "error" ? "alert" : "status")\">\(h(text))</p>"
    }

    /// A failed call as the page shows it: AWS's code and message, never a stack trace.
    static func failure(_ failure: ConsoleCalls.Failure) -> String {
        let lead = failure.isDenied ? "Access denied. " : ""
        return "<p class=\"message error\" role=\"alert\"><strong>\(h(lead + failure.code))</strong>: \(h(failure.message))</p>"
    }

    /// An AWS timestamp (seconds since 1970, as JSON 1.1 services send them) in UTC.
    static func date(_ value: JSONValue?) -> String {
        guard let seconds = value?.numberValue else { return "" }
        return SigV4Timestamp.iso8601(Date(timeIntervalSince1970: seconds)).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }

    static func table(_ headers: [String], _ rows: [[String]], caption: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">Nothing to show.</p>" }
        return "<div class=\"scroll\"><table><caption>\(h(caption))</caption><thead><tr>" + headers.map { "<th scope=\"col\">\(h($0))</th>" }.joined()
            + "</tr></thead><tbody>" + rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined() + "</tbody></table></div>"
    }

    static let stylesheet = """
        :root { color-scheme: light dark; --accent: #2457c5; --bad: #b3261e; --muted: #667; font-family: system-ui, sans-serif; }
        body { margin: 0; line-height: 1.45; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .6rem 1rem; border-bottom: 1px solid #8884; }
        .brand { font-weight: 700; text-decoration: none; font-size: 1.15rem; }
        nav { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; flex: 1; }
        nav ul { display: flex; flex-wrap: wrap; gap: .8rem; list-style: none; margin: 0; padding: 0; }
        nav a[aria-current] { font-weight: 700; text-decoration: underline; }
        .who { margin-left: auto; display: flex; gap: .5rem; align-items: center; font-size: .85rem; color: var(--muted); flex-wrap: wrap; }
        .who form { display: inline; }
        main { padding: 1rem; max-width: 80rem; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, textarea:focus, select:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: .9rem; }
        caption { text-align: left; color: var(--muted); padding-bottom: .3rem; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #8883; vertical-align: top; }
        tr.denied td { background: #b3261e22; }
        .message { padding: .6rem .8rem; border-radius: .3rem; border: 1px solid #8886; }
        .message.error { border-color: var(--bad); color: var(--bad); }
        .badge { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: .6rem; border: 1px solid #8888; margin: 0 .2rem .1rem 0; }
        .badge.warn { border-color: var(--bad); color: var(--bad); }
        form.stack { display: grid; gap: .6rem; max-width: 36rem; }
        form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0; }
        label { display: grid; gap: .2rem; font-weight: 600; }
        .field-error { color: var(--bad); font-weight: 400; font-size: .85rem; }
        input, textarea, select, button { font: inherit; padding: .35rem .5rem; }
        pre { white-space: pre-wrap; word-break: break-all; background: #8881; padding: .6rem; border-radius: .3rem; }
        .timeline { list-style: none; padding: 0; border-left: 3px solid #8886; }
        .timeline li { padding: .3rem .8rem; }
        .empty { color: var(--muted); }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
        dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
        .tree ul { list-style: none; padding-left: 1.1rem; border-left: 1px dotted #8886; margin: .1rem 0; }
        .tree > ul { padding-left: 0; border: 0; }
        .bar { display: inline-block; background: var(--accent); height: .7rem; vertical-align: middle; }
        .bar.denied { background: var(--bad); }
        @media (max-width: 40rem) { th, td { padding: .3rem; } main { padding: .6rem; } }
        """
}

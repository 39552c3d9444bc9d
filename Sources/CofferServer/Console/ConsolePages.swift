import CofferCore
import CofferServices
import Foundation

/// The console's pages for a signed-in user. Each one calls the APIs as that user and renders what
/// came back; a failed call becomes a message in the page (AWS's code and message), and refused
/// session credentials end the session (status 401, which the router turns into a sign-in).
struct ConsolePages: Sendable {
    let calls: ConsoleCalls
    let session: ConsoleSession
    let verifyTrail: @Sendable () async throws -> AuditTrail.Verification

    typealias H = ConsoleHTML

    func render(_ title: String, section: String?, status: Int = 200, _ body: String) -> HTTPResponseData {
        ConsoleHTTP.html(status, H.page(title: title, section: section, session: session, body: body))
    }

    /// Refused session credentials: the router ends the session and sends the browser to sign in.
    static let sessionEnded = HTTPResponseData(status: 401, headers: [], body: [])

    /// A page that could not be made: the reason, in the page.
    func failed(_ failure: ConsoleCalls.Failure, title: String, section: String?, extra: String = "") -> HTTPResponseData {
        if failure.isExpiredSession { return Self.sessionEnded }
        let status = failure.isDenied ? 403 : failure.code == "ResourceNotFoundException" ? 404 : 200
        return render(title, section: section, status: status, H.failure(failure) + extra)
    }

    static func signIn(error: String?, region: String) -> String {
        H.page(title: "Sign in", section: nil, session: nil, body: """
            \(error.map { H.message($0, kind: $0.hasPrefix("You are signed out") ? "info" : "error") } ?? "")
            <p>Sign in with an access key pair Coffer issued: the root credentials file's, or an IAM user's. The console keeps it on the
            server for a one-hour session and sees only what the key's policies allow.</p>
            <form class="stack" method="post" action="/console/sign-in" autocomplete="off">
            <label>Access key id <input name="access_key_id" id="access_key_id" required spellcheck="false" autocapitalize="off"></label>
            <label>Secret access key <input name="secret_access_key" id="secret_access_key" type="password" required></label>
            <label>Region <input name="region" id="region" value="\(H.h(region))" spellcheck="false"></label>
            <button type="submit" id="sign-in">Sign in</button>
            </form>
            """)
    }

    // MARK: Secrets

    func secrets(search: String, next: String?) async -> HTTPResponseData {
        var body: JSONObject = ["MaxResults": .number(25), "IncludePlannedDeletion": .bool(true)]
        let terms = search.trimmingCharacters(in: .whitespaces)
        if !terms.isEmpty { body["Filters"] = .array([.object(["Key": .string("all"), "Values": .array([.string(terms)])])]) }
        if let next, !next.isEmpty { body["NextToken"] = .string(next) }
        let searchForm = """
            <form class="inline" method="get" action="/console/secrets" role="search">
            <label>Search names, descriptions and tags <input name="q" value="\(H.h(search))" id="search"></label>
            <button type="submit">Search</button> <a href="/console/secrets/new" id="new-secret">New secret</a></form>
            """
        let answer: JSONValue
        do throws(ConsoleCalls.Failure) {
            answer = try await calls.json("secretsmanager", target: "secretsmanager.ListSecrets", body)
        } catch {
            return failed(error, title: "Secrets", section: "secrets", extra: searchForm)
        }
        let rows: [[String]] = (answer.objectValue?["SecretList"]?.arrayValue ?? []).compactMap(\.objectValue).map { secret in
            let arn = secret["ARN"]?.stringValue ?? ""
            let tags = (secret["Tags"]?.arrayValue ?? []).compactMap(\.objectValue).map {
                "<span class=\"badge\">\(H.h($0["Key"]?.stringValue ?? ""))=\(H.h($0["Value"]?.stringValue ?? ""))</span>"
            }.joined()
            var rotation = secret["RotationEnabled"]?.boolValue == true ? "on, next \(H.date(secret["NextRotationDate"]))" : "off"
            if secret["RotationEnabled"] == nil { rotation = "never set" }
            let deletion = secret["DeletedDate"] != nil ? "<span class=\"badge warn\">deletion planned</span>" : ""
            return ["<a href=\"/console/secret?id=\(H.q(arn))\">\(H.h(secret["Name"]?.stringValue ?? ""))</a> \(deletion)",
                    H.h(secret["Description"]?.stringValue ?? ""), tags, H.h(secret["KmsKeyId"]?.stringValue ?? "aws/secretsmanager"),
                    H.date(secret["LastChangedDate"]), H.date(secret["LastAccessedDate"]), rotation]
        }
        var pager = ""
        if let token = answer.objectValue?["NextToken"]?.stringValue {
            pager = "<p><a rel=\"next\" id=\"next-page\" href=\"/console/secrets?q=\(H.q(search))&amp;next=\(H.q(token))\">Next page</a></p>"
        }
        return render("Secrets", section: "secrets", searchForm + H.table(
            ["Name", "Description", "Tags", "KMS key", "Last changed", "Last accessed", "Rotation"], rows,
            caption: terms.isEmpty ? "Secrets in \(session.region), newest last" : "Secrets matching “\(terms)”") + pager)
    }

    func newSecret(form: [String: String], failure: ConsoleCalls.Failure?) -> HTTPResponseData {
        // AWS's validation message names the member it refused: shown beside that field.
        let message = failure.map { "\($0.code): \($0.message)" }
        func error(for member: String) -> String {
            guard let message, message.lowercased().contains(member.lowercased()) else { return "" }
            return "<span class=\"field-error\" role=\"alert\">\(H.h(message))</span>"
        }
        let placed = ["name", "description", "secretString"].contains { !error(for: $0).isEmpty }
        return render("New secret", section: "secrets", status: failure == nil ? 200 : 400, """
            \(failure != nil && !placed ? H.failure(failure!) : "")
            <form class="stack" method="post" action="/console/secrets/new" autocomplete="off">\(H.csrfField(session))
            <label>Name <input name="name" id="name" required value="\(H.h(form["name"] ?? ""))">\(error(for: "name"))</label>
            <label>Description <input name="description" id="description" value="\(H.h(form["description"] ?? ""))">\(error(for: "description"))</label>
            <label>Secret value <textarea name="value" id="value" rows="4" required spellcheck="false"></textarea>\(error(for: "secretString"))</label>
            <button type="submit" id="create">Create secret</button>
            </form>
            """)
    }

    func createSecret(_ form: [String: String]) async -> HTTPResponseData {
        var body: JSONObject = ["Name": .string(form["name"] ?? ""), "SecretString": .string(form["value"] ?? ""),
                                "ClientRequestToken": .string(UUID().uuidString.lowercased())]
        if let description = form["description"], !description.isEmpty { body["Description"] = .string(description) }
        do throws(ConsoleCalls.Failure) {
            let created = try await calls.json("secretsmanager", target: "secretsmanager.CreateSecret", body)
            return ConsoleHTTP.redirect("/console/secret?id=\(H.q(created.objectValue?["ARN"]?.stringValue ?? ""))&done=created")
        } catch {
            if error.isExpiredSession { return Self.sessionEnded }
            // The value is never sent back into the page.
            return newSecret(form: form, failure: error)
        }
    }

    func secret(id: String, reveal stage: String?, notice: String?, failure: ConsoleCalls.Failure? = nil) async -> HTTPResponseData {
        let described: JSONObject
        do throws(ConsoleCalls.Failure) {
            described = try await calls.json("secretsmanager", target: "secretsmanager.DescribeSecret", ["SecretId": .string(id)]).objectValue ?? JSONObject()
        } catch {
            return failed(error, title: "Secret", section: "secrets", extra: "<p><a href=\"/console/secrets\">Back to the secrets</a></p>")
        }
        let arn = described["ARN"]?.stringValue ?? id
        let name = described["Name"]?.stringValue ?? id
        var sections: [String] = []
        if let failure { sections.append(H.failure(failure)) }
        if let notice { sections.append(H.message(Self.notices[notice] ?? "Done.", kind: "info")) }
        let deleted = described["DeletedDate"] != nil
        let facts: [(String, String)] = [
            ("ARN", H.h(arn)), ("Description", H.h(described["Description"]?.stringValue ?? "")),
            ("KMS key", H.h(described["KmsKeyId"]?.stringValue ?? "aws/secretsmanager")), ("Created", H.date(described["CreatedDate"])),
            ("Last changed", H.date(described["LastChangedDate"])), ("Last accessed", H.date(described["LastAccessedDate"])),
            ("Rotation", described["RotationEnabled"]?.boolValue == true
                ? "on; last \(H.date(described["LastRotatedDate"])), next \(H.date(described["NextRotationDate"]))" : "off"),
            ("Deletion", deleted ? "<span class=\"badge warn\">planned for \(H.date(described["DeletedDate"]))</span>" : "none planned"),
            ("Tags", (described["Tags"]?.arrayValue ?? []).compactMap(\.objectValue).map {
                "<span class=\"badge\">\(H.h($0["Key"]?.stringValue ?? ""))=\(H.h($0["Value"]?.stringValue ?? ""))</span>"
            }.joined()),
        ]
        sections.append("<dl>" + facts.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" }.joined() + "</dl>")

        if let stage {
            do throws(ConsoleCalls.Failure) {
                let value = try await calls.json("secretsmanager", target: "secretsmanager.GetSecretValue",
                                                 ["SecretId": .string(arn), "VersionStage": .string(stage)]).objectValue
                let shown = value?["SecretString"]?.stringValue ?? value?["SecretBinary"]?.stringValue.map { "(binary, base64) " + $0 } ?? ""
                sections.append("<section aria-labelledby=\"value-heading\"><h2 id=\"value-heading\">Value (\(H.h(stage)))</h2>"
                                + "<pre id=\"secret-value\">\(H.h(shown))</pre><p><a href=\"/console/secret?id=\(H.q(arn))\">Hide</a></p></section>")
            } catch {
                if error.isExpiredSession { return Self.sessionEnded }
                sections.append(H.failure(error))
            }
        } else if !deleted {
            sections.append("""
                <form class="inline" method="post" action="/console/secret/reveal">\(H.csrfField(session))
                <input type="hidden" name="id" value="\(H.h(arn))"><input type="hidden" name="stage" value="AWSCURRENT">
                <button type="submit" id="reveal">Reveal the current value</button> <span class="empty">(recorded in the trail as GetSecretValue)</span></form>
                """)
        }

        var versions = ""
        do throws(ConsoleCalls.Failure) {
            let listed = try await calls.json("secretsmanager", target: "secretsmanager.ListSecretVersionIds",
                                              ["SecretId": .string(arn), "IncludeDeprecated": .bool(true), "MaxResults": .number(100)])
            // Newest first; the API lists oldest first, so versions made within one millisecond keep that order reversed.
            let items = (listed.objectValue?["Versions"]?.arrayValue ?? []).compactMap(\.objectValue).reversed()
                .sorted { ($0["CreatedDate"]?.numberValue ?? 0) > ($1["CreatedDate"]?.numberValue ?? 0) }
            versions = "<ol class=\"timeline\" id=\"versions\">" + items.map { version in
                let stages = (version["VersionStages"]?.arrayValue ?? []).compactMap(\.stringValue)
                return "<li><time>\(H.date(version["CreatedDate"]))</time> <code>\(H.h(version["VersionId"]?.stringValue ?? ""))</code> "
                    + (stages.isEmpty ? "<span class=\"empty\">deprecated</span>" : stages.map { "<span class=\"badge\">\(H.h($0))</span>" }.joined())
                    + "</li>"
            }.joined() + "</ol>"
        } catch {
            versions = H.failure(error)
        }
        sections.append("<section aria-labelledby=\"versions-heading\"><h2 id=\"versions-heading\">Versions</h2>\(versions)</section>")

        var policy = ""
        do throws(ConsoleCalls.Failure) {
            let answer = try await calls.json("secretsmanager", target: "secretsmanager.GetResourcePolicy", ["SecretId": .string(arn)])
            let text = answer.objectValue?["ResourcePolicy"]?.stringValue
            policy = text.map { text in "<pre>\(H.h((try? JSONParser.parse(text)).map(JSONWriter.pretty) ?? text))</pre>" }
                ?? "<p class=\"empty\">No resource policy.</p>"
        } catch {
            policy = H.failure(error)
        }
        sections.append("<section aria-labelledby=\"policy-heading\"><h2 id=\"policy-heading\">Resource policy</h2>\(policy)</section>")

        let action = { (name: String, label: String, extra: String) in
            "<form class=\"inline\" method=\"post\" action=\"/console/secret/action\">\(H.csrfField(session))"
                + "<input type=\"hidden\" name=\"id\" value=\"\(H.h(arn))\"><input type=\"hidden\" name=\"action\" value=\"\(name)\">\(extra)"
                + "<button type=\"submit\" id=\"action-\(name)\">\(label)</button></form>"
        }
        var actions = ""
        if deleted {
            actions += action("restore", "Cancel the deletion", "")
        } else {
            actions += action("describe", "Change the description",
                              "<label>Description <input name=\"description\" id=\"new-description\" value=\"\(H.h(described["Description"]?.stringValue ?? ""))\"></label>")
            actions += action("put", "Store as the new current value",
                              "<label>New value <textarea name=\"value\" id=\"new-value\" rows=\"3\" required spellcheck=\"false\"></textarea></label>")
            if described["RotationEnabled"]?.boolValue == true { actions += action("rotate", "Rotate now", "") }
            if RotationRollback.move(versionIDsToStages: described["VersionIdsToStages"]?.objectValue ?? JSONObject()) != nil {
                actions += action("rollback", "Roll back to AWSPREVIOUS", "")
            }
            actions += action("delete", "Delete (30-day recovery window)", "")
        }
        sections.append("<section aria-labelledby=\"actions-heading\"><h2 id=\"actions-heading\">Change</h2>\(actions)</section>")
        return render(name, section: "secrets", sections.joined(separator: "\n"))
    }

    static let notices = ["created": "The secret was created.", "put": "The new value is stored and current.", "delete": "The secret is scheduled for deletion.",
                          "restore": "The deletion was cancelled.", "rotate": "Rotation started.",
                          "rollback": "AWSCURRENT is back on the version that was AWSPREVIOUS.",
                          "describe": "The description is changed."]

    func secretAction(_ form: [String: String]) async -> HTTPResponseData {
        let id = form["id"] ?? ""
        let action = form["action"] ?? ""
        let call: (String, JSONObject)
        if action == "rollback" {
            do throws(ConsoleCalls.Failure) {
                try await rollback(id)
                return ConsoleHTTP.redirect("/console/secret?id=\(H.q(id))&done=rollback")
            } catch {
                if error.isExpiredSession { return Self.sessionEnded }
                return await secret(id: id, reveal: nil, notice: nil, failure: error)
            }
        }
        switch action {
        case "put": call = ("PutSecretValue", ["SecretId": .string(id), "SecretString": .string(form["value"] ?? ""),
                                               "ClientRequestToken": .string(UUID().uuidString.lowercased())])
        case "describe": call = ("UpdateSecret", ["SecretId": .string(id), "Description": .string(form["description"] ?? "")])
        case "delete": call = ("DeleteSecret", ["SecretId": .string(id), "RecoveryWindowInDays": .number(30)])
        case "restore": call = ("RestoreSecret", ["SecretId": .string(id)])
        case "rotate": call = ("RotateSecret", ["SecretId": .string(id), "ClientRequestToken": .string(UUID().uuidString.lowercased())])
        default: return render("Secret", section: "secrets", status: 400, H.message("Unknown action."))
        }
        do throws(ConsoleCalls.Failure) {
            _ = try await calls.json("secretsmanager", target: "secretsmanager.\(call.0)", call.1)
            return ConsoleHTTP.redirect("/console/secret?id=\(H.q(id))&done=\(action)")
        } catch {
            if error.isExpiredSession { return Self.sessionEnded }
            return await secret(id: id, reveal: nil, notice: nil, failure: error)
        }
    }
}

import CofferCore
import Foundation

extension ConsolePages {
    /// KMS keys a page at a time (ListKeys), each described, with its aliases and rotation.
    func keys(next: String?) async -> HTTPResponseData {
        var body: JSONObject = ["Limit": .number(20)]
        if let next, !next.isEmpty { body["Marker"] = .string(next) }
        let listed: JSONValue
        let aliases: [JSONObject]
        do throws(ConsoleCalls.Failure) {
            listed = try await calls.json("kms", target: "TrentService.ListKeys", body)
            aliases = (try await calls.json("kms", target: "TrentService.ListAliases", ["Limit": .number(100)]).objectValue?["Aliases"]?.arrayValue ?? [])
                .compactMap(\.objectValue)
        } catch {
            return failed(error, title: "Keys", section: "keys")
        }
        var rows: [[String]] = []
        for key in (listed.objectValue?["Keys"]?.arrayValue ?? []).compactMap(\.objectValue) {
            let id = key["KeyId"]?.stringValue ?? ""
            let names = aliases.filter { $0["TargetKeyId"]?.stringValue == id }.compactMap { $0["AliasName"]?.stringValue }
            do throws(ConsoleCalls.Failure) {
                let metadata = try await calls.json("kms", target: "TrentService.DescribeKey", ["KeyId": .string(id)]).objectValue?["KeyMetadata"]?.objectValue
                let rotation = try? await calls.json("kms", target: "TrentService.GetKeyRotationStatus", ["KeyId": .string(id)]).objectValue
                let state = metadata?["KeyState"]?.stringValue ?? ""
                rows.append(["<a href=\"/console/key?id=\(H.q(id))\">\(H.h(id))</a>", names.map(H.h).joined(separator: "<br>"),
                             state == "Enabled" ? H.h(state) : "<span class=\"badge warn\">\(H.h(state))</span>",
                             H.h(metadata?["KeySpec"]?.stringValue ?? ""), H.h(metadata?["KeyManager"]?.stringValue ?? ""),
                             rotation?["KeyRotationEnabled"]?.boolValue == true ? "on, next \(H.date(rotation?["NextRotationDate"]))" : "off",
                             H.date(metadata?["CreationDate"])])
            } catch {
                rows.append([H.h(id), names.map(H.h).joined(separator: "<br>"), H.h("\(error.code): \(error.message)"), "", "", "", ""])
            }
        }
        var pager = ""
        if listed.objectValue?["Truncated"]?.boolValue == true, let marker = listed.objectValue?["NextMarker"]?.stringValue {
            pager = "<p><a rel=\"next\" href=\"/console/keys?next=\(H.q(marker))\">Next page</a></p>"
        }
        return render("Keys", section: "keys", H.table(["Key", "Aliases", "State", "Spec", "Manager", "Rotation", "Created"], rows,
                                                       caption: "KMS keys in \(session.region)") + pager
                        + "<p class=\"empty\">IAM users, roles and access keys: <code>aws iam list-users</code> and <code>coffer posture</code> for now.</p>")
    }

    func key(id: String) async -> HTTPResponseData {
        do throws(ConsoleCalls.Failure) {
            let metadata = try await calls.json("kms", target: "TrentService.DescribeKey", ["KeyId": .string(id)]).objectValue?["KeyMetadata"]?.objectValue
                ?? JSONObject()
            let policy = try await calls.json("kms", target: "TrentService.GetKeyPolicy", ["KeyId": .string(id), "PolicyName": .string("default")])
                .objectValue?["Policy"]?.stringValue ?? ""
            let facts = metadata.members.filter { !$0.key.hasSuffix("Date") || $0.value.numberValue != nil }.map { member -> String in
                let value: String
                switch member.value {
                case .number(let n) where member.key.hasSuffix("Date"): value = H.date(.number(n))
                case .string(let s): value = H.h(s)
                default: value = H.h(JSONWriter.string(member.value))
                }
                return "<dt>\(H.h(member.key))</dt><dd>\(value)</dd>"
            }.joined()
            let pretty = (try? JSONParser.parse(policy)).map(JSONWriter.pretty) ?? policy
            return render(metadata["KeyId"]?.stringValue ?? id, section: "keys", "<dl>\(facts)</dl><h2>Key policy</h2><pre>\(H.h(pretty))</pre>")
        } catch {
            return failed(error, title: "Key", section: "keys", extra: "<p><a href=\"/console/keys\">Back to the keys</a></p>")
        }
    }
}

import CofferCore
import CofferServices
import CofferWire
import Foundation

/// IAM's login profiles, virtual MFA devices and credential report over the query protocol.
extension IAMHandler {
    /// Answers those actions; nil for any other action.
    func handleCredentials(_ action: String, _ r: QueryRequest, context: CallerContext) async throws -> [XMLNode]? {
        let account = context.scope.account
        switch action {
        case "CreateLoginProfile":
            let user = try await service.createLoginProfile(userName: try r.requiredString("UserName", min: 1, max: 64),
                                                            password: try r.requiredString("Password", min: 1, max: 128),
                                                            resetRequired: try r.bool("PasswordResetRequired") ?? false, account: account)
            return [loginProfileNode(user.userName, user.loginProfile)]
        case "GetLoginProfile":
            let found = try await service.loginProfile(userName: try r.requiredString("UserName", min: 1, max: 64), account: account)
            return [loginProfileNode(found.user.userName, found.profile)]
        case "UpdateLoginProfile":
            try await service.updateLoginProfile(userName: try r.requiredString("UserName", min: 1, max: 64), password: try r.string("Password", min: 1, max: 128),
                                                 resetRequired: try r.bool("PasswordResetRequired"), account: account)
            return []
        case "DeleteLoginProfile":
            try await service.deleteLoginProfile(userName: try r.requiredString("UserName", min: 1, max: 64), account: account)
            return []
        case "ChangePassword":
            try await service.changePassword(userARN: context.principalARN, old: try r.requiredString("OldPassword", min: 1, max: 128),
                                             new: try r.requiredString("NewPassword", min: 1, max: 128), account: account)
            return []
        case "CreateVirtualMFADevice":
            let made = try await service.createVirtualMFADevice(name: try r.requiredString("VirtualMFADeviceName", min: 1, max: 226),
                                                                path: try r.string("Path", min: 1, max: 512), tags: try tags(r), account: account)
            var children: [XMLNode] = [.text("SerialNumber", made.device.arn),
                                       .text("Base32StringSeed", Data(made.base32Seed.value.utf8).base64EncodedString())]
            if !made.device.tags.isEmpty { children.append(.element("Tags", made.device.tags.map(tagNode))) }
            return [.element("VirtualMFADevice", children)]
        case "EnableMFADevice", "ResyncMFADevice":
            let userName = try r.requiredString("UserName", min: 1, max: 128), serial = try serialNumber(r)
            let code1 = try r.requiredString("AuthenticationCode1", min: 6, max: 6), code2 = try r.requiredString("AuthenticationCode2", min: 6, max: 6)
            if action == "ResyncMFADevice" { try await service.deactivateMFADevice(userName: userName, serial: serial, account: account) }
            try await service.enableMFADevice(userName: userName, serial: serial, code1: code1, code2: code2, account: account)
            return []
        case "DeactivateMFADevice":
            let callerName = try await service.user(arn: context.principalARN)?.userName
            let userName = try r.string("UserName", min: 1, max: 64) ?? callerName ?? ""
            try await service.deactivateMFADevice(userName: userName, serial: try serialNumber(r), account: account)
            return []
        case "DeleteVirtualMFADevice":
            try await service.deleteVirtualMFADevice(serial: try serialNumber(r), account: account)
            return []
        case "ListMFADevices":
            let callerName = try await service.user(arn: context.principalARN)?.userName
            let userName = try r.string("UserName", min: 1, max: 128) ?? callerName
            let devices = try await service.mfaDevices(account: account).filter { $0.userName != nil && (userName == nil || $0.userName == userName) }
            return try paged(r, "MFADevices", devices.map { device in
                .element("member", [.text("UserName", device.userName ?? ""), .text("SerialNumber", device.arn),
                                    .text("EnableDate", Self.date(device.enableDate ?? device.createDate))])
            })
        case "ListVirtualMFADevices":
            let status = try r.string("AssignmentStatus") ?? "Any"
            guard ["Assigned", "Unassigned", "Any"].contains(status) else {
                throw CofferError.constraint(status, member: "assignmentStatus", "Member must satisfy enum value set: [Unassigned, Any, Assigned]")
            }
            var nodes: [XMLNode] = []
            for device in try await service.mfaDevices(account: account)
            where status == "Any" || (status == "Assigned") == (device.userName != nil) {
                var children: [XMLNode] = [.text("SerialNumber", device.arn)]
                if let name = device.userName, let user = try? await service.user(name, account: account) {
                    children.append(userNode(user))
                    children.append(.text("EnableDate", Self.date(device.enableDate ?? device.createDate)))
                }
                if !device.tags.isEmpty { children.append(.element("Tags", device.tags.map(tagNode))) }
                nodes.append(.element("member", children))
            }
            return try paged(r, "VirtualMFADevices", nodes)
        case "GetMFADevice":
            let device = try await service.mfaDevice(serial: try serialNumber(r), account: account)
            guard let user = device.userName else { throw CofferError(.noSuchEntity, "MFA Device with serial number \(device.arn) is not assigned.") }
            return [.text("UserName", user), .text("SerialNumber", device.arn), .text("EnableDate", Self.date(device.enableDate ?? device.createDate))]
        case "GenerateCredentialReport":
            let started = try await service.generateCredentialReport(account: account, rootARN: "arn:\(IAMService.partition):iam::\(account):root")
            return [.text("State", started ? "STARTED" : "COMPLETE"),
                    .text("Description", started ? "No report exists. Starting a new report generation task" : "Report is available")]
        case "GetCredentialReport":
            let report = try await service.credentialReport(account: account)
            return [.text("Content", Data(report.content.utf8).base64EncodedString()), .text("ReportFormat", "text/csv"),
                    .text("GeneratedTime", Self.date(report.generated))]
        default:
            return nil
        }
    }

    private func serialNumber(_ r: QueryRequest) throws -> String { try r.requiredString("SerialNumber", min: 9, max: 256) }

    private func loginProfileNode(_ userName: String, _ profile: LoginProfile?) -> XMLNode {
        .element("LoginProfile", [.text("UserName", userName), .text("CreateDate", Self.date(profile?.createDate ?? Date())),
                                  .text("PasswordResetRequired", (profile?.passwordResetRequired ?? false) ? "true" : "false")])
    }
}

/// Every posture check, with the Security Hub / CIS controls it follows.
enum PostureCatalog {
    static let secretRotationDisabled = PostureCheck(
        id: "secret-rotation-disabled", title: "Secret has no automatic rotation", severity: .medium,
        controls: ["SecretsManager.1"], needs: ["secrets"],
        remediation: "aws secretsmanager rotate-secret --secret-id NAME --rotation-lambda-arn ARN --rotation-rules AutomaticallyAfterDays=30")
    static let secretRotationFailing = PostureCheck(
        id: "secret-rotation-failing", title: "Secret rotation is failing or overdue", severity: .medium,
        controls: ["SecretsManager.2"], needs: ["secrets", "audit trail"],
        remediation: "Read the rotation function's log, fix it, then aws secretsmanager rotate-secret --secret-id NAME")
    static let secretNotRotated = PostureCheck(
        id: "secret-not-rotated", title: "Secret not rotated within the allowed number of days", severity: .medium,
        controls: ["SecretsManager.4"], needs: ["secrets"], remediation: "Rotate the secret and schedule rotation at least this often.")
    static let secretUnused = PostureCheck(
        id: "secret-unused", title: "Secret not read within the allowed number of days", severity: .medium,
        controls: ["SecretsManager.3"], needs: ["secrets"], remediation: "Delete secrets nobody reads: aws secretsmanager delete-secret --secret-id NAME")
    static let secretPublic = PostureCheck(
        id: "secret-public-policy", title: "Secret resource policy lets any AWS account in", severity: .high,
        controls: ["Prowler secretsmanager_not_publicly_accessible"], needs: ["secrets"],
        remediation: "Name the principals in the policy or add an aws:PrincipalOrgID condition; aws secretsmanager validate-resource-policy checks it.")
    static let secretTags = PostureCheck(
        id: "secret-missing-tags", title: "Secret lacks required tags", severity: .low, controls: ["Tagging"], needs: ["secrets"],
        remediation: "aws secretsmanager tag-resource --secret-id NAME --tags Key=...,Value=...")
    static let secretName = PostureCheck(
        id: "secret-name-convention", title: "Secret name does not follow the naming convention", severity: .low, controls: ["Naming"],
        needs: ["secrets"], remediation: "Create the secret under a conforming name and move its readers to it.")
    static let accessKeyOld = PostureCheck(
        id: "access-key-not-rotated", title: "Active access key older than the allowed age", severity: .medium,
        controls: ["IAM.3", "CIS 1.14"], needs: ["iam"],
        remediation: "Create a second key, move its users, deactivate and delete the old one (or rotate it with an iam-access-key rotation function).")
    static let accessKeyUnused = PostureCheck(
        id: "access-key-unused", title: "Active access key unused for the allowed number of days", severity: .medium,
        controls: ["IAM.8", "IAM.22", "CIS 1.12"], needs: ["iam"], remediation: "aws iam update-access-key --status Inactive, then delete it.")
    static let passwordUnused = PostureCheck(
        id: "user-password-unused", title: "Console password unused for the allowed number of days", severity: .medium,
        controls: ["IAM.8", "IAM.22", "CIS 1.12"], needs: ["iam"],
        remediation: "aws iam delete-login-profile --user-name NAME (the user keeps its access keys; give it a password again when it needs one).")
    static let passwordExpired = PostureCheck(
        id: "user-password-expired", title: "Console password older than the maximum password age", severity: .medium,
        controls: ["CIS 1.11 (v1.2)"], needs: ["iam", "credential report"],
        remediation: "Have the user set a new password (aws iam update-login-profile --user-name NAME --password-reset-required), or delete the login profile if it is not needed.")
    static let multipleKeys = PostureCheck(
        id: "user-multiple-active-keys", title: "User has more than one active access key", severity: .medium, controls: ["CIS 1.13"],
        needs: ["iam"], remediation: "Keep one active key per user; deactivate the other once it is no longer used.")
    static let consoleWithoutMFA = PostureCheck(
        id: "user-console-without-mfa", title: "User with a console password has no MFA device", severity: .high,
        controls: ["IAM.5", "CIS 1.10"], needs: ["iam"],
        remediation: "aws iam create-virtual-mfa-device, then aws iam enable-mfa-device with two consecutive codes (or delete the login profile).")
    static let directPolicies = PostureCheck(
        id: "user-direct-policies", title: "Policies attached directly to a user", severity: .low, controls: ["IAM.2", "CIS 1.15"],
        needs: ["iam"], remediation: "Grant permissions through groups or roles.")
    static let rootKeys = PostureCheck(
        id: "root-access-key", title: "The root user has access keys", severity: .critical, controls: ["IAM.4", "CIS 1.4"],
        needs: ["account summary"], remediation: "Delete the root user's access keys and use IAM users or roles.")
    static let rootUse = PostureCheck(
        id: "root-recent-use", title: "The root user made calls recently", severity: .high, controls: ["IAM.20", "CIS 1.7"],
        needs: ["audit trail"], remediation: "Use IAM users or roles for daily work; keep the root credentials for the tasks that need them.")
    static let passwordPolicy = PostureCheck(
        id: "password-policy", title: "Account password policy weaker than the profile", severity: .medium,
        controls: ["IAM.7", "IAM.11", "IAM.12", "IAM.13", "IAM.14", "IAM.15", "IAM.16", "IAM.17", "CIS 1.8", "CIS 1.9"],
        needs: ["password policy"], remediation: "aws iam update-account-password-policy with the profile's values.")
    static let keyRotation = PostureCheck(
        id: "kms-key-rotation-disabled", title: "Customer managed KMS key without automatic rotation", severity: .medium,
        controls: ["KMS.4", "CIS 3.6"], needs: ["kms"], remediation: "aws kms enable-key-rotation --key-id KEY")
    static let keyDeletion = PostureCheck(
        id: "kms-key-pending-deletion", title: "KMS key scheduled for deletion", severity: .critical, controls: ["KMS.3"], needs: ["kms"],
        remediation: "If the deletion is unintended: aws kms cancel-key-deletion --key-id KEY")
    static let keyPublic = PostureCheck(
        id: "kms-key-public-policy", title: "KMS key policy lets any AWS account in", severity: .critical, controls: ["KMS.5"], needs: ["kms"],
        remediation: "Name the principals in the key policy or add an aws:PrincipalOrgID condition.")
    static let policyAdmin = PostureCheck(
        id: "policy-full-admin", title: "Policy grants full administrator access (*:*)", severity: .high, controls: ["IAM.1", "CIS 1.16"],
        needs: ["iam"], remediation: "Replace with the actions and resources the holders need.")
    static let policyServiceWildcard = PostureCheck(
        id: "policy-service-wildcard", title: "Policy grants every action of a service", severity: .low, controls: ["IAM.21"], needs: ["iam"],
        remediation: "List the actions needed instead of service:*.")
    static let policyEscalation = PostureCheck(
        id: "policy-privilege-escalation", title: "Policy allows privilege escalation", severity: .high,
        controls: ["Prowler iam_policy_allows_privilege_escalation"], needs: ["iam"], remediation: "Remove one action of each combination, or scope it to resources that cannot reach more privilege.")
    static let policySecretData = PostureCheck(
        id: "policy-secret-data-all-resources", title: "Policy allows reading every secret, parameter or key", severity: .medium,
        controls: ["KMS.1", "KMS.2"], needs: ["iam"], remediation: "Name the secrets, parameters or keys in Resource.")
    static let policyCredentials = PostureCheck(
        id: "policy-credentials-exposure", title: "Policy allows actions that return credentials on every resource", severity: .medium,
        controls: ["Cloudsplaining CredentialsExposure"], needs: ["iam"], remediation: "Limit those actions to the users or roles concerned.")
    static let trustPublic = PostureCheck(
        id: "role-trust-public", title: "Role can be assumed by anyone", severity: .critical, controls: ["Cloudsplaining AssumableByAnyPrincipal"],
        needs: ["iam"], remediation: "Name the accounts, roles or services that may assume the role.")
    static let policyErrors = PostureCheck(
        id: "policy-errors", title: "Stored policy has errors (parts of it do nothing)", severity: .low, controls: ["Access Analyzer ValidatePolicy"],
        needs: ["iam"], remediation: "Run coffer policy lint on the policy and apply its suggested policy.")
    static let parameterPlaintext = PostureCheck(
        id: "parameter-plaintext-secret", title: "Parameter holds a secret as String instead of SecureString", severity: .high,
        controls: ["CloudSploit ssmEncryptedParameters"], needs: ["parameters"],
        remediation: "aws ssm put-parameter --name NAME --type SecureString --overwrite --value ... (and rotate the value: it was stored in plain text)")

    static let all: [PostureCheck] = [
        secretRotationDisabled, secretRotationFailing, secretNotRotated, secretUnused, secretPublic, secretTags, secretName,
        accessKeyOld, accessKeyUnused, passwordUnused, passwordExpired, multipleKeys, consoleWithoutMFA, directPolicies, rootKeys, rootUse, passwordPolicy, keyRotation, keyDeletion,
        keyPublic, policyAdmin, policyServiceWildcard, policyEscalation, policySecretData, policyCredentials, trustPublic, policyErrors,
        parameterPlaintext,
    ]
}

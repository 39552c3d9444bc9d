/// Actions whose reach decides least privilege: escalation combinations (Rhino Security Labs'
/// methods as Parliament, Cloudsplaining and Prowler list them), actions that return credentials,
/// and actions that read secret data.
enum RiskyActions {
    struct Escalation {
        let name: String
        let actions: [String]
    }

    static let escalations: [Escalation] = [
        Escalation(name: "CreateAccessKey", actions: ["iam:CreateAccessKey"]),
        Escalation(name: "CreateLoginProfile", actions: ["iam:CreateLoginProfile"]),
        Escalation(name: "UpdateLoginProfile", actions: ["iam:UpdateLoginProfile"]),
        Escalation(name: "AddUserToGroup", actions: ["iam:AddUserToGroup"]),
        Escalation(name: "CreateNewPolicyVersion", actions: ["iam:CreatePolicyVersion"]),
        Escalation(name: "SetExistingDefaultPolicyVersion", actions: ["iam:SetDefaultPolicyVersion"]),
        Escalation(name: "AttachUserPolicy", actions: ["iam:AttachUserPolicy"]),
        Escalation(name: "AttachGroupPolicy", actions: ["iam:AttachGroupPolicy"]),
        Escalation(name: "PutUserPolicy", actions: ["iam:PutUserPolicy"]),
        Escalation(name: "PutGroupPolicy", actions: ["iam:PutGroupPolicy"]),
        Escalation(name: "AttachRolePolicy", actions: ["iam:AttachRolePolicy", "sts:AssumeRole"]),
        Escalation(name: "PutRolePolicy", actions: ["iam:PutRolePolicy", "sts:AssumeRole"]),
        Escalation(name: "UpdateRolePolicyToAssumeIt", actions: ["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"]),
        Escalation(name: "CreatePolicyVersionAndAssumeRole", actions: ["iam:CreatePolicyVersion", "sts:AssumeRole"]),
        Escalation(name: "AttachRolePolicyAndUpdateTrust", actions: ["iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"]),
        Escalation(name: "PutRolePolicyAndUpdateTrust", actions: ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"]),
        Escalation(name: "CreateAccessKeyAfterDeletingOne", actions: ["iam:CreateAccessKey", "iam:DeleteAccessKey"]),
        Escalation(name: "PassExistingRoleToNewEC2Instance", actions: ["iam:PassRole", "ec2:RunInstances"]),
        Escalation(name: "PassExistingRoleToNewLambdaThenInvoke", actions: ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]),
        Escalation(name: "PassExistingRoleToNewLambdaThenTriggerWithDynamoDB",
                   actions: ["iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"]),
        Escalation(name: "EditExistingLambdaFunctionWithRole", actions: ["lambda:UpdateFunctionCode"]),
        Escalation(name: "PassExistingRoleToNewGlueDevEndpoint", actions: ["iam:PassRole", "glue:CreateDevEndpoint"]),
        Escalation(name: "UpdateExistingGlueDevEndpoint", actions: ["glue:UpdateDevEndpoint"]),
        Escalation(name: "PassExistingRoleToCloudFormation", actions: ["iam:PassRole", "cloudformation:CreateStack"]),
        Escalation(name: "PassExistingRoleToNewDataPipeline", actions: ["iam:PassRole", "datapipeline:CreatePipeline"]),
        Escalation(name: "PassExistingRoleToNewCodeBuildProject", actions: ["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"]),
        Escalation(name: "PassExistingRoleToNewECSTask", actions: ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"]),
        Escalation(name: "PassExistingRoleToNewSageMakerNotebook",
                   actions: ["iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"]),
        Escalation(name: "UpdateLambdaConfigurationWithRole", actions: ["iam:PassRole", "lambda:UpdateFunctionConfiguration"]),
    ]

    /// Actions that hand back credentials (Cloudsplaining's list, for the services it shares with Coffer and the common ones).
    static let credentials: [String] = [
        "iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
        "iam:CreateServiceSpecificCredential", "iam:ResetServiceSpecificCredential",
        "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:GetFederationToken", "sts:GetSessionToken",
        "ecr:GetAuthorizationToken", "ecr-public:GetAuthorizationToken", "codeartifact:GetAuthorizationToken", "ec2:GetPasswordData",
        "rds-db:Connect", "redshift:GetClusterCredentials", "redshift:GetClusterCredentialsWithIAM", "sso:GetRoleCredentials",
        "cognito-identity:GetCredentialsForIdentity", "lightsail:GetInstanceAccessDetails", "appsync:CreateApiKey",
        "airflow:CreateCliToken", "grafana:CreateWorkspaceApiKey",
    ]

    /// Actions that read secret data: a grant on every resource is a grant on every secret.
    static let secretData: [(action: String, noun: String, example: String)] = [
        ("secretsmanager:GetSecretValue", "every secret", "arn:aws:secretsmanager:REGION:ACCOUNT:secret:APP/*"),
        ("secretsmanager:BatchGetSecretValue", "every secret", "arn:aws:secretsmanager:REGION:ACCOUNT:secret:APP/*"),
        ("ssm:GetParameter", "every parameter", "arn:aws:ssm:REGION:ACCOUNT:parameter/APP/*"),
        ("ssm:GetParameters", "every parameter", "arn:aws:ssm:REGION:ACCOUNT:parameter/APP/*"),
        ("ssm:GetParametersByPath", "every parameter", "arn:aws:ssm:REGION:ACCOUNT:parameter/APP/*"),
        ("kms:Decrypt", "every KMS key", "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID"),
        ("kms:ReEncryptFrom", "every KMS key", "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID"),
        ("s3:GetObject", "every object of every bucket", "arn:aws:s3:::BUCKET/PREFIX/*"),
    ]

    /// Sampled to tell full administrator access from a merely broad grant.
    static let administratorSample = ["iam:CreateUser", "iam:AttachRolePolicy", "ec2:TerminateInstances", "secretsmanager:DeleteSecret",
                                      "kms:ScheduleKeyDeletion", "s3:DeleteBucket", "organizations:LeaveOrganization"]
}

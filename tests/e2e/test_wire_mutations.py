"""Every operation in the botocore models of the services Coffer serves, correctly signed, with mutated
bodies: AWS's 4xx error every time, never a 5xx (tests/fuzz/wire_mutations.py, a short run)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))

import wire_mutations  # noqa: E402


def test_mutated_bodies_get_4xx_never_5xx(coffer):
    key, secret = coffer.root_credentials()
    lines = []
    failures, unimplemented, sent = wire_mutations.run(coffer.endpoint, key, secret, seed=7, per_operation=4, log=lambda *a: lines.append(a))
    assert sent > 1000
    assert failures == [], lines
    # The operations users of these services call most are all implemented.
    for needed in ("secretsmanager:ReplicateSecretToRegions", "sts:AssumeRoleWithWebIdentity", "sts:GetFederationToken",
                   "iam:CreateOpenIDConnectProvider", "iam:GetCredentialReport", "ssm:GetParametersByPath", "kms:GenerateRandom"):
        assert needed not in unimplemented
    assert coffer.client().list_secrets() is not None

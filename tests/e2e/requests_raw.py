"""Raw signed requests that the SDKs would not send."""
import json
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def unknown_operation(node, target, service="secretsmanager"):
    key, secret = node.root_credentials()
    request = botocore.awsrequest.AWSRequest(method="POST", url=node.endpoint + "/", data=json.dumps({}).encode(),
                                             headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    try:
        with urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code

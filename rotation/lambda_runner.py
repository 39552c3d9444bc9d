#!/usr/bin/env python3
"""Runs a Secrets Manager rotation function written for AWS Lambda under Coffer, unchanged.

Coffer starts this for each step with the event on standard input and the execution role's
temporary credentials and AWS_ENDPOINT_URL in the environment, so boto3 inside the function
calls Coffer as that role. Usage in a rotation function's registration:

    "command": ["python3", "rotation/lambda_runner.py", "path/to/lambda_function.py"]

The handler is `lambda_handler` unless a second argument names another. An exception in the
handler fails the step (exit status 1), as a function error fails a Lambda invocation.
"""
import importlib.util
import json
import os
import sys
import time
import traceback
import uuid


class Context:
    """The parts of Lambda's context object rotation functions use."""

    def __init__(self, timeout_seconds: float):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "coffer-rotation")
        self.function_version = "$LATEST"
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 128
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: lambda_runner.py FUNCTION_FILE [HANDLER]", file=sys.stderr)
        return 2
    path, handler_name = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "lambda_handler")
    spec = importlib.util.spec_from_file_location("lambda_function", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec.loader.exec_module(module)
    event = json.load(sys.stdin)
    timeout = float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "30"))
    try:
        getattr(module, handler_name)(event, Context(timeout))
    except Exception as error:  # noqa: BLE001 - any function error fails the step
        print(json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}), file=sys.stderr)
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

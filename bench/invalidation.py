"""Two coffer serve nodes on one PostgreSQL: how long after PutSecretValue through one is acknowledged
the other answers the new value. Run: scripts/with-postgres.sh python3 bench/invalidation.py"""
import os, sys, time, statistics, subprocess, base64, configparser, boto3, urllib.request
url = os.environ["COFFER_TEST_POSTGRES_URL"]
B = os.environ.get("COFFER_BIN", os.path.join(os.path.dirname(__file__), "..", ".build", "release", "coffer"))
key = base64.b64encode(os.urandom(32)).decode()
procs = []
for i, port in enumerate((4711, 4712)):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    env["COFFER_ROOT_KEY"] = key
    procs.append(subprocess.Popen([B, "serve", "--port", str(port), "--data-dir", f"/tmp/coffer-invalidation-n{i}-{os.getpid()}", "--database", url],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
    time.sleep(1.5)
time.sleep(1)
cp = configparser.ConfigParser(); cp.read(f"/tmp/coffer-invalidation-n0-{os.getpid()}/root-credentials")
k, s = cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]
a = boto3.client("secretsmanager", endpoint_url="http://127.0.0.1:4711", region_name="us-east-1", aws_access_key_id=k, aws_secret_access_key=s)
b = boto3.client("secretsmanager", endpoint_url="http://127.0.0.1:4712", region_name="us-east-1", aws_access_key_id=k, aws_secret_access_key=s)
a.create_secret(Name="m", SecretString="0")
b.get_secret_value(SecretId="m")
delays, polls = [], []
for i in range(1, 201):
    a.put_secret_value(SecretId="m", SecretString=str(i))
    t = time.perf_counter(); n = 0
    while b.get_secret_value(SecretId="m")["SecretString"] != str(i):
        n += 1
    delays.append((time.perf_counter() - t) * 1000); polls.append(n)
q = statistics.quantiles(delays, n=100)
print(f"after the writer's acknowledgement: median {statistics.median(delays):.2f} ms, p99 {q[98]:.2f} ms, max {max(delays):.2f} ms; stale reads seen in {sum(1 for p in polls if p)} of 200 rounds")
for p in procs: p.terminate()

"""coffer scan end to end: the seeds, a generated git repository with secrets that exist only in
history, the three report formats, baselines, standard input, exit codes and bad input."""
import base64
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

SEEDS = Path(__file__).parent / "seeds"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def github_token(random30: str) -> str:
    """A ghp_ token with GitHub's CRC32 checksum, so it is a real-format token (not a live one)."""
    value, digits = zlib.crc32(random30.encode()), ""
    while value:
        value, digit = divmod(value, 62)
        digits = BASE62[digit] + digits
    return "ghp_" + random30 + digits.rjust(6, "0")


def scan(binary, *args, stdin=None, cwd=None):
    return subprocess.run([binary, "scan", "--no-progress", *args], input=stdin, capture_output=True, text=True, cwd=cwd)


def test_the_seeds_hold_one_real_credential_and_only_placeholders_besides(binary):
    out = scan(binary, str(SEEDS), "--format", "json")
    assert out.returncode == 1, out.stderr
    findings = json.loads(out.stdout)["findings"]
    assert [(Path(f["path"]).name, f["line"], f["ruleId"]) for f in findings] == [("002_e0c1c5dd9bc33c76.txt", 217, "aws-access-key")]
    # The report never carries the secret, only its ends.
    assert "4mQiit4tJjSl++WG9fq7Dcy0Wz0hSMNEEAmBjwEY" not in out.stdout and findings[0]["redacted"].startswith("4")


def git(repo, *args, date="2026-01-02T03:04:05Z"):
    env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date, GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.org",
               GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.org")
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    token = github_token("R8kq2Lm9Zx4Pw7Tn3Vb6Yc1Hd5Jf0G")
    (repo / "app.py").write_text(f'import os\nGITHUB_TOKEN = "{token}"\n')
    (repo / "README.md").write_text("# app\npassword: ${DB_PASSWORD}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first", date="2026-01-02T03:04:05Z")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "app.py").write_text('import os\nGITHUB_TOKEN = os.environ["GITHUB_TOKEN"]\n')
    git(repo, "commit", "-q", "-am", "read the token from the environment", date="2026-01-03T00:00:00Z")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "deploy.env").write_text("DB_PASSWORD=Tr0ub4dor&3x\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "deploy settings", date="2026-01-04T00:00:00Z")
    feature = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-q", "deploy.env")
    git(repo, "commit", "-q", "-m", "oops", date="2026-01-05T00:00:00Z")
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "main")
    return {"path": repo, "token": token, "first": first, "feature": feature}


def test_history_finds_what_only_history_holds_with_the_commit_that_added_it(binary, repo):
    tree = scan(binary, str(repo["path"]))
    assert tree.returncode == 0, tree.stdout + tree.stderr  # the working tree is clean now
    out = scan(binary, "--git", str(repo["path"]), "--format", "json")
    assert out.returncode == 1, out.stderr
    findings = {f["ruleId"]: f for f in json.loads(out.stdout)["findings"]}
    assert set(findings) == {"github-token", "password-assignment"}
    assert findings["github-token"]["path"] == "app.py" and findings["github-token"]["line"] == 2
    assert findings["github-token"]["commit"] == repo["first"] and findings["github-token"]["date"].startswith("2026-01-02")
    assert findings["github-token"]["author"] == "dev@example.org"
    assert findings["password-assignment"]["path"] == "deploy.env" and findings["password-assignment"]["commit"] == repo["feature"]
    assert repo["token"] not in out.stdout and "Tr0ub4dor&3x" not in out.stdout
    # A pull request's range: only what it adds.
    ranged = scan(binary, "--git", str(repo["path"]), "--range", "main..feature", "--format", "json")
    assert [f["ruleId"] for f in json.loads(ranged.stdout)["findings"]] == ["password-assignment"]


def test_sarif_is_what_github_code_scanning_takes(binary, repo):
    out = scan(binary, "--git", str(repo["path"]), "--format", "sarif")
    assert out.returncode == 1
    sarif = json.loads(out.stdout)
    # An independent model of SARIF 2.1.0 (sarif-pydantic) accepts the document...
    import sarif_pydantic
    model = sarif_pydantic.Sarif.model_validate(sarif)
    assert model.version == "2.1.0" and len(model.runs[0].results) == 2
    # ...and GitHub's own requirements hold (docs.github.com, SARIF support for code scanning).
    assert sarif["version"] == "2.1.0" and "sarif" in sarif["$schema"]
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert run["tool"]["driver"]["name"] and all(r["shortDescription"]["text"] and r["help"]["text"] for r in rules.values())
    for result in run["results"]:
        assert result["ruleId"] in rules and result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1
        assert len(result["partialFingerprints"]["cofferSecret/v1"]) == 32
    assert repo["token"] not in out.stdout
    # The fingerprint does not depend on the line: moving the secret keeps it.
    moved = Path(repo["path"]) / "moved.py"
    moved.write_text(f'\n\n\nTOKEN = "{repo["token"]}"\n')
    first = json.loads(scan(binary, str(moved), "--format", "sarif").stdout)["runs"][0]["results"][0]
    moved.write_text(f'TOKEN = "{repo["token"]}"\n')
    second = json.loads(scan(binary, str(moved), "--format", "sarif").stdout)["runs"][0]["results"][0]
    assert first["partialFingerprints"] == second["partialFingerprints"]
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 4


def test_baseline_silences_known_findings_and_not_new_ones(binary, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.env").write_text("DB_PASSWORD=Tr0ub4dor&3x\n")
    baseline = tmp_path / "baseline.json"
    first = scan(binary, str(work), "--write-baseline", str(baseline))
    assert first.returncode == 1 and baseline.exists()
    assert "Tr0ub4dor" not in baseline.read_text()
    known = scan(binary, str(work), "--baseline", str(baseline))
    assert known.returncode == 0 and "1 more in the baseline" in known.stdout
    (work / "b.env").write_text("API_PASSWORD=Zq8!rT2#mW5p\n")
    new = scan(binary, str(work), "--baseline", str(baseline), "--format", "json")
    assert new.returncode == 1
    assert [Path(f["path"]).name for f in json.loads(new.stdout)["findings"]] == ["b.env"]


def test_known_findings_from_detect_secrets_and_gitleaks_ignore_files(binary, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.env").write_text("DB_PASSWORD=Tr0ub4dor&3x\n")
    (work / "creds.ini").write_text("aws_access_key_id = AKIAQWERTYUIOPASDFGH\n"
                                    "aws_secret_access_key = 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\n")
    # detect-secrets' own baseline of the directory, made by detect-secrets.
    made = subprocess.run([sys.executable, "-m", "detect_secrets", "scan", "--all-files", "."], cwd=work, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    baseline = tmp_path / ".secrets.baseline"
    baseline.write_text(made.stdout)
    assert scan(binary, str(work)).returncode == 1
    known = scan(binary, str(work), "--baseline", str(baseline))
    assert known.returncode == 0 and "2 more in the baseline" in known.stdout, known.stdout
    (work / "b.env").write_text("API_PASSWORD=Zq8!rT2#mW5p\n")
    new = scan(binary, str(work), "--baseline", str(baseline), "--format", "json")
    assert new.returncode == 1
    assert [(f["path"], f["line"]) for f in json.loads(new.stdout)["findings"]] == [(f"{work}/b.env", 1)]
    # A .gitleaksignore at the top of the scanned directory: file, rule and line as gitleaks writes them.
    (work / ".gitleaksignore").write_text("# reviewed\nb.env:generic-api-key:1\n")
    assert scan(binary, str(work), "--baseline", str(baseline)).returncode == 0
    assert scan(binary, str(work), "--baseline", str(baseline), "--no-gitleaksignore").returncode == 1
    # Another line of the same file is not covered by it.
    (work / "b.env").write_text("# settings\nAPI_PASSWORD=Zq8!rT2#mW5p\n")
    assert scan(binary, str(work), "--baseline", str(baseline)).returncode == 1
    (work / ".gitleaksignore").write_text("b.env:generic-api-key:one\n")
    broken = scan(binary, str(work))
    assert broken.returncode == 2 and ".gitleaksignore:1" in broken.stderr


def test_gitleaks_ignore_entries_with_a_commit_name_history_findings(binary, repo):
    path = repo["path"]
    found = json.loads(scan(binary, "--git", str(path), "--format", "json").stdout)["findings"]
    deploy = next(f for f in found if f["path"] == "deploy.env")
    entry = f"{repo['feature']}:deploy.env:generic-api-key:{deploy['line']}\n"
    (path / ".gitleaksignore").write_text(entry)
    rest = json.loads(scan(binary, "--git", str(path), "--format", "json").stdout)
    assert [f["path"] for f in rest["findings"]] == [f["path"] for f in found if f["path"] != "deploy.env"]
    assert rest["baselined"] == 1
    # The same file and line under another commit is another finding.
    (path / ".gitleaksignore").write_text(f"{repo['first']}:deploy.env:generic-api-key:{deploy['line']}\n")
    again = json.loads(scan(binary, "--git", str(path), "--format", "json").stdout)
    assert len(again["findings"]) == len(found) and again["baselined"] == 0


def test_kubernetes_secrets_and_base64_encoded_credentials_are_found_where_they_are_written(binary, tmp_path):
    token = github_token("R8kq2Lm9Zx4Pw7Tn3Vb6Yc1Hd5Jf0G")
    key = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, text=True, check=True).stdout
    b64 = lambda text: base64.b64encode(text.encode()).decode()
    docker = '{"auths":{"registry.example.com":{"auth":"%s"}}}' % b64("ci-bot:Zq8rT2mW5pX9kL")
    (tmp_path / "secret.yaml").write_text(f"""apiVersion: v1
kind: Secret
metadata:
  name: app
data:
  GITHUB_TOKEN: {b64(token)}
  tls.key: {b64(key)}
  username: {b64("admin")}
  signing: {b64("Vn3#kP8qLm2!xZ")}
---
apiVersion: v1
kind: Secret
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {b64(docker)}
""")
    out = scan(binary, str(tmp_path), "--format", "json")
    assert out.returncode == 1, out.stderr
    found = [(f["line"], f["ruleId"], f["note"]) for f in json.loads(out.stdout)["findings"]]
    # Any other value of a Secret's data is the Secret's (not "admin": too short to be one).
    assert found == [(6, "github-token", "base64-encoded"), (7, "private-key", "base64-encoded, PRIVATE KEY"),
                     (9, "kubernetes-secret", "signing"), (15, "basic-auth-credentials", "base64-encoded, user ci-bot")], found
    # Neither the secret nor its encoding is in the report.
    assert token not in out.stdout and b64(token) not in out.stdout and "Zq8rT2mW5pX9kL" not in out.stdout


def test_stdin_exit_codes_and_bad_input(binary, tmp_path):
    found = scan(binary, "-", stdin="export AWS_SECRET_ACCESS_KEY=4mQiit4tJjSl++WG9fq7Dcy0Wz0hSMNEEAmBjwEY\n")
    assert found.returncode == 1 and "<stdin>:1:" in found.stdout and "aws-secret-access-key" in found.stdout
    assert scan(binary, "-", stdin="nothing to see\n").returncode == 0
    assert scan(binary, str(tmp_path / "missing")).returncode == 2
    assert scan(binary, ".", "--format", "xml").returncode == 2
    weird = tmp_path / "weird"
    weird.mkdir()
    (weird / "binary.bin").write_bytes(b"\x00\x01password=Tr0ub4dor&3x" * 100)
    (weird / "latin1.txt").write_bytes("mot de passe: caf\xe9\npassword = \"Zq8!rT2#mW5p\"\n".encode("latin-1"))
    (weird / "huge.txt").write_bytes(b"a" * (2 << 20))
    (weird / "long-line.txt").write_bytes(b"x" * (1 << 20) + b" token=" + b"y" * 100000 + b"\n")
    os.symlink(weird / "nowhere", weird / "dangling")
    out = scan(binary, str(weird), "--max-file-size", "1", "--verbose")
    assert out.returncode == 1, out.stderr
    assert "latin1.txt:2:" in out.stdout
    assert "binary.bin: binary" in out.stdout and "huge.txt: larger than 1 MiB" in out.stdout and "dangling: broken symbolic link" in out.stdout
    not_a_repo = scan(binary, "--git", str(weird))
    assert not_a_repo.returncode == 2 and "coffer scan:" in not_a_repo.stderr


def test_accuracy_on_the_generated_corpus(binary, tmp_path):
    """The labelled corpus of bench/scan_corpus (true secrets of every detector, near misses,
    history-only secrets), for two seeds: precision and recall at least 0.95."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "scan_corpus"))
    from score import score
    for seed in (11, 12):
        out = tmp_path / f"corpus-{seed}"
        subprocess.run([sys.executable, str(Path(__file__).resolve().parents[2] / "bench" / "scan_corpus" / "generate.py"), str(out),
                        "--seed", str(seed), "--files", "200"], check=True, capture_output=True)
        result = score(out, binary)
        assert result["precision"] >= 0.95 and result["recall"] >= 0.95, result
        assert any(label for label in json.loads((out / "labels.json").read_text()) if label["where"] == "history")


def test_verify_tells_live_deactivated_and_deleted_keys_apart(binary, coffer, tmp_path):
    iam = coffer.client("iam")
    iam.create_user(UserName="leaky")
    keys = {name: iam.create_access_key(UserName="leaky")["AccessKey"] for name in ("live", "inactive")}
    # Two keys per user: the deleted one belongs to a second user.
    iam.create_user(UserName="gone")
    keys["deleted"] = iam.create_access_key(UserName="gone")["AccessKey"]
    iam.delete_access_key(UserName="gone", AccessKeyId=keys["deleted"]["AccessKeyId"])
    iam.update_access_key(UserName="leaky", AccessKeyId=keys["inactive"]["AccessKeyId"], Status="Inactive")
    work = tmp_path / "leaks"
    work.mkdir()
    for name, pair in keys.items():
        (work / f"{name}.env").write_text(f"AWS_ACCESS_KEY_ID={pair['AccessKeyId']}\nAWS_SECRET_ACCESS_KEY={pair['SecretAccessKey']}\n")
    root_key, root_secret = coffer.root_credentials()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=root_key, AWS_SECRET_ACCESS_KEY=root_secret, AWS_DEFAULT_REGION="us-east-1")
    out = subprocess.run([binary, "scan", "--no-progress", str(work), "--verify", coffer.endpoint, "--format", "json"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 1, out.stderr
    verdicts = {Path(f["path"]).stem: f["verification"] for f in json.loads(out.stdout)["findings"]}
    assert verdicts["live"].startswith("LIVE: the key works as arn:aws:iam::") and ":user/leaky" in verdicts["live"]
    assert "user leaky" in verdicts["live"] and "days old" in verdicts["live"] and "never used" not in verdicts["live"]
    assert "rotate-secret" in verdicts["live"]
    assert verdicts["inactive"].startswith("not live") and verdicts["deleted"].startswith("not live")
    for pair in keys.values():
        assert pair["SecretAccessKey"] not in out.stdout
    # Without --verify nothing is sent: the trail has no GetCallerIdentity by these keys.
    before = len(coffer.client("cloudtrail").lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])["Events"])
    scan(binary, str(work))
    after = len(coffer.client("cloudtrail").lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])["Events"])
    assert before == after


def test_rules_and_allowlists_from_a_config_file_and_from_gitleaks(binary, tmp_path):
    work = tmp_path / "cfg"
    (work / "vendor").mkdir(parents=True)
    (work / "app.env").write_text("ACME=acme_Zq8rT2mW5pXk9Lq3Vb7Nc4Hd\nDB_PASSWORD=Tr0ub4dor&3x\nOTHER_PASSWORD=Qw9!Lm2$Xy7#\n")
    (work / "vendor" / "lib.env").write_text("VENDOR_PASSWORD=Zq8!rT2#mW5p\n")
    config = tmp_path / "scan.json"
    config.write_text(json.dumps({
        "rules": [{"id": "acme-token", "title": "ACME token", "prefix": "acme_", "alphabet": "alnum", "minLength": 24, "maxLength": 24}],
        "allowlist": {"paths": ["vendor/"], "regexes": ["^Tr0ub4dor"], "stopwords": []},
    }))
    out = scan(binary, str(work), "--config", str(config), "--format", "json")
    found = sorted((Path(f["path"]).name, f["ruleId"], f["line"]) for f in json.loads(out.stdout)["findings"])
    assert found == [("app.env", "acme-token", 1), ("app.env", "password-assignment", 3)], out.stdout + out.stderr
    gitleaks = tmp_path / ".gitleaks.toml"
    gitleaks.write_text("""title = "team config"
[extend]
useDefault = true

[allowlist]
description = "vendored and known"
paths = [
  '''(^|/)vendor/''',
]
regexes = ['''^Qw9!''']
stopwords = ["tr0ub4dor"]
""")
    out = scan(binary, str(work), "--config", str(gitleaks), "--format", "json")
    assert json.loads(out.stdout)["findings"] == [] and out.returncode == 0, out.stdout + out.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"allowlist": {"paths": ["("]}}))
    assert scan(binary, str(work), "--config", str(bad)).returncode == 2


def test_corrupt_and_shallow_repositories_are_reported_not_fatal(binary, repo, tmp_path):
    import shutil
    # A blob's loose object deleted (a fresh repository keeps its objects loose): the scan goes on
    # and says what it could not read.
    broken = tmp_path / "broken"
    shutil.copytree(repo["path"], broken)
    readme = git(broken, "rev-parse", "HEAD:README.md")
    (broken / ".git" / "objects" / readme[:2] / readme[2:]).unlink()
    out = scan(binary, "--git", str(broken), "--verbose")
    assert out.returncode == 1, out.stderr  # the history's secrets are still found
    assert f"object {readme[:12]}: missing from the repository" in out.stdout
    assert "github-token" in out.stdout
    # A shallow clone: what it holds is scanned, and the report says history was cut.
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo['path']}", str(shallow)], check=True)
    out = scan(binary, "--git", str(shallow), "--verbose")
    assert out.returncode in (0, 1), out.stderr
    assert "shallow clone" in out.stdout

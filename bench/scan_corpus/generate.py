#!/usr/bin/env python3
"""Generates the labelled corpus coffer scan is scored on: realistic files in many formats holding
true secrets of every detector (format-valid: checksums, decodable keys and tokens), planted near
misses (placeholders, references, templates, documentation examples, hashes, ids, wrong
checksums), and a git repository whose secrets exist only in history.

    python3 bench/scan_corpus/generate.py OUT_DIR [--seed N]

Writes OUT_DIR/tree (files), OUT_DIR/history (a git repository, working tree clean of secrets)
and OUT_DIR/labels.json: [{"path", "line", "kind", "where": "tree"|"history"}] for every true
secret. Everything is random per seed; nothing here is a live credential.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import string
import subprocess
import uuid
import zlib
from pathlib import Path

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def strong(self, n=14):
        while True:
            s = self.chars(string.ascii_letters + string.digits + "!#%&*+-=?@^_", n)
            if any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s):
                return s

    def checksummed(self, prefix):
        body = self.chars(B62, 30)
        value, digits = zlib.crc32(body.encode()), ""
        while value:
            value, d = divmod(value, 62)
            digits = B62[d] + digits
        return prefix + body + digits.rjust(6, "0")

    def aws_pair(self):
        key = self.r.choice(["AKIA", "ASIA"]) + self.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        while True:
            secret = self.chars(string.ascii_letters + string.digits + "+/", 40)
            if any(c.isupper() for c in secret) and any(c.islower() for c in secret) and any(c.isdigit() for c in secret):
                return key, secret

    def jwt(self):
        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = b64(json.dumps({"sub": str(self.r.randrange(10**9)), "iat": 1700000000 + self.r.randrange(10**7)}).encode())
        signature = b64(hmac.new(self.chars(B62, 32).encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    def private_key(self):
        der = bytes([0x30, 0x82, 0x04, 0xA3, 0x02, 0x01, 0x00]) + bytes(self.r.randrange(256) for _ in range(1180))
        body = base64.b64encode(der).decode()
        lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
        kind = self.r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"])
        return f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----"

    def token(self, kind):
        c = self.chars
        return {
            "github": lambda: self.checksummed(self.r.choice(["ghp_", "gho_", "ghs_"])),
            "npm": lambda: self.checksummed("npm_"),
            "gitlab": lambda: "glpat-" + c(B62 + "-_", 20),
            "slack": lambda: f"xoxb-{c(string.digits, 11)}-{c(string.digits, 12)}-{c(B62, 24)}",
            "stripe": lambda: "sk_live_" + c(B62, 24),
            "google": lambda: "AIza" + c(B62 + "-_", 35),
            "openai": lambda: "sk-proj-" + c(B62, 20) + "T3BlbkFJ" + c(B62, 20),
            "anthropic": lambda: "sk-ant-api03-" + c(B62 + "-_", 93) + "AA",
            "sendgrid": lambda: "SG." + c(B62 + "-_", 22) + "." + c(B62 + "-_", 43),
            "twilio": lambda: "SK" + c("0123456789abcdef", 32),
            "pypi": lambda: "pypi-AgEIcHlwaS5vcmc" + c(B62 + "-_", 70),
            "huggingface": lambda: "hf_" + c(string.ascii_letters, 34),
            "shopify": lambda: "shpat_" + c("0123456789abcdef", 32),
            "digitalocean": lambda: "dop_v1_" + c("0123456789abcdef", 64),
            "databricks": lambda: "dapi" + c("0123456789abcdef", 32),
            "vault": lambda: "hvs." + c(B62 + "-_", 95),
        }[kind]()


TOKEN_KINDS = ["github", "npm", "gitlab", "slack", "stripe", "google", "openai", "anthropic", "sendgrid", "twilio", "pypi", "huggingface",
               "shopify", "digitalocean", "databricks", "vault"]
ENV_NAMES = {"github": "GITHUB_TOKEN", "npm": "NPM_TOKEN", "gitlab": "GITLAB_TOKEN", "slack": "SLACK_BOT_TOKEN", "stripe": "STRIPE_SECRET_KEY",
             "google": "GOOGLE_API_KEY", "openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "sendgrid": "SENDGRID_API_KEY",
             "twilio": "TWILIO_API_KEY", "pypi": "PYPI_TOKEN", "huggingface": "HF_TOKEN", "shopify": "SHOPIFY_ACCESS_TOKEN",
             "digitalocean": "DIGITALOCEAN_TOKEN", "databricks": "DATABRICKS_TOKEN", "vault": "VAULT_TOKEN"}

# Lines that must not be findings: the near misses every scanner trips on.
NEAR_MISSES = [
    'password = os.environ["DB_PASSWORD"]', "password: ${DB_PASSWORD}", 'api_key = "your-api-key-here"', "password=changeme",
    'token = get_token(session)', "secret_name: prod/app/database", 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"',
    'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', "if password == confirm_password:",
    "PASSWORD_MIN_LENGTH = 12", "def reset_password(user, new_password):", 'password: "{{ vault_db_password }}"',
    'DATABASE_URL = "postgres://app:${DB_PASSWORD}@db:5432/app"', "mysql://root:<password>@localhost:3306/shop",
    'commit_sha = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"', 'request_id = "9f1c2d3e-4b5a-6c7d-8e9f-0a1b2c3d4e5f"',
    '"integrity": "sha512-Xq8ZWzk5MNSfhYmqBf2V7H1fTqM8v2y7m8b6kPKTcXHNkHj3qj0wq5h2Jp2dEK6o5yF4qQ9n9BLtWJvC4Qv0ng=="',
    "token_type: bearer", "secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf",
    'GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}', "export AWS_ACCESS_KEY_ID='AKIA...'", "password: str",
    "# Set the password to something long and random", 'stripe.api_key = os.getenv("STRIPE_KEY")',
    'private_key_path = "/etc/ssl/private/server.key"', "-----BEGIN PUBLIC KEY-----", "access_token = response.json()['access_token']",
    'headers = {"Authorization": f"Bearer {token}"}', 'client_secret: "<client-secret>"', "PASSWORD=", 'password = ""',
    'api_key = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"', 'secret = "************"', "token = None", "password: null",
    'checksum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
    'WWW-Authenticate: Basic realm="api"', "Authorization: Basic dXNlcjpwYXNzd29yZA==",
    "define('DB_PASSWORD', getenv('DB_PASSWORD'));", 'REQUIRED = ["password", "token", "api_key"]',
    'labels = {"password": "Password", "token": "Access token"}',
]


def write(tree, rel, lines, labels, where="tree"):
    path = tree / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ""
    for number, (line, kind) in enumerate(lines, start=1):
        text += line + "\n"
        if kind:
            labels.append({"path": rel, "line": number, "kind": kind, "where": where})
    path.write_text(text)


def filler(g, n):
    words = ["import", "def", "return", "config", "value", "client", "session", "request", "handler", "user", "items", "for", "in",
             "if", "else", "logger", "info", "data", "result", "self", "assert", "len", "range", "name", "path"]
    return [(" ".join(g.r.choice(words) for _ in range(g.r.randrange(3, 9))), None) for _ in range(n)]


def secret_line(g, fmt, kind):
    """One line holding a true secret of `kind` in the style of `fmt`, with its label kind."""
    if kind in TOKEN_KINDS:
        value, name = g.token(kind), ENV_NAMES[kind]
    elif kind == "password":
        value, name = g.strong(), g.r.choice(["DB_PASSWORD", "password", "db_password", "ADMIN_PASS", "smtp_password", "redis_pwd"])
    elif kind == "secret":
        value = g.chars(B62, 32)
        name = g.r.choice(["client_secret", "API_SECRET", "webhook_secret", "auth_token", "SERVICE_API_KEY"])
    elif kind == "jwt":
        return f'Authorization: Bearer {g.jwt()}', kind
    elif kind == "url":
        scheme = g.r.choice(["postgresql", "mysql", "mongodb", "redis", "amqp"])
        return f"DATABASE_URL={scheme}://svc_{g.chars(string.ascii_lowercase, 5)}:{g.strong(16).replace('@', 'A').replace('#', 'B').replace('?', 'C')}@db.internal:5432/app", kind
    if fmt == "php":
        return f"define('{name.upper()}', '{value}');", kind
    if fmt == "py":
        return f'{name.lower()} = "{value}"', kind
    if fmt == "js":
        return f"const {name.lower()} = '{value}';", kind
    if fmt == "yaml":
        return f"  {name.lower()}: \"{value}\"", kind
    if fmt == "json":
        return f'  "{name.lower()}": "{value}",', kind
    if fmt == "tf":
        return f'  {name.lower()} = "{value}"', kind
    if fmt == "properties":
        return f"app.{name.lower()}={value}", kind
    if fmt == "xml":
        tag = name.lower()
        return f"  <{tag}>{value}</{tag}>", kind
    return f"{name}={value}", kind  # env, sh


FORMATS = {"py": "py", "js": "js", "yaml": "yaml", "json": "json", "tf": "tf", "properties": "properties", "xml": "xml", "env": "env",
           "php": "php"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--files", type=int, default=120)
    args = parser.parse_args()
    g = Gen(args.seed)
    out = Path(args.out)
    tree, history = out / "tree", out / "history"
    tree.mkdir(parents=True, exist_ok=False)
    labels = []
    kinds = TOKEN_KINDS + ["password", "secret", "jwt", "url"]
    for index in range(args.files):
        fmt = g.r.choice(list(FORMATS))
        lines = filler(g, g.r.randrange(5, 40))
        for _ in range(g.r.randrange(0, 3)):
            lines.insert(g.r.randrange(len(lines) + 1), (g.r.choice(NEAR_MISSES), None))
        if g.r.random() < 0.6:
            lines.insert(g.r.randrange(len(lines) + 1), secret_line(g, fmt, g.r.choice(kinds)))
        ext = {"env": ".env", "properties": ".properties"}.get(fmt, "." + fmt)
        write(tree, f"{fmt}/file_{index}{ext}", lines, labels)
    # AWS pairs as the credentials file and as environment exports, private keys, a notebook.
    for index in range(6):
        key, secret = g.aws_pair()
        write(tree, f"aws/credentials_{index}", [("[default]", None), (f"aws_access_key_id = {key}", None),
                                                  (f"aws_secret_access_key = {secret}", "aws")], labels)
    for index in range(5):
        pem = g.private_key().split("\n")
        write(tree, f"keys/id_{index}.pem", [(pem[0], "private-key")] + [(line, None) for line in pem[1:]], labels)
    for index in range(3):
        auth = base64.b64encode(f"ci-{g.chars(string.ascii_lowercase, 5)}:{g.strong(18)}".encode()).decode()
        write(tree, f"docker/config_{index}.json", [("{", None), ('  "auths": {', None), ('    "registry.example.com": {', None),
                                                    (f'      "auth": "{auth}"', "basic-auth"), ("    }", None), ("  }", None), ("}", None)], labels)
    notebook_pw = g.strong()
    notebook = {"cells": [{"cell_type": "code", "source": ["import psycopg2\n", f'conn = psycopg2.connect(password="{notebook_pw}")\n']}]}
    (tree / "notebooks").mkdir()
    text = json.dumps(notebook, indent=1)
    (tree / "notebooks" / "explore.ipynb").write_text(text + "\n")
    line = next(i for i, l in enumerate(text.split("\n"), start=1) if notebook_pw in l)
    labels.append({"path": "notebooks/explore.ipynb", "line": line, "kind": "password", "where": "tree"})
    # Near misses only: documentation with examples, lockfiles, hashes.
    write(tree, "docs/setup.md", [(line, None) for line in NEAR_MISSES], labels)

    # History: secrets committed, then removed; the last commit is clean.
    history.mkdir()
    env = dict(os.environ, GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.org", GIT_COMMITTER_NAME="Dev",
               GIT_COMMITTER_EMAIL="dev@example.org")
    def git(*a):
        subprocess.run(["git", "-C", str(history), *a], check=True, capture_output=True, env=env)
    git("init", "-q", "-b", "main")
    for index, kind in enumerate(["github", "aws", "password", "stripe", "private-key", "url"]):
        rel = f"service_{index}/settings" + (".pem" if kind == "private-key" else ".env")
        if kind == "aws":
            key, secret = g.aws_pair()
            lines = [(f"AWS_ACCESS_KEY_ID={key}", None), (f"AWS_SECRET_ACCESS_KEY={secret}", "aws")]
        elif kind == "private-key":
            pem = g.private_key().split("\n")
            lines = [(pem[0], "private-key")] + [(line, None) for line in pem[1:]]
        else:
            lines = filler(g, 3) + [secret_line(g, "env", kind)]
        write(history, rel, lines, labels, where="history")
        git("add", ".")
        git("commit", "-q", "-m", f"add service {index}")
        if index % 2 == 1:
            git("checkout", "-q", "-b", f"branch-{index}")
        (history / rel).write_text("# moved to the secret store\n")
        git("commit", "-q", "-am", f"remove secret {index}")
        git("checkout", "-q", "main")
    (out / "labels.json").write_text(json.dumps(labels, indent=1))
    print(f"{len(labels)} true secrets ({sum(1 for l in labels if l['where'] == 'history')} only in history)")


if __name__ == "__main__":
    main()

"""A real PostgreSQL server for the tests: initdb and pg_ctl on a free loopback port, run as the
postgres user (they refuse root), in a directory of its own, with SCRAM passwords and TLS on a
self-signed certificate. Nothing global is started or changed."""
import glob
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import free_port


def pg_bin(tool):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    return found[-1] if found else shutil.which(tool)


def as_postgres(args, **kwargs):
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


class Postgres:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="coffer-pg-")
        self.port = free_port()
        self.superuser_password = "super-" + os.urandom(8).hex()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.superuser_password)
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        as_postgres([pg_bin("initdb"), "-D", self.data, "-U", "postgres", "--pwfile", pwfile, "--auth", "scram-sha-256", "-E", "UTF8"])
        key, cert = os.path.join(self.data, "server.key"), os.path.join(self.data, "server.crt")
        as_postgres(["openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert])
        os.chmod(key, 0o600)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                       "ssl = on\nfsync = off\n")
        as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "start"])

    def psql(self, sql, user="postgres", password=None, database="postgres"):
        env = dict(os.environ, PGPASSWORD=password or self.superuser_password, PGCONNECT_TIMEOUT="5")
        return subprocess.run([pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", database, "-tAc", sql],
                              capture_output=True, text=True, env=env)

    def can_log_in(self, user, password, database="postgres"):
        return self.psql("SELECT 1", user=user, password=password, database=database).returncode == 0

    def stop(self):
        try:
            as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    if not pg_bin("initdb"):
        pytest.fail("PostgreSQL's initdb is needed (apt-get install postgresql)")
    server = Postgres()
    yield server
    server.stop()

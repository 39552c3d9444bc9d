"""coffer serve's settings: command line over environment over config file (swift-configuration's
reader), a config file checked member by member, secrets in settings never printed."""
import json
import os
import subprocess
import time
import urllib.request

from conftest import free_port


def test_a_config_file_member_that_is_not_a_setting_stops_the_server(binary, tmp_path):
    for content, message in [({"prot": 4566}, "prot in the config file is not a setting"),
                             ({"port": "4566"}, "port in the config file must be a whole number"),
                             ({"audit": {"retentionDay": 7}}, "audit.retentionDay in the config file is not a setting"),
                             ({"database": "postgres://u:hunter2@127.0.0.1:1/x", "tls": {"certificate": "c.pem"}},
                              "TLS needs both a certificate and a key")]:
        config = tmp_path / "bad.json"
        config.write_text(json.dumps(content))
        out = subprocess.run([binary, "serve", "--config", str(config), "--data-dir", str(tmp_path / "d"), "--port", "0"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode != 0 and message in out.stderr, out.stderr
        assert "hunter2" not in out.stderr + out.stdout



def test_command_line_over_environment_over_file(binary, tmp_path):
    ports = [free_port() for _ in range(3)]
    config = tmp_path / "coffer.json"
    config.write_text(json.dumps({"port": ports[0], "audit": {"retentionDays": 30}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}

    def listens(args, extra_env):
        proc = subprocess.Popen([binary, "serve", "--config", str(config), "--data-dir", str(tmp_path / "d"), *args],
                                env={**env, **extra_env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                for port in ports:
                    try:
                        if urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=0.5).status == 200:
                            return port
                    except OSError:
                        pass
                time.sleep(0.05)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        return None

    assert listens([], {}) == ports[0]
    assert listens([], {"COFFER_PORT": str(ports[1])}) == ports[1]
    assert listens(["--port", str(ports[2])], {"COFFER_PORT": str(ports[1])}) == ports[2]
    out = subprocess.run([binary, "serve", "--config", str(config), "--data-dir", str(tmp_path / "d")],
                         env={**env, "COFFER_PORT": "four"}, capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "COFFER_PORT must be a whole number" in out.stderr

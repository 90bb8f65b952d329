"""
The real OpenID Connect provider the sign-on tests run against: the project in `idp/`
(django-oauth-toolkit), started once per test session as a process of its own on a free
port of 127.0.0.1 and stopped at the end.

If it cannot start, the tests that need it are skipped saying why (in CI, where it must
start, they fail).
"""

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "provider-password"
CLIENT_ID = "pm-ladder"
CLIENT_SECRET = "pm-ladder-secret"
# The provider's own users. Alice's email is in another case than the app keeps it.
ALICE = {"username": "alice", "email": "Alice.Smith@Example.com", "verified": True}
UNVERIFIED = {"username": "una", "email": "una@example.com", "verified": False}
# Her ID token has no email: the app must ask the userinfo endpoint.
USERINFO_ONLY = {"username": "uma", "email": "uma@example.com", "userinfo_only": True}
USERS = [ALICE, UNVERIFIED, USERINFO_ONLY]
# The names the app's tests give the provider (SSO_PROVIDERS), each with its callback.
NAMES = ["local", "second"]
HOSTS = ["http://testserver", "http://localhost", "http://127.0.0.1"]
START_SECONDS = 60


@dataclass
class Provider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def settings(self, label="Sign in with the test provider", **extra):
        """One entry of SSO_PROVIDERS pointing at this provider."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "label": label,
            "trust_email": False,
            **extra,
        }


def _refuse(message):
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def identity_provider():
    """The running provider (a `Provider`)."""
    folder = tempfile.TemporaryDirectory()
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        IDP_DATABASE=str(Path(folder.name) / "idp.sqlite3"),
        IDP_USERS=json.dumps([{**user, "password": PASSWORD} for user in USERS]),
        IDP_CLIENTS=json.dumps(
            [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [
                        f"{host}/accounts/sso/{name}/callback/" for host in HOSTS for name in NAMES
                    ],
                    "post_logout_redirect_uris": [f"{host}/accounts/login/" for host in HOSTS],
                }
            ]
        ),
    )
    # Its messages go to a file, where they cannot fill a pipe nobody reads.
    log_path = Path(folder.name) / "idp.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.idp.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], START_SECONDS)
        line = process.stdout.readline().strip() if ready else ""
        if not line.isdigit():
            process.kill()
            process.wait()
            errors = log_path.read_text()[-2000:]
            _refuse(f"the test identity provider did not start: {errors or 'no port printed'}")
        issuer = f"http://127.0.0.1:{line}/o"
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                _refuse("the test identity provider started but its discovery never answered")
            time.sleep(0.1)
        yield Provider(issuer=issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        log.close()
        folder.cleanup()

"""
Run the test identity provider: `python -m tests.sso.idp.serve` from the repository root,
with IDP_DATABASE (a SQLite file to create), IDP_USERS and IDP_CLIENTS (JSON, see
`tests.sso.provider`) in the environment. It listens on a free port of 127.0.0.1 and
prints that port as its first line of output, then serves until it is stopped.
"""

import json
import os
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def seed(users, clients):
    from django.contrib.auth.models import Group, User
    from oauth2_provider.models import Application

    from .validator import UNVERIFIED_GROUP, USERINFO_ONLY_GROUP

    unverified = Group.objects.create(name=UNVERIFIED_GROUP)
    userinfo_only = Group.objects.create(name=USERINFO_ONLY_GROUP)
    for spec in users:
        user = User.objects.create_user(
            spec["username"], email=spec["email"], password=spec["password"]
        )
        if not spec.get("verified", True):
            user.groups.add(unverified)
        if spec.get("userinfo_only"):
            user.groups.add(userinfo_only)
    for spec in clients:
        Application.objects.create(
            name=spec["client_id"],
            client_id=spec["client_id"],
            client_secret=spec["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(spec["redirect_uris"]),
            post_logout_redirect_uris=" ".join(spec.get("post_logout_redirect_uris", [])),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )


def main():
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.idp.settings"
    import django
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup()
    call_command("migrate", verbosity=0)
    seed(json.loads(os.environ["IDP_USERS"]), json.loads(os.environ["IDP_CLIENTS"]))
    server = make_server(
        "127.0.0.1",
        0,
        get_wsgi_application(),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
    sys.stdout.write(f"{server.server_port}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()

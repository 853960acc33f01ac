#!/usr/bin/env python3
"""A stand-in for `jupyter`, installed by the repo2docker test double.

`jupyter lab|notebook|server --ip=0.0.0.0 --port=8888 --ServerApp.token=''` serves what tests wait for:
GET /api/status (200 JSON, like jupyter_server), /api and /lab. A non-empty token (or none given, in which
case one is generated as jupyter does) is required as `?token=` or `Authorization: token ...`.
"""
import datetime
import json
import secrets
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SERVER_COMMANDS = ("lab", "notebook", "server")
VERSION = "2.14.2"


def unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def option(args, name, default):
    """--name / --ServerApp.name / --NotebookApp.name, as `--x=v` or `--x v`."""
    spellings = ("--" + name, "--ServerApp." + name, "--NotebookApp." + name)
    for index, arg in enumerate(args):
        for spelling in spellings:
            if arg.startswith(spelling + "="):
                return unquote(arg[len(spelling) + 1 :])
            if arg == spelling and index + 1 < len(args):
                return unquote(args[index + 1])
    return default


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def make_handler(token, started):
    class Handler(BaseHTTPRequestHandler):
        server_version = "TornadoServer/6.4 (repo2docker-double jupyter stub)"

        def authorized(self, query):
            if token == "":
                return True
            header = self.headers.get("Authorization", "")
            return query.get("token", [""])[0] == token or header in ("token " + token, "Bearer " + token)

        def send(self, status, body, content_type="application/json"):
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (http.server's naming)
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path in ("/", "/tree"):
                self.send_response(302)
                self.send_header("Location", "/lab")
                self.end_headers()
            elif not self.authorized(query):
                self.send(403, {"message": "Forbidden", "reason": None})
            elif url.path == "/api/status":
                self.send(200, {"started": started, "last_activity": now(), "connections": 0, "kernels": 0})
            elif url.path == "/api":
                self.send(200, {"version": VERSION})
            elif url.path.startswith("/lab"):
                self.send(200, "<!doctype html><title>JupyterLab</title><p>repo2docker double</p>", "text/html")
            else:
                self.send(404, {"message": "Not Found", "reason": None})

        def log_message(self, fmt, *args):
            sys.stderr.write("[I %s ServerApp] %s\n" % (now(), fmt % args))

    return Handler


def serve(args):
    ip = option(args, "ip", "localhost")
    port = int(option(args, "port", "8888"))
    token = option(args, "token", None)
    if token is None:
        token = option(args, "IdentityProvider.token", None)
    if token is None:
        token = secrets.token_hex(24)
    server = ThreadingHTTPServer((ip, port), make_handler(token, now()))
    # As PID 1 in a container SIGTERM has no default action: stop promptly on `docker stop`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    suffix = "?token=" + token if token else ""
    sys.stderr.write("[I %s ServerApp] Jupyter Server %s is running at:\n" % (now(), VERSION))
    sys.stderr.write("[I %s ServerApp] http://127.0.0.1:%d/lab%s\n" % (now(), port, suffix))
    sys.stderr.flush()
    server.serve_forever()


def main(argv):
    if not argv or argv[0] in ("--version", "-V"):
        print("jupyter_server   : %s (repo2docker double stub)" % VERSION)
        return 0
    command, rest = argv[0], argv[1:]
    if command not in SERVER_COMMANDS:
        sys.stderr.write("jupyter: '%s' is not a Jupyter command (repo2docker double stub)\n" % command)
        return 1
    if "--version" in rest:
        print(VERSION)
        return 0
    serve(rest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

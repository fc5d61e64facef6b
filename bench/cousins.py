"""New bugs beside the shipped knowledge's bugs, each a `match` that would be wrong.

Each is the same program as a shipped bug, often the same exception class or status, but another failure. None is in
the knowledge base, so every `match` is a wrong answer.

    .venv/bin/python -m bench.cousins OUT
    .venv/bin/supportbot eval --knowledge knowledge --queries OUT/queries.jsonl

Writes OUT/queries.jsonl: each failure's error line as a user pastes it into the message, with the shipped bug it sits
beside in its id. What the ranking model makes of a knowledge base with one bug per family is what this measures:
there the nearest bug leads the next by far, however little of the failure it explains.
"""

from __future__ import annotations

from pathlib import Path

from bench.query_sets import command_line

# (the shipped bug each sits beside, what the user pastes)
COUSINS = [
    (
        "curl-60-self-signed-certificate",
        "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to api.lumen.test:443",
    ),
    (
        "curl-60-certificate-expired",
        "curl: (51) SSL: no alternative certificate subject name matches target host name 'api.lumen.test'",
    ),
    (
        "django-disallowedhost-allowed-hosts",
        "Forbidden (403) CSRF verification failed. Request aborted. django admin login",
    ),
    (
        "flask-attributeerror-nonetype-email",
        "AttributeError: 'NoneType' object has no attribute 'id' in the orders view",
    ),
    ("git-merge-conflict-content", "CONFLICT (modify/delete): app.py deleted in HEAD and modified in feature."),
    ("nginx-502-bad-gateway", "nginx 413 Request Entity Too Large when uploading a 20MB file"),
    ("nginx-504-gateway-timeout", "nginx returns 503 Service Temporarily Unavailable during the deploy"),
    ("node-eaddrinuse-port-in-use", "Error: listen EACCES: permission denied 0.0.0.0:80 when starting the node server"),
    (
        "npm-eresolve-react-peer",
        "npm ERR! code E404 npm ERR! 404 Not Found - GET https://registry.npmjs.org/@lumen%2fui",
    ),
    ("pip-externally-managed-environment", "ERROR: Could not find a version that satisfies the requirement torch==9.9"),
    (
        "postgres-connection-refused",
        'psql: error: connection to server at "db.lumen.test", port 5432 failed: FATAL: '
        'password authentication failed for user "app"',
    ),
    (
        "python-unicodedecodeerror-csv-import",
        "UnicodeEncodeError: 'ascii' codec can't encode character '\\xe9' in position 3",
    ),
    ("sqlite-database-is-locked", "sqlite3.OperationalError: no such table: users"),
    ("sqlite-database-is-locked", "django.db.utils.OperationalError: no such column: orders.discount"),
    ("fastapi-422-missing-field-sku", 'fastapi returns 422 with "value is not a valid integer" for qty'),
    ("npm-eresolve-react-peer", "npm ERR! code ELIFECYCLE npm ERR! errno 1 build script failed"),
]


def make(out: Path) -> list[dict]:
    """The queries (typed only: nothing to write beside them)."""
    return [
        {"id": f"c{n:02d}-{beside}", "text": text, "files": [], "kind": "text", "expected": None}
        for n, (beside, text) in enumerate(COUSINS, start=1)
    ]


if __name__ == "__main__":
    command_line(__doc__.splitlines()[0], make)

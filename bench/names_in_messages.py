"""Messages that name a setting, a file or an address beside the failure.

People paste the command they ran and say what they configured or opened (`--timeout 60`, `proxy_read_timeout 300s`,
`exports/unavailable_products.csv`, `https://shop.test/expired-carts`). A name says nothing about how the program
failed; read as words, its "timeout" or "expired" would tell a failure the bug never names.

    .venv/bin/python -m bench.names_in_messages OUT
    .venv/bin/supportbot eval --knowledge knowledge --queries OUT/queries.jsonl

Writes OUT/queries.jsonl: one typed message naming a setting for each shipped bug (kind `setting`), ten naming a
file, a path or an address (kind `file-or-address`), and three for failures the shipped knowledge does not hold (kind
`out-of-kb`).
"""

from __future__ import annotations

from pathlib import Path

from bench.query_sets import command_line

# (the shipped bug, or None when out of the knowledge base; what the user types)
SETTINGS = [
    (
        "chrome-err-connection-refused",
        "started the storefront with --timeout 30000 and chrome says localhost refused to connect",
    ),
    (
        "chrome-err-name-not-resolved",
        "dns_timeout: 5 on the laptop and orders.lumen.internal's IP address could not be found",
    ),
    (
        "chrome-err-too-many-redirects",
        "behind the proxy with proxy_read_timeout 120s the site redirected you too many times",
    ),
    (
        "curl-60-certificate-expired",
        "curl --connect-timeout 10 https://api.lumen.test fails with certificate has expired",
    ),
    (
        "curl-60-self-signed-certificate",
        "curl -m 30 --connect-timeout 5 to staging: SSL certificate problem, self-signed",
    ),
    (
        "django-disallowedhost-allowed-hosts",
        "back-office with CONN_MAX_AGE=60 raises DisallowedHost, add it to ALLOWED_HOSTS",
    ),
    ("fastapi-422-missing-field-sku", "POST /orders?timeout=30 returns 422 field required for items.sku"),
    (
        "flask-attributeerror-nonetype-email",
        "SESSION_TIMEOUT=3600 and the invoice page crashes: 'NoneType' has no 'email'",
    ),
    ("git-merge-conflict-content", "git -c http.timeout=60 merge feature gives a merge conflict in lumen/pricing.py"),
    ("nginx-502-bad-gateway", "nginx has proxy_connect_timeout 60s and still answers 502 Bad Gateway for the API"),
    ("nginx-504-gateway-timeout", "reports show 504 Gateway Time-out though proxy_read_timeout 120s is set"),
    (
        "node-eaddrinuse-port-in-use",
        "npm start with server.keepAliveTimeout = 65000: listen EADDRINUSE address in use 3000",
    ),
    ("npm-eresolve-react-peer", "npm install --fetch-timeout=600000 fails: ERESOLVE unable to resolve dependency tree"),
    (
        "pip-externally-managed-environment",
        "pip install --timeout 60 lumen-cli says error: externally-managed-environment",
    ),
    ("postgres-connection-refused", "lumen migrate with connect_timeout=10: port 5432 failed: Connection refused"),
    (
        "python-unicodedecodeerror-csv-import",
        "lumen import --batch-timeout 300 orders.csv: UnicodeDecodeError utf-8 codec",
    ),
    (
        "sqlite-database-is-locked",
        "lumen sync with busy_timeout 5000 still gives sqlite3 OperationalError database is locked",
    ),
    (None, "redis-cli --timeout 5 says NOAUTH Authentication required"),
    (None, "kubectl apply --timeout=60s fails: the server could not find the requested resource"),
]
FILES_AND_ADDRESSES = [
    (
        "chrome-err-name-not-resolved",
        "chrome can't open http://orders.lumen.internal/expired-carts, the server IP address could not be found",
    ),
    (
        "curl-60-self-signed-certificate",
        "curl https://staging.lumen.test/api/unavailable-slots: SSL certificate problem: self-signed certificate",
    ),
    (
        "django-disallowedhost-allowed-hosts",
        "opening https://backoffice.lumen.test/admin/timeout-report raises DisallowedHost, add it to ALLOWED_HOSTS",
    ),
    ("fastapi-422-missing-field-sku", "POST /orders/invalid-test returns 422 field required for items.sku"),
    (
        "flask-attributeerror-nonetype-email",
        "the invoice page /invoices/expired/1042 crashes: AttributeError: 'NoneType' object has no attribute 'email'",
    ),
    (
        "pip-externally-managed-environment",
        "pip install ./wheels/lumen_cli-2.0-timeout-fix.whl says error: externally-managed-environment",
    ),
    (
        "python-unicodedecodeerror-csv-import",
        "lumen import exports/unavailable_products.csv fails with UnicodeDecodeError utf-8 codec can't decode byte",
    ),
    (
        "sqlite-database-is-locked",
        "lumen sync on /var/lib/lumen/conflicts.db gives sqlite3.OperationalError: database is locked",
    ),
    (
        "node-eaddrinuse-port-in-use",
        "node server/timeout-proxy.js: Error: listen EADDRINUSE: address already in use :::3000",
    ),
    (
        "postgres-connection-refused",
        "lumen migrate with config/expired-secrets.yaml: connection to server at 127.0.0.1 port 5432 failed: "
        "Connection refused",
    ),
    (None, "python3 tools/invalid_rows.py fails with PermissionError: [Errno 13] Permission denied: '/var/log/lumen'"),
]


def make(out: Path) -> list[dict]:
    """The queries (typed only: nothing to write beside them)."""
    messages = [("setting", bug, text) for bug, text in SETTINGS]
    messages += [("file-or-address", bug, text) for bug, text in FILES_AND_ADDRESSES]
    return [
        {
            "id": f"n{n:02d}-{bug or 'out-of-kb'}",
            "text": text,
            "files": [],
            "kind": kind if bug else "out-of-kb",
            "expected": bug,
        }
        for n, (kind, bug, text) in enumerate(messages, start=1)
    ]


if __name__ == "__main__":
    command_line(__doc__.splitlines()[0], make)

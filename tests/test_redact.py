"""Redaction with detect-secrets: each kind of secret is masked with its type; ordinary error text is left alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.redact import Redactor
from tests.support import SAMPLE_BUGS

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
SECRETS = [  # (text, the secret in it, what the redacted text contains)
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "= [redacted: aws access key]"),
    (
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SECRET_ACCESS_KEY=[redacted: ",
    ),
    (
        "SLACK_TOKEN xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "AbCdEfGhIjKlMnOpQrStUvWx",
        "SLACK_TOKEN [redacted: slack token]",
    ),
    (
        "git push with ghp_R2d2C3poBb8Ee5Ff1Gg7Hh0Ii4Jj6Kk9LlMmNn failed",
        "R2d2C3poBb8Ee5Ff1Gg7Hh0Ii4Jj6Kk9LlMmNn",
        "with [redacted: github token] failed",
    ),
    (f"Cookie: session={JWT}; Path=/", JWT.split(".")[2], "session=[redacted: json web token]; Path=/"),
    ("DB_PASSWORD: s3cr3t!Pa55w0rd", "s3cr3t!Pa55w0rd", "DB_PASSWORD: [redacted: secret keyword]"),
    ("password=hunter2trombone", "hunter2trombone", "password=[redacted: secret keyword]"),
    (
        "curl -H 'Authorization: Bearer 9fQz7LmW2xKp4TbV' https://api",
        "9fQz7LmW2xKp4TbV",
        "Authorization: Bearer [redacted: authorization header]' https://api",
    ),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA", "Basic [redacted: authorization header]"),
    (
        "DATABASE_URL=postgres://admin:Tr0ub4dor@db.internal:5432/orders",
        "Tr0ub4dor",
        "admin:[redacted: basic auth credentials]@db.internal:5432/orders",
    ),
    (
        "blob Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNkZWY=",
        "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNkZWY",
        "blob [redacted: base64 high entropy string]",
    ),
    (
        "signing key 8f14e45fceea167a5a36dedd4bea2543",
        "8f14e45fceea167a5a36dedd4bea2543",
        "signing key [redacted: hex high entropy string]",
    ),
]
ORDINARY = [
    "curl: (7) Failed to connect to 127.0.0.1 port 9000 after 2 ms: Connection refused",
    "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)",
    'psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed',
    'File "/usr/lib/python3.11/site-packages/yaml/__init__.py", line 12, in <module>',
    "request id 550e8400-e29b-41d4-a716-446655440000 failed with HTTP 502 at 2026-12-01T11:36:03Z",
    "Error 0x80070005: Access is denied. (HRESULT) — see https://learn.example.com/errors/0x80070005",
    "Enter your password to continue",
    "java.lang.NullPointerException at com.example.orders.CheckoutService.submit(CheckoutService.java:87)",
]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.mark.parametrize(("text", "secret", "expected"), SECRETS, ids=[t[:16] for t, _, _ in SECRETS])
def test_each_kind_of_secret_is_masked_with_its_type(redactor: Redactor, text: str, secret: str, expected: str) -> None:
    redacted = redactor.redact(text)
    assert expected in redacted and secret not in redacted, redacted


def test_a_private_key_block_is_masked_whole(redactor: Redactor) -> None:
    pem = "\n".join(
        ["-----BEGIN RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA1c2mTq", "x9Zk+Qw==", "-----END RSA PRIVATE KEY-----"]
    )
    assert redactor.redact(f"here is my key:\n{pem}\nwhy does ssh refuse it?") == (
        "here is my key:\n[redacted: private key]\nwhy does ssh refuse it?"
    )


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_error_text_is_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text


def test_the_sample_knowledge_bases_screens_are_left_alone(redactor: Redactor) -> None:
    lines = [
        line for _, _, symptoms, resolution, screen in SAMPLE_BUGS.values() for line in [symptoms, resolution, *screen]
    ]
    assert [redactor.redact(line) for line in lines] == lines


def test_threads_share_one_redactor(redactor: Redactor) -> None:
    texts = [text for text, _, _ in SECRETS] * 8
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(redactor.redact, texts))
    assert together == [redactor.redact(text) for text in texts]


def test_nothing_is_sent_anywhere_to_be_verified(redactor: Redactor) -> None:
    from detect_secrets.settings import get_settings

    assert "detect_secrets.filters.common.is_ignored_due_to_verification_policies" not in get_settings().filters

"""Write test TLS material: a self-signed cert, a CA, and an expired cert from that CA.

Run with the lab venv (needs `cryptography`): python certs.py TARGET_DIR COMMON_NAME
"""

import datetime as dt
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lumen Orders"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def _cert(subject, issuer, key, signer, start, end, cn, ca=False):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        alt = [x509.DNSName(cn), x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _write(path: Path, obj) -> None:
    if isinstance(obj, x509.Certificate):
        path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            obj.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


def main(target: Path, cn: str) -> None:
    now = dt.datetime.now(dt.UTC)
    self_key, ca_key, exp_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    _write(target / "selfsigned-key.pem", self_key)
    _write(
        target / "selfsigned.pem",
        _cert(_name(cn), _name(cn), self_key, self_key, now - dt.timedelta(days=1), now + dt.timedelta(days=365), cn),
    )
    ca_name = _name("Lumen Orders Internal CA")
    _write(
        target / "ca.pem",
        _cert(
            ca_name, ca_name, ca_key, ca_key, now - dt.timedelta(days=800), now + dt.timedelta(days=3000), cn, ca=True
        ),
    )
    _write(target / "expired-key.pem", exp_key)
    _write(
        target / "expired.pem",
        _cert(_name(cn), ca_name, exp_key, ca_key, now - dt.timedelta(days=455), now - dt.timedelta(days=90), cn),
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])

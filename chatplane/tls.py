"""TLS for `chatplane serve`: a certificate and key given by the operator, or a self-signed
pair made once for local use.

LiveChat's SDKs hard-code `https://` and `wss://`, so even a developer's server on loopback
must speak TLS for them; a self-signed pair (certificate checks turned off in the client)
is enough there. A deployment gives its own certificate, or terminates TLS in a proxy.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

# What the self-signed certificate names, besides any names the operator adds.
DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")
VALID_DAYS = 825


def self_signed_pair(directory: Path, names: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """(certificate, key) files in `directory`, made on first use and reused after; a pair
    that does not name every one of `names` is made again."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    wanted = list(dict.fromkeys([*DEFAULT_NAMES, *names]))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "selfsigned.crt", directory / "selfsigned.key"
    if cert_path.exists() and key_path.exists():
        existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = existing.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        have = {str(v) for v in san.get_values_for_type(x509.DNSName)}
        have |= {str(v) for v in san.get_values_for_type(x509.IPAddress)}
        expires = existing.not_valid_after_utc
        if set(wanted) <= have and expires > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
            return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Chatplane (self-signed)")])
    alt: list[x509.GeneralName] = []
    for name in wanted:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    # The key is written readable by its owner only, before any byte of it is.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path

"""Email and IP privacy: encryption at rest, keyed hashes for lookups, and avatar seeds.

This is the only module that sees an address in clear after validation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from service.extensions import CLIENT_HASH

EXTENSION_KEY = "commentdesk.privacy"


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def normalise_email(address: str) -> str:
    """The form hashed for lookups: one commenter, one hash, whatever the capitalisation."""
    return address.strip().casefold()


_KEYED_HASH = re.compile(r"[0-9a-f]{64}")


def is_keyed_hash(value: str) -> bool:
    """Whether a client-sent value has the shape of an email or IP hash (hex SHA-256)."""
    return bool(_KEYED_HASH.fullmatch(value))


def normalise_domain(domain: str) -> str:
    """An email domain as bans store and compare it: lower-case ASCII (IDNA), no dots at the
    ends; the empty string if it is no domain at all."""
    domain = domain.strip().lstrip("@").strip(".").casefold()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def email_domain(address: str) -> str:
    """The domain part of an address (a domain is not a personal address; the rest is)."""
    return normalise_domain(address.rpartition("@")[2])


@dataclass(frozen=True)
class EmailVault:
    fernet: Fernet
    email_hash_key: bytes
    ip_hash_key: bytes
    avatar_key: bytes
    # Seals an address into the commenter's "my comments" link: a key of its own, so a
    # leaked `email_encrypted` column is no pile of valid links.
    link_fernet: Fernet

    @classmethod
    def from_secret(cls, secret: str) -> EmailVault:
        raw = secret.encode()
        return cls(
            fernet=Fernet(base64.urlsafe_b64encode(_derive(raw, b"commentdesk email encryption"))),
            email_hash_key=_derive(raw, b"commentdesk email hash"),
            ip_hash_key=_derive(raw, b"commentdesk ip hash"),
            avatar_key=_derive(raw, b"commentdesk avatar"),
            link_fernet=Fernet(
                base64.urlsafe_b64encode(_derive(raw, b"commentdesk commenter link"))
            ),
        )

    def encrypt(self, address: str) -> str:
        return self.fernet.encrypt(address.encode()).decode("ascii")

    def decrypt(self, token: str) -> str | None:
        """The address, or None when it was encrypted under another key."""
        try:
            return self.fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            return None

    def seal_address(self, address: str, issued_at: int | None = None) -> str:
        """The address encrypted and authenticated for a link (unreadable in logs, cannot
        be forged); `issued_at` (a Unix time) is for tests of expiry."""
        data = address.encode()
        if issued_at is None:
            return self.link_fernet.encrypt(data).decode("ascii")
        return self.link_fernet.encrypt_at_time(data, issued_at).decode("ascii")

    def open_address(self, token: str, max_age_seconds: int | None) -> str | None:
        """The address sealed in a link, or None if forged, damaged or older than allowed."""
        try:
            return self.link_fernet.decrypt(token.encode("ascii"), ttl=max_age_seconds).decode()
        except (InvalidToken, UnicodeError):
            return None

    def email_hash(self, address: str) -> str:
        return _hmac_hex(self.email_hash_key, normalise_email(address))

    def ip_hash(self, ip: str | None) -> str | None:
        return _hmac_hex(self.ip_hash_key, ip) if ip else None

    def avatar_seed(self, email_hash: str) -> str:
        # A second keyed hash, so the public seed cannot be matched against lookups.
        return _hmac_hex(self.avatar_key, email_hash)[:20]


def _hmac_hex(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def init_app(app: Flask) -> None:
    email_vault = EmailVault.from_secret(app.config.get("EMAIL_KEY") or app.config["SECRET_KEY"])
    app.extensions[EXTENSION_KEY] = email_vault
    # The rate limits count clients by the same keyed hash (service/extensions.py).
    app.extensions[CLIENT_HASH] = email_vault.ip_hash


def vault() -> EmailVault:
    found: EmailVault = current_app.extensions[EXTENSION_KEY]
    return found


def identicon_svg(seed: str) -> str:
    """A 5x5 mirrored identicon drawn from the seed: an avatar with no third party involved."""
    digest = hashlib.sha256(seed.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    cells = []
    for row in range(5):
        for col in range(3):
            if digest[2 + row * 3 + col] & 1:
                for x in {col, 4 - col}:
                    cells.append(f'<rect x="{x + 1}" y="{row + 1}" width="1" height="1"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7" width="48" height="48">'
        f'<rect width="7" height="7" fill="hsl({hue},40%,92%)"/>'
        f'<g fill="hsl({hue},55%,45%)">{"".join(cells)}</g></svg>'
    )

"""The suite runs with pytest-socket's --allow-hosts (pyproject.toml's addopts): a connection
beyond loopback fails at once, so no test, and no request the service answers under a test,
can reach Akismet, a webhook, an SMTP server or a DNS server elsewhere without failing."""

from __future__ import annotations

import socket
import threading

import pytest
from pytest_socket import SocketConnectBlockedError

from service.notifications.settings import NotifySettings
from service.ops.config import Defaults
from tests.conftest import base_config


@pytest.mark.parametrize("address", [("10.255.255.1", 80), ("192.0.2.1", 443)])
def test_a_connection_beyond_loopback_is_refused(address):
    with socket.socket() as outbound:
        # Without the block, this address would take the timeout to fail, not raise at once.
        outbound.settimeout(1)
        with pytest.warns(UserWarning, match=address[0]), pytest.raises(SocketConnectBlockedError):
            outbound.connect(address)


def test_loopback_connections_still_work():
    with socket.create_server(("127.0.0.1", 0)) as server:
        accepted = threading.Thread(target=lambda: server.accept()[0].close())
        accepted.start()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
        accepted.join(5)


def test_the_tests_app_reaches_out_to_nothing_by_default():
    defaults = {key: getattr(Defaults, key) for key in dir(Defaults) if key.isupper()}
    config = defaults | base_config("sqlite://")
    assert not config["AKISMET_API_KEY"]
    assert not config["EMAIL_CHECK_DELIVERABILITY"]
    assert not NotifySettings.from_config(config).webhook_enabled
    assert not config["SMTP_HOST"]


def test_a_dns_lookup_of_a_name_beyond_this_machine_is_refused():
    with pytest.warns(UserWarning, match="example.org"), pytest.raises(SocketConnectBlockedError):
        socket.getaddrinfo("example.org", 443)
    assert socket.getaddrinfo("localhost", 80)


def test_the_email_deliverability_check_cannot_ask_a_dns_server():
    import dns.resolver

    # What email-validator's deliverability check does, with this machine's resolver setup
    # (the nameserver of /etc/resolv.conf, or a loopback stub other than 127.0.0.1).
    for nameserver in ("10.255.255.53", "127.0.0.53"):
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [nameserver]
        resolver.lifetime = 0.5
        with pytest.raises(dns.resolver.LifetimeTimeout, match="tried to use socket"):
            resolver.resolve("example.org", "MX")

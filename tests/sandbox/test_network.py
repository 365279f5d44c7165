"""What a wildcard (`*:port`) may reach: `is_public`, the one function that decides, on a table of addresses
Python's `is_global` has let through, and of addresses that must stay reachable (none is dialled); and where
the loopback relays' sockets are made."""

from __future__ import annotations

import ipaddress
import os
import stat

import pytest

from toolfoundry.sandbox.network import PortForwards, is_public

NOT_PUBLIC = [
    "127.0.0.1",
    "10.0.0.1",
    "169.254.169.254",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "192.0.0.8",  # IETF protocol assignments, 192.0.0.0/24
    "192.0.0.9",
    "192.0.0.170",
    "224.0.0.1",  # multicast
    "::1",
    "fe80::1",
    "fc00::1",
    "fec0::1",  # site-local, deprecated
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:0:127.0.0.1",  # IPv4-translated (::ffff:0:0:0/96)
    "::127.0.0.1",  # IPv4-compatible (::/96)
    "::10.0.0.1",
    "64:ff9b::127.0.0.1",  # NAT64, well-known prefix
    "64:ff9b::a00:1",
    "64:ff9b::c0a8:101",
    "64:ff9b:1::7f00:1",  # NAT64, local-use prefix
    "64:ff9b:1:ffff::808:808",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001::1",
    "ff0e::1",  # multicast
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "2001:4860:4860::8888", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_an_address_that_is_not_public_or_carries_one_that_is_not_is_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_a_public_address_passes(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_the_relays_sockets_are_in_a_folder_only_this_uid_may_enter(tmp_path) -> None:
    relays = PortForwards(["127.0.0.1:8080", "localhost:8081", "10.0.0.1:80"], tmp_path)
    try:
        assert [forward["socket"] for forward in relays.forwards] == ["/sandbox/net/0.sock", "/sandbox/net/1.sock"]
        assert relays.unreachable == ["10.0.0.1:80"]
        assert stat.S_IMODE(os.stat(tmp_path / "net").st_mode) == 0o700
        assert {stat.S_IMODE(os.stat(path).st_mode) for path in (tmp_path / "net").iterdir()} == {0o600}
    finally:
        relays.close()

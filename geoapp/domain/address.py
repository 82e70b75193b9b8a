"""Standard addresses (标准地址): 镇 + 村/街路巷 + 门牌号."""

from __future__ import annotations

TOWN_NAME = "余坪镇"


def standard_address(town: str, village: str, street: str | None = None, door_no: str | None = None) -> str:
    """``余坪镇上新村上新一巷12号``; without a door number the address says so."""
    street = (street or "").strip()
    door = (door_no or "").strip()
    if door and not door.endswith("号"):
        door += "号"
    return f"{town}{village}{street}{door or '（未编门牌）'}"

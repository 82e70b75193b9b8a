"""What a building is used for (房屋用途)."""

from __future__ import annotations

from enum import StrEnum

from geoapp.domain.i18n import N_


class BuildingUse(StrEnum):
    DWELLING = "dwelling"  # 住宅
    SHOP = "shop"  # 沿街铺面
    FACTORY = "factory"  # 厂矿企业
    OFFICE = "office"  # 机关单位
    RENTAL = "rental"  # 出租屋
    EMPTY = "empty"  # 空置
    OTHER = "other"  # 其他


USE_LABELS: dict[BuildingUse, str] = {
    BuildingUse.DWELLING: N_("Dwelling"),
    BuildingUse.SHOP: N_("Street-front shop"),
    BuildingUse.FACTORY: N_("Factory, mine or enterprise"),
    BuildingUse.OFFICE: N_("Office"),
    BuildingUse.RENTAL: N_("Rental"),
    BuildingUse.EMPTY: N_("Empty"),
    BuildingUse.OTHER: N_("Other"),
}

# Chinese names found in imported files, mapped to codes.
USE_ALIASES: dict[str, BuildingUse] = {
    "住宅": BuildingUse.DWELLING,
    "沿街铺面": BuildingUse.SHOP,
    "铺面": BuildingUse.SHOP,
    "厂矿企业": BuildingUse.FACTORY,
    "机关单位": BuildingUse.OFFICE,
    "出租屋": BuildingUse.RENTAL,
    "空置": BuildingUse.EMPTY,
    "其他": BuildingUse.OTHER,
}


def parse_use(value: object) -> BuildingUse:
    """Read a use code or its Chinese name; unknown or empty values become OTHER/DWELLING."""
    if value is None or (isinstance(value, float) and value != value):
        return BuildingUse.DWELLING
    text = str(value).strip()
    if not text:
        return BuildingUse.DWELLING
    if text in USE_ALIASES:
        return USE_ALIASES[text]
    try:
        return BuildingUse(text.lower())
    except ValueError:
        return BuildingUse.OTHER


class UnitKind(StrEnum):
    SHOP = "shop"  # 沿街铺面 / 个体工商户
    ENTERPRISE = "enterprise"  # 厂矿企业
    OFFICE = "office"  # 机关事业单位
    OTHER = "other"


UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.SHOP: N_("Street-front shop"),
    UnitKind.ENTERPRISE: N_("Factory, mine or enterprise"),
    UnitKind.OFFICE: N_("Office"),
    UnitKind.OTHER: N_("Other"),
}

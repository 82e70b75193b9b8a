"""Synthetic residents for the demo town: names, valid ID numbers, households.

Each village's task number of people is spread over its inhabited houses, so a
fully collected village holds exactly its task number of people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from geoapp.domain.identifiers import make_resident_id

COUNTY_CODE = "439901"  # synthetic county (43 = Hunan; 99 is no real prefecture)
TOWNSHIP = "101"
OTHER_COUNTIES = {  # where floating residents come from (real-format codes)
    "430102": "湖南省长沙市芙蓉区",
    "430521": "湖南省邵阳市邵东县",
    "360781": "江西省赣州市瑞金市",
    "450923": "广西壮族自治区玉林市博白县",
    "421127": "湖北省黄冈市黄梅县",
    "441521": "广东省汕尾市海丰县",
    "510129": "四川省成都市大邑县",
}
SURNAMES = list(
    "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊秦江尹段雷侯龙史陶黎贺顾毛龚邵万严覃戴莫向汤易"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅玉兰志文斌辉云飞鹏宇浩然欣怡思雨子涵佳琪俊"
)
ETHNICITIES = ["汉族", "土家族", "苗族", "瑶族", "侗族"]
RELATIONS_CHILD = "子女"
RETURN_REASONS = [
    "身份证号码与户籍信息不符，请核对后重新提交",
    "缺少户主信息",
    "房屋用途填写错误（应为出租屋）",
    "门牌号与实地不符",
    "联系电话无效",
]
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "186", "187", "188"]


@dataclass
class PersonRow:
    household: int  # index of the household within the house
    name: str
    id_type: str
    id_number: str
    sex: str
    birth_date: date
    ethnicity: str
    phone: str | None
    hukou_address: str
    residence_type: str
    separated: bool
    relation: str


class PeopleMaker:
    """Deterministic people; ID numbers are unique across the town."""

    def __init__(self, rng: np.random.Generator, today: date) -> None:
        self.rng = rng
        self.today = today
        self.used: set[str] = set()
        self.passports = 0

    def name(self) -> str:
        surname = SURNAMES[int(self.rng.integers(len(SURNAMES)))]
        n = 1 if self.rng.random() < 0.3 else 2
        return surname + "".join(GIVEN[int(i)] for i in self.rng.integers(len(GIVEN), size=n))

    def phone(self) -> str:
        return (
            MOBILE_PREFIXES[int(self.rng.integers(len(MOBILE_PREFIXES)))]
            + f"{int(self.rng.integers(10**8)):08d}"
        )

    def resident_id(self, area: str, birth: date, sex: str) -> str:
        while True:
            seq = int(self.rng.integers(0, 500)) * 2 + (1 if sex == "male" else 0)
            number = make_resident_id(area, birth, seq)
            if number not in self.used:
                self.used.add(number)
                return number

    def birth(self, age_low: int, age_high: int) -> date:
        age_days = int(self.rng.integers(age_low * 365, age_high * 365 + 1))
        return self.today - timedelta(days=age_days)

    def household(self, size: int, address: str, other_address: str) -> list[PersonRow]:
        """One household: a head, maybe a spouse, children and a parent."""
        kind = self.rng.choice(["registered", "floating", "foreign"], p=[0.9, 0.095, 0.005])
        separated = bool(self.rng.random() < 0.06)
        head_age = int(self.rng.integers(28, 76))
        people: list[PersonRow] = []
        for k in range(size):
            if k == 0:
                relation, low, high = "户主", head_age, head_age
            elif k == 1:
                relation, low, high = "配偶", max(20, head_age - 6), head_age + 4
            elif k == size - 1 and head_age < 60 and size >= 4:
                relation, low, high = "父母", head_age + 22, min(98, head_age + 32)
            else:
                relation, low, high = RELATIONS_CHILD, max(0, head_age - 38), max(1, head_age - 20)
            sex = "male" if self.rng.random() < 0.51 else "female"
            if k == 1 and people:
                sex = "female" if people[0].sex == "male" else "male"
            birth = self.birth(low, high)
            if kind == "foreign":
                self.passports += 1
                id_type, number = "passport", f"E{self.passports:08d}"
                hukou, residence = "境外", "foreign"
            elif kind == "floating":
                area = list(OTHER_COUNTIES)[int(self.rng.integers(len(OTHER_COUNTIES)))]
                id_type, number = "resident_id", self.resident_id(area, birth, sex)
                hukou, residence = OTHER_COUNTIES[area], "floating"
            else:
                id_type, number = "resident_id", self.resident_id(COUNTY_CODE, birth, sex)
                hukou, residence = (other_address if separated else address), "registered"
            adult = (self.today - birth).days >= 16 * 365
            people.append(
                PersonRow(
                    household=0,
                    name=self.name(),
                    id_type=id_type,
                    id_number=number,
                    sex=sex,
                    birth_date=birth,
                    ethnicity=ETHNICITIES[0]
                    if self.rng.random() < 0.96
                    else str(self.rng.choice(ETHNICITIES[1:])),
                    phone=self.phone() if adult and self.rng.random() < 0.85 else None,
                    hukou_address=hukou,
                    residence_type=residence,
                    separated=separated and residence == "registered",
                    relation=relation,
                )
            )
        return people


def spread_people(total: int, n_houses: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` people over ``n_houses`` inhabited houses, at least one each."""
    if n_houses == 0:
        return np.zeros(0, dtype=int)
    if total < n_houses:
        raise ValueError(f"{total} people cannot fill {n_houses} inhabited houses")
    weights = rng.gamma(3.0, 1.0, n_houses)
    return 1 + rng.multinomial(total - n_houses, weights / weights.sum())


def split_households(size: int) -> list[int]:
    """Sizes of the households living in one house."""
    if size <= 6:
        return [size]
    first = size // 2 + size % 2
    return [first, size - first]

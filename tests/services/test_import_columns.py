"""The vectorised column steps of a buildings import give what the per-row code gave."""

import numpy as np

from geoapp.domain.address import TOWN_NAME, standard_address
from geoapp.domain.uses import parse_use
from geoapp.services.gis_io.importer.bulk import Addresses
from geoapp.services.gis_io.importer.job import looked_up, optional_ints, per_distinct


def test_addresses_made_by_slices_equal_one_standard_address_per_house():
    rng = np.random.default_rng(3)
    n = 2_000
    doors = rng.choice(np.array([None, "12", "12号", " 7 ", "3-1号", "１２"], dtype=object), n)
    streets = rng.choice(np.array([None, "", " 新街 ", "上新一巷"], dtype=object), n)
    villages = rng.choice(np.array(["上新村", "下坪村"], dtype=object), n)
    given = np.full(n, None, dtype=object)
    given[::7] = "余坪镇某路1号"
    given[3] = "长" * 250  # cut at 200 characters, as before
    made = Addresses(given, villages, streets, doors)
    expected = [
        (given[i] or standard_address(TOWN_NAME, villages[i], streets[i], doors[i]))[:200] for i in range(n)
    ]
    assert list(made) == expected
    assert made[0:n] == expected and made[5:900] == expected[5:900] and made[n - 1] == expected[-1]
    assert all(isinstance(a, str) for a in made[0:n])


def test_values_worked_out_once_per_distinct_value_map_back_to_their_rows():
    uses = np.array(["住宅", None, "shop", "住宅", "SHOP", "", None, "厂矿企业", "bogus"], dtype=object)
    calls = []

    def parse(value):
        calls.append(value)
        return parse_use(value).value

    assert per_distinct(uses, parse).tolist() == [parse_use(u).value for u in uses]
    assert len(calls) == len(set(uses.tolist()))  # once per distinct value, None once
    assert looked_up({1: "a", 2: "b"}, [2, None, 1, 2, 3]).tolist() == ["b", None, "a", "b", None]
    assert optional_ints(np.array([3.0, np.nan, 0.0])).tolist() == [3, None, 0]
    assert all(type(v) is int for v in optional_ints(np.array([3.0, 7.0])).tolist())

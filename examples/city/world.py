"""The city's places and providers: counties, towns, villages, institutions with
heavy-tailed sizes, pharmacies near hospitals and in towns, doctors and counter operators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphscan.examples.city.sampling import GroupSampler, digits_to_str
from graphscan.examples.city.scenario import Scenario

#: provider tiers (finer than the canonical kinds; level decides prices and fund ratios)
TERTIARY, COUNTY, PRIVATE, TOWNSHIP, VILLAGE, CLINIC, PHARMACY = range(7)
TIER_KIND = np.array(
    ["hospital", "hospital", "hospital", "township", "village", "clinic", "pharmacy"]
)
TIER_LEVEL = np.array(["三级", "二级", "一级", "一级", "未定级", "未定级", "未定级"])
_FIRST = list("临青白石东南西北金银龙凤安平长清桃柳松梅")
_SECOND = list("江山沙门湖岭塘岗溪川河阳桥浦坪口")
_PRIVATE = ("仁爱", "康复", "博爱", "济民", "同仁", "华康")
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭")
_BRANDS = ("老百姓", "益丰", "一心堂", "大参林", "国大", "华东", "康宁")
#: cost level relative to a county hospital
TIER_COST = np.array([1.6, 1.0, 0.9, 0.6, 0.3, 0.45, 1.0])
SPECIALTIES = np.array(["内科", "外科", "儿科", "妇产科", "全科", "中医科", "老年病科"])
CITY_CODE = "3307"


@dataclass
class World:
    n_villages: int
    n_towns: int
    n_counties: int
    village_town: np.ndarray
    town_county: np.ndarray
    village_code: np.ndarray  # 12-digit region codes
    county_code: np.ndarray  # 6-digit
    # providers
    provider_id: np.ndarray
    provider_tier: np.ndarray
    provider_private: np.ndarray
    provider_town: np.ndarray
    provider_county: np.ndarray
    provider_weight: np.ndarray
    provider_name: np.ndarray
    provider_near: np.ndarray  # pharmacies: the hospital they stand next to, else -1
    # staff
    doctor_id: np.ndarray
    doctor_provider: np.ndarray
    doctor_specialty: np.ndarray
    doctor_first: np.ndarray  # per provider
    doctor_count: np.ndarray
    operator_id: np.ndarray
    operator_provider: np.ndarray
    operator_first: np.ndarray
    operator_count: np.ndarray

    near_sampler: GroupSampler  # pharmacies next to a given hospital
    #: the city-centre flagship pharmacies people from anywhere also shop at
    flagships: np.ndarray

    def pharmacies_near(self, hospital: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A pharmacy standing next to each given hospital (-1 where there is none)."""
        return self.near_sampler.sample(hospital, rng)

    def pick_doctor(self, provider: np.ndarray, u: np.ndarray) -> np.ndarray:
        count = self.doctor_count[provider]
        return np.where(count > 0, self.doctor_first[provider] + (u * count).astype(np.int64), -1)

    def pick_operator(self, provider: np.ndarray, u: np.ndarray) -> np.ndarray:
        count = self.operator_count[provider]
        idx = self.operator_first[provider] + (u * count).astype(np.int64)
        return np.where(count > 0, idx, -1)

    def tier_sampler(self, tiers: tuple[int, ...], by: str) -> GroupSampler:
        """Weighted choice of a provider of the given tiers within a town or county."""
        mask = np.isin(self.provider_tier, tiers)
        groups = self.provider_town if by == "town" else self.provider_county
        n = self.n_towns if by == "town" else self.n_counties
        idx = np.flatnonzero(mask)
        return GroupSampler(groups[idx], self.provider_weight[idx], n, index=idx)


def _staff(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    owner = np.repeat(np.arange(len(counts)), counts)
    return first, owner


def _place_names(n: int, suffix: str, rng: np.random.Generator) -> list[str]:
    first = rng.integers(0, len(_FIRST), n)
    second = rng.integers(0, len(_SECOND), n)
    return [_FIRST[a] + _SECOND[b] + suffix for a, b in zip(first, second, strict=True)]


def _provider_names(
    tier: np.ndarray,
    town: np.ndarray,
    town_county: np.ndarray,
    n_villages: int,
    n_counties: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Readable names for demos and evidence: 青山县人民医院, 白沙镇卫生院, 益丰大药房(白沙店)."""
    counties = ["城区", *_place_names(n_counties - 1, "县", rng)]
    towns = _place_names(len(town_county), "镇", rng)
    villages = _place_names(n_villages, "村", rng)
    names: list[str] = []
    count: dict[int, int] = {}
    village = 0
    for t, w in zip(tier.tolist(), town.tolist(), strict=True):
        count[t] = k = count.get(t, 0) + 1
        place = towns[w]
        if t == TERTIARY:
            names.append(f"市第{k}人民医院")
        elif t == COUNTY:
            names.append(f"{counties[town_county[w]]}人民医院")
        elif t == PRIVATE:
            names.append(f"{place}{_PRIVATE[k % len(_PRIVATE)]}医院")
        elif t == TOWNSHIP:
            names.append(f"{place}卫生院")
        elif t == VILLAGE:
            names.append(f"{place}{villages[village]}卫生室")
            village += 1
        elif t == CLINIC:
            names.append(f"{place}{_SURNAMES[k % len(_SURNAMES)]}氏诊所")
        else:
            names.append(f"{_BRANDS[k % len(_BRANDS)]}大药房({place}{k}店)")
    return np.array(names)


def build_world(n_persons: int, rng: np.random.Generator, scenario: Scenario) -> World:
    n_villages = max(12, n_persons // 500)
    n_towns = max(4, n_villages // 8)
    n_counties = max(3, n_towns // 6)
    village_town = np.arange(n_villages) * n_towns // n_villages
    town_county = np.arange(n_towns) * n_counties // n_towns
    county_code = np.array([f"{CITY_CODE}{c + 2:02d}" for c in range(n_counties)])
    town_seq = np.arange(n_towns) - np.searchsorted(town_county, town_county)
    village_seq = np.arange(n_villages) - np.searchsorted(village_town, village_town)
    town_code = county_code[town_county] + digits_to_str(town_seq + 1, 3)
    village_code = town_code[village_town] + digits_to_str(village_seq + 1, 3)

    # institutions: (tier, town) per provider, then pharmacies
    tiers: list[np.ndarray] = []
    towns: list[np.ndarray] = []
    county_first_town = np.searchsorted(town_county, np.arange(n_counties))
    n_tertiary = 1 + n_persons // 150_000
    tiers.append(np.full(n_tertiary, TERTIARY))
    towns.append(rng.integers(0, max(1, county_first_town[1]), n_tertiary))
    tiers.append(np.full(n_counties, COUNTY))
    towns.append(county_first_town)
    n_private = max(4, n_persons // 4_000)
    tiers.append(np.full(n_private, PRIVATE))
    towns.append(rng.integers(0, n_towns, n_private))
    tiers.append(np.full(n_towns, TOWNSHIP))
    towns.append(np.arange(n_towns))
    tiers.append(np.full(n_villages, VILLAGE))
    towns.append(village_town)
    n_clinics = max(2, n_persons // 3_000)
    tiers.append(np.full(n_clinics, CLINIC))
    towns.append(rng.integers(0, n_towns, n_clinics))
    inst_tier = np.concatenate(tiers)
    inst_town = np.concatenate(towns)
    hospitals = np.flatnonzero(np.isin(inst_tier, (TERTIARY, COUNTY)))
    # pharmacies: two or three next to each big hospital, the rest spread over towns
    near_counts = np.where(inst_tier[hospitals] == TERTIARY, 3, 2)
    near_hospital = np.repeat(hospitals, near_counts)
    n_town_pharm = max(n_towns * 2, n_persons // 800)
    pharm_town = np.concatenate((inst_town[near_hospital], rng.integers(0, n_towns, n_town_pharm)))
    provider_tier = np.concatenate((inst_tier, np.full(len(pharm_town), PHARMACY)))
    provider_town = np.concatenate((inst_town, pharm_town))
    provider_near = np.concatenate(
        (np.full(len(inst_tier), -1), near_hospital, np.full(n_town_pharm, -1))
    )
    n_providers = len(provider_tier)
    size = rng.lognormal(0.0, 0.8, n_providers)  # heavy tail within each tier
    pharmacy = provider_tier == PHARMACY
    size[pharmacy] **= scenario.pharmacy_sigma / 0.8  # the scenario's tail for pharmacies
    base = np.array([120.0, 40.0, 8.0, 8.0, 1.2, 1.5, 2.0])[provider_tier]
    weight = base * size
    weight[provider_near >= 0] *= 4.0  # pharmacies by a hospital door are busy
    provider_private = np.isin(provider_tier, (PRIVATE, CLINIC, PHARMACY))
    provider_county = town_county[provider_town]

    letters = np.where(provider_tier == PHARMACY, "P", "H")
    county_of = county_code[provider_county]
    order = np.lexsort((rng.random(n_providers), provider_county))
    seq = np.empty(n_providers, dtype=np.int64)
    seq[order] = np.arange(n_providers) - np.searchsorted(
        provider_county[order], provider_county[order]
    )
    provider_id = np.char.add(np.char.add(letters, county_of), digits_to_str(seq * 7 + 10_001, 5))
    provider_name = _provider_names(
        provider_tier, provider_town, town_county, n_villages, n_counties, rng
    )

    institution = provider_tier != PHARMACY
    doctors = np.where(institution, np.maximum(1, np.round(weight * 0.8)).astype(np.int64), 0)
    doctor_first, doctor_provider = _staff(doctors)
    n_doctors = int(doctors.sum())
    doctor_id = np.char.add(
        np.char.add("D", county_of[doctor_provider]),
        digits_to_str(np.arange(n_doctors) * 13 + 100_000, 6),
    )
    doctor_specialty = SPECIALTIES[rng.integers(0, len(SPECIALTIES), n_doctors)]
    # counter staff grow with the pharmacy (at most six); a flagship keeps six on shifts
    operators = np.where(
        institution,
        np.maximum(1, np.round(weight / 15)).astype(np.int64),
        np.minimum(6, 1 + rng.poisson(weight / 4)),
    )
    urban = np.flatnonzero(pharmacy & (provider_county == 0))
    flagships = urban[np.argsort(-weight[urban], kind="stable")[:2]]
    if scenario.flagship_share > 0:
        operators[flagships] = 6
    operator_first, operator_provider = _staff(operators)
    n_ops = int(operators.sum())
    operator_id = np.char.add(
        np.char.add("O", county_of[operator_provider]),
        digits_to_str(np.arange(n_ops) * 11 + 200_000, 6),
    )
    near_idx = np.flatnonzero(provider_near >= 0)
    near_sampler = GroupSampler(provider_near[near_idx], weight[near_idx], n_providers, near_idx)
    return World(
        n_villages=n_villages,
        n_towns=n_towns,
        n_counties=n_counties,
        village_town=village_town,
        town_county=town_county,
        village_code=village_code,
        county_code=county_code,
        provider_id=provider_id,
        provider_tier=provider_tier,
        provider_private=provider_private,
        provider_town=provider_town,
        provider_county=provider_county,
        provider_weight=weight,
        provider_name=provider_name,
        provider_near=provider_near,
        doctor_id=doctor_id,
        doctor_provider=doctor_provider,
        doctor_specialty=doctor_specialty,
        doctor_first=doctor_first,
        doctor_count=doctors,
        operator_id=operator_id,
        operator_provider=operator_provider,
        operator_first=operator_first,
        operator_count=operators,
        near_sampler=near_sampler,
        flagships=flagships,
    )

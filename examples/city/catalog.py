"""Diagnoses and billable items of the synthetic city, with typical prices.

Pools have prime lengths so that ``(base + j * step) % len`` picks distinct items within a
claim (claim_items is keyed by claim_id + item_code).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Pool:
    codes: np.ndarray
    names: np.ndarray
    kinds: np.ndarray
    prices: np.ndarray  # yuan per unit

    def __len__(self) -> int:
        return len(self.codes)


def _pool(rows: list[tuple[str, str, str, float]]) -> Pool:
    codes, names, kinds, prices = zip(*rows, strict=True)
    return Pool(np.array(codes), np.array(names), np.array(kinds), np.array(prices, dtype=float))


# (code, name, kind, price)
COMMON_DRUGS = _pool(
    [
        ("XJ01CAA040", "阿莫西林胶囊", "drug", 12.5),
        ("XM01AEB010", "布洛芬缓释胶囊", "drug", 18.0),
        ("XR05XAG001", "复方感冒灵颗粒", "drug", 15.0),
        ("XA02BCO010", "奥美拉唑肠溶胶囊", "drug", 22.0),
        ("XR06AEL020", "氯雷他定片", "drug", 19.5),
        ("XJ01FAA010", "阿奇霉素片", "drug", 26.0),
        ("XA07DAL010", "蒙脱石散", "drug", 16.0),
        ("XR05CBA030", "盐酸氨溴索口服液", "drug", 21.0),
        ("XD07ACM010", "糠酸莫米松乳膏", "drug", 28.0),
        ("XN02BEA010", "对乙酰氨基酚片", "drug", 8.0),
        ("XZA01AAA01", "板蓝根颗粒", "drug", 14.0),
    ]
)
CHRONIC_DRUGS = _pool(
    [
        ("XC08CAA010", "苯磺酸氨氯地平片", "drug", 32.0),
        ("XA10BAA020", "盐酸二甲双胍片", "drug", 24.0),
        ("XC10AAA050", "阿托伐他汀钙片", "drug", 45.0),
        ("XC09CAB010", "缬沙坦胶囊", "drug", 38.0),
        ("XB01ACA060", "阿司匹林肠溶片", "drug", 15.0),
        ("XA10AEG010", "甘精胰岛素注射液", "drug", 168.0),
        ("XC07ABM030", "酒石酸美托洛尔片", "drug", 18.0),
    ]
)
HIGH_VALUE_DRUGS = _pool(
    [
        ("XL01EBA090", "甲磺酸奥希替尼片", "drug", 5100.0),
        ("XL04AXL010", "来那度胺胶囊", "drug", 3200.0),
        ("XJ05APS010", "索磷布韦维帕他韦片", "drug", 2100.0),
        ("XL01EXA050", "盐酸安罗替尼胶囊", "drug", 2800.0),
        ("XB05AAR010", "人血白蛋白", "drug", 420.0),
        ("XL01EAY010", "甲磺酸伊马替尼片", "drug", 1150.0),
        ("XL01FDQ010", "注射用曲妥珠单抗", "drug", 5500.0),
    ]
)
#: What collected cards are really used for: health products, cosmetics, daily goods.
GOODS = _pool(
    [
        ("XZ99ZZ0101", "阿胶礼盒", "other", 380.0),
        ("XZ99ZZ0102", "蛋白粉", "other", 260.0),
        ("XZ99ZZ0103", "保湿面膜", "other", 120.0),
        ("XZ99ZZ0104", "洗护套装", "other", 98.0),
        ("XZ99ZZ0105", "维生素礼盒", "other", 198.0),
        ("XZ99ZZ0106", "西洋参片", "other", 420.0),
        ("XZ99ZZ0107", "食用油", "other", 89.0),
    ]
)
OUTPATIENT_SERVICES = _pool(
    [
        ("001102000010000", "普通门诊诊查费", "service", 10.0),
        ("002501000010000", "血常规检查", "service", 25.0),
        ("002703000010000", "胸部X线摄影", "service", 80.0),
        ("003101000010000", "静脉输液", "service", 15.0),
        ("002401000040000", "尿常规检查", "service", 12.0),
    ]
)
INPATIENT_SERVICES = _pool(
    [
        ("001106000010000", "床位费", "service", 45.0),
        ("001202000010000", "二级护理", "service", 30.0),
        ("002702000010000", "胸部CT平扫", "service", 260.0),
        ("003107000010000", "康复理疗", "service", 90.0),
        ("HCA0010000010", "一次性输液器", "material", 6.0),
        ("002502000010000", "生化全套", "service", 180.0),
        ("003303000010000", "针灸治疗", "service", 60.0),
    ]
)
SCREENING_SERVICES = _pool(
    [
        ("001104000030000", "健康体检", "service", 50.0),
        ("002501000010000", "血常规检查", "service", 25.0),
        ("002403000010000", "血糖测定", "service", 10.0),
    ]
)


#: a cataract operation (白内障复明): surgery, lens, bed days
CATARACT_SERVICES = _pool(
    [
        ("003306010010000", "白内障超声乳化摘除术", "service", 1800.0),
        ("HCA0301000010", "人工晶体", "material", 2200.0),
        ("001106000010000", "床位费", "service", 45.0),
    ]
)


@dataclass(frozen=True)
class Diagnoses:
    codes: np.ndarray
    outpatient_cost: np.ndarray  # typical outpatient total, yuan
    inpatient_daily: np.ndarray  # typical inpatient cost per day, yuan
    weight: np.ndarray  # how common


_DIAG = [
    # code, outpatient yuan, inpatient yuan/day, relative frequency
    ("J06.9", 90, 500, 30),  # upper respiratory infection
    ("J20.9", 120, 550, 10),  # acute bronchitis
    ("I10", 150, 600, 14),  # hypertension
    ("E11.9", 160, 620, 10),  # type 2 diabetes
    ("K29.7", 130, 580, 8),  # gastritis
    ("M54.5", 110, 520, 8),  # low back pain
    ("J44.9", 180, 700, 4),  # COPD
    ("I63.9", 220, 900, 3),  # cerebral infarction
    ("M17.9", 140, 650, 4),  # knee osteoarthritis
    ("N40", 150, 700, 2),  # prostatic hyperplasia (male)
    ("O80", 200, 1100, 1),  # single spontaneous delivery (female)
    ("C34.9", 600, 1500, 1),  # lung cancer
    ("I25.1", 200, 950, 3),  # coronary heart disease
    ("K80.2", 160, 1300, 2),  # gallstones
    # never drawn for ordinary care: the crowds and rings that need them set them
    ("H25.9", 120, 1800, 0),  # senile cataract
    ("N76.0", 110, 500, 0),  # vaginitis (female)
    ("C92.1", 800, 1600, 0),  # chronic myeloid leukaemia
    ("C90.0", 800, 1600, 0),  # multiple myeloma
    ("C50.9", 700, 1500, 0),  # breast cancer
]
DIAGNOSES = Diagnoses(
    np.array([d[0] for d in _DIAG]),
    np.array([d[1] for d in _DIAG], dtype=float),
    np.array([d[2] for d in _DIAG], dtype=float),
    np.array([d[3] for d in _DIAG], dtype=float) / sum(d[3] for d in _DIAG),
)
DIAG_INDEX = {code: i for i, code in enumerate(DIAGNOSES.codes)}
#: general health examination, used by screening days and check-ups
SCREENING_DIAGNOSIS = "Z00.0"

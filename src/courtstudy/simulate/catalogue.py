"""Fixed ingredients of the synthetic court: courts, causes of action, teams and judges' names.

The province 示范省 ("demonstration province") is fictitious; court codes follow the real
pattern (province abbreviation + city + district: 示0102; development zones 9x: 示0191).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROVINCE = "示范省"
PROVINCE_CODE = "示"

#: (court name, court code) of the first courts; more are generated when n_courts is larger.
COURTS: tuple[tuple[str, str], ...] = (
    ("示范市城东区人民法院", "示0102"),
    ("示范市城西区人民法院", "示0103"),
    ("示范市城南区人民法院", "示0104"),
    ("示范市城北区人民法院", "示0105"),
    ("示范市高新技术产业开发区人民法院", "示0191"),
    ("示范市东湖县人民法院", "示0121"),
    ("示范市西山县人民法院", "示0122"),
    ("临江市江北区人民法院", "示0202"),
    ("临江市江南区人民法院", "示0203"),
    ("临江市青石县人民法院", "示0221"),
    ("云岭市中心区人民法院", "示0302"),
    ("云岭市白沙县人民法院", "示0321"),
)

_EXTRA_CITIES = ("金川市", "石门市", "松原市", "桃溪市", "北林市")
_EXTRA_PLACES = ("东", "西", "南", "北", "中", "新", "丰", "安", "平", "宁")


def court_catalogue(n_courts: int) -> list[tuple[str, str]]:
    """``n_courts`` (name, code) pairs: the fixed list, then generated county courts."""
    if n_courts < 1:
        raise ValueError(f"n_courts must be at least 1, got {n_courts}")
    out = list(COURTS[:n_courts])
    k = 0
    while len(out) < n_courts:
        city_i, place_i = divmod(k, len(_EXTRA_PLACES))
        if city_i >= len(_EXTRA_CITIES):
            raise ValueError(f"n_courts={n_courts} is more than the catalogue can name "
                             f"({len(COURTS) + len(_EXTRA_CITIES) * len(_EXTRA_PLACES)})")
        city = _EXTRA_CITIES[city_i]
        out.append((f"{city}{_EXTRA_PLACES[place_i]}阳县人民法院",
                    f"{PROVINCE_CODE}{city_i + 4:02d}{place_i + 21:02d}"))
        k += 1
    return out


@dataclass(frozen=True)
class Cause:
    """A civil cause of action (案由) and how its cases look.

    ``complexity``: cause part of the observed complexity score; ``amount_median`` (yuan) and
    ``amount_sigma``: lognormal claim amount; ``amount_missing``: share with no amount (非财产
    案件); ``extra_parties``: mean parties beyond two; ``mediation_withdrawal``: base share closed
    by mediation or withdrawal; ``mediation_share``: mediation's part of it; ``small_claims``:
    money claims that may use the small-claims procedure; ``appraisal``: share suspended for an
    appraisal (鉴定); ``team``: specialised team that hears it ("" = standard division).
    """

    name: str
    share: float
    complexity: float
    amount_median: float
    amount_sigma: float
    amount_missing: float
    extra_parties: float
    mediation_withdrawal: float
    mediation_share: float
    small_claims: bool
    appraisal: float
    team: str


CAUSES: tuple[Cause, ...] = (
    Cause("民间借贷纠纷", 0.16, 0.0, 50_000, 1.2, 0.0, 0.3, 0.42, 0.40, True, 0.01, ""),
    Cause("买卖合同纠纷", 0.13, 0.2, 80_000, 1.3, 0.0, 0.4, 0.45, 0.45, True, 0.03, "commercial"),
    Cause("离婚纠纷", 0.11, 0.1, 100_000, 1.0, 0.8, 0.0, 0.55, 0.55, False, 0.0, "family"),
    Cause("机动车交通事故责任纠纷", 0.10, 0.3, 60_000, 1.0, 0.0, 1.2, 0.50, 0.70, True, 0.30, ""),
    Cause("金融借款合同纠纷", 0.09, -0.1, 150_000, 1.3, 0.0, 0.6, 0.28, 0.35, True, 0.0, "commercial"),
    Cause("物业服务合同纠纷", 0.08, -0.5, 4_000, 0.8, 0.0, 0.0, 0.50, 0.40, True, 0.0, ""),
    Cause("信用卡纠纷", 0.08, -0.6, 25_000, 0.8, 0.0, 0.0, 0.30, 0.30, True, 0.0, "commercial"),
    Cause("劳动争议", 0.07, 0.2, 30_000, 1.0, 0.05, 0.1, 0.42, 0.55, True, 0.02, "labour"),
    Cause("房屋租赁合同纠纷", 0.06, 0.0, 40_000, 1.1, 0.0, 0.2, 0.45, 0.45, True, 0.02, ""),
    Cause("建设工程施工合同纠纷", 0.04, 1.1, 800_000, 1.4, 0.0, 1.5, 0.35, 0.55, False, 0.40, "commercial"),
    Cause("继承纠纷", 0.02, 0.6, 300_000, 1.2, 0.5, 2.0, 0.45, 0.60, False, 0.05, "family"),
    Cause("侵权责任纠纷", 0.02, 0.5, 50_000, 1.2, 0.1, 0.8, 0.40, 0.55, True, 0.15, ""),
)

#: Case types: (case_type, instance, type code, share of filings).
CASE_TYPES: tuple[tuple[str, str | None, str, float], ...] = (
    ("civil", "first", "民初", 0.75),
    ("criminal", "first", "刑初", 0.07),
    ("administrative", "first", "行初", 0.02),
    ("enforcement", None, "执", 0.16),
)

#: Team pools: pool code -> (team names, team_type). Civil specialised pools exist in every court.
TEAM_POOLS: dict[str, tuple[tuple[str, ...], str]] = {
    "fast_track": (("速裁第一团队", "速裁第二团队", "速裁第三团队", "速裁第四团队"), "fast_track"),
    "family": (("家事审判团队",), "specialised"),
    "commercial": (("商事审判团队",), "specialised"),
    "labour": (("劳动争议审判团队",), "specialised"),
    "civil": (("民事审判第一团队", "民事审判第二团队", "民事审判第三团队", "民事审判第四团队"), "standard"),
    "criminal": (("刑事审判庭",), "standard"),
    "administrative": (("行政审判庭",), "standard"),
    "enforcement": (("执行实施第一团队", "执行实施第二团队"), "standard"),
}

#: Share of a court's judges in each pool (fast_track only in years the team exists).
POOL_JUDGE_SHARE: dict[str, float] = {
    "fast_track": 0.22, "family": 0.07, "commercial": 0.09, "labour": 0.04, "civil": 0.28,
    "criminal": 0.12, "administrative": 0.04, "enforcement": 0.14,
}

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
            "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤欧阳")
GIVEN = ("伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉萍红建文辉力斌宇浩凯健俊帆帅旭宁琳晨"
         "欣瑶雪婷颖倩慧佳鑫博宏志鹏飞鸿昊晓燕蕾岚菲璐琪瑞泽楠彬海波峰亮成林坤堃喆玥昇赟淼珺")
#: Characters outside GBK (need GB18030): real given-name characters, e.g. 刘䶮 (Liu Yan).
RARE_GIVEN = ("䶮", "𪨶", "𬱖", "𬘡")


def judge_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct synthetic judges' names; about 3% use a character outside GBK."""
    names: list[str] = []
    seen: set[str] = set()
    surnames = list(SURNAMES)
    given = list(GIVEN)
    while len(names) < n:
        m = (n - len(names)) * 2 + 8
        s = rng.choice(surnames, size=m)
        g1 = rng.choice(given, size=m)
        g2 = rng.choice(given, size=m)
        two = rng.random(m) < 0.7
        rare = rng.random(m) < 0.03
        rare_char = rng.choice(list(RARE_GIVEN), size=m)
        for i in range(m):
            last = rare_char[i] if rare[i] else g2[i]
            name = s[i] + g1[i] + last if two[i] else s[i] + (rare_char[i] if rare[i] else g1[i])
            if name not in seen:
                seen.add(name)
                names.append(name)
                if len(names) == n:
                    break
    return names

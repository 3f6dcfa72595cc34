"""Identity misuse (冒名就医、人证不符): cards used where their holder cannot be - after
the holder's death, inside the holder's hospital stay elsewhere, with a diagnosis the
holder's sex or age rules out, for a stay of a holder living far away while their card
goes on being used at home - grouped by the providers and operators that served them.
One such claim is a data error or a rule hit; many misused cards settled by one operator
at one provider, far more than that operator's share of the city's cards predicts, is a
ring: the provider, the operator and the cards."""

from __future__ import annotations

from dataclasses import dataclass
from math import log10
from typing import ClassVar

import pandas as pd

from graphscan.detect.base import Candidate, Coverage, Detector, Frames, Lost, Window, short
from graphscan.detect.engines.significance import (
    P_FLOOR,
    fisher,
    poisson_binomial_tail,
    poisson_tail,
)
from graphscan.rings import Member
from graphscan.store.base import Store

REASONS_ZH = {
    "after_death": "死亡后",
    "overlap": "住院期间异地住院",
    "elsewhere": "住院期间在外地就医购药",
    "sex": "性别不符",
    "age": "年龄不符",
    "outsider": "持卡人住在外县",
    "silent": "持卡人本人早已不再就医购药",
}


#: reasons no honest claim produces (a data error at most); an overlapping stay also
#: happens to honest patients transferred between hospitals, and a relative may use the
#: card at home during a stay, so those are tested apart
IMPOSSIBLE = ("after_death", "sex", "age")

#: and with them a card admitted after its holder's own life stopped (``silent``: only
#: where no persons table records deaths), expected from the holders' own claims rather
#: than from a city rate
DEATHLIKE = (*IMPOSSIBLE, "silent")


EXPLAIN_ZH = (
    "{cards} 张医保卡在 {prov}（操作员 {op}）被用于持卡人不可能亲自就医的结算"
    "（{why_zh}），其中 {imp} 张属死亡、性别或年龄不符；"
    "按该操作员经手的卡数（其他机构零散异常的比率）和这些持卡人在别处住院的时间"
    "估计的期望为 {exp} 张；"
    "证据结算 {claims} 笔（{days} 天），合计 {total:.2f} 元（统筹 {fund:.2f}），"
    "{first} 至 {last}。"
)
EXPLAIN_EN = (
    "{cards} cards were settled at {prov} by operator {op} where their holders "
    "cannot have been ({why_en}; {imp} by death, sex or age); expected from the "
    "operator's cards at the rate of scattered flags elsewhere and from the holders' own "
    "time in hospital elsewhere: {exp}; "
    "{claims} evidence claims on {days} days, {total:.2f} yuan "
    "(fund {fund:.2f}), {first} to {last}."
)


#: tests a desk is judged by (Bonferroni factor): conflicts, impossible cards, far-away
#: visits inside the stays, the stronger of the first two combined with the third,
#: conflicts of holders who live outside the institution's county, and (the institution
#: as one desk) its inpatients from outside against its outpatients' catchment, alone,
#: combined with the far-away visits inside their stays, and with those and the conflicts
TESTS = 8

#: a campaign window: a bus of villagers is admitted within three weeks (the generator of
#: legitimate crowds and the cataract practice alike), so outsiders admitted together
#: beyond the institution's own pace are one campaign, not borrowed cards
CAMPAIGN_DAYS = 21


@dataclass(frozen=True)
class Desk:
    """A desk's chosen test: the evidence rows, the main count and its expectation, the
    expectation of all conflicts (for the explanation), the p-value (Fisher-combined
    with ``support_p`` where that is set), and the main test's own p-value where it is
    not the Poisson tail of ``test`` (``main_p``: the far-away stays')."""

    rows: pd.DataFrame
    test: tuple[int, float]
    exp_all: float
    p_value: float
    support_p: float | None = None
    main_p: float | None = None

    def tail(self) -> float:
        """The main test's p-value."""
        return float(poisson_tail(*self.test)) if self.main_p is None else self.main_p


@dataclass(frozen=True)
class Catchment:
    """An institution's outsiders against its outpatients' catchment: the test of all of
    them (``desk``, None below ``min_cards`` cards) and, to join a test of the
    institution's own flags, the outsiders carrying none (``rows``, p-value ``p_rest``)."""

    desk: Desk | None
    rows: pd.DataFrame
    p_rest: float

    def joined(self, desk: Desk) -> Desk:
        """``desk`` with the unflagged outsiders' evidence, their tail Fisher-combined
        with the desk's support (independent: no card is in both)."""
        if set(self.rows["claim_id"]) <= set(desk.rows["claim_id"]):
            return desk  # the desk already counts these outsiders (or there are none)
        support = self.p_rest if desk.support_p is None else fisher(desk.support_p, self.p_rest)
        rows = pd.concat([desk.rows, self.rows]).drop_duplicates(["claim_id", "reason"])
        p = fisher(desk.tail(), support)
        return Desk(rows, desk.test, desk.exp_all, float(p), support, desk.main_p)


@dataclass
class IdentityMisuse(Detector):
    """Parameters:
    min_cards: distinct misused cards a provider (and operator) needs before it is a ring
    region_digits: region code characters that a visit or purchase during a stay must
        differ in from the institution's to be far away (6: another county)
    """

    pattern: ClassVar[str] = "identity_misuse"
    projections: ClassVar[tuple[str, ...]] = ("card_conflicts",)

    min_cards: int = 3
    region_digits: int = 6

    def lost_signals(self, coverage: Coverage) -> list[Lost]:
        lost: list[Lost] = []
        if coverage.rows("claims", "inpatient") and not coverage.share(
            "claims", "operator_id", "inpatient"
        ):
            lost.append(("operator_id", "not recorded on inpatient claims: grouped by institution"))
        if not coverage.share("claims", "end_time", "inpatient"):
            lost.append(("end_time", "no discharge dates: overlapping stays not found"))
        if not coverage.share("claims", "diagnosis_code"):
            lost.append(("diagnosis_code", "not recorded: no sex or age checks"))
        missing = [
            c for c in ("sex", "birth_date", "death_date") if not coverage.share("persons", c)
        ]
        from_ids = coverage.share("persons", "id_facts") > 0
        if from_ids and len(missing) == 3:
            # no persons table (or an empty one): the ID numbers still tell sex and age
            lost.append(
                ("persons", "persons table missing: sex and age from the ID numbers, no deaths")
            )
            return lost
        for column, check, fallback in (
            ("sex", "sex-specific diagnoses not checked", "sex from the ID numbers"),
            ("birth_date", "age-specific diagnoses not checked", "age from the ID numbers"),
            ("death_date", "claims after death not found", None),
        ):
            if column in missing:
                why = fallback if from_ids and fallback else check
                lost.append((f"persons.{column}", f"not recorded: {why}"))
        return lost

    def read(self, store: Store, window: Window) -> Frames:
        return self.frames(
            store,
            window,
            {
                "card_conflicts": store.projection(
                    "card_conflicts", **window.params(), region_digits=self.region_digits
                )
            },
        )

    def decide(self, frames: Frames) -> list[Candidate]:
        projected = frames["card_conflicts"]
        outsiders = projected[projected["reason"] == "outsider"]
        flagged = projected[projected["reason"] != "outsider"]
        if projected.empty:
            return []
        window_days = max(float(projected["window_days"].iloc[0]), 1.0)
        catchment = self._catchment(outsiders, flagged, window_days)
        judged = set(flagged["provider_id"])  # providers the tests below judge on their flags
        candidates = [
            self._candidate(frames, c.desk, str(provider), TESTS)
            for provider, c in catchment.items()
            if c.desk is not None and provider not in judged
        ]
        if flagged.empty:
            return candidates
        per_operator = self._per_operator(flagged)
        flagged = flagged.assign(impossible=flagged["reason"].isin(IMPOSSIBLE))
        per_provider = self._per_provider(flagged, per_operator)
        rates = self._scattered_rate(flagged, per_operator, per_provider, self.min_cards)
        for provider, rows in flagged.groupby("provider_id", sort=True):
            rate = float(rates[provider])
            desks = per_operator.loc[provider]
            away = outsiders[outsiders["provider_id"] == provider]
            placed = float(rows["placed_inpatients"].iloc[0])
            outside = catchment.get(provider)
            # the institution's outsiders against its catchment judge the institution as
            # one desk: the whole, or its one desk with flags (no operator recorded, or
            # one cashier settling every flagged stay)
            cashiers = [
                self._judged(
                    rows[rows["operator_id"] == operator],
                    counts,
                    rate,
                    window_days,
                    (away, away[away["operator_id"] == operator], placed),
                    outside if len(desks) == 1 else None,
                )
                for operator, counts in desks.iterrows()
                if counts["cards"] >= self.min_cards
                or self._reach(rows, away, str(operator)) >= self.min_cards
            ]
            # the provider as one desk: cards borrowed by an institution are settled by
            # whoever is on duty, and no one cashier need hold enough of them
            whole = None
            if len(desks) > 1:
                whole = self._judged(
                    rows.assign(operator_id=""),
                    per_provider.loc[provider],
                    rate,
                    window_days,
                    (away, away.assign(operator_id=""), placed),
                    outside,
                )
            levels = [c for c in cashiers if c is not None]
            if outside is not None and not levels and whole is None:
                whole = outside.desk
            if whole is not None and (not levels or whole.p_value < min(c.p_value for c in levels)):
                levels = [whole]
            tests = TESTS * (2 if whole is not None and cashiers else 1)
            candidates += [self._candidate(frames, desk, str(provider), tests) for desk in levels]
        return candidates

    def _judged(
        self,
        rows: pd.DataFrame,
        counts: pd.Series,
        rate_imp: float,
        window_days: float,
        catchment: tuple[pd.DataFrame, pd.DataFrame, float],
        outside: Catchment | None = None,
    ) -> Desk | None:
        """One desk (an operator, or all the provider's cashiers together) judged by the
        strongest of its tests: cards flagged impossible or overlapping, impossible
        cards alone, the stays with far-away visits inside against the holders' own pace,
        the stronger of the first two combined with the far-away one (independent
        signals: a ring may borrow some cards of the dead and some of the living far
        away), and the conflicts of holders from outside the institution's catchment
        (``catchment``: the provider's outsiders, the desk's, and the provider's
        inpatients whose home is known; see :meth:`_outsiders`); for the institution as
        one desk also its outsiders against its outpatients' catchment (``outside``, see
        :meth:`_catchment`), alone, combined with the far-away visits, and with those and
        the stronger of conflicts and impossible cards (independent: how many outsiders
        come, whether their home life goes on during their stays, and whether the stays
        fit them at all; a referral hospital or a relative's errands do not raise them
        together), and each test joined by the outsiders carrying no flag there
        (:meth:`Catchment.joined`: a dead holder's card carries none where no persons table
        records deaths). The evidence of the strongest test that holds ``min_cards`` cards
        judges the desk. Overlaps are expected
        from the holders' own time in hospital elsewhere (an admission independent of
        the holder's other stays falls inside one at that rate), not from a city rate:
        most patients have no other stay to overlap. None where no test holds
        ``min_cards`` cards."""
        exp_imp = rate_imp * counts["volume"] + float(counts["silent_expected"])
        exp_all = exp_imp + float(counts["overlap_seconds"]) / 86400.0 / window_days
        away, p_away = _far_away(rows, catchment[1])
        main = min(
            [(int(counts["conflicts"]), exp_all), (int(counts["deathlike"]), exp_imp)],
            key=lambda t: float(poisson_tail(*t)),
        )
        p_main = float(poisson_tail(*main))
        options = [
            Desk(rows[rows["reason"] != "elsewhere"], main, exp_all, p_main),
            Desk(rows, away, exp_all, p_away, main_p=p_away),
            Desk(rows, main, exp_all, fisher(p_main, p_away), support_p=p_away),
            self._outsiders(rows[rows["reason"] != "elsewhere"], exp_all, *catchment),
        ]
        if outside is not None:
            options += [outside.joined(d) for d in options]
            catch = outside.desk
            if catch is not None:
                far = pd.concat([catch.rows, rows[rows["reason"] == "elsewhere"]])
                both = fisher(p_away, catch.p_value)
                options += [
                    catch,
                    Desk(
                        far.drop_duplicates(["claim_id", "reason"]),
                        catch.test,
                        exp_all,
                        fisher(catch.p_value, p_away),
                        support_p=p_away,
                    ),
                    # all three halves: conflicts, home life going on, far-away holders
                    Desk(
                        pd.concat([far, rows]).drop_duplicates(["claim_id", "reason"]),
                        main,
                        exp_all,
                        fisher(p_main, both),
                        support_p=both,
                    ),
                ]
        # a far-away visit during a stay joins the evidence only when such visits are
        # themselves unusual at this desk (relatives' errands are not); a test whose
        # evidence holds fewer than min_cards cards judges nothing, and the next does
        enough = [d for d in options if d.rows["card_id"].nunique() >= self.min_cards]
        return min(enough, key=lambda d: d.p_value) if enough else None

    def _catchment(
        self, outsiders: pd.DataFrame, flagged: pd.DataFrame, window_days: float
    ) -> dict[str, Catchment]:
        """Per institution, its inpatients from outside its county against its own
        outpatients' catchment: the share of its outpatients who live outside (add-one
        smoothed) times a referral factor, how many more outsiders the city's other
        institutions admit than their outpatients' shares predict (leave-one-out, so a
        ring does not set its own null). A ring borrows the cards of people far away; a
        township hospital whose outpatients are local expects few such inpatients, a
        referral hospital many. Outsiders admitted in a campaign (:meth:`_waves`) are
        left out of both sides: villagers bussed in from another county are the
        hospital's catchment for that campaign. The test (``desk``, where at least
        ``min_cards`` outsiders' cards remain: their stays and flags there) is one of the
        tests of the institution as one desk and alone judges an institution that no
        other test judges; the outsiders carrying no flag at the institution are also
        tested apart, independent of its flags (``rest``), to join its other tests."""
        if outsiders.empty:
            return {}
        waves = self._waves(outsiders, window_days)
        free = outsiders[~outsiders["claim_id"].isin(waves)]
        by = outsiders.groupby("provider_id", sort=True)
        table = pd.DataFrame(
            {
                "placed": by["placed_inpatients"].first().astype(float),
                "share": (by["outside_outpatients"].first() + 1.0)
                / (by["placed_outpatients"].first() + 2.0),
                "waved": by["card_id"].nunique()
                - free.groupby("provider_id")["card_id"]
                .nunique()
                .reindex(by.size().index, fill_value=0),
                "hits": free.groupby("provider_id")["card_id"]
                .nunique()
                .reindex(by.size().index, fill_value=0),
            }
        )
        base = (table["placed"] - table["waved"]).clip(lower=0.0) * table["share"]
        referral = (table["hits"].sum() - table["hits"] + 1.0) / (base.sum() - base + 1.0)
        result = {}
        for provider, row in table[table["hits"] > 0].iterrows():
            mine = free[free["provider_id"] == provider]
            at = flagged[flagged["provider_id"] == provider]
            expected = float(base[provider] * referral[provider])
            cards = set(mine["card_id"])
            desk = None
            if len(cards) >= self.min_cards:
                rows = pd.concat([mine, at[at["card_id"].isin(cards)]]).assign(operator_id="")
                rows = rows.assign(impossible=rows["reason"].isin(IMPOSSIBLE))
                test = (len(cards), expected)
                desk = Desk(rows, test, expected, float(poisson_tail(*test)))
            unflagged = mine[~mine["card_id"].isin(set(at["card_id"]))]
            rest = unflagged["card_id"].nunique()
            remaining = max(float(row["placed"] - row["waved"]), 1.0)
            left = max(remaining - (len(cards) - rest), 0.0) / remaining
            p_rest = float(poisson_tail(rest, expected * left)) if rest else 1.0
            rows = unflagged.assign(operator_id="", impossible=False)
            result[str(provider)] = Catchment(desk, rows, p_rest)
        return result

    @staticmethod
    def _waves(outsiders: pd.DataFrame, window_days: float) -> set[str]:
        """Claims of outsiders admitted in a campaign: a ``CAMPAIGN_DAYS`` window opening
        at an outsider's admission that holds more other outsiders' admissions than the
        institution's own pace of them explains (Poisson, Bonferroni over the windows of
        the period at 1%)."""
        stays = outsiders.drop_duplicates("claim_id")
        level = 0.01 * CAMPAIGN_DAYS / window_days
        waved: set[str] = set()
        for _, mine in stays.groupby("provider_id", sort=True):
            days = mine["admitted_day"].to_numpy()
            pace = len(days) * CAMPAIGN_DAYS / window_days
            for first in days:
                inside = (days >= first) & (days < first + CAMPAIGN_DAYS)
                if float(poisson_tail(int(inside.sum()) - 1, pace)) < level:
                    waved |= set(mine.loc[inside, "claim_id"])
        return waved

    @staticmethod
    def _reach(rows: pd.DataFrame, away: pd.DataFrame, operator: str) -> int:
        """The desk's flagged cards and its outsiders' cards: what the outsider test can
        hold (dead holders' cards carry no flag where no persons table records deaths)."""
        mine = rows["operator_id"] == operator
        return len(
            set(rows.loc[mine, "card_id"])
            | set(away.loc[away["operator_id"] == operator, "card_id"])
        )

    @staticmethod
    def _outsiders(
        conflicts: pd.DataFrame,
        exp_all: float,
        provider_outsiders: pd.DataFrame,
        desk_outsiders: pd.DataFrame,
        placed: float,
    ) -> Desk:
        """Conflicts of holders who live outside the institution's county, against the
        desk's expected conflicts times the institution's own catchment: the share of
        its other inpatients (those the desk's conflicts leave) who live outside. A ring
        borrows cards of people far away, whose own claims go on at home; a referral
        hospital's wide catchment expects many such holders and a township's few. The
        desk's other outsiders' stays join the evidence: the ring's cards that carry no
        other flag (a dead holder's, where no persons table records deaths)."""
        cards = set(conflicts["card_id"])
        outside = set(provider_outsiders["card_id"])
        hits = len(cards & outside)
        share = (len(outside) - hits + 1.0) / (max(placed - len(cards), 0.0) + 2.0)
        test = (hits, exp_all * share)
        rows = pd.concat([conflicts, desk_outsiders.assign(impossible=False)])
        return Desk(rows, test, exp_all, float(poisson_tail(*test)))

    @staticmethod
    def _per_provider(flagged: pd.DataFrame, per_operator: pd.DataFrame) -> pd.DataFrame:
        """Per provider, the counts of :meth:`_per_operator` over all its cashiers: cards
        served summed over them, flagged cards counted once, far-away activity and the
        patients' time in hospital elsewhere over all its stays."""
        sums = per_operator.groupby(level="provider_id")[["volume"]].sum()
        by = flagged.groupby("provider_id", sort=True)
        whole = pd.DataFrame(
            {
                "cards": by["card_id"].nunique(),
                "overlap_seconds": by["provider_overlap_seconds"].first(),
                "silent_expected": by["provider_silent_expected"].first(),
            }
        )
        for name, rows in (
            ("impossible", flagged[flagged["reason"].isin(IMPOSSIBLE)]),
            ("deathlike", flagged[flagged["reason"].isin(DEATHLIKE)]),
        ):
            whole[name] = rows.groupby("provider_id")["card_id"].nunique()
        whole["conflicts"] = _conflicts(flagged, ["provider_id"])
        return whole.join(sums).fillna(0.0).astype(float)

    @staticmethod
    def _per_operator(flagged: pd.DataFrame) -> pd.DataFrame:
        """Per (provider, operator): flagged cards, those with an impossible reason, the
        cards the operator served, the far-away activity of their holders and the holders'
        time in hospital elsewhere."""
        cards = flagged.groupby(["provider_id", "operator_id"], sort=True)
        per_operator = cards.agg(
            cards=("card_id", "nunique"),
            volume=("operator_cards", "first"),
            overlap_seconds=("overlap_seconds", "first"),
            silent_expected=("silent_expected", "first"),
        )
        for name, reasons in (("impossible", IMPOSSIBLE), ("deathlike", DEATHLIKE)):
            per_operator[name] = (
                flagged[flagged["reason"].isin(reasons)]
                .groupby(["provider_id", "operator_id"])["card_id"]
                .nunique()
            )
        per_operator["conflicts"] = _conflicts(flagged, ["provider_id", "operator_id"])
        return per_operator.fillna(0.0).astype(float)

    @staticmethod
    def _scattered_rate(
        flagged: pd.DataFrame,
        per_operator: pd.DataFrame,
        per_provider: pd.DataFrame,
        min_cards: int,
    ) -> pd.Series:
        """Per provider, impossible cards per card served at the other providers with
        fewer than ``min_cards`` of them (scattered data errors): rings must not set their
        own null (leave-one-out: a cashier's two impossible cards are no data errors of
        its own city rate, draw 2479), and in a city with many rings they would make the
        city rate. Only impossible cards set a provider apart here: a busy hospital's
        desks have overlaps and far-away errands by the dozen, and leaving their
        thousands of cards out would leave the rate to the quiet desks and their one
        added flag (draw 2410: 1 in 4,140 cards, and a cashier's three impossible stays
        at a desk of 1,648 cards no case); by provider, not desk, since borrowed cards
        spread over the cashiers on duty look scattered desk by desk. One flag is added
        so a city without scattered flags still expects some. (Overlaps and far-away
        visits during a stay are judged against the holders' own stays and pace
        instead.)"""
        volume = per_provider["volume"]
        flags = per_operator.groupby(level="provider_id")["impossible"].sum()
        scattered = per_provider["impossible"] < min_cards
        total = float(flagged["all_cards"].iloc[0]) - float(volume[~scattered].sum())
        others = total - volume.where(scattered, 0.0)
        errors = float(flags[scattered].sum()) - flags.where(scattered, 0.0)
        return (errors + 1.0) / others.clip(lower=1.0)

    def _candidate(self, frames: Frames, desk: Desk, provider: str, tests: int) -> Candidate:
        rows, test, exp_all = desk.rows, desk.test, desk.exp_all
        role = "pharmacy" if rows["provider_kind"].iloc[0] == "pharmacy" else "institution"
        cards = sorted(set(rows["card_id"]))
        operators = sorted(set(rows["operator_id"]) - {""})
        reasons = rows.drop_duplicates(["card_id", "reason"])["reason"].value_counts()
        numbers = {
            "cards": len(cards),
            "prov": short(provider) + "…",
            "op": ", ".join(short(o) + "…" for o in operators) or "-",
            "exp": f"{exp_all:.2g}",
            "imp": rows.loc[rows["impossible"], "card_id"].nunique(),
            "why_zh": "、".join(f"{REASONS_ZH[r]} {n}" for r, n in sorted(reasons.items())),
            "why_en": ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())),
        }
        return Candidate(
            pattern=self.pattern,
            members=[
                Member(role, provider, role),
                *(Member("operator", o, "operator") for o in operators),
                *(Member("card", c, "card_holder") for c in cards),
                *(Member("person", p, "card_holder") for p in sorted(set(rows["person_id"]))),
            ],
            claim_ids=sorted(set(rows["claim_id"])),
            statistic=test[0],
            expected=test[1],
            tests=tests,
            support_p=desk.support_p,
            log10_tail=None if desk.main_p is None else log10(max(desk.main_p, P_FLOOR)),
            explain_zh=EXPLAIN_ZH,
            explain_en=EXPLAIN_EN,
            numbers=numbers,
            method=self.method(
                frames,
                reasons={str(r): int(n) for r, n in reasons.items()},
                test={"observed": int(test[0]), "expected": float(test[1])},
            ),
        )


def _conflicts(flagged: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Per desk, the conflicts in the units their expectations count: a card flagged by
    death, sex, age or silence once (the scattered rate is per card, and a holder's
    miscoded sex flags all their stays), and otherwise each admission inside a stay
    elsewhere (the holders' time in hospital elsewhere expects overlaps per admission:
    a card admitted inside its holder's other stays again and again is that many
    coincidences, not one)."""
    rows = flagged[flagged["reason"] != "elsewhere"]
    by_card = [rows[k] for k in keys] + [rows["card_id"]]
    deathlike = rows["reason"].isin(DEATHLIKE).groupby(by_card).transform("any")
    units = rows["card_id"].where(deathlike, rows["claim_id"])
    return units.groupby([rows[k] for k in keys]).nunique()


def _far_away(rows: pd.DataFrame, outsiders: pd.DataFrame) -> tuple[tuple[int, float], float]:
    """The desk's stays of holders who live far away with a far-away visit or purchase
    inside (``elsewhere``), against each such stay's own chance of one (``far_chance``:
    the holder's pace of far-away claims outside it over its days, at most one): the
    count and its expectation, and the Poisson-binomial tail. Each stay is its own
    coin; a Poisson tail of the summed chances would treat five stays each likely to
    see an errand at home as rare events, and hide a ring whose every stay has one."""
    stays = outsiders.drop_duplicates("claim_id")
    chances = stays.loc[stays["far_chance"] > 0, "far_chance"].to_numpy(dtype=float)
    inside = int(rows.loc[rows["reason"] == "elsewhere", "claim_id"].nunique())
    return (inside, float(chances.sum())), poisson_binomial_tail(inside, chances)

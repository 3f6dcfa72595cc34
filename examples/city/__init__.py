"""The synthetic city: one year (2025) of medical-insurance claims with planted fraud
rings and hard negatives, for developing, demonstrating and measuring graphscan.

``generate_city(out, persons, seed, difficulty, fmt, scenario=None)`` (CLI: ``graphscan
generate``) writes the canonical tables of ``graphscan.schema`` (claims, claim_items,
persons, providers, doctors; CSV or Parquet) and the ground truth as CSV: ``rings.csv``
(ring_id, pattern, member_kind, member_id, recipe), ``fraud_claims.csv`` (claim_id,
ring_id) and ``hard_negatives.csv`` (group_id, kind, member_kind, member_id). Same
arguments, same bytes. Identifiers are clear text in the files (the loader pseudonymises
person_id, card_id and the contact keys); the scorer pseudonymises the truth the same way.

Scenarios
---------
Without ``scenario`` the *reference city* is built: the fixed recipes below (the first of
each pattern), every optional column on every claim, every table. ``Scenario.draw(seed,
difficulty)`` (CLI ``--scenario-seed``; ``scenario.py``) draws every structural choice
from wide ranges instead: ring counts and sizes, doctors per kickback ring (1-3),
pharmacies per broker (1-3), ring activity as a share of members' claims (5-15% for
brokers), placement at hubs, the share of rings planted with each pattern's second
recipe, the new legitimate crowds, which optional columns each kind of claim carries
(operator on pharmacy swipes only or everywhere; doctor_id kept on 40-100% of pharmacy
fills, kickback fills included; diagnosis on pharmacy claims or not), how card_id
relates to person_id (a card number; equal; a card number but empty where the ID card was
presented at a hospital), which optional tables are written, and venue traffic
(pharmacy sizes with a heavier tail, city-centre flagships people from everywhere also
use, counter staff on morning and evening shifts). ``--difficulty`` moves the ranges
(hard: smaller rings, more often at hubs). ``Scenario.ablate(what)`` (CLI ``--drop``)
leaves one optional column or table out entirely. A drawn city carries its draw in
``scenario.json``; ``Scenario.read`` gives it back.

The truth lists members as the written claims show them: a doctor or operator recorded
on none of the group's claims is left out (a detector cannot name it), and a card is the
card value its claims carry (the ID number where card_id equals person_id, is empty or
was dropped).

The background
--------------
Counties > towns > villages; county 0 is the urban district with the tertiary
hospital(s). Each county has a county hospital, each town a township health centre
(township), each village a village clinic (village); private hospitals, clinics and
pharmacies have log-normal (heavy-tailed) sizes, and two or three pharmacies stand next to
every big hospital. People live in households (shared ``address_key``; children and many
over-75s share the household's ``phone_key``), use their own village clinic, township
centre, a preferred county/private hospital, the tertiary hospital and one or two habitual
pharmacies. Visit rates rise with age and a per-person frailty; seasons (winter peak,
Spring Festival dip) and weekdays shape the dates; 25% of hospital prescriptions are
filled at a pharmacy by the hospital door (pharmacy claim with the prescribing
``doctor_id``). Chronic patients (hypertension, diabetes, CHD, COPD) refill their drug
monthly at their usual pharmacy (half of refills carry the prescribing doctor) and see
their doctor quarterly. Employees have a personal account: outpatient and pharmacy bills
are paid from it, residents pay cash; inpatient bills have a deductible and a fund share
by hospital level (poor households get more). Amounts are the sum of their items; total =
fund + account + cash exactly. Deceased people have no claims after ``death_date``.

Member conventions in the truth
-------------------------------
Every person who takes part is listed twice, as ``person`` (person_id) and ``card``
(card_id), because each claim carries both. Providers are ``institution`` (hospitals,
township centres, clinics) or ``pharmacy``; staff are ``doctor`` and ``operator`` (the
counter operator or cashier recorded on the claim). Rings and hard-negative groups list
exactly the members a perfect detector should report. ``fraud_claims`` lists every claim
the ring caused; members' ordinary background claims are not in it (camouflage). Rings
and hard-negative groups never share people, and rings never share their pharmacy,
institution or hospital with another ring.

``--real-extract`` also writes the same city as a real export would look (Chinese
headers, GBK, Excel, mixed dates, broken rows, reversals): see ``extract.py``.

The rings, first recipes (reference ``--difficulty hard``: smaller, rarer, at hubs)
---------------------------------------------------------------------------------------
card_lending, recipe stack (members: pharmacies (1-3), their operators, cards + persons)
    One operator at a pharmacy keeps 12-40 (hard 5-12) cards of unrelated people
    (employees with personal accounts, from other towns than the pharmacy, distinct
    households) and swipes the stack on 20-40 (hard 10-20) days spread over the year:
    85% (hard 70%) of the cards each time, 45-200 s apart (hard 2-10 min, shuffled),
    paid from the personal account. Easy rings buy goods (item_kind "other": health
    products, cosmetics, cooking oil); hard rings buy ordinary drugs for ~280 yuan. In 25%
    of rings a broker carries the stack to two more pharmacies in other towns (each with
    its own operator, each counter seeing the stack on a third of the days: lockstep
    across outlets); another 40% of easy rings swipe at one more pharmacy. Owners keep
    using their cards at home, so the cards also appear far from the owners' usual places;
    8% (hard 3%) of swipes fall within 30 minutes of the owner's own purchase at their home
    pharmacy (twice at once in two places; that purchase is genuine, not a fraud claim).
kickback, recipe prescription (members: 2 doctors (hard 1), the distant pharmacy, patients)
    Doctors at a county hospital (hard: the busiest county/tertiary ones) see 8-25 (hard 4-8)
    patients from the hospital's county 8-14 (hard 5-9) times a year each; every visit
    (outpatient, diagnosis C34.9 or an unrelated chronic code) is followed hours later by
    a high-value external prescription (osimertinib, lenalidomide, sofosbuvir, anlotinib;
    ~9,000 yuan, 70% fund-paid) with the doctor's ``doctor_id`` filled at one pharmacy in
    another county (hard: another town, possibly the same county). 30% of visits are
    followed days later by another high-value purchase at a random pharmacy (resale
    through several outlets; those pharmacies are not ring members, the claims are fraud
    claims).
group_hospitalisation, recipe waves (members: institution, 1-3 doctors, recruits, recruiter)
    A private hospital or township centre (hard: county/private hub) admits 15-50 (hard
    6-15) recruits from 1-3 villages of its county, 80% aged 60+ or poor, in 4-6 (hard 2-4)
    waves: each recruit joins a wave with p=0.85 (hard 0.7), admissions within 3 (hard 6)
    days, stays of the same length +-1 day (hard +-2), two mild diagnoses (M54.5, J44.9,
    I63.9, K29.7, M17.9), bills within +-3% (hard +-8%) of each other. In 25% of stays the
    recruit is in hospital on paper only (挂床) and buys drugs at the home pharmacy during
    the stay (a genuine claim, not a fraud claim); 15% of stays are followed 1-3 days after
    discharge by a readmission at half the bill (split admission, 分解住院; a fraud
    claim). Half (hard 30%) of the recruits carry the recruiter's phone as ``phone_key``;
    the recruiter (a villager aged 30-59 with no fraud claims) is a ring member when
    anyone carries the phone.
identity_misuse, recipe cashier (members: institution, the cashier operator, cards + persons)
    A private hospital or township centre (hard: county/private hub) settles 1-3 stays per
    card, all by one cashier, for 5-12 (hard 3-5) cards where the service does not fit the
    holder: after the holder's ``death_date``; prostate (N40) on a woman; childbirth (O80)
    on a woman over 70; or a stay (K80.2) overlapping the holder's own genuine stay at their
    usual hospital (that genuine stay is not a fraud claim).

The second recipes (drawn scenarios only; structurally different, not a parameter tweak)
---------------------------------------------------------------------------------------
card_lending, recipe broker (members: the pharmacies used, the operators who swiped, cards)
    A broker collects 10-60 cards of unrelated employees from other towns and has them
    swiped in 2-5 long sessions at 1-3 pharmacies, a card every 1-8 minutes, by one of
    two operators per counter. Each card is swiped once or twice: its ring swipes are
    5-15% of its owner's own yearly claims, so there is little lockstep across days.
kickback, recipe steering (members: 2-3 doctors, the far pharmacy, 10-40 patients)
    Doctors of a big hospital (at a hub: the busiest one) send patients to one pharmacy
    in another county. Visit (outpatient, with the doctor) and purchase (high-value drug)
    are separate claims on the same or the next day, and the purchase has NO doctor_id:
    only the timing ties doctor and pharmacy together.
group_hospitalisation, recipe unindicated (members: institution, 1-3 doctors, recruits)
    Recruits are fetched a few at a time (a van at most weekly) all year round and
    admitted 2-3 times each for conditions that need no stay (cold, gastritis, back pain,
    hypertension), 4-6 days, on one package price. No waves to find: the same people at
    the same institution, on the same bill, spread over the year.
identity_misuse, recipe far_cards (members: institution, cards + persons)
    Cards of holders living in another county are used for 1-2 stays each at one
    institution while the holders' own purchases go on at home during the stay. No one
    cashier settles them (whoever is at the desk; where the scenario records operators
    on pharmacy swipes only, none at all); 20-60% of the stays are impossible for the
    holder (prostate on a woman, childbirth on a man or a woman over 58).

The hard negatives (legitimate; a good detector keeps them out of the top cases)
--------------------------------------------------------------------------------
family: households of 3+ (shared address_key, often phone_key) seen together 4-10 times:
    one parent swipes all family cards at the usual pharmacy minutes apart, or the whole
    family visits the village clinic on one morning. Members: persons + cards.
screening_day: 80% of a village's adults (35+) screened at the township centre on one
    day (35%: a spring and an autumn round) with identical ~85-yuan bills (diagnosis Z00.0).
    Members: the centre, its doctors, persons + cards.
checkup: a school's pupils (one town) or a company's staff (the whole county, unrelated
    addresses) examined at a big hospital on one or two days, identical bills.
    Members: the hospital, its doctors, persons + cards.
busy_pharmacy: the busiest pharmacies by a hospital door: on 60-120 weekdays one
    operator fills 8-24 prescriptions in a morning rush, each just after the patient's
    outpatient visit at the hospital (doctor_id = that visit's doctor), different patients
    every day. Members: pharmacy, operator, persons + cards served in the rushes.
chronic_refill: one doctor's 15-40 chronic patients (same town) all refill monthly with
    that doctor's prescription at the pharmacy by the doctor's door, ordinary drugs and
    doses. Members: doctor, pharmacy, persons + cards.
Drawn scenarios add (as often as the draw says):
cataract_campaign: 白内障复明. A county or private hospital buses in 20-80 villagers aged
    60+ from 2-5 villages within three weeks, each admitted once for 1-3 days (H25.9,
    phaco + lens, ~4,100 yuan, within a few percent); 15-40% come back 2-6 weeks later
    for the second eye. Members: the hospital, 2 surgeons, persons + cards.
mutual_aid: 家庭共济. An employee's card (personal account) pays 6-20 times a year for
    spouse, children and often an elderly parent in another village (whose record may
    carry the employee's phone): at the relative's pharmacy or clinic, for complaints
    that do not fit the card holder's sex or age (N76.0 on a man's card, a child's cold),
    15% within an hour of the employee's own purchase at home. Members: the employee and
    the relatives, persons + cards.
special_refill: 门诊慢特病/双通道. 8-25 patients of one specialist at a big hospital
    (CML, myeloma, lung or breast cancer) refill one expensive drug every month at the
    pharmacy facing the hospital with the specialist's prescription, seeing the
    specialist every second month. Members: doctor, pharmacy, persons + cards.

What separates them from fraud, as DOMAIN.md says: repetition across many days by the same
set of people (lockstep) vs once or rarely; unrelated people (different villages,
households) vs a household or village; high-value drugs and amounts vs ordinary ones;
distance (another county) vs next door; near-identical inpatient bills in waves vs
outpatient screening; services that do not fit the holder.
"""

from graphscan.examples.city.generator import DIFFICULTIES, FORMATS, Summary, generate_city

__all__ = ["DIFFICULTIES", "FORMATS", "Summary", "generate_city"]

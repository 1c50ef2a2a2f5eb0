"""Write the synthetic example exports in ``examples/<source>/`` from the crosswalks themselves.

Why a generator and not hand-made files: the examples exist to show partners what a
conforming export looks like and to prove, in the test suite, that the bundled crosswalks read
such exports completely. Hand-written files drift from the contract silently; these are drawn
from each crosswalk's own ``values`` keys, ``split`` delimiters, ``missing_codes``, export
delimiter and encoding, and date format, so a code renamed in a crosswalk either changes the
examples (and ``--check`` says so) or stops this script with the name of the missing code.

Why the numbers look the way they do: the shares follow the public figures quoted in the CTDC
data-sharing slides and domain notes §3 (see ``examples/README.md`` for each figure and which
ones are assumptions). The records are synthetic: no row describes a real person or case.

Why it is byte-reproducible: one ``random.Random`` with a fixed seed, integer weights only, no
iteration over sets or hash-ordered data, ``\\n`` line endings and no floats in the output, so
``python examples/make_examples.py --check`` can fail CI when the committed files are stale.

Usage::

    python examples/make_examples.py          # (re)write the example files
    python examples/make_examples.py --check  # exit 1 if a committed file differs
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import TYPE_CHECKING

import pycountry

from ctdc_schema import atomic
from ctdc_schema.crosswalk.loader import load

if TYPE_CHECKING:
    from ctdc_schema.datamodel.crosswalk import Crosswalk, ValueMapping, Variable

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CROSSWALKS = ROOT / "crosswalks"

#: one seed for everything; changing it rewrites every example file
SEED = 20170301

Target = tuple[str, ...]
Weights = Sequence[tuple[str, int]]


class ContractError(RuntimeError):
    """A code or column this script relies on is no longer in the crosswalk (contract drift)."""


# --------------------------------------------------------------------------------------------
# Reading the contract
# --------------------------------------------------------------------------------------------


def load_crosswalk(relative: str) -> Crosswalk:
    """The crosswalk model; refuses to generate from a crosswalk the loader cannot read."""
    loaded, findings = load(CROSSWALKS / relative)
    if loaded is None:
        messages = "; ".join(str(finding) for finding in findings)
        raise ContractError(f"{relative} does not load: {messages}")
    return loaded.model


def variable(crosswalk: Crosswalk, column: str, slot: str) -> Variable:
    """The variable reading ``column`` into ``slot`` (a column may feed several slots)."""
    for candidate in crosswalk.variables:
        if column in candidate.column and candidate.slot == slot:
            return candidate
    raise ContractError(f"{crosswalk.source}@{crosswalk.version}: no variable {column} -> {slot}")


#: the "target" of a code that says the slot is unknown (``unknown: true``)
UNKNOWN: Target = ("<unknown>",)


def target_of(mapping: ValueMapping) -> Target:
    """The target values a code lands on, sorted; () for a code that adds nothing, UNKNOWN for
    a code that says the slot is unknown. Conditional cases are not considered."""
    if mapping.unknown:
        return UNKNOWN
    if mapping.values:
        return tuple(sorted(mapping.values))
    return (mapping.value,) if mapping.value is not None else ()


def code_for(var: Variable, target: Target) -> str:
    """The first code (in the crosswalk's order) that lands on exactly ``target``.

    The first-listed code is the export's own spelling; later codes with the same target are
    variants (public-statistics spellings, misspellings) that a real export rarely carries.
    """
    for code, mapping in (var.values or {}).items():
        if target_of(mapping) == tuple(sorted(target)):
            return code
    raise ContractError(f"no code of {var.column[0]} -> {var.slot} lands on {target}")


def codes_for(var: Variable, target: Target) -> list[str]:
    """Every code that lands on exactly ``target``, in the crosswalk's order."""
    return [code for code, mapping in (var.values or {}).items()
            if target_of(mapping) == tuple(sorted(target))]


def require(var: Variable, weights: Weights) -> Weights:
    """``weights`` unchanged, after checking that every code is one the crosswalk maps.

    Weight tables name source codes because the published figures are per code (e.g. Polaris's
    venue counts); checking them against ``values`` keeps them from drifting from the contract.
    """
    known = var.values or {}
    for code, _ in weights:
        if code not in known:
            raise ContractError(f"'{code}' is not a code of {var.column[0]} -> {var.slot}")
    return weights


def pool(var: Variable, weights: Weights, default: int = 1,
         exclude: Sequence[Target] = ((),)) -> list[tuple[str, int]]:
    """Weighted codes of ``var``: the weighted ones, plus every other target's first code.

    Targets without a published figure still appear (at ``default`` weight), so a value added
    to the crosswalk shows up in the examples instead of being silently ignored.
    """
    chosen = list(require(var, weights))
    reached = {target_of((var.values or {})[code]) for code, _ in chosen}
    for code, mapping in (var.values or {}).items():
        target = target_of(mapping)
        if target in reached or target in exclude:
            continue
        reached.add(target)
        chosen.append((code, default))
    return [(code, weight) for code, weight in chosen if weight > 0]


def missing_code(crosswalk: Crosswalk, text: str) -> str:
    """``text`` if the crosswalk declares it a missing code (blank is written as '')."""
    if text not in (crosswalk.missing_codes or []):
        raise ContractError(f"{crosswalk.source}: '{text}' is not a declared missing code")
    return text


def header_covers(crosswalk: Crosswalk, header: Sequence[str]) -> None:
    """Every column the crosswalk reads (other than constants) is in the export's header."""
    for var in crosswalk.variables:
        for column in var.column or []:
            if column not in header:
                raise ContractError(f"{crosswalk.source}: column '{column}' missing from header")


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------


def pick(rng: Random, weights: Weights) -> str:
    """One code by integer weight (integers keep the draw identical on every platform)."""
    codes = [code for code, _ in weights]
    return rng.choices(codes, weights=[weight for _, weight in weights])[0]


def pick_some(rng: Random, weights: Weights, count: int) -> list[str]:
    """``count`` distinct codes by weight, without replacement."""
    remaining = list(weights)
    chosen: list[str] = []
    while remaining and len(chosen) < count:
        code = pick(rng, remaining)
        chosen.append(code)
        remaining = [(c, w) for c, w in remaining if c != code]
    return chosen


def deal(rng: Random, shares: Weights, count: int) -> list[str]:
    """Exactly ``count`` items in the proportions of ``shares`` (largest remainder), shuffled.

    Used for the figures the tests compare with the seed (trafficking types, gender, age
    groups, IOM exploitation shares): a quota keeps a 300-row file on the published shares
    instead of wherever sampling noise puts it.
    """
    total = sum(weight for _, weight in shares)
    exact = [(code, weight * count) for code, weight in shares]
    counts = {code: numerator // total for code, numerator in exact}
    short = count - sum(counts.values())
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i][1] % total), i))
    for index in by_remainder[:short]:
        counts[exact[index][0]] += 1
    items = [code for code, _ in shares for _ in range(counts[code])]
    rng.shuffle(items)
    return items


def ordered(var: Variable, codes: Sequence[str]) -> str:
    """A multi-select cell: items in the crosswalk's order, joined by the contract's ``split``."""
    if var.split is None:
        raise ContractError(f"{var.column[0]} is not a multi-select column")
    order = list(var.values or {})
    return var.split.join(sorted(dict.fromkeys(codes), key=order.index))


def day_between(rng: Random, first: date, last: date) -> date:
    """A uniformly drawn day in [first, last]."""
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def country_code(var: Variable, text: str) -> str | None:
    """How the crosswalk resolves a country cell: explicit values first, then pycountry."""
    mapping = (var.values or {}).get(text)
    if mapping is not None:
        return mapping.value
    fmt = str(var.transform.country_format) if var.transform else "name"
    try:
        if fmt == "alpha_2":
            found = pycountry.countries.get(alpha_2=text)
        else:
            found = pycountry.countries.lookup(text)
    except LookupError:
        found = None
    return str(found.alpha_2) if found is not None else None


def checked_country(var: Variable, text: str, alpha_2: str) -> str:
    """``text`` after proving it resolves to ``alpha_2`` exactly as the crosswalk would."""
    if country_code(var, text) != alpha_2:
        raise ContractError(f"'{text}' does not resolve to {alpha_2} under {var.column[0]}")
    return text


# --------------------------------------------------------------------------------------------
# Polaris
# --------------------------------------------------------------------------------------------

POLARIS_HEADER = (
    "Case ID", "Potential Victim No.", "Date Case Created", "Trafficking Type", "Venue/Industry",
    "Gender", "Age Group", "Citizenship", "Means of Control", "Recruiter Relationship", "State",
    "Indicator Level",
)

#: Polaris 2016 cases by trafficking type (domain notes §3): Sex 5,551 / Labor 1,057 /
#: Sex and Labor 268 / Not specified 696; applied to both windows (no later figure in the seed).
POLARIS_TYPES: Sequence[tuple[Target, int]] = (
    (("sexual_exploitation",), 5551),
    (("forced_labour",), 1057),
    (("forced_labour", "sexual_exploitation"), 268),
    ((), 696),
)
#: potential victims by gender, 2016: female 6,340 / male 978 / gender minorities 70, plus an
#: assumed 5% not recorded
POLARIS_GENDER: Sequence[tuple[Target, int]] = (
    (("female",), 6340), (("male",), 978), (("transgender_nonconforming",), 70), ((), 390),
)
#: adults 4,890 / minors 2,387 (2016), plus an assumed 12% not recorded
POLARIS_AGE: Sequence[tuple[Target, int]] = (
    (("adult",), 4890), (("minor",), 2387), ((), 990),
)
#: named citizenships, in the slides' order (United States first); the tail is an assumption
POLARIS_NATIONALITIES: Weights = (
    ("US", 300), ("MX", 160), ("PH", 90), ("GT", 70), ("CN", 60), ("HN", 50), ("SV", 42),
    ("IN", 38), ("BR", 30), ("DO", 28), ("HT", 12), ("JM", 10), ("NG", 10), ("TH", 10),
    ("VN", 10), ("CO", 8), ("EC", 8), ("NI", 6), ("PE", 6), ("ID", 6), ("RU", 6), ("MM", 4),
    ("CI", 4), ("TR", 3), ("UA", 4), ("KE", 4),
)
#: how hotline staff write each country when they use its plain name; countries missing here
#: are written only with the crosswalk's explicit spellings (e.g. "Russia", "Burma")
POLARIS_NAMES: Mapping[str, str] = {
    "US": "United States", "MX": "Mexico", "PH": "Philippines", "GT": "Guatemala",
    "CN": "China", "HN": "Honduras", "SV": "El Salvador", "IN": "India", "BR": "Brazil",
    "DO": "Dominican Republic", "HT": "Haiti", "JM": "Jamaica", "NG": "Nigeria",
    "TH": "Thailand", "VN": "Vietnam", "CO": "Colombia", "EC": "Ecuador", "NI": "Nicaragua",
    "PE": "Peru", "ID": "Indonesia", "UA": "Ukraine", "KE": "Kenya",
}
#: Polaris's US status values (citizen or permanent resident: country unknown); the export
#: writes the first
POLARIS_US_STATUS: Weights = (
    ("U.S. Citizen/LPR", 1), ("U.S. Citizen/Lawful Permanent Resident", 0),
)
#: not a US citizen or permanent resident, country not recorded
POLARIS_FOREIGN: Weights = (("Foreign National", 1),)
#: states with the most hotline cases (assumed order); the column is not mapped
POLARIS_STATES: Weights = (
    ("California", 24), ("Texas", 14), ("Florida", 11), ("New York", 8), ("Ohio", 6),
    ("Georgia", 5), ("Michigan", 5), ("Nevada", 4), ("North Carolina", 4), ("Illinois", 4),
    ("New Jersey", 4), ("Virginia", 4), ("Pennsylvania", 4), ("Washington", 3), ("Arizona", 3),
    ("Maryland", 3), ("Tennessee", 3), ("Colorado", 2), ("Oregon", 2), ("Louisiana", 2),
)
#: 2016 potential victims: 7,767 high / 9,045 moderate indicators (not mapped)
POLARIS_INDICATORS: Weights = (("High", 7767), ("Moderate", 9045))

#: pre-typology venues (1.0.0): the two 2016 figures of the notes; the rest are assumptions
VENUES_2016_SEX: Weights = (
    ("Hotel/Motel-based", 584), ("Commercial-front Brothel", 559), ("Online Ad. Venue", 420),
    ("Residential Brothel", 300), ("Escort/Delivery Service", 260), ("Street-based", 230),
)
#: 2016 top labour industries of the notes (Domestic Work 201, Agriculture 124, Traveling Sales
#: Crews 100, Restaurant/Food Service 75, Health & Beauty 45); the rest are assumptions
VENUES_2016_LABOUR: Weights = (
    ("Domestic Work", 201), ("Agriculture/Farms", 124), ("Traveling Sales Crews", 100),
    ("Restaurant/Food Service", 75), ("Health & Beauty Services", 45), ("Construction", 35),
    ("Peddling/Begging", 30), ("Factory/Manufacturing", 25),
)
#: typology venues (1.1.0): 2017 figures of the notes; types without a figure are assumptions
VENUES_2019_SEX: Weights = (
    ("Escort Services", 1572), ("Illicit Massage, Health & Beauty", 774), ("Residential", 508),
    ("Outdoor Solicitation", 329), ("Bars, Strip Clubs & Cantinas", 194), ("Pornography", 120),
    ("Personal Sexual Servitude", 80), ("Remote Interactive Sexual Acts", 60),
)
VENUES_2019_LABOUR: Weights = (
    ("Domestic Work", 242), ("Agriculture & Animal Husbandry", 134), ("Peddling & Begging", 109),
    ("Illicit Activities", 104), ("Traveling Sales Crews", 95), ("Restaurants & Food Service", 80),
    ("Health & Beauty Services", 60), ("Construction", 50), ("Hotels & Hospitality", 40),
    # the 2017 statistics' top "sex and labor" types, in labour cases
    ("Bars, Strip Clubs & Cantinas", 30), ("Illicit Massage, Health & Beauty", 25),
    ("Landscaping", 30), ("Factories & Manufacturing", 25), ("Commercial Cleaning Services", 20),
    ("Arts & Entertainment", 20), ("Health Care", 15), ("Carnivals", 15),
    ("Forestry & Logging", 10), ("Recreational Facilities", 10),
)
POLARIS_MEANS: Weights = (
    ("Psychological abuse", 20), ("Takes/Withholds Earnings", 16),
    ("Threats to individual or others", 14), ("Physical abuse", 12),
    ("Denied freedom of movement/kept in isolation", 10), ("False promises/deception", 10),
    ("Use of psychoactive substances", 7), ("Sexual abuse", 7), ("Excessive working hours", 6),
    ("Withholds/Destroys Important Documents", 5), ("Debt bondage", 5),
    ("Restricts access to finances", 3), ("Withholds/denies basic necessities", 3),
    ("Threat of action by law enforcement", 3), ("Other", 2),
)
POLARIS_RECRUITER_SEX: Weights = (
    ("Intimate Partner", 40), ("Family Member", 25), ("Friend/Acquaintance", 20), ("Other", 10),
    ("Employer", 3), ("Smuggler", 1), ("Labor Broker/Recruiter", 1),
)
POLARIS_RECRUITER_LABOUR: Weights = (
    ("Employer", 40), ("Labor Broker/Recruiter", 25), ("Family Member", 12),
    ("Friend/Acquaintance", 10), ("Other", 8), ("Smuggler", 5), ("Intimate Partner", 2),
)


@dataclass(frozen=True)
class PolarisWindow:
    """One export file: its crosswalk version, delivery date, case dates, size and venues."""

    crosswalk: str
    output: str
    delivered: date
    first: date
    last: date
    rows: int
    venues_sex: Weights
    venues_labour: Weights


#: Polaris versions follow the delivery date (typology from 2017-03-29); the delivery dates are
#: assumptions that place each file in its version's window
POLARIS_FILES = (
    PolarisWindow("polaris/2.0.0.yaml", "polaris/hotline_export_2016.csv", date(2017, 3, 15),
                  date(2015, 1, 1), date(2017, 2, 28), 300, VENUES_2016_SEX,
                  VENUES_2016_LABOUR),
    PolarisWindow("polaris/2.1.0.yaml", "polaris/hotline_export_2019.csv", date(2020, 1, 31),
                  date(2017, 3, 1), date(2019, 12, 31), 400, VENUES_2019_SEX,
                  VENUES_2019_LABOUR),
)


def polaris_missing(rng: Random, crosswalk: Crosswalk) -> str:
    """Hotline staff leave a field blank about as often as they write "Unknown"."""
    return missing_code(crosswalk, rng.choice(("", "Unknown")))


def polaris_case_sizes(rng: Random, rows: int) -> list[int]:
    """Potential victims per case: mostly one, sometimes a few (cases may involve several)."""
    sizes: list[int] = []
    while sum(sizes) < rows:
        sizes.append(int(pick(rng, (("1", 80), ("2", 13), ("3", 5), ("4", 2)))))
    sizes[-1] -= sum(sizes) - rows
    return sizes


def polaris_citizenships(rng: Random, crosswalk: Crosswalk, rows: int) -> list[str]:
    """Citizenship cells: mostly unrecorded, else a US status value or a country name.

    Dealt as a quota (55% unrecorded, 14% "U.S. Citizen/LPR", 6% "Foreign National", 25%
    named countries in the slides' order) so that a few hundred rows keep the slides' ranking;
    a fifth of the names use one of the crosswalk's explicit spellings (misspellings, short
    names), the others the plain name, and every cell is proven to resolve as intended.
    """
    var = variable(crosswalk, "Citizenship", "citizenship")
    status = [code for code, _ in require(var, POLARIS_US_STATUS)]
    named = sum(weight for _, weight in POLARIS_NATIONALITIES)
    shares = [("missing", 55 * named), ("status", 14 * named), ("foreign", 6 * named)]
    shares += [(code, 25 * weight) for code, weight in POLARIS_NATIONALITIES]
    cells: list[str] = []
    for kind in deal(rng, shares, rows):
        if kind == "missing":
            cells.append(polaris_missing(rng, crosswalk))
            continue
        if kind == "status":
            cells.append(status[0])  # the export's own spelling; the long form is the statistics'
            continue
        if kind == "foreign":
            cells.append(require(var, POLARIS_FOREIGN)[0][0])
            continue
        variants = [code for code in codes_for(var, (kind,)) if code not in status]
        plain = POLARIS_NAMES.get(kind)
        if plain is None or (variants and rng.randrange(100) < 20):
            if not variants:
                raise ContractError(f"no hotline spelling for {kind}")
            plain = rng.choice(variants)
        cells.append(checked_country(var, plain, kind))
    return cells


def polaris_venues(rng: Random, crosswalk: Crosswalk, window: PolarisWindow,
                   kinds: Sequence[Target]) -> list[str]:
    """Venue/Industry of each case: sex venues from the sex variable's codes, industries from
    the labour variable's codes, one of each for Sex and Labor; unrecorded for cases of
    unspecified type and for some others.

    The first venue of each case is dealt as a quota over the cases that need one, so that the
    published ranking (e.g. Domestic Work first among labour industries) survives a file in
    which only a few dozen cases are labour trafficking; a rare second venue is drawn freely.
    """
    sex = variable(crosswalk, "Venue/Industry", "sex_exploitation_types")
    labour = variable(crosswalk, "Venue/Industry", "labour_sectors")
    if sex.split != labour.split or sex.split is None:
        raise ContractError("the two Venue/Industry variables split the column differently")
    # the pre-typology "Other" (adds nothing, whatever the case); the typology has none
    unknown = [code for code in codes_for(sex, ()) if not (sex.values or {})[code].cases]
    recorded = [bool(kind) and rng.randrange(100) >= 15 for kind in kinds]
    parts = (("sexual_exploitation", sex, pool(sex, window.venues_sex), 8),
             ("forced_labour", labour, pool(labour, window.venues_labour), 5))
    queues = {
        name: iter(deal(rng, weights, sum(1 for kind, known in zip(kinds, recorded, strict=True)
                                          if known and name in kind)))
        for name, _, weights, _ in parts
    }
    cells: list[str] = []
    for kind, known in zip(kinds, recorded, strict=True):
        if not known:
            use_other = unknown and rng.randrange(100) < 40
            cells.append(unknown[0] if use_other else polaris_missing(rng, crosswalk))
            continue
        cell: list[str] = []
        for name, var, weights, second in parts:
            if name not in kind:
                continue
            items = [next(queues[name])]
            if rng.randrange(100) < second:
                items += pick_some(rng, [(c, w) for c, w in weights if c != items[0]], 1)
            cell.append(ordered(var, items))
        cells.append(sex.split.join(cell))
    return cells


def polaris_means(rng: Random, crosswalk: Crosswalk, kind: Target, age: Target) -> str:
    """Means of control: often not reported (callers are not asked standard questions)."""
    var = variable(crosswalk, "Means of Control", "means_of_control")
    roll = rng.randrange(100)
    if roll < 40:
        return polaris_missing(rng, crosswalk)
    if roll < 50:
        return code_for(var, UNKNOWN)  # "Not Specified": no information
    items = pick_some(rng, pool(var, POLARIS_MEANS, exclude=((), UNKNOWN,
                                                              ("minor_sexually_exploited",))),
                      int(pick(rng, (("1", 45), ("2", 30), ("3", 17), ("4", 8)))))
    if age == ("minor",) and "sexual_exploitation" in kind and rng.randrange(100) < 60:
        items.append(code_for(var, ("minor_sexually_exploited",)))
    return ordered(var, items)


def polaris_recruiter(rng: Random, crosswalk: Crosswalk, kind: Target) -> str:
    """Recruiter relationship: mostly blank or "Not Specified"; employers in labour cases."""
    var = variable(crosswalk, "Recruiter Relationship", "recruiter_relationships")
    roll = rng.randrange(100)
    if roll < 45:
        return polaris_missing(rng, crosswalk)
    if roll < 70:
        return code_for(var, UNKNOWN)  # "Not Specified": no information
    table = POLARIS_RECRUITER_LABOUR if kind == ("forced_labour",) else POLARIS_RECRUITER_SEX
    items = pick_some(rng, pool(var, table, exclude=((), UNKNOWN)),
                      2 if rng.randrange(100) < 6 else 1)
    return ordered(var, items)


def polaris_rows(rng: Random, crosswalk: Crosswalk, window: PolarisWindow) -> list[list[str]]:
    """One row per potential victim; the rows of a case share date, type and venue."""
    header_covers(crosswalk, POLARIS_HEADER)
    date_var = variable(crosswalk, "Date Case Created", "year_of_registration")
    date_format = date_var.transform.date_format if date_var.transform else None
    if not date_format:
        raise ContractError("Date Case Created has no date_format")
    types = variable(crosswalk, "Trafficking Type", "exploitation_types")
    gender = variable(crosswalk, "Gender", "gender")
    age_group = variable(crosswalk, "Age Group", "majority_status")

    sizes = polaris_case_sizes(rng, window.rows)
    case_types = deal(rng, [(",".join(t), w) for t, w in POLARIS_TYPES], len(sizes))
    genders = deal(rng, [(",".join(t), w) for t, w in POLARIS_GENDER], window.rows)
    ages = deal(rng, [(",".join(t), w) for t, w in POLARIS_AGE], window.rows)
    citizenships = polaris_citizenships(rng, crosswalk, window.rows)
    kinds: list[Target] = [tuple(key.split(",")) if key else () for key in case_types]
    venues = polaris_venues(rng, crosswalk, window, kinds)
    case_days = sorted(day_between(rng, window.first, window.last) for _ in sizes)
    first_id = 100000 + 40000 * (window.first.year - 2015)

    rows: list[list[str]] = []
    person = 0
    for number, (size, created, kind, venue) in enumerate(
            zip(sizes, case_days, kinds, venues, strict=True)):
        case_id = f"C{first_id + number * 7 + rng.randrange(7):06d}"
        state = pick(rng, POLARIS_STATES)
        for victim in range(1, size + 1):
            sex_key, age_key = genders[person], ages[person]
            person += 1
            age: Target = (age_key,) if age_key else ()
            rows.append([
                case_id,
                str(victim),
                created.strftime(date_format),
                code_for(types, kind or UNKNOWN),
                venue,
                code_for(gender, (sex_key,)) if sex_key else polaris_missing(rng, crosswalk),
                code_for(age_group, age) if age else polaris_missing(rng, crosswalk),
                citizenships[person - 1],
                polaris_means(rng, crosswalk, kind, age),
                polaris_recruiter(rng, crosswalk, kind),
                state,
                pick(rng, POLARIS_INDICATORS),
            ])
    return rows


# --------------------------------------------------------------------------------------------
# IOM
# --------------------------------------------------------------------------------------------

IOM_HEADER = (
    "case_id", "registration_date", "gender", "age_at_registration", "age_at_exploitation_start",
    "age_at_entry", "citizenship", "country_of_exploitation", "exploitation_types",
    "forced_labour_industry", "sex_exploitation_type", "means_of_control",
    "relationship_to_recruiter", "abduction",
)
IOM_ROWS = 500
#: registrations by year (assumed: legacy 2002-2011, MiMOSA from 2012, peak 2016-2018)
IOM_YEARS: Weights = tuple((str(year), weight) for year, weight in (
    (2002, 3), (2003, 3), (2004, 4), (2005, 4), (2006, 5), (2007, 5), (2008, 5), (2009, 5),
    (2010, 5), (2011, 5), (2012, 4), (2013, 4), (2014, 5), (2015, 6), (2016, 8), (2017, 8),
    (2018, 7), (2019, 6), (2020, 4),
))
#: top ten of the slides in order (Ukraine ... Bulgaria); the tail is an assumption
IOM_NATIONALITIES: Weights = (
    ("UA", 100), ("MD", 75), ("BY", 45), ("ID", 40), ("RO", 30), ("KG", 26), ("MM", 25),
    ("UZ", 24), ("KH", 20), ("BG", 18), ("PH", 14), ("VN", 10), ("NP", 10), ("TH", 9),
    ("LA", 9), ("RS", 9), ("AL", 8), ("HT", 8), ("NG", 8), ("GH", 7), ("KZ", 7), ("TJ", 7),
    ("RU", 5), ("ET", 5), ("BD", 5), ("XK", 3),
)
#: where citizens of each country were last exploited (assumed routes; own code = domestic)
IOM_DESTINATIONS: Mapping[str, Weights] = {
    "UA": (("RU", 40), ("UA", 25), ("PL", 15), ("TR", 8), ("IL", 6), ("AE", 6)),
    "MD": (("RU", 35), ("TR", 20), ("MD", 15), ("AE", 10), ("UA", 10), ("IT", 10)),
    "BY": (("RU", 60), ("BY", 15), ("PL", 10), ("DE", 8), ("TR", 7)),
    "ID": (("MY", 45), ("SA", 25), ("ID", 15), ("SG", 8), ("AE", 7)),
    "RO": (("IT", 30), ("ES", 25), ("RO", 20), ("DE", 15), ("GB", 10)),
    "KG": (("KZ", 45), ("RU", 45), ("KG", 10)),
    "MM": (("TH", 55), ("MY", 20), ("CN", 15), ("MM", 10)),
    "UZ": (("KZ", 45), ("RU", 45), ("UZ", 10)),
    "KH": (("TH", 60), ("MY", 25), ("KH", 15)),
    "BG": (("GR", 30), ("DE", 20), ("NL", 15), ("BG", 20), ("ES", 15)),
    "RS": (("RS", 40), ("BA", 20), ("IT", 20), ("XK", 10), ("ME", 10)),
    "XK": (("XK", 50), ("RS", 30), ("DE", 20)),
}
#: IOM exploitation shares of the slides: Sex and Labour 36.17% / Sex 32.63% / Labour 27.21% /
#: Other or unspecified 3.99%
IOM_EXPLOITATION: Weights = (
    ("sex_and_labour", 3617), ("sex", 3263), ("labour", 2721), ("other", 399),
)
#: the rarer types of the "Other/Unspecified" share (assumed weights; unlisted types weigh 1)
IOM_OTHER_EXPLOITATION: Weights = (
    ("Other", 4), ("ForcedMarriage", 3), ("Servitude", 2), ("ChildLabour", 2),
)
#: ISIC sections of forced labour; the order follows the slides' top five (domestic work,
#: construction, agriculture, manufacturing; begging comes from ForcedBegging)
IOM_INDUSTRIES: Weights = (
    ("T_ActivitiesOfHouseholdsAsEmployers", 30), ("F_Construction", 22),
    ("A_AgricultureForestryAndFishing", 17), ("C_Manufacturing", 15),
    ("I_AccommodationAndFoodServiceActivities", 4),
    ("G_WholesaleAndRetailTradeRepairOfMotorVehicles", 3), ("S_OtherServiceActivities", 2),
    ("H_TransportationAndStorage", 2), ("B_MiningAndQuarrying", 2),
)
IOM_SEX_TYPES: Weights = (
    ("Prostitution", 85), ("Pornography", 8), ("PrivateSexualServices", 4),
    ("RemoteInteractiveServices", 3),
)
IOM_MEANS: Weights = (
    ("PsychologicalAbuse", 20), ("PhysicalThreats", 18), ("FalsePromises", 16),
    ("PhysicalAbuse", 15), ("TakesEarnings", 14), ("RestrictsMovement", 14),
    ("WithholdsDocuments", 12), ("ExcessiveWorkingHours", 10), ("DebtBondage", 8),
    ("SexualAbuse", 8), ("WithholdsNecessities", 8), ("ThreatsLawEnforcement", 5),
    ("RestrictsFinancialAccess", 4), ("RestrictsMedicalCare", 3), ("PsychoactiveSubstance", 3),
    ("ThreatensChildrenFamily", 2), ("Other", 2),
)
IOM_RECRUITERS: Weights = (
    ("FriendOrAcquaintance", 35), ("Other", 25), ("Familial", 12), ("Unaquainted", 12),
    ("IntimatePartner", 8),
)
#: age at registration: about a quarter minors (the brief's 20-30%), 5% not recorded (assumed)
IOM_AGE_GROUPS: Weights = (("adult", 70), ("minor", 25), ("missing", 5))
#: codes IOM's forms only have from 2017 (gender identity, new sexual-exploitation forms)
FROM_2017 = ("TransgenderFeminine", "TransgenderMasculine", "NonConforming",
             "PrivateSexualServices", "RemoteInteractiveServices")


def iom_missing(crosswalk: Crosswalk) -> str:
    """IOM writes -99 for every missing value (CTDC codebook; domain notes §3)."""
    return missing_code(crosswalk, "-99")


def iom_date(rng: Random) -> date:
    """A registration date; some legacy missions recorded only the year (exported as 1 Jan)."""
    year = int(pick(rng, IOM_YEARS))
    if year <= 2011 and rng.randrange(100) < 10:
        return date(year, 1, 1)
    return day_between(rng, date(year, 1, 1), date(year, 12, 31))


def legacy_country(code: str, registered: date) -> str:
    """The code a record registered on ``registered`` carries (codes valid at the time)."""
    if code in ("RS", "ME", "XK"):
        if registered < date(2003, 2, 4):
            return "YU"
        if registered < date(2006, 6, 3):
            return "CS"
    return code


def iom_ages(rng: Random, group: str, crosswalk: Crosswalk) -> tuple[str, str, str]:
    """Exact ages at registration, at the start of exploitation and at entry (recruitment).

    Later ages are never below earlier ones; the earlier ages come from the person's account and
    are missing more often (-99), as the crosswalk's notes say.
    """
    missing = iom_missing(crosswalk)
    if group == "missing":
        return missing, missing, missing
    if group == "minor":
        age = int(pick(rng, [(str(a), w) for a, w in ((8, 1), (9, 1), (10, 1), (11, 2), (12, 3),
                                                       (13, 4), (14, 6), (15, 8), (16, 10),
                                                       (17, 11))]))
    elif rng.randrange(100) < 85:
        age = 18 + rng.randrange(23)
    else:
        age = 41 + rng.randrange(20)
    start = max(age - int(pick(rng, (("0", 40), ("1", 30), ("2", 15), ("3", 8), ("5", 7)))), 6)
    entry = max(start - int(pick(rng, (("0", 75), ("1", 20), ("2", 5)))), 5)
    return (str(age),
            str(start) if rng.randrange(100) >= 20 else missing,
            str(entry) if rng.randrange(100) >= 30 else missing)


def iom_gender(rng: Random, crosswalk: Crosswalk, category: str, registered: date) -> str:
    """Sex before 2017 (Feminine/Masculine), gender with transgender categories from 2017."""
    var = variable(crosswalk, "gender", "gender")
    female = {"sex": 95, "sex_and_labour": 85, "labour": 40, "other": 70}[category]
    table: list[tuple[str, int]] = [
        (code_for(var, ("female",)), female * 10), (code_for(var, ("male",)), (100 - female) * 10),
        (iom_missing(crosswalk), 8),
    ]
    if registered.year >= 2017:
        table += [(code, 3) for code in codes_for(var, ("transgender_nonconforming",))]
        table.append((code_for(var, UNKNOWN), 10))
    return pick(rng, table)


def iom_exploitation(rng: Random, crosswalk: Crosswalk, category: str) -> list[str]:
    """Exploitation type codes for one of the slides' four categories."""
    var = variable(crosswalk, "exploitation_types", "exploitation_types")
    sexual = code_for(var, ("sexual_exploitation",))
    labour = [(code, 92 if code == code_for(var, ("forced_labour",)) else 8)
              for code in codes_for(var, ("forced_labour",))]  # ForcedLabour, ForcedBegging
    if category == "sex":
        return [sexual]
    if category == "labour":
        return [pick(rng, labour)]
    if category == "sex_and_labour":
        return [sexual, labour[0][0]]
    if rng.randrange(100) < 50:
        return []  # not recorded: -99
    return [pick(rng, pool(var, IOM_OTHER_EXPLOITATION, exclude=(
        (), ("sexual_exploitation",), ("forced_labour",))))]


def iom_rows(rng: Random, crosswalk: Crosswalk) -> list[list[str]]:
    """One row per assisted victim, 2002-2020, -99 wherever a value was not recorded."""
    header_covers(crosswalk, IOM_HEADER)
    missing = iom_missing(crosswalk)
    date_var = variable(crosswalk, "registration_date", "year_of_registration")
    date_format = (date_var.transform.date_format if date_var.transform else None) or "%Y-%m-%d"
    citizenship = variable(crosswalk, "citizenship", "citizenship")
    exploited_in = variable(crosswalk, "country_of_exploitation", "country_of_exploitation")
    types = variable(crosswalk, "exploitation_types", "exploitation_types")
    industries = variable(crosswalk, "forced_labour_industry", "labour_sectors")
    sex_types = variable(crosswalk, "sex_exploitation_type", "sex_exploitation_types")
    means = variable(crosswalk, "means_of_control", "means_of_control")
    recruiters = variable(crosswalk, "relationship_to_recruiter", "recruiter_relationships")
    abduction = variable(crosswalk, "abduction", "abducted")
    industry_pool = pool(industries, IOM_INDUSTRIES)
    sex_pool = pool(sex_types, IOM_SEX_TYPES)
    means_pool = pool(means, IOM_MEANS, exclude=((), UNKNOWN))
    recruiter_pool = pool(recruiters, IOM_RECRUITERS, exclude=((), UNKNOWN))

    categories = deal(rng, IOM_EXPLOITATION, IOM_ROWS)
    age_groups = deal(rng, IOM_AGE_GROUPS, IOM_ROWS)
    ids: set[str] = set()
    rows: list[list[str]] = []
    for category, group in zip(categories, age_groups, strict=True):
        registered = iom_date(rng)
        modern = registered.year >= 2017
        case_id = f"{rng.randrange(16 ** 8):08X}"
        while case_id in ids:
            case_id = f"{rng.randrange(16 ** 8):08X}"
        ids.add(case_id)

        nationality = pick(rng, IOM_NATIONALITIES)
        roll = rng.randrange(100)
        if roll < 3:
            citizen = missing
        elif roll < 4 and registered.year <= 2011:
            citizen = code_for(citizenship, ("ZZ",))
        else:
            citizen = checked_country(citizenship, legacy_country(nationality, registered),
                                      legacy_country(nationality, registered))
        destination = pick(rng, IOM_DESTINATIONS.get(nationality, ((nationality, 1),)))
        exploited = missing if rng.randrange(100) < 18 else checked_country(
            exploited_in, legacy_country(destination, registered),
            legacy_country(destination, registered))

        exploitation = iom_exploitation(rng, crosswalk, category)
        industry = missing
        if code_for(types, ("forced_labour",)) in exploitation and rng.randrange(100) >= 25:
            industry = ordered(industries, pick_some(rng, industry_pool,
                                                     2 if rng.randrange(100) < 5 else 1))
        sex_type = missing
        if code_for(types, ("sexual_exploitation",)) in exploitation and rng.randrange(100) >= 20:
            allowed = [(c, w) for c, w in sex_pool if modern or c not in FROM_2017]
            sex_type = ordered(sex_types, pick_some(rng, allowed,
                                                    2 if rng.randrange(100) < 6 else 1))
        roll = rng.randrange(100)
        if roll < 30:
            control = missing
        elif roll < 35:
            control = code_for(means, UNKNOWN)  # "NotSpecified": no information
        else:
            control = ordered(means, pick_some(rng, means_pool, 1 + rng.randrange(4)))
        roll = rng.randrange(100)
        if roll < 35:
            recruiter = missing
        elif roll < 40:
            recruiter = code_for(recruiters, UNKNOWN)  # "NotSpecified": no information
        else:
            recruiter = ordered(recruiters, pick_some(rng, recruiter_pool,
                                                      2 if rng.randrange(100) < 5 else 1))
        abducted = missing
        if modern and rng.randrange(100) >= 12:
            abducted = code_for(abduction, ("true",) if rng.randrange(100) < 9 else ("false",))

        rows.append([
            case_id,
            registered.strftime(date_format),
            iom_gender(rng, crosswalk, category, registered),
            *iom_ages(rng, group, crosswalk),
            citizen,
            exploited,
            ordered(types, exploitation) if exploitation else missing,
            industry,
            sex_type,
            control,
            recruiter,
            abducted,
        ])
    rows.sort(key=lambda row: (row[1], row[0]))
    return rows


# --------------------------------------------------------------------------------------------
# CTDC Global Synthetic Dataset (codebook v2 layout, 2024)
# --------------------------------------------------------------------------------------------

SYNTHETIC_ROWS = 250
SYNTHETIC_DELIVERED = date(2024, 2, 29)
#: contributors' shares of the synthetic records (assumed: IOM-like case management rows,
#: Polaris-like hotline rows in the US)
SYNTHETIC_KINDS: Weights = (("case_management", 60), ("hotline", 40))
#: registration years (the codebook's range is 2002-2022; weights assumed)
SYNTHETIC_YEARS: Weights = tuple((str(year), weight) for year, weight in (
    (2002, 1), (2004, 1), (2006, 2), (2008, 2), (2010, 2), (2012, 3), (2014, 4), (2015, 5),
    (2016, 7), (2017, 8), (2018, 8), (2019, 9), (2020, 7), (2021, 6), (2022, 5),
))
SYNTHETIC_MEANS: Weights = (
    ("meansAbusePsyPhySex", 30), ("meansThreats", 22), ("meansDebtBondageEarnings", 18),
    ("meansFalsePromises", 15), ("meansDenyBasicNeeds", 14), ("meansWithholdDocs", 10),
    ("meansExcessiveWorkHours", 8), ("meansDrugsAlcohol", 6),
)
SYNTHETIC_SECTORS: Weights = (
    ("typeOfLabourDomesticWork", 30), ("typeOfLabourConstruction", 22),
    ("typeOfLabourAgriculture", 17), ("typeOfLabourHospitality", 8),
)
SYNTHETIC_RECRUITERS: Weights = (
    ("recruiterRelationFriend", 35), ("recruiterRelationOther", 30),
    ("recruiterRelationIntimatePartner", 20), ("recruiterRelationFamily", 15),
)


def synthetic_country(var: Variable, alpha_2: str) -> str:
    """The alpha-3 code a synthetic file writes, proven to resolve as the crosswalk would."""
    found = pycountry.countries.get(alpha_2=alpha_2)
    if found is None:
        raise ContractError(f"no alpha-3 code for {alpha_2}")
    return checked_country(var, str(found.alpha_3), "RS" if alpha_2 == "XK" else alpha_2)


def synthetic_rows(rng: Random, crosswalk: Crosswalk) -> tuple[list[str], list[list[str]]]:
    """Synthetic records in the 2024 layout: 1 or NULL (written empty) flags, alpha-3 countries.

    The file shows the layout, not the release's statistics: shares follow the IOM slides for
    case-management-like rows and Polaris's 2016 figures for hotline-like rows, as the other
    examples do.
    """
    blank = missing_code(crosswalk, "")
    means = variable(crosswalk, "meansThreats", "means_of_control")
    kinds = variable(crosswalk, "isForcedLabour", "exploitation_types")
    sectors = variable(crosswalk, "typeOfLabourDomesticWork", "labour_sectors")
    sex = variable(crosswalk, "typeOfSexProstitution", "sex_exploitation_types")
    recruiters = variable(crosswalk, "recruiterRelationFriend", "recruiter_relationships")
    gender = variable(crosswalk, "gender", "gender")
    ages = variable(crosswalk, "ageBroad", "age_broad")
    months = variable(crosswalk, "traffickMonths", "trafficking_duration")
    citizenship = variable(crosswalk, "citizenship", "citizenship")
    exploited_in = variable(crosswalk, "CountryOfExploitation", "country_of_exploitation")
    flag_columns = [c for v in (means, kinds, sectors, sex, recruiters) for c in v.column or []]
    header = ["yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation",
              "traffickMonths", *flag_columns]
    header_covers(crosswalk, header)
    for var, table in ((means, SYNTHETIC_MEANS), (sectors, SYNTHETIC_SECTORS),
                       (recruiters, SYNTHETIC_RECRUITERS)):
        require(var, table)
    age_codes = [code for code, _ in pool(ages, ((code_for(ages, ("age_9_17",)), 20),
                                                  (code_for(ages, ("age_18_20",)), 15),
                                                  (code_for(ages, ("age_21_23",)), 14),
                                                  (code_for(ages, ("age_30_38",)), 14)),
                                          default=6)]
    rows: list[list[str]] = []
    for kind in deal(rng, SYNTHETIC_KINDS, SYNTHETIC_ROWS):
        hotline = kind == "hotline"
        # Polaris contributes cases from 2015 only
        year = int(pick(rng, [(y, w) for y, w in SYNTHETIC_YEARS if not hotline or y >= "2015"]))
        category = pick(rng, (("sex", 70), ("labour", 20), ("sex_and_labour", 5), ("other", 5))
                        if hotline else IOM_EXPLOITATION)
        flags: dict[str, str] = dict.fromkeys(flag_columns, blank)
        if "sex" in category or category == "sex_and_labour":
            flags["isSexualExploit"] = "1"
            if rng.randrange(100) < 60:
                flags[pick(rng, (("typeOfSexProstitution", 9), ("typeOfSexPornography", 1)))] = "1"
        if "labour" in category:
            flags["isForcedLabour"] = "1"
            if rng.randrange(100) < 55:
                flags[pick(rng, SYNTHETIC_SECTORS)] = "1"
        if category == "other":
            flags["isOtherExploit"] = "1"
        for column in pick_some(rng, SYNTHETIC_MEANS, rng.randrange(4)):
            flags[column] = "1"
        if rng.randrange(100) < 45:
            flags[pick(rng, SYNTHETIC_RECRUITERS)] = "1"
        if hotline:
            nationality = "US" if rng.randrange(100) < 50 else pick(rng, (("MX", 5), ("PH", 2)))
            destination = "US"
        else:
            nationality = pick(rng, IOM_NATIONALITIES)
            destination = pick(rng, IOM_DESTINATIONS.get(nationality, ((nationality, 1),)))
        woman = rng.randrange(100) < (80 if category != "labour" else 45)
        rows.append([
            str(year),
            code_for(gender, ("female",) if woman else ("male",)) if rng.randrange(100) >= 4
            else blank,
            rng.choice(age_codes) if rng.randrange(100) >= 30 else blank,
            synthetic_country(citizenship, nationality) if rng.randrange(100) >= 25 else blank,
            synthetic_country(exploited_in, destination) if rng.randrange(100) >= 10 else blank,
            pick(rng, [(code_for(months, (value,)), weight) for value, weight in (
                ("months_0_12", 6), ("months_13_24", 2), ("months_25_plus", 2))])
            if rng.randrange(100) < 35 else blank,
            *(flags[column] for column in flag_columns),
        ])
    rows.sort(key=lambda row: row[0])
    return header, rows


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

MANIFEST_HEADER = """\
# yaml-language-server: $schema=../generated/jsonschema/manifest.schema.json
# The example deliveries: which source each export follows and when it was delivered (the
# delivery date chooses the Polaris and CTDC synthetic crosswalk versions). Written by
# examples/make_examples.py; the dates are assumptions that place each file in its window.
deliveries:
"""


def encode(crosswalk: Crosswalk, header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """The export as bytes with the contract's delimiter and encoding, ``\\n`` line endings."""
    if crosswalk.export is None:
        raise ContractError(f"{crosswalk.source}: no export contract")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=crosswalk.export.delimiter or ",",
                        lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(crosswalk.export.encoding or "utf-8")


def build() -> dict[str, bytes]:
    """Every example file (path relative to ``examples/``) and its exact content."""
    rng = Random(SEED)
    files: dict[str, bytes] = {}
    for window in POLARIS_FILES:
        crosswalk = load_crosswalk(window.crosswalk)
        rows = polaris_rows(rng, crosswalk, window)
        files[window.output] = encode(crosswalk, POLARIS_HEADER, rows)
    iom = load_crosswalk("iom/2.0.0.yaml")
    files["iom/case_export.csv"] = encode(iom, IOM_HEADER, iom_rows(rng, iom))
    synthetic = load_crosswalk("ctdc-synthetic/1.0.0.yaml")
    header, rows = synthetic_rows(rng, synthetic)
    files["ctdc-synthetic/synthetic_2024_sample.csv"] = encode(synthetic, header, rows)
    deliveries = [(window.output, "polaris", window.delivered) for window in POLARIS_FILES]
    deliveries += [("iom/case_export.csv", "iom", date(2021, 1, 15)),
                   ("ctdc-synthetic/synthetic_2024_sample.csv", "ctdc-synthetic",
                    SYNTHETIC_DELIVERED)]
    manifest = MANIFEST_HEADER + "".join(
        f"  - path: {path}\n    source: {source}\n    delivered: {when.isoformat()}\n"
        for path, source, when in deliveries)
    files["manifest.yaml"] = manifest.encode()
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Write the examples, or with ``--check`` report (exit 1) the files that would change."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a committed file differs")
    args = parser.parse_args(argv)
    try:
        files = build()
    except ContractError as error:
        print(f"make_examples: {error}", file=sys.stderr)
        return 2
    stale = []
    for relative, content in files.items():
        path = EXAMPLES / relative
        if path.is_file() and path.read_bytes() == content:
            continue
        stale.append(relative)
        if not args.check:
            atomic.write_bytes(path, content)
    if args.check:
        for relative in stale:
            print(f"examples/{relative} is out of date; run python examples/make_examples.py",
                  file=sys.stderr)
        return 1 if stale else 0
    for relative in stale:
        print(f"wrote examples/{relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build the ``CountryCode`` enum module (``schema/countries.yaml``) from pycountry, with each
country's UN M49 sub-region and region from country_converter.

Country codes are not typed by hand: ISO 3166-1 changes (a new state, a renamed one), and
pycountry tracks the ISO data. ``ctdc generate`` renders this module and ``--check`` catches
any difference, so the vocabulary follows the installed pycountry release.

Besides the current alpha-2 codes the enum carries:

* the user-assigned codes the trafficking data sources really use: ``ZZ`` (unknown country,
  CTDC codebook v6), ``XX`` (known but withheld), ``XK`` (Kosovo);
* codes withdrawn from ISO 3166-1 since 2002, the first year of CTDC data, whose letters were
  not reassigned (``AN``, ``CS``, ``TP``, ``YU``): legacy IOM records (2002-2011) use them.
  They are marked ``deprecated`` with the codes that replaced them.
"""

from __future__ import annotations

import json

import pycountry

from ctdc_schema.errors import GENERATE_EXTRA, UsageError

#: first year of records in the CTDC global dataset
FIRST_DATA_YEAR = 2002

#: where each withdrawn code's territory went (ISO 3166-3), for the deprecation note
SUCCESSORS = {"AN": "BQ, CW, SX", "CS": "RS, ME", "TP": "TL", "YU": "RS, ME (via CS)"}

SPECIAL_CODES: dict[str, str] = {
    "XK": (
        "Kosovo. Not assigned by ISO 3166-1; XK is the user-assigned code used by the European "
        "Commission, the IMF and SWIFT. CTDC synthetic releases count Kosovo under Serbia (RS) "
        "following UN guidelines, so comparisons across releases need care. "
        "[ISO 3166-1 user-assigned range; CTDC synthetic codebook v2 (2024) Appendix II]"
    ),
    "ZZ": (
        "Unknown country: the source states that the country is unknown or was not reported. "
        "CTDC codebook v6 writes ZZ; the CTDC 2018 data dictionary writes 00 for the same "
        "concept. [ISO 3166-1 user-assigned code; CTDC codebook v6 (2017) §3 var. 8]"
    ),
    "XX": (
        "Withheld: the country is known to the source but not disclosed, for example suppressed "
        "for privacy by k-anonymisation or by a contributor's disclosure policy. Distinct from "
        "ZZ (unknown). [ISO 3166-1 user-assigned range; CTDC codebook v6 (2017) §1 on "
        "k-anonymisation]"
    ),
}


#: other codes the sources write for a special code (the CTDC 2018 data dictionary's 00)
SPECIAL_ALIASES: dict[str, list[str]] = {"ZZ": ["00"]}


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML), safe for codes like NO/ON."""
    return json.dumps(text, ensure_ascii=False)


def _regions(codes: list[str]) -> dict[str, tuple[str, str]]:
    """UN M49 sub-region (intermediate region where M49 has one) and region of each code, from
    country_converter: the levels a country generalises to in a de-identified release."""
    import logging

    try:
        import country_converter
    except ImportError:  # a generate-time dependency, like linkml's generators
        raise UsageError(GENERATE_EXTRA) from None

    logging.getLogger("country_converter").setLevel(logging.ERROR)  # unknown codes: no region
    converter = country_converter.CountryConverter()
    sub = converter.convert(codes, src="ISO2", to="UNregion", not_found=None)
    region = converter.convert(codes, src="ISO2", to="continent", not_found=None)
    return {code: (s, r) for code, s, r in zip(codes, sub, region, strict=True)
            if isinstance(s, str) and isinstance(r, str)}


def _entries() -> list[tuple[str, list[str]]]:
    entries: dict[str, list[str]] = {}
    current = sorted(country.alpha_2 for country in pycountry.countries)
    regions = _regions([*current, "XK"])
    for country in pycountry.countries:
        code = country.alpha_2
        desc = (
            f"{country.name}. [ISO 3166-1 alpha-2 {code}, alpha-3 {country.alpha_3}, "
            f"numeric {country.numeric}; via pycountry; UN M49 regions via country_converter]"
        )
        entries[code] = [
            f"description: {_q(desc)}",
            f"meaning: iso3166:{code}",
            "annotations:",
            f"  alpha_3: {_q(country.alpha_3)}",
            *([f"  un_subregion: {_q(regions[code][0])}", f"  un_region: {_q(regions[code][1])}"]
              if code in regions else []),
        ]
    for historic in pycountry.historic_countries:
        code = historic.alpha_2
        withdrawn = str(getattr(historic, "withdrawal_date", ""))
        if code in entries or not withdrawn or int(withdrawn[:4]) < FIRST_DATA_YEAR:
            continue
        desc = (
            f"{historic.name} (withdrawn from ISO 3166-1 on {withdrawn}). Kept for legacy "
            f"records from before the withdrawal. [ISO 3166-3 {historic.alpha_4}; via pycountry]"
        )
        successor = SUCCESSORS.get(code, "the successor code")
        entries[code] = [
            f"description: {_q(desc)}",
            f"meaning: iso3166:{code}",
            f"deprecated: {_q(f'withdrawn {withdrawn}; use {successor}')}",
        ]
    for code, desc in SPECIAL_CODES.items():
        entries[code] = [f"description: {_q(desc)}"]
        if code in SPECIAL_ALIASES:
            entries[code] += ["aliases:", *(f"  - {_q(a)}" for a in SPECIAL_ALIASES[code])]
        if code in regions:
            entries[code] += ["annotations:", f"  un_subregion: {_q(regions[code][0])}",
                              f"  un_region: {_q(regions[code][1])}"]
    return sorted(entries.items())


def render(version: str) -> str:
    """Text of ``schema/countries.yaml`` for vocabulary ``version`` (deterministic)."""
    lines = [
        "# GENERATED by `ctdc generate` from pycountry (ISO 3166-1). Do not edit by hand:",
        "# change src/ctdc_schema/countries.py and run `ctdc generate`.",
        "id: https://w3id.org/ctdc-schema/countries",
        "name: countries",
        "title: ISO 3166-1 alpha-2 country codes for the CTDC vocabulary",
        "description: >-",
        "  Country codes used by citizenship and country of exploitation: every current",
        "  ISO 3166-1 alpha-2 code, the codes withdrawn since 2002 (deprecated), and the",
        "  user-assigned codes ZZ (unknown), XX (withheld) and XK (Kosovo).",
        f"version: {version}",
        "license: https://creativecommons.org/licenses/by/4.0/",
        "default_prefix: ctdcv",
        "prefixes:",
        "  linkml: https://w3id.org/linkml/",
        "  ctdcv: https://w3id.org/ctdc-schema/",
        "  iso3166: 'https://www.iso.org/obp/ui/#iso:code:3166:'",
        "imports:",
        "  - linkml:types",
        "enums:",
        "  CountryCode:",
        "    description: >-",
        "      ISO 3166-1 alpha-2 code of a country or territory, plus the user-assigned codes",
        "      ZZ (unknown), XX (withheld) and XK (Kosovo). [ISO 3166-1; CTDC codebook v6 (2017)",
        "      §3 var. 8]",
        "    permissible_values:",
    ]
    for code, body in _entries():
        lines.append(f"      {_q(code)}:")
        lines.extend(f"        {line}" for line in body)
    return "\n".join(lines) + "\n"

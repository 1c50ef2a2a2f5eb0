"""The declared derivations a crosswalk may use instead of (or besides) a value lookup.

The validator asks :func:`problems` whether a transform fits its slot; the data engine applies
the same definitions. Country handling is delegated to pycountry, never to a hand-kept list.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pycountry

from ctdc_schema.crosswalk.semantics import date_regex, is_digits, parse_date, strip
from ctdc_schema.datamodel.crosswalk import Transform, Variable
from ctdc_schema.vocabulary import SlotInfo, Vocabulary

#: age (years) below which a person is a minor, under Palermo and the US TVPA alike
MAJORITY_AGE = 18


@functools.lru_cache(maxsize=4)
def country_table(country_format: str) -> dict[str, str]:
    """Lower-cased spelling -> ISO 3166-1 alpha-2, for one ``country_format``.

    Built once from pycountry and used both by the reference mapper and, as a lookup table, by
    the compiled engine, so both resolve exactly the same spellings: alpha-2 or alpha-3 codes,
    or (``name``) every field pycountry's ``lookup`` matches, in its order of precedence.
    """
    countries = pycountry.countries
    countries.get(alpha_2="US")  # pycountry builds its indices on first use
    if country_format in ("alpha_2", "alpha_3"):
        fields = [country_format]
    else:
        fields = list(countries.indices)  # the order `lookup` tries them in
    table: dict[str, str] = {}
    for field in fields:
        for key, country in sorted(countries.indices[field].items()):
            table.setdefault(key, str(country.alpha_2))
    return table


def country_alpha2(text: str, country_format: str) -> str | None:
    """ISO 3166-1 alpha-2 for a country written as ``country_format``; None if unknown."""
    value = strip(text)
    if not value:
        return None
    return country_table(country_format).get(value.lower())


def age_band(age: int, vocab: Vocabulary, slot: str = "age_broad") -> str | None:
    """The band of ``slot`` whose [min_age, max_age] contains ``age``."""
    for value in vocab.slot_values(slot).values():
        low = int(value.annotations.get("min_age", "0"))
        high = value.annotations.get("max_age")
        if age >= low and (high is None or age <= int(high)):
            return value.name
    return None


def majority_status(age: int) -> str:
    return "minor" if age < MAJORITY_AGE else "adult"


#: ages (years) a transform accepts; anything else is a data error, not a person
MAX_AGE = 129


def apply(transform: Transform, code: str, slot: SlotInfo,
          vocab: Vocabulary) -> tuple[str | None, str | None]:
    """The target a transform derives from ``code``: ``(value, None)`` or ``(None, reason)``.

    ``flags`` are not applied here: a flag column's meaning is its ``values`` entry
    (see :func:`ctdc_schema.crosswalk.semantics.combine_flags`).
    """
    kind = str(transform.type)
    text = strip(code)
    if kind == "constant":
        return transform.constant, None
    if kind == "country":
        found = country_alpha2(text, str(transform.country_format))
        if found is None:
            return None, f"'{text}' is not a country pycountry knows ({transform.country_format})"
        return found, None
    if kind in ("age_band", "majority_status"):
        if not is_digits(text) or int(text) > MAX_AGE:
            return None, f"'{text}' is not an age in whole years (0-{MAX_AGE})"
        age = int(text)
        return (age_band(age, vocab, slot.name) if kind == "age_band"
                else majority_status(age)), None
    if kind == "year":
        day = parse_date(text, transform.date_format)
        if day is None:
            return None, f"'{text}' is not a date in the format " \
                         f"{transform.date_format or '%Y-%m-%d'}"
        return str(day.year), None
    return None, f"the {kind} transform does not derive a value from a code"


def problems(transform: Transform, variable: Variable, slot: SlotInfo,
             vocab: Vocabulary) -> Iterator[str]:
    """Why ``transform`` cannot work on ``slot`` (nothing when it fits)."""
    kind = str(transform.type)
    values = vocab.slot_values(slot.name)
    if kind == "age_band" and not (values and all("min_age" in v.annotations
                                                  for v in values.values())):
        yield f"age_band needs a slot of age bands with min_age annotations, not '{slot.name}'"
    elif kind == "majority_status" and set(values) != {"minor", "adult"}:
        yield f"majority_status needs a minor/adult slot, not '{slot.name}'"
    elif kind == "country":
        if slot.enum != "CountryCode":
            yield f"country needs a slot with range CountryCode, not '{slot.name}'"
        if transform.country_format is None:
            yield "country needs country_format: alpha_2, alpha_3 or name"
    elif kind == "year":
        if slot.range != "integer":
            yield f"year needs an integer slot, not '{slot.name}' ({slot.range})"
        if date_regex(transform.date_format) is None:
            yield f"date_format '{transform.date_format}' uses a directive other than " \
                  "%Y %m %d %y %H %M %S"
    elif kind == "constant":
        if transform.constant is None:
            yield "constant needs a 'constant' value"
        if variable.column:
            yield "a constant reads no column; remove `column` (it would be ignored)"
    elif kind == "flags":
        if not slot.multivalued:
            yield f"flags needs a multivalued slot, not '{slot.name}'"
        if not transform.true_codes:
            yield "flags needs true_codes, e.g. [\"1\"]"
        columns = set(variable.column or [])
        keys = set(variable.values or {})
        if keys - columns:
            yield f"flags values must be keyed by the variable's columns; " \
                  f"not a column: {', '.join(sorted(keys - columns))}"
        if columns - keys:
            yield f"flag column(s) without a target value: {', '.join(sorted(columns - keys))}"

"""``ctdc scaffold``: a draft crosswalk for a new source, from its export.

The draft is what a steward would otherwise type by hand, with the evidence for each choice
beside it, so that the work left is confirming, not writing:

* every column of the export becomes a variable; it is matched to a vocabulary slot when the
  evidence is good: its name against the slot's name, its CTDC column names and its HTCDS field
  name, and its codes against the slot's values (names, aliases, CTDC codes, HTCDS value
  names); a column that matches nothing is listed under ``ignored_columns`` with a TODO;
* a matched enum column gets a ``values`` entry for every distinct code seen (most frequent
  first): ``exactMatch`` only for an exact label, alias or code match (case and punctuation
  aside); anything weaker is proposed as ``closeMatch`` with a TODO note and its evidence, from
  the strongest down: a code that holds or begins a label's words, a fuzzy label (rapidfuzz),
  an HTCDS value the value is a closeMatch of, a code joining two values ("Sex and Labor"),
  words of the code that only one value's labels use ("Family Member", family_relative) or
  only one value's definition ("Gender Minority": *gender* falls outside binary
  expectations), and last the slot's "Other" value for a named code no value covers
  (a sector the vocabulary does not list is ``other``); words that three or more of the
  column's codes share ("Services") are no evidence, and a code holding a word several
  values' labels use is left to the steward; a code joins values only in a list slot; a code
  that looks like "no information" is ``unknown``; a code with no candidate is left with a
  TODO;
* countries go through the ``country`` transform when pycountry resolves most codes, dates
  through ``year`` with the detected format, multi-select columns get their separator, and
  CTDC-style flag columns (``isForcedLabour``) are grouped into one ``flags`` variable;
* the header is filled from what the file shows (its export block, its missing codes) and left
  as TODO where only the steward knows (unit of record, legal definition, validity).

Every TODO is a comment or a note, so the draft validates structurally; ``ctdc validate``
reports each one (CW119) until the steward resolves it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ctdc_schema.errors import UsageError
from ctdc_schema.profile import Column, Profile, profile
from ctdc_schema.vocabulary import Vocabulary

#: codes read per column: beyond this a column is an identifier or free text, not a code list
MAX_CODES = 500
#: rapidfuzz score (0-100) from which a label is proposed as a close match
FUZZY = 86
#: share of a column's filled cells its codes must explain for a code-based slot match
CODES_EXPLAINED = 0.34
#: the same for a multi-select column (its cells may hold values of several slots and labels
#: no vocabulary spells, such as a hotline's venues)
MULTI_EXPLAINED = 0.1
#: share of codes pycountry must resolve for the country transform
COUNTRIES = 0.6
TODO = "TODO"


def normal(text: str) -> str:
    """A label compared without case, punctuation, spacing, camelCase or British spelling
    (labour is labor)."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    words = re.sub(r"[^0-9a-z]+", " ", text.lower()).split()
    return " ".join(w[:-3] + "or" if w.endswith("our") and len(w) > 5 else w for w in words)


def _words(text: str) -> set[str]:
    """The meaningful words of a label or definition, plurals folded ("employers" is
    "employer")."""
    return {w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w
            for w in normal(text).split() if len(w) > 2 and w not in STOPWORDS}


def _distinctive(words: dict[str, set[str]]) -> dict[str, str]:
    """word -> value, for the words that one value's text uses and no other's."""
    users: dict[str, set[str]] = {}
    for value, used in words.items():
        for word in used:
            users.setdefault(word, set()).add(value)
    return {word: next(iter(values)) for word, values in users.items() if len(values) == 1}


def _common_words(codes: Iterable[str]) -> frozenset[str]:
    """Words that :data:`COMMON` or more of a column's codes use ("Services" in a hotline's
    venues): shared by many codes, they say nothing of one."""
    counted: dict[str, int] = {}
    for code in codes:
        for word in _words(code):
            counted[word] = counted.get(word, 0) + 1
    return frozenset(word for word, n in counted.items() if n >= COMMON)


#: how many of a column's codes make a word common (no evidence for any one code)
COMMON = 3
#: a definition's closing citation ("[CTDC codebook v6 (2017) §3 var. 3]")
CITED = re.compile(r"\[[^\[\]]*\]")
#: words that carry no meaning of their own in a label
STOPWORDS = frozenset({"and", "or", "of", "the", "to", "a", "an", "in", "by", "for", "with",
                       "other", "others", "not", "specified", "type", "types"})
#: phrases that end a "no information" code ("Trafficking Type Not Specified")
NO_INFORMATION = ("not specified", "unknown", "not known", "not provided", "not recorded",
                  "not applicable", "don t know", "dont know")
#: the shortest word of a definition that counts as evidence ("person" and "other" words of
#: three or four letters say nothing of one value)
LONG_WORD = 5


def says_unknown(code: str, missing: set[str]) -> bool:
    """A code that means "no information": a known missing code, or one ending in such a
    phrase."""
    text = code.strip().lower()
    return text in missing or normal(code).endswith(NO_INFORMATION)


@dataclass
class Proposal:
    """The draft's mapping of one source code."""

    code: str
    count: int
    target: str | None = None
    predicate: str = "exactMatch"
    unknown: bool = False
    evidence: str = ""
    todo: str | None = None
    #: further targets of a code that joins values ("Sex and Labor")
    more: tuple[str, ...] = ()


@dataclass
class Draft:
    """The draft of one variable."""

    columns: list[str]
    slot: str | None
    evidence: str
    predicate: str = "exactMatch"
    transform: dict[str, Any] | None = None
    split: str | None = None
    values: list[Proposal] = field(default_factory=list)
    todo: str | None = None
    #: a second variable of the same column (codes of another slot)
    extra: Draft | None = None


class Labels:
    """Every label of an enum slot's values, normalised: name, aliases, CTDC code, HTCDS
    value name (the local part of its ``meaning``)."""

    def __init__(self, vocab: Vocabulary, slot: str) -> None:
        #: a list slot: a code may join several of its values
        self.multivalued = vocab.slots[slot].multivalued
        self.exact: dict[str, tuple[str, str]] = {}
        #: labels that are not exact equivalents of their value
        self.loose: set[str] = set()
        label_words: dict[str, set[str]] = {}
        definition_words: dict[str, set[str]] = {}
        close: dict[str, list[tuple[str, str]]] = {}
        #: the value a code no other value names defaults to (labelled "Other")
        self.catch_all: str | None = None
        for name, info in vocab.slot_values(slot).items():
            if info.deprecated:
                continue
            kinds = [(name, "value name"), *((a, "alias") for a in info.aliases)]
            if info.ctdc_code:
                kinds.append((info.ctdc_code, "CTDC code"))
            if info.meaning and info.meaning.startswith("htcds:"):
                kinds.append((info.meaning.split(":", 1)[1], "HTCDS value"))
            # HTCDS values this value is close to: a label, never an exact one
            for mapping in info.mappings:
                if mapping.predicate in ("exactMatch", "closeMatch") and \
                        mapping.curie.startswith("htcds:"):
                    close.setdefault(normal(mapping.curie.split(":", 1)[1]), []).append(
                        (name, mapping.curie.split(":", 1)[1]))
            for label, kind in kinds:
                self.exact.setdefault(normal(label), (name, f"{kind} '{label}'"))
                label_words.setdefault(name, set()).update(_words(label))
                if normal(label) == "other" and self.catch_all is None:
                    self.catch_all = name
            definition = CITED.sub("", info.description)
            definition_words[name] = {w for w in _words(definition) if len(w) >= LONG_WORD}
        for key, claims in close.items():  # one value's only, and no exact label's
            if len(claims) == 1 and key not in self.exact:
                name, label = claims[0]
                self.exact[key] = (name, f"HTCDS value '{label}' (a closeMatch)")
                self.loose.add(key)
        self.words = _distinctive(label_words)
        #: label words several values use: a code that holds one is contested, and its
        #: distinctive words alone do not decide ("Kept in debt": debt is two values' word)
        self.contested = {w for used in label_words.values() for w in used} - set(self.words)
        self.defined = _distinctive(definition_words)

    def knows(self, code: str) -> float:
        """How well ``code`` is one of the labels: 1 exactly, 0.5 when it contains one whole
        or begins its words, else 0 (the evidence a slot and a separator are chosen on)."""
        key = normal(code)
        if key in self.exact:
            return 1.0
        return 0.5 if self._contained(key) is not None or self._prefixed(key) is not None \
            else 0.0

    def _contained(self, key: str) -> str | None:
        """The longest label whose meaningful words all occur in ``key``
        ("Factories & Manufacturing" holds "manufacturing")."""
        words = set(key.split())
        found = [label for label in self.exact
                 if (meaning := set(label.split()) - STOPWORDS) and meaning <= words]
        return max(found, key=len) if found else None

    def _prefixed(self, key: str) -> str | None:
        """A label with a word that starts with each meaningful word of ``key`` ("Sex" and
        "sexual exploitation")."""
        words = [w for w in key.split() if w not in STOPWORDS]
        if not words or any(len(w) < 3 for w in words):
            return None
        found = [label for label in self.exact
                 if all(any(t.startswith(w) for t in label.split()) for w in words)]
        return min(found, key=len) if found else None

    def propose(self, code: str, weak: bool = True, catch_all: bool = True,
                common: frozenset[str] = frozenset()) -> tuple[tuple[str, ...], str, bool]:
        """(targets, evidence, exact) for one code, on the strongest evidence found: an
        exact label; a label whose words the code holds or begins; a fuzzy label; then,
        with ``weak``, a code joining two values ("Sex and Labor") and words that only one
        value's labels, or only one value's definition, use (``common`` words, which many
        of the column's codes share, do not count); last, with ``catch_all``, the slot's
        "Other" value."""
        target, why, exact = self._label(code)
        if target is not None:
            return (target,), why, exact
        key = normal(code)
        if not key or not self.exact or not weak:
            return (), "", False
        parts = [p for p in re.split(r"\s+and\s+|\s*[&+]\s*", code.strip()) if p.strip()]
        if len(parts) > 1 and self.multivalued:
            found = [self._label(part)[0] or self._shared(part, self.words, common)[0]
                     for part in parts]
            if all(found) and len(set(found)) == len(found):
                return tuple(t for t in found if t), f"the code joins values " \
                    f"{', '.join(t for t in found if t)}", False
        if _words(code) & self.contested - common:
            return (), "", False
        for index, kind in ((self.words, "the labels"), (self.defined, "the definition")):
            target, words = self._shared(code, index, common)
            if target is not None:
                return (target,), f"the word(s) {', '.join(words)} of the code occur in " \
                    f"{kind} of {target} only", False
        if catch_all and self.catch_all is not None and _words(code):
            return (self.catch_all,), f"no value names it: {self.catch_all} is the slot's " \
                "value for a type no other value names", False
        return (), "", False

    def _label(self, code: str) -> tuple[str | None, str, bool]:
        """(target, evidence, exact) from the labels themselves."""
        from rapidfuzz import fuzz, process

        key = normal(code)
        if key in self.exact:
            target, why = self.exact[key]
            return target, f"{why} of {target}", key not in self.loose
        if not key or not self.exact:
            return None, "", False
        for rule, label in (("holds", self._contained(key)), ("starts", self._prefixed(key))):
            if label is not None:
                target, why = self.exact[label]
                verb = "holds the words of" if rule == "holds" else "begins the words of"
                return target, f"the code {verb} {why} of {target}", False
        best = process.extractOne(key, list(self.exact), scorer=fuzz.WRatio,
                                  score_cutoff=FUZZY)
        if best is None:
            return None, "", False
        target, why = self.exact[best[0]]
        return target, f"fuzzy {best[1]:.0f} with {why} of {target}", False

    @staticmethod
    def _shared(code: str, index: dict[str, str],
                common: frozenset[str]) -> tuple[str | None, list[str]]:
        """The one value whose distinctive words the code uses most, and those words; none on
        a tie."""
        hits: dict[str, list[str]] = {}
        for word in _words(code) - common:
            if word in index:
                hits.setdefault(index[word], []).append(word)
        if not hits:
            return None, []
        ranked = sorted(hits.items(), key=lambda i: -len(set(i[1])))
        if len(ranked) > 1 and len(set(ranked[0][1])) == len(set(ranked[1][1])):
            return None, []
        return ranked[0][0], sorted(set(ranked[0][1]))


def _slot_names(vocab: Vocabulary) -> dict[str, tuple[str, str]]:
    """Normalised column name -> (slot, evidence): slot names, CTDC columns, HTCDS fields."""
    names: dict[str, tuple[str, str]] = {}
    for slot, info in vocab.slots.items():
        names.setdefault(normal(slot), (slot, f"slot name {slot}"))
        for mapping in info.mappings:
            prefix, _, local = mapping.curie.partition(":")
            if prefix == "ctdc":
                names.setdefault(normal(local), (slot, f"CTDC column {local}"))
            elif prefix == "htcds":
                field_name = local.split("_", 1)[-1]
                names.setdefault(normal(field_name), (slot, f"HTCDS field {local}"))
    return names


@cache
def _country_names() -> dict[str, str]:
    """Normalised country name (official, common and short) or code -> ISO alpha-2."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for label in (country.alpha_2, country.alpha_3, country.name,
                      getattr(country, "common_name", ""), getattr(country, "official_name", "")):
            if label:
                names.setdefault(normal(label), country.alpha_2)
    return names


def _countries(codes: Iterable[tuple[str, int]]) -> tuple[str | None, float]:
    """The country format most codes are written in (exact ISO codes or names), and the
    share of the cells it reads."""
    import pycountry

    totals: dict[str, int] = {"alpha_2": 0, "alpha_3": 0, "name": 0}
    names = _country_names()
    filled = 0
    for code, n in codes:
        text = code.strip()
        if not text:
            continue
        filled += n
        if len(text) == 2 and pycountry.countries.get(alpha_2=text.upper()):
            totals["alpha_2"] += n
        elif len(text) == 3 and pycountry.countries.get(alpha_3=text.upper()):
            totals["alpha_3"] += n
        elif normal(text) in names:
            totals["name"] += n
    best = max(totals, key=lambda k: totals[k])  # the transform's format; the rest by value
    return (best, sum(totals.values()) / filled) if filled else (None, 0.0)


def _pieces(codes: list[tuple[str, int]], separator: str | None) -> list[tuple[str, int]]:
    """The codes of a column split on ``separator`` and counted, most frequent first."""
    if separator is None:
        return codes
    counted: dict[str, int] = {}
    for code, n in codes:
        for piece in code.split(separator):
            counted[piece.strip()] = counted.get(piece.strip(), 0) + n
    return sorted(counted.items(), key=lambda i: (-i[1], i[0]))


def draft_variables(found: Profile, vocab: Vocabulary, codes: dict[str, list[tuple[str, int]]],
                    missing: set[str]) -> list[Draft]:
    """A draft variable per column (flag columns of one slot grouped)."""
    names = _slot_names(vocab)
    # countries are read by the country transform, never by label
    enum_slots = [s for s, info in vocab.slots.items() if info.enum and info.range != "CountryCode"]
    labels = {slot: Labels(vocab, slot) for slot in enum_slots}
    drafts: list[Draft] = []
    flags: dict[str, Draft] = {}
    taken: set[str] = set()
    claimed = {names[normal(c.name)][0] for c in found.columns if normal(c.name) in names}
    renamed = _flag_groups(found, codes, vocab, labels, missing)
    for column in found.columns:
        seen = codes[column.name]
        if column.name in renamed:
            if renamed[column.name].columns[0] == column.name:
                drafts.append(renamed[column.name])
            continue
        bindings = vocab.resolve_column(column.name)
        flag = next((b for b in bindings if b.value is not None), None)
        if flag is not None:  # a CTDC flag column: one value of a grouped slot
            group = flags.get(flag.slot)
            if group is None:
                group = Draft([], flag.slot, f"CTDC flag columns of {flag.slot}",
                              transform={"type": "flags", "true_codes": ["1"],
                                         "false_codes": ["0"]})
                flags[flag.slot] = group
                drafts.append(group)
            group.columns.append(column.name)
            group.values.append(Proposal(column.name, column.filled, flag.value,
                                         flag.predicate, evidence=f"CTDC column {flag.column}"))
            continue
        draft = _match(column, seen, vocab, names, labels, missing, taken, claimed)
        if draft.slot:
            taken.add(draft.slot)
        drafts.append(draft)
        if draft.extra is not None:
            drafts.append(draft.extra)
    return drafts


#: the codes of a yes/no flag column (besides missing codes)
FLAG_CODES = frozenset({"0", "1"})


def _flag_groups(found: Profile, codes: dict[str, list[tuple[str, int]]], vocab: Vocabulary,
                 labels: dict[str, Labels], missing: set[str]) -> dict[str, Draft]:
    """Columns of 0/1 flags that share a name prefix (``control_threats``,
    ``control_physical``) and whose name suffixes are values of one list slot: one ``flags``
    variable per group, each column proposed as the value its suffix names."""
    groups: dict[str, list[Column]] = {}
    for column in found.columns:
        if vocab.resolve_column(column.name):
            continue  # a CTDC column: grouped by the vocabulary's own bindings
        cells = {code.strip() for code, _ in codes[column.name]} - {""}
        cells = {c for c in cells if c.lower() not in missing}
        prefix, _, suffix = normal(column.name).partition(" ")
        if cells and cells <= FLAG_CODES and suffix:
            groups.setdefault(prefix, []).append(column)
    found_groups: dict[str, Draft] = {}
    lists = [s for s in labels if vocab.slots[s].multivalued]
    for prefix, members in groups.items():
        if len(members) < 2:
            continue
        suffixes = {c.name: normal(c.name).partition(" ")[2] for c in members}
        slot = max(lists, key=lambda s: (sum(labels[s].knows(x) for x in suffixes.values()),
                                         -lists.index(s)))
        if not any(labels[slot].knows(x) for x in suffixes.values()):
            continue
        group = Draft([c.name for c in members], slot,
                      f"0/1 flag columns named {prefix}_*: values of {slot}",
                      predicate="closeMatch",
                      transform={"type": "flags", "true_codes": ["1"], "false_codes": ["0"]},
                      todo="flag columns matched by their names: confirm each value")
        for column in members:
            proposal = _propose(suffixes[column.name], column.filled, labels[slot],
                                catch_all=False)
            proposal.code = column.name
            group.values.append(proposal)
        for column in members:
            found_groups[column.name] = group
    return found_groups


def _match(column: Column, seen: list[tuple[str, int]], vocab: Vocabulary,
           names: dict[str, tuple[str, str]], labels: dict[str, Labels], missing: set[str],
           taken: set[str], claimed: set[str]) -> Draft:
    key = normal(column.name)
    by_name = names.get(key)
    separator = column.separators[0]["separator"] if column.separators else None
    if column.type == "date" or (column.type == "year" and "year" in key):
        fmt = column.date_formats[0] if column.date_formats else None
        transform: dict[str, Any] = {"type": "year"}
        if fmt and fmt != "%Y":
            transform["date_format"] = fmt
        slot = by_name[0] if by_name and vocab.slots[by_name[0]].range == "integer" else \
            "year_of_registration"
        return Draft([column.name], slot, f"{column.type} column"
                     + (f" ({', '.join(column.date_formats)})" if column.date_formats else ""),
                     transform=transform if column.type == "date" else None,
                     todo=None if slot not in taken else f"{slot} is mapped twice")
    meaningful = [(code, n) for code, n in seen if code.strip().lower() not in missing]
    country_format, share = _countries(meaningful)
    by_name_country = by_name and vocab.slots[by_name[0]].range == "CountryCode"
    if by_name_country or (country_format and share >= COUNTRIES):
        slot = by_name[0] if by_name and by_name_country else \
            ("country_of_exploitation" if "exploit" in key or "destination" in key
             else "citizenship")
        draft = Draft([column.name], slot, f"pycountry reads {share:.0%} of the cells as "
                      f"{(country_format or 'name').replace('_', '-')}",
                      transform={"type": "country",
                                 "country_format": country_format or "name"})
        enum = vocab.slots[slot].enum
        values = vocab.enum_values(enum) if enum else {}
        aliases = {alias: name for name, info in values.items() for alias in info.aliases}
        draft.values = [_country(code, n, missing, frozenset(values), aliases)
                        for code, n in seen]
        return draft
    # enum slots: the one whose labels explain most cells (its name first), then any other
    # that explains much of the rest (one multi-select column can feed two slots)
    options = [None] + [s["separator"] for s in column.separators]
    best: tuple[float, int, str, str | None] | None = None
    ranked = 0.0
    for separator in options:
        pieces = [(c, n) for c, n in _pieces(seen, separator)
                  if c.strip() and not says_unknown(c, missing)]
        filled = sum(n for _, n in pieces) or 1
        for order, (candidate, labelled) in enumerate(labels.items()):
            if candidate in claimed and not (by_name and candidate == by_name[0]):
                continue  # another column's name claims this slot
            # ranked on exact matches first (so a separator that yields exact labels wins),
            # judged on any match
            weighted = sum(n * labelled.knows(code) for code, n in pieces) / filled
            explained = sum(n for code, n in pieces if labelled.knows(code)) / filled
            if by_name and candidate == by_name[0]:
                weighted += 1.0  # the column's name names this slot
                explained += 1.0
            if best is None or (weighted, -order) > (ranked, -best[1]):
                best, ranked = (explained, order, candidate, separator), weighted
    # a multi-select column may feed two slots, each explaining a part of it
    wanted = MULTI_EXPLAINED if best is not None and vocab.slots[best[2]].multivalued \
        and column.separators else CODES_EXPLAINED
    if best is None or best[0] < wanted:
        if by_name:
            return Draft([column.name], by_name[0], by_name[1])
        return Draft([column.name], None, "", todo="no slot matches this column: map it or "
                     "leave it ignored")
    explained, _, slot, separator = best
    evidence = by_name[1] if by_name and slot == by_name[0] else \
        f"its codes: {min(explained, 1.0):.0%} of the cells match values of {slot}"
    draft = Draft([column.name], slot, evidence,
                  split=separator if vocab.slots[slot].multivalued else None)
    if explained < CODES_EXPLAINED:  # weak evidence: no claim of an exact match
        draft.predicate = "closeMatch"
        draft.todo = (f"only {explained:.0%} of the cells match values of {slot}: confirm the "
                      "slot and the predicate")
    codes = _pieces(seen, draft.split)
    others = [c for c in labels if c != slot and vocab.slots[c].multivalued == bool(draft.split)]
    second: Draft | None = None
    for code, n in codes:  # first on the labels alone: this slot's, then another slot's
        if says_unknown(code, missing):
            draft.values.append(Proposal(code, n, unknown=True, evidence="no information"))
            continue
        proposal = _propose(code, n, labels[slot], weak=False)
        if proposal.target is None and draft.split:
            for other in others:  # another slot's value: a second variable of this column
                if not labels[other].knows(code):
                    continue
                alternative = _propose(code, n, labels[other], weak=False)
                if alternative.target is not None and (second is None or second.slot == other):
                    second = second or Draft([column.name], other,
                                             f"codes of {other} in the same column",
                                             predicate="closeMatch", split=draft.split,
                                             todo=f"this column also holds codes of {other}: "
                                                  "confirm the slot and the predicate")
                    second.values.append(alternative)
                    proposal = Proposal(code, n, evidence=f"read by {other}")
                    break
        draft.values.append(proposal)
    # then the codes left, on weaker evidence: this slot's, the second variable's, and last
    # this slot's "Other"
    common = _common_words(code for code, _ in codes)
    for i, proposal in enumerate(draft.values):
        if proposal.target is not None or proposal.unknown or proposal.evidence:
            continue
        code, n = proposal.code, proposal.count
        better = _propose(code, n, labels[slot], catch_all=False, common=common)
        if better.target is None and second is not None and second.slot is not None:
            alternative = _propose(code, n, labels[second.slot], catch_all=False,
                                   common=common)
            if alternative.target is not None:
                second.values.append(alternative)
                better = Proposal(code, n, evidence=f"read by {second.slot}")
        if better.target is None and not better.evidence:
            better = _propose(code, n, labels[slot], common=common)
        draft.values[i] = better
    if second is not None:
        second.values.sort(key=lambda p: -p.count)
    if second is not None:
        draft.extra = second
    return draft


def _propose(code: str, n: int, labelled: Labels, weak: bool = True, catch_all: bool = True,
             common: frozenset[str] = frozenset()) -> Proposal:
    targets, why, exact = labelled.propose(code, weak, catch_all, common)
    if not targets:
        return Proposal(code, n, todo="no candidate value: map it, or mark it unknown")
    if exact:
        return Proposal(code, n, targets[0], "exactMatch", evidence=why)
    return Proposal(code, n, targets[0], "closeMatch", more=targets[1:], evidence=why,
                    todo="confirm this suggestion and its predicate")


def _country(code: str, n: int, missing: set[str], codes: frozenset[str],
             aliases: dict[str, str]) -> Proposal:
    """A country code or name: one of the vocabulary's codes (withdrawn and user-assigned
    ones too: CS, XK, ZZ) or their aliases (00), an exact ISO code or name, else a fuzzy
    name."""
    from rapidfuzz import fuzz, process

    text = code.strip()
    if text in codes:
        return Proposal(code, n, text, "exactMatch", evidence="a code of the vocabulary")
    if text in aliases:
        return Proposal(code, n, aliases[text], "exactMatch",
                        evidence=f"alias '{text}' of {aliases[text]}")
    if text.lower() in missing:
        return Proposal(code, n, unknown=True, evidence="no information")
    names = _country_names()
    if normal(text) in names:
        return Proposal(code, n, names[normal(text)], "exactMatch",
                        evidence=f"ISO 3166 (pycountry): {names[normal(text)]}")
    best = process.extractOne(normal(text), [k for k in names if len(k) > 3],
                              scorer=fuzz.WRatio, score_cutoff=FUZZY)
    if best is None:
        return Proposal(code, n, todo="no country: map it, or mark it unknown")
    return Proposal(code, n, names[best[0]], "closeMatch",
                    evidence=f"fuzzy {best[1]:.0f} with {best[0]}",
                    todo="confirm this fuzzy match and its predicate")


# -- the YAML text ----------------------------------------------------------------------------

def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's): a code stays text."""
    return json.dumps(text, ensure_ascii=False)


def render(source: str, found: Profile, drafts: Sequence[Draft], vocab: Vocabulary,
           export: dict[str, str], missing_codes: list[str]) -> str:
    """The draft crosswalk as YAML text, with the evidence in comments."""
    major = vocab.version.split(".")[0]
    lines = [
        "# yaml-language-server: $schema=https://w3id.org/ctdc-schema/crosswalk.schema.json",
        f"# Draft crosswalk of {Path(found.path).name} ({found.rows:,} rows), written by "
        "`ctdc scaffold`. Every TODO is for the steward; `ctdc validate` lists those left.",
        f"source: {_q(source)}",
        "version: 1.0.0",
        f'schema_version: ">={vocab.version},<{int(major) + 1}.0.0"',
        "changes:",
        "  - kind: additive",
        "    summary: First version.",
        f"title: {_q(source + ' to the CTDC vocabulary')}  # {TODO}: a title",
        f"organisation: {_q(source)}  # {TODO}: the contributing organisation's name",
        f"unit_of_record: victim  # {TODO}: victim, case or contact: what one row counts",
        f"legal_definition: palermo  # {TODO}: the definition that decides who is counted",
        f'valid_from: "2000-01-01"  # {TODO}: the first date this coding holds for',
        "valid_to: null",
        "export:",
        *(f"  {key}: {_q(value)}" for key, value in export.items()),
        f"missing_codes: [{', '.join(_q(code) for code in missing_codes)}]",
        "variables:" if any(d.slot for d in drafts) else "variables: []",
    ]
    ignored = []
    for draft in drafts:
        if draft.slot is None:
            ignored.append(draft)
            continue
        columns = draft.columns[0] if len(draft.columns) == 1 else draft.columns
        lines.append(f"  - column: {json.dumps(columns, ensure_ascii=False)}"
                     + (f"  # {draft.evidence}" if draft.evidence else ""))
        lines.append(f"    slot: {draft.slot}")
        lines.append(f"    predicate: {draft.predicate}")
        if draft.todo:
            lines.append(f"    note: {_q(TODO + ': ' + draft.todo)}")
        if draft.split:
            lines.append(f"    split: {_q(draft.split)}")
        if draft.transform:
            lines.append("    transform:")
            for key, value in draft.transform.items():
                shown = json.dumps(value, ensure_ascii=False) if isinstance(value, list) \
                    else _q(str(value)) if key in ("date_format",) else str(value)
                lines.append(f"      {key}: {shown}")
        if draft.values:
            lines.append("    values:")
            for proposal in draft.values:
                lines.append(_value_line(proposal))
    if ignored:
        lines.append("ignored_columns:")
        for draft in ignored:
            lines.append(f"  - column: {_q(draft.columns[0])}")
            lines.append(f"    note: {_q(TODO + ': ' + (draft.todo or 'map or ignore'))}")
    return "\n".join(lines) + "\n"


def _value_line(proposal: Proposal, indent: int = 6) -> str:
    comment = f"  # {proposal.count:,} cells" + (f"; {proposal.evidence}"
                                                  if proposal.evidence else "")
    key = f"{' ' * indent}{_q(proposal.code)}:"
    if proposal.unknown:
        return f"{key} {{unknown: true}}{comment}"
    parts = [f"values: [{', '.join((proposal.target or '', *proposal.more))}]"
             if proposal.more else f"value: {proposal.target if proposal.target else 'null'}"]
    if proposal.predicate != "exactMatch":
        parts.append(f"predicate: {proposal.predicate}")
    if proposal.todo:
        parts.append(f"note: {_q(TODO + ': ' + proposal.todo)}")
    if len(parts) == 1 and proposal.target:
        return f"{key} {proposal.target}{comment}"
    return f"{key} {{{', '.join(parts)}}}{comment}"


def scaffold(export: Path, source: str, delimiter: str | None = None,
             encoding: str | None = None, schema: Path | str | None = None) -> str:
    """The draft crosswalk of ``export`` for source ``source``, as YAML text."""
    from ctdc_schema import vocabulary
    from ctdc_schema.profile import MISSING_CODES

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", source):
        raise UsageError(f"--source must be lower-case letters, digits and '-', not "
                         f"'{source[:40]}'")
    vocab = vocabulary.load(schema)
    found = profile(export, delimiter, encoding, top=MAX_CODES)
    codes = {c.name: c.top if c.distinct <= MAX_CODES else [] for c in found.columns}
    missing = set(MISSING_CODES)
    seen_missing: dict[str, int] = {}
    for column in found.columns:
        for code, n in column.missing_codes:
            seen_missing[code] = seen_missing.get(code, 0) + n
    missing_codes = [code for code, _ in sorted(seen_missing.items(), key=lambda i: -i[1])
                     if code.strip() == "" or code.strip().startswith("-")]
    # codes the header lists are unknown everywhere: no variable maps them again (CW302)
    codes = {name: [(code, n) for code, n in seen if code not in missing_codes]
             for name, seen in codes.items()}
    drafts = draft_variables(found, vocab, codes, missing)
    for item in drafts:  # a slot whose meaning depends on the source's definitions
        depends = vocab.slots[item.slot].annotations.get("definition_depends_on") \
            if item.slot else None
        if depends:
            item.predicate = "closeMatch"
            item.todo = item.todo or (f"exactMatch only if this source's {depends} is the "
                                      f"vocabulary's: the meaning of {item.slot} depends on it")
    export_block = {"file_format": Path(export).suffix.lstrip(".").lower() or "csv"}
    if export_block["file_format"] in ("csv", "tsv", "txt"):
        export_block = {"file_format": "csv", "delimiter": found.delimiter or ",",
                        "encoding": "utf-8"}
    return render(source, found, drafts, vocab, export_block, missing_codes)


@dataclass(frozen=True)
class Left:
    """A new code ``--update`` could not add: where, and why."""

    column: str
    code: str
    line: int
    reason: str


def update(export: Path, crosswalk: Path, delimiter: str | None = None,
           encoding: str | None = None, schema: Path | str | None = None
           ) -> tuple[str, list[tuple[str, str]], list[Left]]:
    """The crosswalk's text with the codes of ``export`` it does not map yet added, each as a
    TODO entry with a suggestion, at the end of its variable's ``values``; the (column, code)
    pairs added; and the new codes left out, where a variable's ``values`` are not a block
    mapping new lines can join (a flow mapping, or none). Nothing else changes, byte for
    byte: the file is read with ruamel for the positions of its nodes, and only new lines are
    inserted into its text."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    from ctdc_schema import vocabulary, yamlsource
    from ctdc_schema.crosswalk import semantics, transforms
    from ctdc_schema.crosswalk.loader import load
    from ctdc_schema.errors import InputError

    loaded, findings = load(crosswalk)
    if loaded is None:
        problem = next((f for f in findings if str(f.severity) == "error"), None)
        raise InputError(f"cannot update a crosswalk that does not load"
                         f"{': ' + problem.message if problem else ''}", crosswalk)
    text = loaded.text
    root = yamlsource.compose(crosswalk, text)
    variables_node = next((v for k, v in root.value if k.value == "variables"), None)
    if not isinstance(variables_node, SequenceNode):
        raise InputError("the crosswalk has no list of variables", crosswalk)
    vocab = vocabulary.load(schema)
    found = profile(export, delimiter, encoding, top=MAX_CODES)
    by_column = {c.name: c for c in found.columns}
    missing = {semantics.fold(code) for code in semantics.missing_codes(loaded.model)}
    lines = text.split("\n")
    inserts: list[tuple[int, list[str]]] = []
    added: list[tuple[str, str]] = []
    left: list[Left] = []
    for variable, node in zip(loaded.model.variables, variables_node.value, strict=True):
        flags = variable.transform is not None and str(variable.transform.type) == "flags"
        columns = variable.column or []
        if flags or len(columns) != 1 or columns[0] not in by_column:
            continue
        values_node = next((v for k, v in node.value if k.value == "values"), None)
        in_block = isinstance(values_node, MappingNode) and not values_node.flow_style \
            and bool(values_node.value)
        column = by_column[columns[0]]
        if column.distinct > MAX_CODES:
            continue
        lookup = semantics.Lookup(variable)
        slot_info = vocab.slots.get(variable.slot)
        labelled = Labels(vocab, variable.slot) if slot_info and slot_info.enum else None
        if not in_block and (labelled is None or variable.transform is not None):
            continue  # values read by a transform or free text: validation reports bad cells
        # a column that feeds several variables: a code no value names may be another's
        shared = sum((v.column or [])[:1] == columns for v in loaded.model.variables) > 1
        new = []
        counted: dict[str, int] = {}
        for cell, n in column.top:  # the codes as the engine reads them (split, trimmed)
            for code in semantics.items(variable, cell):
                counted[code] = counted.get(code, 0) + n
        common = _common_words(counted)
        for code, n in sorted(counted.items(), key=lambda i: (-i[1], i[0])):
            if lookup.find(code) is not None or semantics.fold(code) in missing:
                continue
            if variable.transform is not None and slot_info is not None and \
                    transforms.apply(variable.transform, code, slot_info, vocab)[0] is not None:
                continue  # the transform reads it already
            if says_unknown(code, missing) or labelled is None:
                proposal = Proposal(code, n, evidence="looks like no information"
                                    if labelled else "")
            else:
                proposal = _propose(code, n, labelled, catch_all=not shared, common=common)
            proposal.todo = "new in this delivery: " + (
                f"confirm {proposal.target}" if proposal.target else "mark it unknown, or "
                "map it" if proposal.evidence else "map it, or mark it unknown")
            proposal.predicate = "closeMatch" if proposal.target else proposal.predicate
            new.append(proposal)
        if not new:
            continue
        if not in_block or values_node is None:
            shape = "a flow mapping" if values_node is not None and getattr(
                values_node, "flow_style", False) else "not a block mapping" \
                if values_node is not None else "absent"
            left += [Left(columns[0], p.code, node.start_mark.line + 1,
                          f"its values are {shape}") for p in new
                     if (columns[0], p.code) not in {(x.column, x.code) for x in left}]
            continue
        added += [(columns[0], p.code) for p in new]
        indent = values_node.value[0][0].start_mark.column
        at = values_node.value[-1][0].start_mark.line + 1
        while at < len(lines) and (not lines[at].strip() or lines[at].lstrip().startswith("#")
                                   or len(lines[at]) - len(lines[at].lstrip()) > indent):
            at += 1  # the last entry's own lines (a block value), and what follows it
        while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
            at -= 1  # before the blank lines and comments that follow the last entry
        inserts.append((at, [_value_line(p, indent) for p in new]))
    for at, block in sorted(inserts, reverse=True):
        lines[at:at] = block
    return "\n".join(lines), added, left

"""SV: what a version number promises, checked by ``ctdc validate --against REF``.

The changes since REF are classified by ``ctdc diff`` (CH1xx breaking, CH2xx additive, CH3xx
patch); these rules say what that asks of the version numbers. The policy in full is on the
docs site's "Versions and changes" page (``ctdc_schema.site``).
"""

from __future__ import annotations

from ctdc_schema.findings import Rule, Severity, register

POLICY = (
    "A version number is a promise to the people who use the data: a new patch version "
    "changes wording only, a new minor version adds (nothing harmonised before changes "
    "meaning), and only a new major version may re-mean or remove something. ")

VOCABULARY_VERSION = register(Rule(
    code="SV101", name="vocabulary-version-too-low", severity=Severity.ERROR,
    summary="The vocabulary's version did not step up as far as its changes since REF ask.",
    explanation=POLICY + "`ctdc diff --against REF` lists the vocabulary's changes; the "
    "largest class decides: any breaking change (CH1xx) needs a new major version, any "
    "additive one (CH2xx) at least a new minor version, wording (CH3xx) at least a new patch "
    "version. The version never goes down.",
    bad="# at REF: version: 1.2.0; now Gender's value transgender_nonconforming is gone\n"
        "version: 1.3.0\n",
    good="version: 2.0.0\n# and schema/changes/ctdc.yaml has an entry for 2.0.0\n",
))

RELEASED_EDITED = register(Rule(
    code="SV102", name="released-crosswalk-edited", severity=Severity.ERROR,
    summary="A crosswalk version released at REF changed beyond wording.",
    explanation=POLICY + "Harmonised records name the crosswalk version they were made "
    "with, so a released file may change in place only at patch level (notes, titles, "
    "descriptions, its `changes` list, its `schema_version` range), or close its open window "
    "where a new version takes over (CH205). Anything else goes in a new version file: "
    "either one that `supersedes` it for the same dates, or one that continues it from a "
    "later date.",
    bad='# crosswalks/iom/2.0.0.yaml, released\n"Feminine": male   # was female\n',
    good='# crosswalks/iom/3.0.0.yaml\nsupersedes: 2.0.0\nchanges:\n  - kind: breaking\n'
         '    summary: "Feminine" now reaches male.\n',
))

RELEASED_REMOVED = register(Rule(
    code="SV103", name="released-version-removed", severity=Severity.ERROR,
    summary="A crosswalk version file released at REF was removed or renamed.",
    explanation=POLICY + "Records harmonised with that version name it; removing the file "
    "leaves them without the mapping that made them. Keep it: a version that `supersedes` it "
    "takes its dates, or a successor takes over from a later date.",
    bad="git rm crosswalks/polaris/2.0.0.yaml\n",
    good="# crosswalks/polaris/3.0.0.yaml\nsupersedes: 2.0.0\n",
))

CROSSWALK_VERSION = register(Rule(
    code="SV104", name="crosswalk-version-too-low", severity=Severity.ERROR,
    summary="A new crosswalk version's number does not step up from its predecessor as far "
            "as its changes ask.",
    explanation=POLICY + "The predecessor is the version it `supersedes`, else the version "
    "whose window ends where its own begins, else the highest lower version of the source. "
    "A version that continues its predecessor from a later date records a change in the "
    "source's own coding: codes the source stopped writing (CH204) are additive there, since "
    "records of the old dates keep the old version; a code both versions map that now "
    "reaches another target or a weaker match (CH105, CH106) breaks every time series across "
    "the boundary and needs a new major version.",
    bad="# 2.2.0.yaml, supersedes: 2.1.0; 'Other' now reaches other_exploitation (CH105)\n",
    good="# 3.0.0.yaml, supersedes: 2.1.0\n",
))

CHANGES_MISSING = register(Rule(
    code="SV105", name="changes-missing", severity=Severity.ERROR,
    summary="A version that is new since REF has no `changes` entry.",
    explanation="Every new version says what it changed, in a line or two for the people who "
    "use the data: a crosswalk in its own `changes` list, the vocabulary in an entry of "
    "schema/changes/ctdc.yaml. `ctdc changelog` and the docs site's changelog page are made "
    "from them.",
    bad="version: 2.2.0\n# no changes:\n",
    good="version: 2.2.0\nchanges:\n  - kind: additive\n    summary: The venue code "
         "'Carnivals' is mapped to other.\n",
))

UNREADABLE_AT_REF = register(Rule(
    code="SV106", name="released-unreadable", severity=Severity.WARNING,
    summary="A crosswalk file at REF does not load with this ctdc, so its changes since REF "
            "are not checked.",
    explanation="The file was released under an older crosswalk format (or was broken at "
    "REF). Nothing is compared for it, so nothing is promised: check its changes by hand "
    "(`git diff REF -- FILE`), or compare against a later revision.",
    bad="(REF: a crosswalk with a key this ctdc no longer accepts)\n",
    good="ctdc validate --against origin/main   # a revision whose files this ctdc reads\n",
))

"""Pydantic v2 classes of the vocabulary, generated from ``schema/ctdc.yaml``.

``from ctdc_schema.datamodel import VictimRecord, Dataset``. The module ``ctdc`` next to this
file is written by ``ctdc generate`` (linkml gen-pydantic) and checked for drift; there is no
hand-written copy to keep in sync.
"""

from ctdc_schema.datamodel.ctdc import *  # noqa: F403

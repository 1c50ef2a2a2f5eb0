"""The reporter base class and the name registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from ctdc_schema.errors import UsageError
from ctdc_schema.findings import FailOn, Report, Severity


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    fail_on: FailOn = "error"

    def fails(self, severity: Severity) -> bool:
        """Whether a finding of ``severity`` fails the run under ``fail_on``."""
        return self.fail_on != "never" and severity.rank >= Severity(self.fail_on).rank


class Reporter(ABC):
    """Turns a Report into the text of one output format."""

    name: ClassVar[str]

    def __init__(self, options: RenderOptions | None = None) -> None:
        self.options = options or RenderOptions()

    @abstractmethod
    def render(self, report: Report) -> str:
        """The whole output, ending with a newline."""


REPORTERS: dict[str, type[Reporter]] = {}


def register(cls: type[Reporter]) -> type[Reporter]:
    REPORTERS[cls.name] = cls
    return cls


def get(name: str, options: RenderOptions | None = None) -> Reporter:
    try:
        return REPORTERS[name](options)
    except KeyError:
        raise UsageError(
            f"unknown format '{name}'; choose one of: {', '.join(sorted(REPORTERS))}"
        ) from None

"""govtag: tag the units of Chinese government reports as measure, outcome, shortcoming, plan or other."""

from .tagger import TaggedReport, TaggedUnit, Tagger

__all__ = ["Tagger", "TaggedReport", "TaggedUnit"]

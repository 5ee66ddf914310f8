"""Road closures and construction sites: one internal model, feed adapters, queries.

The package has one module per job (the shape of Rasa's ``rasa/core/channels/``: one
module per connector over one base):

* :mod:`.model`: :class:`Closure`, :class:`ParseResult`, feed dates, severity ranks;
  what every adapter shares;
* one adapter per feed format, each turning a document into a :class:`ParseResult`:
  :mod:`.viz` (the GeoJSON of the Berlin traffic information centre) and :mod:`.datex2`
  (DATEX II ``SituationPublication``, as published by MobiData BW);
* :mod:`.formats`: :func:`parse_feed` recognises the format by content;
* :mod:`.queries`: status, current and upcoming, periods, districts (compass words);
* :mod:`.streets`: which streets of the feed a message mentions;
* :mod:`.wording`: the validity in German for the citizen.

Every entry becomes a :class:`Closure` or is skipped with a reason (logged and returned
in :class:`ParseResult`); nothing is invented for missing data. A document that is not
of the expected shape raises :class:`FeedFormatError`. The queries take the current time
explicitly, so the caller (and the tests) decide what "now" is.

A new feed format is a new module next to :mod:`.viz` that returns a
:class:`ParseResult`, plus one branch in :func:`.formats.parse_feed`.

Everything public is imported from here (``from bot.knowledge.closures import ...``).
"""

from __future__ import annotations

from bot.knowledge.closures.datex2 import parse_datex2
from bot.knowledge.closures.formats import parse_feed
from bot.knowledge.closures.model import (
    DISTRICT_MATCH_THRESHOLD,
    SOURCE_DATEX2,
    SOURCE_VIZ,
    STREET_MATCH_THRESHOLD,
    TIMEZONE_NAME,
    Closure,
    FeedFormatError,
    ParseResult,
    local_tz,
    parse_datetime,
    severity_rank,
    split_street,
)
from bot.knowledge.closures.queries import (
    COMPASS,
    COMPASS_NAMES,
    closure_rank,
    current_and_upcoming,
    in_district,
    in_period,
    status,
)
from bot.knowledge.closures.streets import match_street, normalize_street, on_street
from bot.knowledge.closures.viz import parse_viz_geojson
from bot.knowledge.closures.wording import format_period
from bot.text import fold

__all__ = [
    "COMPASS",
    "COMPASS_NAMES",
    "DISTRICT_MATCH_THRESHOLD",
    "SOURCE_DATEX2",
    "SOURCE_VIZ",
    "STREET_MATCH_THRESHOLD",
    "TIMEZONE_NAME",
    "Closure",
    "FeedFormatError",
    "ParseResult",
    "closure_rank",
    "current_and_upcoming",
    "fold",
    "format_period",
    "in_district",
    "in_period",
    "local_tz",
    "match_street",
    "normalize_street",
    "on_street",
    "parse_datetime",
    "parse_datex2",
    "parse_feed",
    "parse_viz_geojson",
    "severity_rank",
    "split_street",
    "status",
]

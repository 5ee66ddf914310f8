"""Handoff reason for every citizen message: identifiers, own case, sensitive topics.

:func:`detect` decides whether a message must go to a human and why. It never answers,
stores or echoes what it found: :class:`Detection` carries only labels
(``triggers``) and character spans (``findings``), never the matched values.
:func:`find_identifiers` locates personal identifiers; :mod:`bot.handoff.redact` uses
it to replace them with placeholders.

Reasons, highest priority first (when several apply, the first one wins)::

    emergency > personal_data > sensitive_topic > case_specific > complain > request_human

* ``emergency``: danger to life or limb (``emergency=True``) or signs of a personal
  crisis such as suicidal thoughts (``crisis=True``).
* ``personal_data``: the message contains an identifier (:func:`find_identifiers`).
* ``sensitive_topic``: health, residence status/asylum, child welfare, social benefits
  of a person, violence or threats.
* ``case_specific``: the citizen's own application, notice, payment, objection or
  data-protection request.
* ``complain``: complaints about staff, decisions or the service.
* ``request_human``: the citizen asks for a person.

An NLU ``intent`` is a hint: ``ask_case_status`` adds case_specific, ``request_human``
and ``complain`` add their reason; a pattern with a higher priority still wins.

Decisions (documented, tested):

* The city's own published phone numbers (``public_phone_prefixes`` of its profile,
  ``KNOWLEDGE_DIR/city.yml``; the demo city's ``02101 100-...``) and toll-free/service
  numbers (0800, 0180) are not personal data; any other phone number is. E-mail
  addresses of the city's domains (``public_email_domains`` of the profile) are not
  personal data; any other address is. See :func:`public_phone_prefixes`,
  :func:`public_email_domains`. A second city's directory brings its own.
* An IBAN needs a valid mod-97 checksum (python-stdnum) and a Steuer-ID a valid check
  digit (``stdnum.de.idnr``). A number with a wrong checksum is not an ``iban`` /
  ``tax_id`` finding, but when the citizen names it ("IBAN ...", "meine Steuer-ID ist
  ...") it is still a ``labelled_number`` finding, so a typo cannot carry it into a
  messenger. Without such a label it is ignored.
* A date is a birth date only next to "geb.", "geboren", "Geburtsdatum", "Geburtstag"
  or an asterisk; the capitalised name right before "geb." is a ``name`` finding. A
  birth date of a family member counts (it identifies a person).
* Addresses, street names, offices, rooms, opening hours, fees and other dates are not
  personal data. Names on their own are not detected.
* The assistant's own case references (``MS-7K4P-Q2XD``, the prefix from the city
  profile, :func:`bot.handoff.reference.reference_pattern`) are
  not identifiers: the bot sends them through every channel so that a citizen can
  continue on the website. A message that quotes one is case-specific.
* Rasa command messages (``/intent{...}`` from buttons or the website's resume link)
  are written by the assistant, not the citizen: only identifiers and the intent count.
* General questions about a benefit, permit or procedure are routine; the same topic
  about the citizen's own situation is sensitive or case-specific.

The package (shaped like Rasa's ``rasa/core/channels/``: one module per job):
:mod:`.model` (reasons, findings, the decision), :mod:`.identifiers` (identifier
finders), :mod:`.rules` (the reason patterns and keyword lists, read once from
``data/knowledge/handoff_detection.yml`` and validated), :mod:`.reasons` (the reason
rules and :func:`detect`) and :mod:`.evaluation` (the labelled-set report). Everything
public is imported from here.

All patterns are compiled once, on first import; python-stdnum is imported on first
use because ``stdnum.iban`` reads its registry file when imported. Patterns start at
token boundaries and use bounded repetition only, so the work grows linearly with the
length of the text (a 100 KB message takes well under a second).
"""

from __future__ import annotations

from bot.handoff.detect.evaluation import evaluate, format_report
from bot.handoff.detect.identifiers import (
    find_identifiers,
    is_public_phone,
    public_email_domains,
    public_phone_prefixes,
)
from bot.handoff.detect.model import (
    IDENTIFIER_KINDS,
    INTENT_HINTS,
    REASONS,
    Detection,
    Finding,
)
from bot.handoff.detect.reasons import detect, normalize

__all__ = [
    "IDENTIFIER_KINDS",
    "INTENT_HINTS",
    "REASONS",
    "Detection",
    "Finding",
    "detect",
    "evaluate",
    "find_identifiers",
    "format_report",
    "is_public_phone",
    "normalize",
    "public_email_domains",
    "public_phone_prefixes",
]

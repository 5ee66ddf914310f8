"""Insult, complaint or threat: what a hostile message is, and what the assistant does.

- An insult without a concern ("Ihr seid doch alle unfähige Idioten") gets the calm
  netiquette reminder and is counted (slot ``netiquette_count``); no ticket. From the
  third reminder in a conversation on, the reminder also names the Bürgerbüro's contact.
- An insult with a concrete complaint ("Ihr Idioten, mein Antrag liegt seit drei
  Monaten") is a complaint: the normal handoff (consent, ticket).
- A threat ("Ich bringe euch alle um", "Ich zünde das Rathaus an") goes to staff at
  once, as urgent, whatever else the message says.

The handoff detector (``bot.handoff.detect``) reads words like "unfähig" as a complaint;
this module decides on the dialogue side whether there is anything to complain about.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.dialogue import Outcome
from bot.dialogue.handoff import HandoffRequest
from bot.knowledge.base import Knowledge
from bot.text import UMLAUTS

REPEAT_AFTER = 3  # from this reminder on, the reply also names the contact


_NOT_A_TIME = (
    r"(?! (?:\d|halb|viertel|ein|eins|zwei|drei|vier|fuenf|sechs|sieben|acht|neun|zehn|elf"
    r"|zwoelf|uhr))"
)
_THREAT = re.compile(
    r"\bbring\w* (?:euch|dich|sie|ihn|die|den|alle|jeden) (?:\w+ ){0,2}um\b"
    + _NOT_A_TIME
    + r"|\b(?:mach|mache|machen) (?:euch|dich|sie|ihn) (?:alle )?(?:fertig|kalt|platt)\b"
    r"|\bknall\w* (?:euch|dich|sie|ihn|alle) (?:\w+ ){0,2}ab\b"
    r"|\bumbring\w*|\bumzubringen\b|\btoet(?:e|en|et)\b|\babknall\w*|\babstech\w*|\berschiess\w*"
    r"|\banzuend\w*|\bzuende\w* (?:\w+ ){0,4}an\b|\babfackeln\b|\bin die luft (?:jag|spreng)\w*"
    r"|\bspreng\w* (?:\w+ ){0,3}(?:rathaus|amt|buero|euch)|\bbombe\b|\bamok\w*"
    r"|\bmit (?:einer |einem |ner |nem )?(?:waffe|pistole|messer|knarre|axt)\b"
    r"|\bich weiss,? wo (?:du|sie|ihr) wohn\w*"
    r"|\b(?:ihr werdet|du wirst|sie werden|werdet ihr|wirst du|werden sie) (?:\w+ ){0,2}bereuen\b"
    r"|\bihr seid (?:alle )?(?:tot|dran)\b"
)

_INSULT = re.compile(
    r"\b(?:\w*idiot\w*|depp\w*|trottel\w*|vollpfosten|\w*arsch\w*|bloed\w*|dumm\w*|doof\w*"
    r"|bescheuert\w*|unfaehig\w*|inkompetent\w*|penner|wichser|hurensohn|schwachkopf\w*"
    r"|schwachmat\w*|saftladen|scheiss\w*|verpiss\w*|fick\w*|nutzlos\w*|hirnlos\w*|spast\w*"
    r"|honk|pfeife|versager\w*|taugenichts|dreckspack|drecksladen|witzfigur\w*|flasche"
    r"|faulpelz\w*|faule? (?:saecke|sack|bande)|bande|pack|lusche\w*|clown\w*)\b"
    r"|\bleck mich\b|\bhalt(?:'s| das| die) (?:maul|klappe|fresse)\b"
)

# Something concrete to complain about: a case, a person, a wait, money, a letter.
_CONCERN = re.compile(
    r"\b(?:antrag\w*|bescheid\w*|termin\w*|warte\w*|mitarbeiter\w*|sachbearbeiter\w*|beamt\w*"
    r"|kollege\w*|gebuehr\w*|rechnung\w*|bearbeit\w*|abgelehnt|erreich\w*|telefon\w*|angerufen"
    r"|anruf\w*|e ?mail\w*|brief\w*|schreiben|post|geld|zahlung\w*|bezahlt|seit|wochen|monate\w*"
    r"|stunden|verloren|falsch\w*|fehler\w*|beschwer\w*|schalter|behandelt|angeschrien"
    r"|unfreundlich\w*|ausweis\w*|pass|formular\w*|strafzettel|knoellchen|mahnung\w*|akte\w*"
    r"|vorgang\w*|nachbar\w*|strasse\w*|muell\w*|kita\w*|wohngeld|steuer\w*)\b"
)


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9']+", " ", (text or "").lower().translate(UMLAUTS)).split())


def is_threat(text: str) -> bool:
    """The message threatens violence against people or the administration."""
    return bool(_THREAT.search(_fold(text)))


def is_insult(text: str) -> bool:
    """The message insults (swear words, name-calling)."""
    return bool(_INSULT.search(_fold(text)))


def has_concern(knowledge: Knowledge | None, text: str) -> bool:
    """The message names something concrete: a case, a person, a wait, a service, an office."""
    folded = _fold(text)
    if _CONCERN.search(folded):
        return True
    if knowledge is None:
        return False
    from bot.dialogue.resolve import ACCEPT_SCORE

    return bool(
        knowledge.find_services(text, threshold=ACCEPT_SCORE)
        or knowledge.find_offices(text, threshold=ACCEPT_SCORE)
    )


def classify(knowledge: Knowledge | None, text: str) -> str | None:
    """``"threat"``, ``"insult"`` (nothing concrete), ``"complaint"`` (insult + concern) or None."""
    if is_threat(text):
        return "threat"
    if is_insult(text):
        return "complaint" if has_concern(knowledge, text) else "insult"
    return None


def reminder(slots: dict[str, Any]) -> Outcome:
    """The calm netiquette reminder, counted in ``netiquette_count``."""
    count = int(float(slots.get("netiquette_count") or 0)) + 1
    out = Outcome(slots={"netiquette_count": float(count)})
    out.say("utter_insult" if count < REPEAT_AFTER else "utter_insult_repeated")
    return out


def threat(
    req: HandoffRequest, switch: bool, create: Callable[[HandoffRequest, bool], Outcome]
) -> Outcome:
    """A threat: said plainly that it goes to staff, an urgent ticket at once."""
    urgent = HandoffRequest(
        sender_id=req.sender_id,
        channel=req.channel,
        reason="emergency",
        triggers=[*req.triggers, "netiquette:threat"],
        emergency=True,
        crisis=req.crisis,
        key=req.key,
    )
    out = Outcome(slots={"topic": "handoff"})
    out.say("utter_netiquette_threat")
    created = create(urgent, switch)
    out.replies += created.replies
    out.slots.update(created.slots)
    return out

"""The shape of a topic's template bank, and the sentences every topic shares.

Templates are ``str.format`` strings whose slots (``{place}``, ``{official}``, ``{pct}`` …) are
filled from :func:`newswire.app.demo.articles.slot_values`. A template never starts with a slot that
needs lower case: the article writer capitalises the first letter of every sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r"^\[([a-z ]+)\]\s*(.+)$")


def lines(block: str) -> tuple[str, ...]:
    """One template per non-blank line, surrounding whitespace stripped."""
    return tuple(line.strip() for line in block.splitlines() if line.strip())


@dataclass(frozen=True)
class Template:
    """A template and the storylines it fits (none listed: every story on its topic)."""

    text: str
    storylines: frozenset[str] = frozenset()

    def fits(self, storyline: str) -> bool:
        return not self.storylines or storyline in self.storylines


def tagged(block: str) -> tuple[Template, ...]:
    """Templates one per line, each optionally led by its storylines: ``[vote memo] Text``."""
    out = []
    for line in lines(block):
        match = _TAG.match(line)
        if match:
            out.append(Template(match.group(2), frozenset(match.group(1).split())))
        else:
            out.append(Template(line))
    return tuple(out)


@dataclass(frozen=True)
class TopicBank:
    """Everything needed to write plausible stories on one topic.

    Each headline belongs to one storyline (a vote, a takeover, a match report…); an
    article picks a storyline, then a headline, lede, body sentences and quotes that fit
    it, so that the parts of one story agree. ``orgs`` are named without an article
    (templates write ``the {org}``); ``quotes`` carry no quotation marks and no final
    punctuation, so the writer can use them inline or in a ``<blockquote>``.
    """

    name: str
    section: str
    tags: tuple[str, ...]
    roles: tuple[str, ...]
    orgs: tuple[str, ...]
    subjects: tuple[str, ...]
    expert_titles: tuple[str, ...]
    headlines: tuple[Template, ...]
    ledes: tuple[Template, ...]
    body: tuple[Template, ...]
    quotes: tuple[Template, ...]
    subheads: tuple[str, ...]
    civic: bool = True  # whether CIVIC_BODY sentences fit this topic's stories

    @property
    def storylines(self) -> tuple[str, ...]:
        return tuple(sorted({s for h in self.headlines for s in h.storylines}))

    def fitting(self, kind: str, storyline: str) -> list[str]:
        """The texts of ``kind`` ("headlines", "ledes", "body", "quotes") that fit."""
        templates = {
            "headlines": self.headlines,
            "ledes": self.ledes,
            "body": self.body,
            "quotes": self.quotes,
        }[kind]
        return [t.text for t in templates if t.fits(storyline)]


# Fit any story.
SHARED_BODY = lines("""
    The story drew strong reactions on social media, where it was widely shared on {weekday}.
    It is the {ordinal} time this year that the subject has made headlines in {region}.
""")

# Fit stories about policy, money and public services (not sport, science or the arts).
CIVIC_BODY = lines("""
    The announcement was made during a briefing in {place} on {weekday}.
    It is not yet clear how the changes will affect people living in {place2}.
    The move has been welcomed by some, but others say it raises more questions than it answers.
    Officials said a full review would be carried out before any final decision is taken.
    Asked whether further announcements were planned, a spokesperson said it was “too early to say”.
    The issue has been a source of debate in {region} for several years.
    A report published last year warned that similar problems could arise without more investment.
    The decision follows months of pressure from campaigners and community groups.
    Those affected have been advised to check for updates online.
    Similar schemes have been tried elsewhere, with varying degrees of success.
    Critics say the timing could hardly be worse, with costs rising across the board.
    The {org} is expected to set out its response in more detail later this month.
    Opinion among experts remains divided over what comes next.
    “We need to see the detail before we can judge,” said one person familiar with the discussions.
    More than {any_big} people have signed up for updates since the plans were first announced.
    Further details are expected in the coming days.
    The {org} said it had been in contact with everyone affected.
    None of those involved would say publicly what happens next.
    Local people who spoke to reporters on {weekday} had mixed feelings.
    Previous attempts to resolve the matter, most recently in {past_year}, ended in stalemate.
""")

CAPTIONS = lines("""
    The scene in {place} on {weekday}.
    {official} pictured earlier this year.
    A view across {place2} this week.
    Residents in {place} on {weekday} morning.
""")

QUOTE_ATTRIBUTIONS = lines("""
    {surname} said
    said {official}
    {surname} told reporters
""")

CLOSERS = lines("""
    Additional reporting by {reporter}.
    This article was amended on {weekday} to correct a figure in the seventh paragraph.
    This is a developing story and will be updated.
    {reporter} contributed to this report.
""")

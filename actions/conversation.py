"""Which entry a message is about, given what the conversation already said.

A person asks "what is a T visa?", then "how long does it take?". The second message names
no topic: the follow-up is answered for the topic answered last (the `last_topic` slot that
the answering actions set). A message that names another topic switches to it. A message
that names two protections ("T or U visa?") gets their comparison. An eligibility question
("can I get…", "do I qualify…") gets the requirements, never a yes. A message that also
describes a situation (documents taken, unpaid work, a debt) gets one more line about what
that may mean.

Pure functions of the knowledge base and the parsed message, so that they are unit-tested
without Rasa; the actions (answers.py, fallback.py) turn the result into messages and slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence

from actions.knowledge import GENERIC_ASPECTS, Entry, KnowledgeBase, Topic

LAST_TOPIC, LAST_ENTRY = "last_topic", "last_entry"
FOLLOWUP_INTENT = "ask_followup"
COMPARISON_INTENT = "ask_comparison"
COMPARISON_TOPIC = "comparison"
ASPECT, TOPIC = "aspect", "topic"

# "can I get…", "will I get…", "do I qualify…": answered with the requirements (never a yes).
QUALIFY = "qualify"
ELIGIBILITY = "eligibility"
# "difference", "vs", "compare", "which is better": asks for a comparison.
COMPARE = "compare_t_visa"
# The protections that have comparison entries (aspects `a+b`, names sorted).
COMPARABLE = ("continued_presence", "t_visa", "u_visa", "vawa")
# Parts of a story that can be signs of trafficking: a message with one of these and a
# question gets one line about what the situation may mean.
SITUATION_SIGNS = ("documents_taken", "unpaid", "1581")
# Topics that already explain what a situation may mean, or where the line would not fit.
NO_SITUATION_LINE = ("signs", "situation", "definition", "law", "human", "hotline")
# Aspects that stand for another aspect when an entry is chosen.
ALIASES = {"documents_taken": "1592", "unpaid": "unpaid"}
# "is this chat private? my trafficker checks my phone": how to stay safe comes first.
SAFETY_FIRST = ("abuser",)
# Where an eligibility question goes when it names no protection.
ELIGIBILITY_FALLBACK = "protections"
TRAFFICKING_ELIGIBILITY = "t_visa"
STORY_TOPICS = ("situation", "signs", "definition", "law", "wages", "documents")
# Above this confidence, the classifier's topic stands even if the message names another one
# ("does calling the hotline count as reporting for the T visa?" is about reporting).
SURE = 0.6
# Aspects answered by a topic of their own when the topic at hand has no entry for them:
# "how long does it take?" after the T visa is about USCIS processing times.
REDIRECTS = {"processing": "processing_times"}
# Topics that answer a side question about the topic at hand: they do not replace it.
SIDE_TOPICS = ("processing_times",)


@dataclass(frozen=True)
class Resolution:
    entry: Entry
    eligibility_question: bool = False
    situation: bool = False
    # The topic a later follow-up is about, when it is not the entry's own: "how long does it
    # take?" about the T visa is answered from processing_times, but "does it cost money?"
    # next is still about the T visa; after "T or U visa?", the first of the two.
    remember: Optional[str] = None

    @property
    def topic(self) -> str:
        return self.remember or self.entry.topic


def values(message: Dict[str, Any], entity: str) -> List[str]:
    """The values of one entity in a parsed message, in text order, without repeats."""
    found = [str(e.get("value")) for e in message.get("entities") or [] if e.get("entity") == entity]
    return list(dict.fromkeys(found))


def _order(aspects: Sequence[str]) -> List[str]:
    """Specific aspects first (someone watching the person's phone before anything else); an
    eligibility question before the other generic ones."""
    plain = [ALIASES.get(a, a) for a in aspects if a != QUALIFY]
    plain = [a for a in plain if a in SAFETY_FIRST] + [a for a in plain if a not in SAFETY_FIRST]
    specific = [a for a in plain if a not in GENERIC_ASPECTS]
    generic = [a for a in plain if a in GENERIC_ASPECTS and a != ELIGIBILITY]
    asks_eligibility = QUALIFY in aspects or ELIGIBILITY in aspects
    return specific + ([ELIGIBILITY] if asks_eligibility else []) + generic


def _specific(topic: Topic, aspects: Sequence[str]) -> bool:
    """Whether the aspects pick an entry of `topic` other than its overview."""
    return bool(aspects) and topic.select(_order(aspects)) is not topic.overview


def _comparison(kb: KnowledgeBase, named: Sequence[str], last_topic: Optional[str], asked: bool) -> Optional[Entry]:
    topic = kb.topics.get(COMPARISON_TOPIC)
    if topic is None:
        return None
    pair = [t for t in named if t in COMPARABLE][:2]
    if len(pair) == 1 and last_topic in COMPARABLE and last_topic != pair[0]:
        pair.append(last_topic)
    if len(pair) == 2:
        key = "+".join(sorted(pair))
        chosen = next((e for e in topic.entries if key in e.aspects), None)
        if chosen is not None:
            return chosen
    return topic.overview if asked else None


def resolve(
    kb: KnowledgeBase,
    intent: Optional[str],
    aspects: Sequence[str],
    named: Sequence[str],
    last_topic: Optional[str],
    confidence: float = 1.0,
) -> Optional[Resolution]:
    """The entry that answers a message, or None when nothing says which topic it is about.

    intent: the classifier's intent; aspects / named: the `aspect` / `topic` entities;
    last_topic: the topic answered last in this conversation (slot), if any;
    confidence: the classifier's confidence in `intent`.
    """
    # "T or U visa?": one name for two topics (data/nlu/topics.yml, `t_visa+u_visa`)
    named = [t for name in named for t in name.split("+") if t in kb.topics]
    last_topic = last_topic if last_topic in kb.topics else None
    compared = [t for t in named if t in COMPARABLE]
    asks_comparison = intent == COMPARISON_INTENT
    if asks_comparison or len(compared) >= 2 or (COMPARE in aspects and compared and compared[0] != last_topic):
        entry = _comparison(kb, named, last_topic, asks_comparison)
        if entry is not None:
            return Resolution(entry, remember=compared[0] if compared else last_topic)

    topic = kb.topic_for_intent(intent)
    qualify = QUALIFY in aspects
    if intent == FOLLOWUP_INTENT or topic is None or topic.name == COMPARISON_TOPIC:
        chosen = named[0] if named else last_topic
        if chosen is None:
            return None
        topic = kb.topics[chosen]
    elif (
        named
        and topic.name not in named
        and (qualify or topic.name in STORY_TOPICS or (confidence < SURE and _specific(kb.topics[named[0]], aspects)))
    ):
        topic = kb.topics[named[0]]  # "…took my passport. Can I get a T visa?"
    elif not named and last_topic and last_topic != topic.name:
        remembered = kb.topics[last_topic]  # "does it cost money?" after the T visa
        if _specific(remembered, aspects) and not _specific(topic, aspects):
            topic = remembered
    if qualify and not named and confidence < SURE and topic.name in COMPARABLE and last_topic in STORY_TOPICS:
        # "is there some kind of visa for that?" after a story of forced work: the classifier's
        # guess at which visa is weaker than what the conversation already said
        topic = kb.topics[TRAFFICKING_ELIGIBILITY]
    if qualify and not named and topic.name in STORY_TOPICS:
        signs = any(a in SITUATION_SIGNS for a in aspects)
        topic = kb.topics[TRAFFICKING_ELIGIBILITY if signs else ELIGIBILITY_FALLBACK]

    remember = None
    for aspect, target in REDIRECTS.items():
        others = [a for a in aspects if a != aspect]
        if (
            aspect in aspects
            and target in kb.topics
            and topic.name != target
            and not _specific(topic, others)
            and not any(aspect in e.aspects for e in topic.entries)
        ):
            remember, topic = topic.name, kb.topics[target]
    if topic.name in SIDE_TOPICS and not named and last_topic and remember is None:
        remember = last_topic
    entry = topic.select(_order(aspects))
    situation = any(a in SITUATION_SIGNS for a in aspects) and entry.topic not in NO_SITUATION_LINE
    return Resolution(entry, eligibility_question=qualify, situation=situation, remember=remember)


def topics_with(kb: KnowledgeBase, aspects: Iterable[str]) -> List[Topic]:
    """Topics that have an entry for one of the aspects: the choices for a lone follow-up."""
    wanted = [ALIASES.get(a, a) for a in aspects if a != QUALIFY]
    return [
        t
        for t in kb.topics.values()
        if t.name != COMPARISON_TOPIC and any(a in e.aspects for e in t.entries for a in wanted)
    ]


def answered_entry(kb: KnowledgeBase, key: Optional[str]) -> Optional[Entry]:
    """The knowledge entry answered last (the `last_entry` slot), or None if there is none now."""
    try:
        found = kb.lookup(key) if key else None
    except KeyError:  # a conversation older than a knowledge change
        return None
    return found if isinstance(found, Entry) and found.topic in kb.topics else None


def compared_pair(kb: KnowledgeBase, last_entry: Optional[str]) -> List[str]:
    """The two topics of the comparison answered last ("T or U visa?"), or []."""
    entry = answered_entry(kb, last_entry)
    if entry is None or entry.topic != COMPARISON_TOPIC:
        return []
    pairs = [a.split("+") for a in entry.aspects if "+" in a]
    return [t for t in pairs[0] if t in kb.topics] if pairs else []


def also_for_pair(
    kb: KnowledgeBase, resolution: Resolution, aspects: Sequence[str], named: Sequence[str], last_entry: Optional[str]
) -> Optional[Entry]:
    """After a comparison, a follow-up about one aspect ("how long does each one last?") is
    about both: the other protection's entry for that aspect, when it has one."""
    if named:
        return None
    pair = compared_pair(kb, last_entry)
    if resolution.entry.topic not in pair:
        return None
    for other in pair:
        if other != resolution.entry.topic and _specific(kb.topics[other], aspects):
            return kb.topics[other].select(_order(aspects))
    return None

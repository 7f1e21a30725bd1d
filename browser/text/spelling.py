"""British and American spellings as one word: ``american("behaviour") == "behavior"``.

Applied to every normalised word before stemming, on the index side and the query side,
so ``behaviour`` finds "Behavior", ``optimisation`` finds "optimization" and
``modelling`` finds "modeling" without a query rewrite (and highlights still land on
the word as written). The rules follow the usual British/American pairs (Oxford's
and Merriam-Webster's spelling notes); each is limited to listed roots, because the
endings alone also end other words (``hour``, ``promise``, ``filled``):

* ``-our`` -> ``-or`` (behaviour, colour, labour, ...);
* ``-ise``/``-isation``/``-yse`` -> ``-ize``/``-ization``/``-yze`` (optimise, analyse, ...);
  every ``-isation`` is an ``-ization``;
* a doubled ``l`` before ``-ed``/``-ing``/``-er`` (modelling, labelled, travelling);
* ``-re`` -> ``-er`` (centre, fibre), ``-ce`` -> ``-se`` (defence), ``-ogue`` -> ``-og``,
  ``ae``/``oe`` -> ``e`` (anaemia, oestrogen) and single words (grey, programme, ageing).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

__all__ = ["american", "listed_pairs"]


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Each root + "our" is the British word: behavi-our, col-our, lab-our, ...
_OUR_ROOTS: Final = _word_set(
    """
    behavi col fav flav hon hum lab neighb rum vap harb arm endeav od sav vig val rig
    tum parl cand clam glam splend ard ferv ranc
    """
)
_OUR_RE: Final = re.compile(
    r"^(?P<root>[a-z]+?)our(?P<end>s|ed|ing|ite|ites|able|ably|al|ally|er|ers|less|ful)?$"
)

# Each root + "ize" is the American word whose British form is root + "ise".
_IZE_ROOTS: Final = _word_set(
    """
    agon anonym apolog author capital categor central character civil colon commercial
    computer conceptual contextual critic crystal custom decentral demoral deodor
    desensit destabil digit discret dramat econom emphas energ equal factor familiar
    fantas fertil final formal fossil general global harmon hospital human hybrid hypnot
    hypothes ideal immun individual industrial initial item internal jeopard legal
    legitim lemmat liberal linear local marginal maxim mechan memor metabol miniatur
    minim mobil modern modular monet monopol motor natural neutral normal operational
    optim organ orthogonal parameter parametr pasteur patron penal personal polar
    priorit public quant radical random rational real recogn regional regular reorgan
    revital ritual sanit satir scandal scrutin sensit serial social special stabil
    standard steril stigmat subsid summar symbol sympath synchron synthes theor token
    tranquil trivial tyrann union urban util vandal vapor vector verbal victim visual
    vocal weapon western
    """
)
_ISE_RE: Final = re.compile(r"^(?P<root>[a-z]+?)is(?P<end>e|es|ed|ing|er|ers|able|ability)$")
_ISATION_RE: Final = re.compile(r"^(?P<root>[a-z]{3,})isation(?P<end>s|al|ally)?$")
_YSE_RE: Final = re.compile(
    r"^(?P<root>ana|para|cata|hydro|dia|electro|pyro)lys(?P<end>e|ed|ing|er|ers)$"
)

# Roots whose final l doubles in British English before -ed/-ing/-er (modelling).
_DOUBLE_L_ROOTS: Final = _word_set(
    """
    model label travel signal cancel channel tunnel fuel level marshal counsel dial
    equal jewel total pedal shovel quarrel rival duel funnel gravel panel parcel pencil
    tassel initial cudgel snorkel bevel chisel enamel barrel marvel revel shrivel swivel
    yodel grovel hovel kennel libel spiral
    """
)
_DOUBLE_L_RE: Final = re.compile(r"^(?P<root>[a-z]+)l(?P<end>ed|ing|ings|er|ers)$")

_WORDS: Final = {
    "centre": "center",
    "centres": "centers",
    "centred": "centered",
    "metre": "meter",
    "metres": "meters",
    "fibre": "fiber",
    "fibres": "fibers",
    "litre": "liter",
    "litres": "liters",
    "theatre": "theater",
    "calibre": "caliber",
    "spectre": "specter",
    "lustre": "luster",
    "sombre": "somber",
    "meagre": "meager",
    "manoeuvre": "maneuver",
    "manoeuvres": "maneuvers",
    "defence": "defense",
    "defences": "defenses",
    "offence": "offense",
    "offences": "offenses",
    "licence": "license",
    "licences": "licenses",
    "pretence": "pretense",
    "catalogue": "catalog",
    "catalogues": "catalogs",
    "catalogued": "cataloged",
    "dialogue": "dialog",
    "dialogues": "dialogs",
    "analogue": "analog",
    "analogues": "analogs",
    "monologue": "monolog",
    "prologue": "prolog",
    "grey": "gray",
    "greyscale": "grayscale",
    "programme": "program",
    "programmes": "programs",
    "ageing": "aging",
    "judgement": "judgment",
    "judgements": "judgments",
    "acknowledgement": "acknowledgment",
    "acknowledgements": "acknowledgments",
    "aluminium": "aluminum",
    "sceptical": "skeptical",
    "sceptic": "skeptic",
    "scepticism": "skepticism",
    "enrol": "enroll",
    "enrolment": "enrollment",
    "fulfil": "fulfill",
    "fulfilment": "fulfillment",
    "skilful": "skillful",
    "wilful": "willful",
    "instil": "instill",
    "plough": "plow",
    "mould": "mold",
    "moulds": "molds",
    "artefact": "artifact",
    "artefacts": "artifacts",
    "anaemia": "anemia",
    "anaesthesia": "anesthesia",
    "haemoglobin": "hemoglobin",
    "haemorrhage": "hemorrhage",
    "leukaemia": "leukemia",
    "paediatric": "pediatric",
    "orthopaedic": "orthopedic",
    "encyclopaedia": "encyclopedia",
    "oesophagus": "esophagus",
    "oestrogen": "estrogen",
    "foetus": "fetus",
    "foetal": "fetal",
    "oedema": "edema",
    "diarrhoea": "diarrhea",
    "whilst": "while",
    "amongst": "among",
}


@lru_cache(maxsize=100_000)
def american(word: str) -> str:
    """The American spelling of a normalised (lower-case, accent-folded) word, else the word."""
    if len(word) < 4 or not word.isalpha():
        return word
    known = _WORDS.get(word)
    if known is not None:
        return known
    match = _OUR_RE.match(word)
    if match is not None and match.group("root") in _OUR_ROOTS:
        return f"{match.group('root')}or{match.group('end') or ''}"
    match = _ISATION_RE.match(word)
    if match is not None:
        return f"{match.group('root')}ization{match.group('end') or ''}"
    match = _ISE_RE.match(word)
    if match is not None and match.group("root") in _IZE_ROOTS:
        return f"{match.group('root')}iz{match.group('end')}"
    match = _YSE_RE.match(word)
    if match is not None:
        return f"{match.group('root')}lyz{match.group('end')}"
    match = _DOUBLE_L_RE.match(word)
    if match is not None and match.group("root") in _DOUBLE_L_ROOTS:
        return f"{match.group('root')}{match.group('end')}"
    return word


def listed_pairs() -> tuple[tuple[str, str], ...]:
    """The single-word pairs (British, American), e.g. ``("grey", "gray")``: the only
    spellings whose first letters differ, which matters to whoever looks for a word by
    its first letters (highlighting)."""
    return tuple(_WORDS.items())

"""Abbreviations and what they stand for: a built-in list for the field, plus definitions
mined from the library's own titles and abstracts.

Mining follows Schwartz and Hearst, "A simple algorithm for identifying abbreviation
definitions in biomedical text" (PSB 2003): a short form in parentheses after its long
form, ``reinforcement learning (RL)``, or the other way round, ``RL (reinforcement
learning)``; the long form is the shortest run of the preceding words (at most
``min(|SF| + 5, 2 |SF|)``) in which every letter of the short form is found, right to
left, the first one starting a word.

Keys are normalised: a short form is folded and loses a plural ``s`` (``VLMs`` ->
``vlm``); a long form is the tuple of its token words (``vision-language models`` ->
``("vision", "language", "models")``), so the search can stem and phrase it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from browser.text.normalise import normalise
from browser.text.spelling import american
from browser.text.stemming import stem
from browser.text.tokens import tokenise

__all__ = [
    "BUILT_IN",
    "AcronymTable",
    "Definition",
    "find_definitions",
    "long_form_key",
    "mine_counts",
    "short_as_written",
    "short_form_key",
]

# Common machine-learning abbreviations, as the field spells them out.
BUILT_IN: Final[Mapping[str, tuple[str, ...]]] = {
    "ai": ("artificial intelligence",),
    "agi": ("artificial general intelligence",),
    "asr": ("automatic speech recognition",),
    "bc": ("behavior cloning",),
    "cnn": ("convolutional neural network",),
    "cot": ("chain of thought",),
    "cv": ("computer vision",),
    "dpo": ("direct preference optimization",),
    "drl": ("deep reinforcement learning",),
    "gail": ("generative adversarial imitation learning",),
    "gan": ("generative adversarial network",),
    "gnn": ("graph neural network",),
    "grpo": ("group relative policy optimization",),
    "icl": ("in-context learning",),
    "il": ("imitation learning",),
    "irl": ("inverse reinforcement learning",),
    "kd": ("knowledge distillation",),
    "llm": ("large language model",),
    "lm": ("language model",),
    "lmm": ("large multimodal model",),
    "lora": ("low-rank adaptation",),
    "lstm": ("long short-term memory",),
    "lvlm": ("large vision-language model",),
    "marl": ("multi-agent reinforcement learning",),
    "mcts": ("monte carlo tree search",),
    "mdp": ("markov decision process",),
    "mllm": ("multimodal large language model",),
    "mlp": ("multilayer perceptron",),
    "moe": ("mixture of experts",),
    "mt": ("machine translation",),
    "nerf": ("neural radiance field",),
    "ner": ("named entity recognition",),
    "nlp": ("natural language processing",),
    "nmt": ("neural machine translation",),
    "ocr": ("optical character recognition",),
    "ood": ("out-of-distribution",),
    "peft": ("parameter-efficient fine-tuning",),
    "ppo": ("proximal policy optimization",),
    "qa": ("question answering",),
    "rag": ("retrieval-augmented generation",),
    "rl": ("reinforcement learning",),
    "rlhf": ("reinforcement learning from human feedback",),
    "rlvr": ("reinforcement learning with verifiable rewards",),
    "rnn": ("recurrent neural network",),
    "sae": ("sparse autoencoder",),
    "sft": ("supervised fine-tuning",),
    "sgd": ("stochastic gradient descent",),
    "slm": ("small language model",),
    "ssl": ("self-supervised learning",),
    "t2i": ("text-to-image",),
    "tts": ("text-to-speech",),
    "vae": ("variational autoencoder",),
    "vit": ("vision transformer",),
    "vla": ("vision-language-action",),
    "vlm": ("vision-language model",),
    "vqa": ("visual question answering",),
}

# Long forms kept per short form: the most frequent ones in the library.
MAX_LONG_FORMS: Final = 3
_MAX_SHORT_FORM_CHARS: Final = 10
_BUILT_IN_WEIGHT: Final = 1 << 30
_PARENTHESISED: Final = re.compile(r"\(([^()]{1,120})\)")
_WORDS_BEFORE: Final = re.compile(r"\S+")


class Definition(NamedTuple):
    """A short form and its long form as written (``RL``, ``reinforcement learning``)."""

    short: str
    long: str


def short_form_key(short: str) -> str:
    """``VLMs`` -> ``vlm``: folded, a plural ``s`` after a capital dropped."""
    if len(short) > 2 and short[-1] == "s" and short[-2].isupper():
        short = short[:-1]
    return normalise(short).replace("-", "")


def long_form_key(long: str) -> tuple[str, ...]:
    """``vision-language models`` -> ``("vision", "language", "models")``: its phrase words
    as the index sees them (stop words left out: ``chain of thought`` -> two words)."""
    return tuple(token.text for token in tokenise(long) if not token.derived)


def find_definitions(text: str) -> list[Definition]:
    """Every ``long form (SF)`` and ``SF (long form)`` in ``text`` (Schwartz and Hearst)."""
    found: list[Definition] = []
    for match in _PARENTHESISED.finditer(text):
        inside = match.group(1).strip()
        before = text[: match.start()]
        # A clause ends at these: the long form never reaches past them.
        before = re.split(r"[.;:!?()\[\]]", before)[-1]
        if _is_short_form(inside):
            long_form = _best_long_form(inside, _last_words(before, inside))
            if long_form is not None:
                found.append(Definition(inside, long_form))
            continue
        words_before = before.split()
        if words_before and _is_short_form(words_before[-1]):
            short = words_before[-1]
            candidate = _last_words(inside, short, from_start=True)
            long_form = _best_long_form(short, candidate)
            if long_form is not None and long_form == candidate:
                found.append(Definition(short, long_form))
    return found


def _is_short_form(text: str) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= 2
        and 2 <= len(text) <= _MAX_SHORT_FORM_CHARS
        and text[0].isalnum()
        and any(char.isalpha() for char in text)
        and any(char.isupper() for char in text)
    )


def _last_words(text: str, short: str, *, from_start: bool = False) -> str:
    limit = min(len(short) + 5, 2 * len(short))
    words = _WORDS_BEFORE.findall(text)
    return " ".join(words[:limit] if from_start else words[-limit:])


def _best_long_form(short: str, long: str) -> str | None:
    """Schwartz and Hearst's match of ``short`` in ``long``, right to left; None if none."""
    s_index, l_index = len(short) - 1, len(long) - 1
    while s_index >= 0:
        char = short[s_index].lower()
        if not char.isalnum():
            s_index -= 1
            continue
        # The first letter of the short form must start a word of the long form.
        while l_index >= 0 and (
            long[l_index].lower() != char
            or (s_index == 0 and l_index > 0 and long[l_index - 1].isalnum())
        ):
            l_index -= 1
        if l_index < 0:
            return None
        l_index -= 1
        s_index -= 1
    start = long.rfind(" ", 0, l_index + 1) + 1
    result = long[start:].strip()
    if len(result) <= len(short) or (len(result.split()) < 2 and "-" not in result):
        return None
    if short.lower() in (word.lower() for word in result.split()):
        return None
    return result


# How an abbreviation is written when the field does not write it in capitals.
SPELLINGS: Final[Mapping[str, str]] = {
    "cot": "CoT",
    "lora": "LoRA",
    "moe": "MoE",
    "nerf": "NeRF",
    "vit": "ViT",
}
# A mined long form is offered beside another meaning (built in or mined) only when
# this many papers define it so: a one-off phrasing is not a meaning of its own.
MIN_SUPPORT: Final = 2


@dataclass
class _Meaning:
    """One meaning of a short form: its long forms that stem alike (``vision language
    model`` and ``... models``, ``fine tuned`` and ``fine tuning``), counted together."""

    count: int = 0
    built_in: str | None = None
    written: Counter[str] = field(default_factory=Counter)
    keys: dict[tuple[str, ...], None] = field(default_factory=dict)

    def label(self) -> str:
        """The long form to show: the built-in one, else the most written one."""
        if self.built_in is not None:
            return self.built_in
        return min(self.written.items(), key=lambda item: (-item[1], item[0]))[0]


@dataclass
class AcronymTable:
    """Short forms and long forms both ways: ``long_forms["rl"]`` and ``short_forms[(...)]``.

    Built from ``BUILT_IN`` plus mined definitions (``add_text``/``from_counts``).
    ``labels["moe"]`` are its meanings as written (``("mixture of experts",)``), one per
    meaning; ``by_stems`` finds a long form by its words' stems (``large language
    models`` is ``large language model``), see ``short_form_of``.
    """

    long_forms: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    short_forms: dict[tuple[str, ...], str] = field(default_factory=dict)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Stems of a long form's words -> (short form, the meaning's label).
    by_stems: dict[tuple[str, ...], tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def from_counts(cls, mined: Mapping[str, Mapping[str, int]] | None = None) -> AcronymTable:
        """The built-in list plus ``mined`` (short key -> long form as written -> papers).

        Long forms that stem alike are one meaning. The built-in meaning always stays
        and comes first; a mined one needs ``MIN_SUPPORT`` papers unless it is the short
        form's only meaning; at most ``MAX_LONG_FORMS`` meanings, most defined first.
        """
        merged: dict[str, dict[str, _Meaning]] = {}
        for short, longs in BUILT_IN.items():
            for long in longs:
                meaning = _meaning(merged, short, long_form_key(long))
                meaning.built_in, meaning.count = long, _BUILT_IN_WEIGHT
        for short, counts in (mined or {}).items():
            for long, count in counts.items():
                key = long_form_key(long)
                if key and count > 0:
                    meaning = _meaning(merged, short, key)
                    meaning.count += count
                    meaning.written[long] += count
        table = cls()
        for short, meanings in merged.items():
            ranked = sorted(meanings.values(), key=lambda m: -m.count)
            if len(ranked) > 1:
                ranked = [m for m in ranked if m.built_in or m.count >= MIN_SUPPORT]
            kept = ranked[:MAX_LONG_FORMS]
            if not kept:
                continue
            table.long_forms[short] = tuple(key for m in kept for key in m.keys)
            table.labels[short] = tuple(m.label() for m in kept)
            for meaning in kept:
                for key in meaning.keys:
                    table.short_forms.setdefault(key, short)
                    table.by_stems.setdefault(_stems(key), (short, meaning.label()))
        return table

    def short_form_of(self, words: tuple[str, ...]) -> tuple[str, str] | None:
        """(short form key, label of the meaning) for the normalised words ``words`` of a
        long form, any number of each word (``vision language models`` -> ``("vlm",
        "vision-language model")``); None for other words."""
        return self.by_stems.get(_stems(words))

    def expansions(self, word: str) -> tuple[tuple[str, ...], ...]:
        """Long forms of the query word ``word`` (normalised), plural ``s`` allowed."""
        return self.long_forms.get(self.short_key(word) or "", ())

    def short_key(self, word: str) -> str | None:
        """The table's key of the query word ``word`` (normalised): ``vlms`` -> ``vlm``;
        None when it is no known short form."""
        if word in self.long_forms:
            return word
        if len(word) > 2 and word.endswith("s") and word[:-1] in self.long_forms:
            return word[:-1]
        return None


def short_as_written(short: str, typed: str | None = None) -> str:
    """How to write the short form ``short`` (a key) in a notice: as the field writes it
    (``LoRA``, ``MoE``, ``RL``); a mined one as typed when the user mixed cases, else in
    capitals. A plural as typed keeps its ``s`` (``vlms`` -> ``VLMs``)."""
    if short not in SPELLINGS and short not in BUILT_IN and typed and not _one_case(typed):
        return typed
    written = SPELLINGS.get(short, short.upper())
    plural = bool(typed) and typed is not None and normalise(typed) == f"{short}s"
    return f"{written}s" if plural else written


def _one_case(text: str) -> bool:
    return text.isupper() or text.islower() or not any(char.isalpha() for char in text)


def _stems(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(stem(american(word)) for word in words)


def _meaning(merged: dict[str, dict[str, _Meaning]], short: str, key: tuple[str, ...]) -> _Meaning:
    """The meaning of ``short`` that ``key`` stems to, made on first sight."""
    stems = "".join(_stems(key))
    meaning = merged.setdefault(short, {}).setdefault(stems, _Meaning())
    meaning.keys[key] = None
    return meaning


def mine_counts(texts: Iterable[str]) -> dict[str, dict[str, int]]:
    """Short key -> long form as written (folded) -> how many texts define it so."""
    counts: dict[str, Counter[str]] = {}
    for text in texts:
        for short, long in set(find_definitions(text)):
            key = long_form_key(long)
            if key:
                counts.setdefault(short_form_key(short), Counter())[_as_written(long)] += 1
    return {short: dict(longs) for short, longs in counts.items()}


def _as_written(long: str) -> str:
    """A mined long form to count and show: folded, spaces closed up
    (``Mixture of  Experts`` -> ``mixture of experts``)."""
    return " ".join(normalise(long).split())
